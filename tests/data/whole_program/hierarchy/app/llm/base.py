from abc import ABC, abstractmethod


class ChatBackend(ABC):
    """Every provider answers `reply`; each one sends its request in `_send`."""

    def __init__(self, model):
        self.model = model

    def reply(self, messages, **options):
        kept = [m for m in messages if m.get("content")]
        return self._send(kept, **options)

    @abstractmethod
    def _send(self, messages, **options):
        raise NotImplementedError
