class Notebook:
    """Collects notes; `complete` joins them (no model involved)."""

    def __init__(self):
        self.entries = []

    def complete(self, entries):
        return "\n".join(self.entries + list(entries))
