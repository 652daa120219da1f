"""Jinja templates in a folder, rendered through an Environment with a FileSystemLoader."""

import os
from datetime import date

from jinja2 import Environment, FileSystemLoader
from openai import OpenAI

TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), "templates")
env = Environment(loader=FileSystemLoader(TEMPLATE_DIR))
client = OpenAI()


def answer(question: str) -> str:
    system = env.get_template("answer.j2").render(today=date.today().isoformat())
    reply = client.chat.completions.create(
        model="gpt-4o",
        max_tokens=400,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
    )
    return reply.choices[0].message.content


def digest(documents: list[str], question: str) -> str:
    prompt = env.get_template("digest.j2").render(documents=documents, question=question)
    reply = client.chat.completions.create(
        model="gpt-4o", max_tokens=400, messages=[{"role": "user", "content": prompt}]
    )
    return reply.choices[0].message.content


def audit(question: str) -> str:
    system = env.get_template("audit.j2").render(today=date.today().isoformat())
    reply = client.chat.completions.create(
        model="gpt-4o",
        max_tokens=400,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
    )
    return reply.choices[0].message.content


def digest_late(documents: list[str], question: str) -> str:
    # Look-alike: the retrieved documents come after the included guide.
    prompt = env.get_template("digest_late.j2").render(documents=documents, question=question)
    reply = client.chat.completions.create(
        model="gpt-4o", max_tokens=400, messages=[{"role": "user", "content": prompt}]
    )
    return reply.choices[0].message.content
