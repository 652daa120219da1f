from openai import OpenAI

_client = OpenAI()


def complete(messages, **params):
    return _client.chat.completions.create(model="gpt-4o-mini", messages=messages, **params)
