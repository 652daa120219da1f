from promptlint.checks._volatile import VolatileInPrefix


class VolatileTimestampInPrefix(VolatileInPrefix):
    """A clock reading placed ahead of static prompt text breaks the cached prefix."""

    code = "PL101"
    volatile_kind = "timestamp"

    def note(self, source: str) -> str | None:
        if "today" in source:
            return "it changes once a day, so the loss is one cache miss per day per prefix"
        return None
