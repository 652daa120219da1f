"""The project's own reader helper: a prompt file next to the calling module."""

import os


def load_prompt_file(anchor: str, name: str) -> str:
    path = os.path.join(os.path.dirname(anchor), "prompts", name)
    with open(path, encoding="utf-8") as fh:
        return fh.read()
