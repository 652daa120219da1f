"""A prompt file with a marker the code swaps for a value with str.replace."""

from datetime import date

from anthropic import Anthropic

client = Anthropic()
PROMPT_PATH = "assistant/prompts/system.md"  # relative to the repository's root, where the app runs
DATE_MARKER = "{{CURRENT_DATE}}"


def ask(question: str, user_name: str) -> str:
    with open(PROMPT_PATH, encoding="utf-8") as fh:
        system = fh.read().replace(DATE_MARKER, date.today().isoformat())
    reply = client.messages.create(
        model="claude-3-5-haiku-latest",
        max_tokens=300,
        system=system,
        messages=[{"role": "user", "content": question}],
    )
    return reply.content[0].text


def greet(user_name: str) -> str:
    # Look-alike: the marker is replaced by a constant, so the text stays the same on every call.
    with open(PROMPT_PATH, encoding="utf-8") as fh:
        system = fh.read().replace(DATE_MARKER, "2025-01-01")
    reply = client.messages.create(
        model="claude-3-5-haiku-latest",
        max_tokens=100,
        system=system,
        messages=[{"role": "user", "content": f"Say hello to {user_name}."}],
    )
    return reply.content[0].text
