from datetime import datetime

from app import prompts
from app.llm import chat


def answer(question):
    system = prompts.SYSTEM_PROMPT.format(current_date=datetime.now().strftime("%Y-%m-%d"))
    messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
    return chat(messages, model="gpt-4o", max_tokens=600)
