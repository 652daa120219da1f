import logging

from openai import OpenAI

log = logging.getLogger(__name__)
client = OpenAI()

# We do not use wrap_openai(client) or logfire.instrument_openai() here: see docs/telemetry.md.
NOTE = "tracing: call wrap_openai(client) once langsmith is approved"


class Worker:
    def __init__(self) -> None:
        self.success_callback = None  # not LiteLLM's


def text_returned(question: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": question}]
    )
    return completion.choices[0].message.content


def text_logged(question: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": question}]
    )
    log.info("answer: %s", completion.choices[0].message.content)
    return completion.choices[0].message.content


def printed(question: str) -> None:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": question}]
    )
    print(completion)


def reassigned(question: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": question}]
    )
    completion = completion.choices[0].message.content
    return completion


def discarded(question: str) -> None:
    client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": question}]
    )


def cli_usage(question: str) -> str:
    usage = "usage: ask QUESTION"  # a help text, not token usage
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": question}]
    )
    if not question:
        return usage
    return completion.choices[0].message.content
