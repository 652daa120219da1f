"""A value computed from a file's bytes, kept between runs by the bytes' sha256.

For the project-wide scans that look at every file of the project on every run (the
usage instrumentation markers PL203 reads): a warm run hashes each file instead of
scanning it again. One JSON file per kind and key (the key holds the digest of
promptlint's code and rules/ data, so an edited marker list starts afresh); it keeps the
entries of the last run only, so it does not grow with a project's history. A missing,
corrupt or foreign file is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os


class ContentMemo:
    def __init__(self, cache_dir: str, kind: str, key: str) -> None:
        from promptlint import __version__

        self.key = key
        name = hashlib.sha256(key.encode()).hexdigest()[:16]
        self.target = os.path.join(cache_dir, __version__, f"{kind}-{name}.json")
        self.old: dict = {}
        self.new: dict = {}
        try:
            with open(self.target, encoding="utf-8") as fh:
                data = json.load(fh)
            if isinstance(data, dict) and data.get("key") == key and isinstance(data.get("values"), dict):
                self.old = data["values"]
        except (OSError, ValueError):
            pass

    def get(self, source: bytes, compute, valid=lambda value: True):
        """compute(source), or the value recorded for the same bytes; `valid(value)` guards
        against a recorded value of the wrong shape (then it is computed again)."""
        digest = hashlib.sha256(source).hexdigest()
        value = self.old.get(digest)
        if value is None or not valid(value):
            value = json.loads(json.dumps(compute(source)))  # as it will read back next run
        self.new[digest] = value
        return value

    def save(self) -> None:
        if self.new != self.old:
            from promptlint.state.cache import write_atomically

            write_atomically(self.target, {"key": self.key, "values": self.new})
