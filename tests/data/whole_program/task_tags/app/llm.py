from openai import OpenAI

client = OpenAI()


def complete(messages, **kwargs):
    return client.chat.completions.create(model="gpt-4.1-mini", max_tokens=300, messages=messages, **kwargs)


def ask(question):
    # Decides the whole request and never tags it.
    return client.chat.completions.create(model="gpt-4.1-mini", max_tokens=300,
                                          messages=[{"role": "user", "content": question}])


def tagged(messages, task, **kwargs):
    return client.chat.completions.create(model="gpt-4.1-mini", max_tokens=300, messages=messages,
                                          metadata={"task": task}, **kwargs)
