from openai import OpenAI

client = OpenAI()


def ask(question: str):
    return client.chat.completions.create(model="gpt-4.1-mini", max_tokens=50, messages=[{"role": "user", "content": question}])
