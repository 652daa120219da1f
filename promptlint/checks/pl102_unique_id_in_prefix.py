from promptlint.checks._volatile import VolatileInPrefix


class UniqueIdInPrefix(VolatileInPrefix):
    """A per-request unique value (uuid, random, request id) ahead of static prompt text."""

    code = "PL102"
    volatile_kind = "unique-id"
