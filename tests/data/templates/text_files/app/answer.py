"""Prompts kept as text files beside the code, read with open() and pathlib."""

import os
import uuid
from datetime import datetime
from pathlib import Path

from openai import OpenAI

client = OpenAI()
PROMPT_DIR = os.path.join(os.path.dirname(__file__), "prompts")
HERE = Path(__file__).parent


def answer(question: str) -> str:
    with open(os.path.join(PROMPT_DIR, "answer.txt"), encoding="utf-8") as fh:
        template = fh.read()
    system = template.format(today=datetime.now().strftime("%Y-%m-%d"), product="Acme Notes")
    reply = client.chat.completions.create(
        model="gpt-4o",
        max_tokens=400,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
    )
    return reply.choices[0].message.content


def summarize(text: str) -> str:
    template = (HERE / "prompts" / "summarize.md").read_text(encoding="utf-8")
    prompt = template.format(request_id=uuid.uuid4().hex, text=text)
    reply = client.chat.completions.create(
        model="gpt-4o", max_tokens=300, messages=[{"role": "user", "content": prompt}]
    )
    return reply.choices[0].message.content


def late(question: str) -> str:
    # Look-alike: every per-request part of this template comes after its static text.
    template = open(os.path.join(PROMPT_DIR, "late.txt")).read()
    prompt = template.format(question=question)
    reply = client.chat.completions.create(
        model="gpt-4o", max_tokens=300, messages=[{"role": "user", "content": prompt}]
    )
    return reply.choices[0].message.content


def by_name(name: str, question: str) -> str:
    # Look-alike: the file is chosen by the caller, so its text cannot be known.
    template = open(os.path.join(PROMPT_DIR, name + ".txt")).read()
    prompt = template.format(now=datetime.now().isoformat(), question=question)
    reply = client.chat.completions.create(
        model="gpt-4o", max_tokens=300, messages=[{"role": "user", "content": prompt}]
    )
    return reply.choices[0].message.content
