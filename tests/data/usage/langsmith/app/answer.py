import anthropic

from app.clients import openai_client

claude = anthropic.Anthropic()


def answer(question: str) -> str:
    completion = openai_client.chat.completions.create(
        model="gpt-4.1-mini",
        max_tokens=300,
        messages=[{"role": "user", "content": question}],
    )
    return completion.choices[0].message.content


def title(text: str) -> str:
    message = claude.messages.create(
        model="claude-haiku-4-5",
        max_tokens=20,
        messages=[{"role": "user", "content": text}],
    )
    return message.content[0].text
