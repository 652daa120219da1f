from datetime import datetime

from app.llm import chat
from app.rendering import report_system
from app.templates import TRIAGE, env, load_prompt


def answer(question):
    return chat(env.get_template("answer.jinja").render(today=datetime.now().isoformat()), question)


def triage(email):
    return chat(TRIAGE.format(today=datetime.now().isoformat()), email)


def report(repairs):
    return chat(report_system(), repairs)


def digest(bookings):
    return chat(load_prompt("digest").render(today=datetime.now().date().isoformat()), bookings)
