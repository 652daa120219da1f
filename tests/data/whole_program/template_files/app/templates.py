"""Where the prompt files are read."""

from pathlib import Path

from jinja2 import Environment, FileSystemLoader

HERE = Path(__file__).parent

env = Environment(loader=FileSystemLoader(HERE / "prompts"))
TRIAGE = (HERE / "prompts" / "triage.txt").read_text()


def load_prompt(name):
    return env.get_template(f"{name}.jinja")
