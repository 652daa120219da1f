from app.clients import client


def ask(question: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=200, messages=[{"role": "user", "content": question}]
    )
    return completion.choices[0].message.content
