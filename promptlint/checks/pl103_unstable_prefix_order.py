from promptlint.checks._volatile import VolatileInPrefix


class UnstablePrefixOrder(VolatileInPrefix):
    """Tools or examples in an order that can change between calls (sets, shuffle, listdir)."""

    code = "PL103"
    volatile_kind = "unordered"
