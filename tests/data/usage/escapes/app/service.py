import logging

import anthropic
from openai import OpenAI
from prometheus_client import Counter

from app.store import save_response

log = logging.getLogger(__name__)
client = OpenAI()
claude = anthropic.Anthropic()
TOKENS = Counter("llm_tokens", "tokens spent", ["kind"])


def returned(question: str):
    return client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": question}]
    )


def returned_with_text(question: str):
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": question}]
    )
    return completion.choices[0].message.content, completion


def logged_whole(question: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": question}]
    )
    log.info("llm usage: %s", completion.usage)
    return completion.choices[0].message.content


class Session:
    def ask(self, question: str) -> str:
        self.last = client.chat.completions.create(
            model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": question}]
        )
        return self.last.choices[0].message.content


def as_metric(question: str) -> str:
    message = claude.messages.create(
        model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": question}]
    )
    TOKENS.labels("input").inc(message.usage.input_tokens)
    TOKENS.labels("cached").inc(message.usage.cache_read_input_tokens or 0)
    TOKENS.labels("output").inc(message.usage.output_tokens)
    return message.content[0].text


def handed_to_a_function(question: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": question}]
    )
    save_response(completion)
    return completion.choices[0].message.content


def counts_only(question: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": question}]
    )
    usage = completion.usage
    log.info("tokens in=%d out=%d", usage.prompt_tokens, usage.completion_tokens)
    return completion.choices[0].message.content
