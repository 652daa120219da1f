from openai import OpenAI

client = OpenAI()


def send(messages, **kwargs):
    return client.chat.completions.create(model="gpt-4.1", messages=messages, max_tokens=800, **kwargs)
