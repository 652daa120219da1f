from datetime import datetime

from langchain_openai import ChatOpenAI

from app.prompts import TRIAGE_CHAT

model = ChatOpenAI(model="gpt-4o-mini", max_tokens=20)


def triage(email):
    chain = TRIAGE_CHAT | model
    return chain.invoke({"now": datetime.now().isoformat(), "email": email})
