from datetime import datetime
from openai import OpenAI

client = OpenAI()


def ask(question: str) -> str:
    messages = [
        {"role": "system", "content": f"Today is {datetime.now()}. You are a helpful assistant for our store."},
        {"role": "user", "content": question},
    ]
    resp = client.chat.completions.create(model="gpt-4o", messages=messages)
    print("usage:", resp.usage)
    return resp.choices[0].message.content
