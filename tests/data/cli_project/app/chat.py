from openai import OpenAI

client = OpenAI()


def ask(question: str) -> str:
    response = client.chat.completions.create(
        model="gpt-4.1-mini", metadata={"task": "ask", "prompt_version": "1"},
        messages=[{"role": "user", "content": question}],
    )
    return response.choices[0].message.content


def ask_quietly(question: str) -> str:
    response = client.chat.completions.create(  # noqa: PL301 capped by the proxy
        model="gpt-4.1-mini", metadata={"task": "ask", "prompt_version": "1"},
        messages=[{"role": "user", "content": question}],
    )
    return response.choices[0].message.content
