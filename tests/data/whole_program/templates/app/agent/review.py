from app.llm.client import chat
from app.prompts import dated_header


def review(draft):
    messages = [{"role": "system", "content": dated_header()}, {"role": "user", "content": draft}]
    return chat(messages, max_tokens=400)
