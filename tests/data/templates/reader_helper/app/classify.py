"""Prompt files read through reader helpers: one of the project's, one local."""

import time
from pathlib import Path

from openai import OpenAI

from app.common.files import load_prompt_file

client = OpenAI()
CLASSIFY = load_prompt_file(__file__, "classify.txt")


def read_prompt(name: str) -> str:
    return (Path(__file__).parent / "prompts" / name).read_text()


def classify(text: str) -> str:
    prompt = CLASSIFY.format(stamp=time.time(), text=text)
    reply = client.chat.completions.create(
        model="gpt-4o-mini", max_tokens=20, messages=[{"role": "user", "content": prompt}]
    )
    return reply.choices[0].message.content


def label(text: str) -> str:
    prompt = read_prompt("label.txt").format(stamp=time.time(), text=text)
    reply = client.chat.completions.create(
        model="gpt-4o-mini", max_tokens=20, messages=[{"role": "user", "content": prompt}]
    )
    return reply.choices[0].message.content
