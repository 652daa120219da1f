from .base import ChatBackend


class EchoBackend(ChatBackend):
    """For offline runs: answers with the last message, sends nothing."""

    def _send(self, messages, **options):
        return {"content": messages[-1]["content"]}
