from anthropic import Anthropic

from .base import ChatBackend


class ClaudeBackend(ChatBackend):
    """Always caps its answers, whatever the caller passes."""

    def _send(self, messages, **options):
        client = Anthropic()
        return client.messages.create(model="claude-3-5-haiku-latest", max_tokens=800, messages=messages)
