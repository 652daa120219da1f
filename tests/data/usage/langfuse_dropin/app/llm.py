from langfuse.openai import OpenAI

client = OpenAI()


def draft(brief: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=800, messages=[{"role": "user", "content": brief}]
    )
    return completion.choices[0].message.content
