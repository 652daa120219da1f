import anthropic

claude = anthropic.Anthropic()


def reply(question: str) -> str:
    message = claude.messages.create(
        model="claude-sonnet-4-5", max_tokens=400, messages=[{"role": "user", "content": question}]
    )
    return message.content[0].text
