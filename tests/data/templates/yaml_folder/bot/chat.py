"""Every YAML file of a folder loaded into a dict at start-up, then indexed by a literal key."""

import uuid
from pathlib import Path

import yaml
from openai import OpenAI

from bot.config import PROMPT_DIR

client = OpenAI()
PROMPTS = {path.stem: yaml.safe_load(path.read_text()) for path in Path(PROMPT_DIR).glob("*.yaml")}


def support(message: str, user_name: str) -> str:
    session = str(uuid.uuid4())
    system = PROMPTS["support"]["system"].format(session_id=session, user_name=user_name)
    reply = client.chat.completions.create(
        model="gpt-4o-mini",
        max_tokens=300,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": message}],
    )
    return reply.choices[0].message.content


def sales(message: str) -> str:
    system = PROMPTS["sales"]["system"].format(session_id=str(uuid.uuid4()))
    reply = client.chat.completions.create(
        model="gpt-4o-mini",
        max_tokens=300,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": message}],
    )
    return reply.choices[0].message.content
