"""Thin helpers around the provider SDK."""

from openai import OpenAI

client = OpenAI()

STYLE = """You write for a bookshop's newsletter. Short sentences, warm tone, no exclamation marks.
Mention at most two books per paragraph and always give the author's full name.
Never invent prices, dates or events; leave a placeholder in square brackets instead."""


def chat(messages, model, temperature=0.2, **kwargs):
    return client.chat.completions.create(model=model, messages=messages, temperature=temperature, **kwargs)


def ask_llm(prompt):
    # The wrapper itself decides: no cap, whoever calls it.
    return client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "system", "content": STYLE}, {"role": "user", "content": prompt}],
    )


def ask_short(prompt):
    # Negative look-alike: this wrapper always sets a cap.
    return client.chat.completions.create(
        model="gpt-4o",
        max_tokens=300,
        messages=[{"role": "system", "content": STYLE}, {"role": "user", "content": prompt}],
    )
