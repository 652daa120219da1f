"""Prompts kept in one YAML file, loaded once and indexed by key."""

from datetime import datetime
from pathlib import Path

import yaml
from anthropic import Anthropic

client = Anthropic()
PROMPTS_FILE = Path(__file__).resolve().parent / "prompts.yaml"

with open(PROMPTS_FILE, encoding="utf-8") as fh:
    PROMPTS = yaml.safe_load(fh)


def triage(ticket: str) -> str:
    system = PROMPTS["triage"]["system"].format(now=datetime.now().isoformat())
    reply = client.messages.create(
        model="claude-3-5-sonnet-latest",
        max_tokens=200,
        system=system,
        messages=[{"role": "user", "content": ticket}],
    )
    return reply.content[0].text


def escalate(ticket: str) -> str:
    system = PROMPTS["escalate"]["system"].format(now=datetime.now().isoformat())
    reply = client.messages.create(
        model="claude-3-5-sonnet-latest",
        max_tokens=200,
        system=system,
        messages=[{"role": "user", "content": ticket}],
    )
    return reply.content[0].text


def reply_to(ticket: str) -> str:
    # Look-alike: the ticket is the last thing in the template.
    prompt = PROMPTS["reply"]["user"].format(ticket=ticket)
    reply = client.messages.create(
        model="claude-3-5-sonnet-latest", max_tokens=200, messages=[{"role": "user", "content": prompt}]
    )
    return reply.content[0].text
