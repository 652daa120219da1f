"""`ast` trees parsed once per run: the project index (project_index.py) parses the files
that may hold an LLM call to find the project's wrappers, and the engine parses the same
files again to lint them. While a run keeps them (engine.lint_paths), the index's trees
wait here, by content, until the engine takes each one; forked workers inherit them.

Bounded by the bytes of the files they come from (a tree takes about thirty times the
memory of its source): past KEEP_BYTES, files are simply parsed again.

Also libcst's parse as the analysis uses it (`cst_module`): without the node-by-node
validation libcst runs on every node its own parser builds.
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


def cst_module(source: bytes | str):
    """libcst.parse_module without re-validating each node the parser builds. libcst checks
    every node on construction (`CSTNode.__post_init__` calls `_validate`), which its own
    parser's output always passes; it was a sixth of each parse (crewAI: about 0.4 s of CPU a
    cold run). Validation is off only while the parser runs, in this thread: the engine (and
    the language server's one lint thread) parse and build nodes one at a time. Raises what
    libcst.parse_module raises."""
    import libcst as cst
    from libcst._nodes.base import CSTNode

    validate = CSTNode.__dict__.get("__post_init__")
    if validate is None:  # another libcst layout: parse as it comes
        return cst.parse_module(source)
    CSTNode.__post_init__ = _unchecked
    try:
        return cst.parse_module(source)
    finally:
        CSTNode.__post_init__ = validate


def _unchecked(self) -> None:
    return None
