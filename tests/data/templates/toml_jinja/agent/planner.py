"""TOML settings whose values are Jinja templates, rendered with jinja2.Template."""

import tomllib
from datetime import datetime
from pathlib import Path

from jinja2 import Template
from openai import OpenAI

client = OpenAI()
SETTINGS_PATH = Path(__file__).parent / "settings.toml"
with open(SETTINGS_PATH, "rb") as fh:
    SETTINGS = tomllib.load(fh)


def plan(task: str) -> str:
    system = Template(SETTINGS["prompts"]["plan"]["system"]).render(now=datetime.now())
    reply = client.chat.completions.create(
        model="gpt-4o",
        max_tokens=300,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": task}],
    )
    return reply.choices[0].message.content


def review(plan_text: str) -> str:
    system = Template(SETTINGS["prompts"]["review"]["system"]).render(now=datetime.now())
    reply = client.chat.completions.create(
        model="gpt-4o",
        max_tokens=300,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": plan_text}],
    )
    return reply.choices[0].message.content


def answer(notes: str, question: str) -> str:
    # Look-alike: the per-request parts come after the fixed sentence.
    prompt = Template(SETTINGS["prompts"]["answer"]["user"]).render(notes=notes, question=question)
    reply = client.chat.completions.create(
        model="gpt-4o", max_tokens=300, messages=[{"role": "user", "content": prompt}]
    )
    return reply.choices[0].message.content
