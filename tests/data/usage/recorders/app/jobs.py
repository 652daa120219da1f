from openai import OpenAI

from app import telemetry

client = OpenAI()


def tag_ticket(ticket: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=5, messages=[{"role": "user", "content": ticket}]
    )
    telemetry.record_call("tag-ticket", completion)
    return completion.choices[0].message.content
