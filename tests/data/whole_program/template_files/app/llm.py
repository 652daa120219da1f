from openai import OpenAI

client = OpenAI()


def chat(system, question, **kwargs):
    messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
    return client.chat.completions.create(model="gpt-4.1", max_tokens=500, messages=messages, **kwargs)
