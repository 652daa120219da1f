import anthropic
import litellm
from openai import AsyncOpenAI, OpenAI

client = OpenAI()
aclient = AsyncOpenAI()
claude = anthropic.Anthropic()


def no_usage_asked(question: str):
    stream = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=300, stream=True, messages=[{"role": "user", "content": question}]
    )
    for chunk in stream:
        if chunk.choices:
            yield chunk.choices[0].delta.content or ""


def usage_asked_and_read(question: str) -> str:
    parts, usage = [], None
    stream = client.chat.completions.create(
        model="gpt-4.1-mini",
        max_tokens=300,
        stream=True,
        stream_options={"include_usage": True},
        messages=[{"role": "user", "content": question}],
    )
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        elif chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
    record(usage)
    return "".join(parts)


async def usage_asked_not_read(question: str) -> str:
    parts = []
    stream = await aclient.chat.completions.create(
        model="gpt-4.1-mini",
        max_tokens=300,
        stream=True,
        stream_options={"include_usage": True},
        messages=[{"role": "user", "content": question}],
    )
    async for chunk in stream:
        if chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
    return "".join(parts)


def litellm_stream(question: str) -> str:
    response = litellm.completion(
        model="gpt-4.1-mini", max_tokens=300, stream=True, messages=[{"role": "user", "content": question}]
    )
    return "".join(chunk.choices[0].delta.content or "" for chunk in response)


def anthropic_stream(question: str) -> str:
    with claude.messages.stream(
        model="claude-haiku-4-5", max_tokens=300, messages=[{"role": "user", "content": question}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    record(final.usage)
    return text


def record(usage) -> None:
    print(usage)
