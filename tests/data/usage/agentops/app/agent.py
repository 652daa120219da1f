import agentops
from openai import OpenAI

agentops.init()
client = OpenAI()


def step(messages: list[dict]) -> str:
    completion = client.chat.completions.create(model="gpt-4.1", max_tokens=400, messages=messages)
    return completion.choices[0].message.content
