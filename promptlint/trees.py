"""`ast` trees parsed once per run: the project index (project_index.py) parses the files
that may hold an LLM call to find the project's wrappers, and the engine parses the same
files again to lint them. While a run keeps them (engine.lint_paths), the index's trees
wait here, by content, until the engine takes each one; forked workers inherit them.

Bounded by the bytes of the files they come from (a tree takes about thirty times the
memory of its source): past KEEP_BYTES, files are simply parsed again.
"""

from __future__ import annotations

import ast
import hashlib
import warnings

KEEP_BYTES = 4_000_000

_kept: dict[bytes, ast.Module] = {}
_budget = 0  # bytes of source still allowed; 0: nothing is kept


def keep(budget: int = KEEP_BYTES) -> None:
    """From now on, trees parsed by `parse` are kept for `take`, up to `budget` bytes of source."""
    global _budget
    _budget = budget


def release() -> None:
    """Forget every kept tree and keep no more."""
    global _budget
    _budget = 0
    _kept.clear()


def parse(source: bytes) -> ast.Module:
    """ast.parse (warnings silenced), the tree kept for `take` while a run keeps them.
    Raises what ast.parse raises."""
    global _budget
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(source)
    if _budget >= len(source):
        _budget -= len(source)
        _kept[_key(source)] = tree
    return tree


def take(source: bytes) -> ast.Module | None:
    """The tree `parse` kept for these bytes (given once), or None."""
    return _kept.pop(_key(source), None) if _kept else None


def peek(source: bytes) -> ast.Module | None:
    """The tree kept for these bytes, left for `take` (another module reading this one)."""
    return _kept.get(_key(source)) if _kept else None


def _key(source: bytes) -> bytes:
    return hashlib.blake2b(source, digest_size=16).digest()
