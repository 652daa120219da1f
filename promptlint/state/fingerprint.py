"""Fingerprints that identify a finding across edits.

Two kinds:

- `line_hashes(text)`: GitHub's `primaryLocationLineHash`, ported from
  github/codeql-action `src/fingerprints.ts` (the code upload-sarif runs when a
  SARIF file has no fingerprints). For each line: a rolling hash (base 37,
  64-bit wrap-around) over the next 100 characters, skipping spaces and tabs,
  with CR / CRLF normalised to LF, a -1 (65535) end marker and zero padding.
  Written `hex:occurrence`, occurrence counting equal hashes from 1. Characters
  are UTF-16 code units, as JavaScript's `charCodeAt` sees them.
- `stable_fingerprint(...)`: our `promptlint/v1` key. No line numbers: sha256 of
  code, path, enclosing scope and the normalised source of the reported node,
  plus an ordinal among identical keys. Baselines use the key without ordinal.
"""

from __future__ import annotations

import hashlib
import re

from promptlint.model import Finding

__all__ = ["line_hashes", "line_hash", "finding_key", "normalize_snippet", "stable_fingerprints"]

_BLOCK_SIZE = 100
_MOD = 37
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(_MOD, _BLOCK_SIZE, 1 << 64)
_TAB, _SPACE, _LF, _CR, _EOF = 9, 32, 10, 13, 65535


def _code_units(text: str):
    data = text.encode("utf-16-le", "surrogatepass")
    return memoryview(data).cast("H")


def line_hashes(text: str) -> list[str]:
    """`hex:occurrence` for every line of `text` (index 0 is line 1)."""
    window = [0] * _BLOCK_SIZE
    line_numbers = [-1] * _BLOCK_SIZE
    hashes: list[str] = []
    counts: dict[str, int] = {}
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}

    def output() -> None:
        index = state["index"]
        value = format(state["hash"], "x")
        counts[value] = counts.get(value, 0) + 1
        hashes.append(f"{value}:{counts[value]}")  # lines are emitted in order
        line_numbers[index] = -1

    def update(current: int) -> None:
        index = state["index"]
        begin = window[index]
        window[index] = current
        state["hash"] = (_MOD * state["hash"] + current - _FIRST_MOD * begin) & _MASK
        state["index"] = (index + 1) % _BLOCK_SIZE

    def process(current: int) -> None:
        # Skip spaces, tabs, and an LF straight after a CR (CRLF is one newline).
        if current in (_SPACE, _TAB) or (state["prev_cr"] and current == _LF):
            state["prev_cr"] = False
            return
        if current == _CR:
            current = _LF
            state["prev_cr"] = True
        else:
            state["prev_cr"] = False
        if line_numbers[state["index"]] != -1:
            output()
        if state["line_start"]:
            state["line_start"] = False
            state["line"] += 1
            line_numbers[state["index"]] = state["line"]
        if current == _LF:
            state["line_start"] = True
        update(current)

    for unit in _code_units(text):
        process(unit)
    process(_EOF)
    for _ in range(_BLOCK_SIZE):  # flush the lines still in the window
        if line_numbers[state["index"]] != -1:
            output()
        update(0)
    return hashes


def line_hash(text: str, line: int) -> str | None:
    """GitHub's primaryLocationLineHash for 1-based `line` of `text`, if it exists."""
    hashes = line_hashes(text)
    return hashes[line - 1] if 1 <= line <= len(hashes) else None


_WS = re.compile(r"\s+")


def normalize_snippet(snippet: str) -> str:
    """Whitespace-insensitive source: reformatting must not change a fingerprint."""
    return _WS.sub(" ", snippet).strip()


def span_text(finding: Finding, lines: list[str] | None) -> str:
    """Source of the reported span (first line of it, for multi-line spans)."""
    span = finding.span
    if not lines or not 1 <= span.line <= len(lines):
        return ""
    line = lines[span.line - 1]
    end = span.end_column - 1 if span.end_line == span.line else len(line)
    return line[span.column - 1:end]


def finding_key(finding: Finding, lines: list[str] | None = None) -> str:
    """Line-free identity of a finding: sha256(code, path, scope, normalised snippet).

    The snippet is `finding.snippet` when the engine supplied one, else the
    source text of the reported span read from `lines` (the file's lines).
    """
    snippet = finding.snippet if finding.snippet is not None else span_text(finding, lines)
    parts = [finding.code, finding.path, finding.scope or "", normalize_snippet(snippet)]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]


def stable_fingerprints(findings: list[Finding], lines_of=None) -> list[str]:
    """`promptlint/v1` values for `findings` (in order): `key:ordinal`, the ordinal
    counting identical keys from 1 in sorted finding order. `lines_of(path)`
    returns a file's lines (or None) for findings without a snippet."""
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key())
    seen: dict[str, int] = {}
    out = [""] * len(findings)
    for i in order:
        finding = findings[i]
        key = finding_key(finding, lines_of(finding.path) if lines_of else None)
        seen[key] = seen.get(key, 0) + 1
        out[i] = f"{key}:{seen[key]}"
    return out
