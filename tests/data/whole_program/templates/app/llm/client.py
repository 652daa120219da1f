"""The one place that talks to the model provider."""

from openai import OpenAI

client = OpenAI()


def chat(messages, model="gpt-4o-mini", temperature=0.2, **kwargs):
    return client.chat.completions.create(model=model, messages=messages, temperature=temperature, **kwargs)
