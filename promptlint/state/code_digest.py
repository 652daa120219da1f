"""One digest of the code and data that decide a run's findings, for cache keys.

A cached result is only as fresh as the rules that produced it: editing
`rules/*.yaml` (the SDK catalog, a rule's document) or any module of the
package (a rule, the evaluator) must invalidate it, whether the edit comes from
an upgrade, a local checkout or a contributor trying a change. The version
string alone does not move in a checkout, so the key holds a digest of the
bytes of every `promptlint/**/*.py` and every file under the rules directory.

It is computed once per process (functools.cache): about a hundred small files,
about 2 ms, next to the 100+ ms of a warm run.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path


def _files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    out = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__" and not d.startswith("."))
        out += [Path(directory, n) for n in names if n.endswith(suffixes)]
    return sorted(out)


@cache
def code_and_data_digest() -> str:
    """sha256 (16 hex digits) over the relative path and bytes of the package's Python
    modules and of the rules directory's data files."""
    from promptlint.ruledocs import rules_dir

    package = Path(__file__).resolve().parent.parent  # promptlint/, this module being in state/
    h = hashlib.sha256()
    for root, suffixes in ((package, (".py",)), (rules_dir(), (".yaml", ".yml", ".json"))):
        for path in _files(root, suffixes):
            if root == package and path.is_relative_to(package / "_rules"):
                continue  # the installed copy of rules/, hashed as data below
            h.update(str(path.relative_to(root)).encode() + b"\0")
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(b"\1unreadable")
            h.update(b"\0")
    return h.hexdigest()[:16]
