"""Baselines: adopt promptlint on legacy code without fixing everything first (conventions §8).

A baseline file records the findings a project already has; a run that uses it
fails only on findings that are not in it. Entries carry no line numbers: each
is `fingerprint.finding_key` (sha256 of code, path, enclosing scope and the
normalised source of the reported node) plus a count, so moving code around or
editing unrelated lines does not revive an old finding, while a new finding (or
one more copy of an old one in the same scope) still fails.

Paths in the file are relative to the baseline file's directory, so a baseline
means the same thing wherever promptlint runs from. The file is sorted,
pretty-printed JSON with a `version` field, so it diffs cleanly in review:

    {
      "entries": [
        {"code": "PL301", "count": 1, "key": "…", "path": "app/llm.py", "scope": "answer"}
      ],
      "tool": "promptlint",
      "version": 1
    }

Writing (`write`): the entries of the current findings. When the file written
is the baseline the run used, it only shrinks (a ratchet): each entry keeps at
most the count it had, and findings not in it are not added. Entries for files
or rules outside the run (a pre-commit run over a few files, a narrower
`--select`) are kept as they were.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from promptlint.errors import UsageError
from promptlint.model import Finding
from promptlint.state.fingerprint import finding_key

__all__ = ["VERSION", "Baseline", "Entry", "apply", "entries_for", "load", "write"]

VERSION = 1


@dataclass(slots=True)
class Entry:
    code: str
    path: str  # POSIX, relative to the baseline file's directory
    scope: str | None
    key: str
    count: int = 1

    def to_dict(self) -> dict:
        return {"code": self.code, "count": self.count, "key": self.key, "path": self.path, "scope": self.scope}


@dataclass(slots=True)
class Baseline:
    path: str  # absolute path of the file
    entries: dict[str, Entry] = field(default_factory=dict)  # key -> entry

    @property
    def directory(self) -> str:
        return os.path.dirname(self.path)


@dataclass(slots=True)
class Outcome:
    """What applying a baseline did to a run."""

    baselined: int = 0  # findings hidden because the baseline holds them
    matched: list[Finding] = field(default_factory=list)  # those findings (SARIF reports them as unchanged)
    stale: int = 0  # baseline occurrences no current finding matched (files and rules in the run only)


def relative(path: str, directory: str) -> str:
    """`path` (a display path, relative to the current directory) relative to `directory`, POSIX."""
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, directory)
    except ValueError:  # another drive on Windows
        rel = absolute
    return Path(rel).as_posix()


def _lines_reader():
    """A file's lines, for findings without a snippet: the lines spans point into (for a
    notebook, its code cells joined), as the reports read them."""
    from promptlint.sources import SourceFiles

    return SourceFiles().lines_of


def _keyed(findings: list[Finding], directory: str) -> list[tuple[Finding, Entry]]:
    """Each finding with its baseline entry (count 1), path relative to `directory`."""
    lines_of = _lines_reader()
    out = []
    for f in findings:
        rel = relative(f.path, directory)
        lines = lines_of(f.path) if f.snippet is None else None
        key = finding_key(dataclasses.replace(f, path=rel), lines)
        out.append((f, Entry(code=f.code, path=rel, scope=f.scope, key=key)))
    return out


def entries_for(findings: list[Finding], directory: str) -> dict[str, Entry]:
    """Baseline entries for `findings` (suppressed ones excluded), counted per key."""
    entries: dict[str, Entry] = {}
    for f, entry in _keyed([f for f in findings if not f.suppressed], directory):
        if entry.key in entries:
            entries[entry.key].count += 1
        else:
            entries[entry.key] = entry
    return entries


def load(path: str) -> Baseline:
    """Read a baseline file; any problem is a UsageError (exit 2) naming the file."""
    absolute = os.path.abspath(path)
    try:
        with open(absolute, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise UsageError(f"{path}: baseline file not found (create it with --write-baseline {path})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: invalid baseline JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise UsageError(f"{path}: not a promptlint baseline (no 'entries' list)")
    if data.get("version") != VERSION:
        raise UsageError(f"{path}: unsupported baseline version {data.get('version')!r} "
                         f"(this promptlint reads version {VERSION}; rewrite it with --write-baseline)")
    baseline = Baseline(path=absolute)
    for i, raw in enumerate(data["entries"]):
        try:
            entry = Entry(code=str(raw["code"]), path=str(raw["path"]), scope=raw.get("scope"),
                          key=str(raw["key"]), count=int(raw.get("count", 1)))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise UsageError(f"{path}: entries[{i}] is not a valid baseline entry") from None
        if entry.key in baseline.entries:
            baseline.entries[entry.key].count += entry.count
        else:
            baseline.entries[entry.key] = entry
    return baseline


def _covered(entry: Entry, checked: set[str] | None, selected) -> bool:
    """Whether this run looked at the entry's file and rule (so a miss means it is stale)."""
    return (checked is None or entry.path in checked) and (selected is None or selected(entry.code))


def apply(baseline: Baseline, findings: list[Finding], checked_files: list[str] | None = None,
          selected=None) -> tuple[list[Finding], Outcome]:
    """Drop the findings the baseline holds. Returns the rest and the counts (and the
    dropped findings in `Outcome.matched`).

    `checked_files`: the display paths this run linted (None: count every entry
    toward staleness); `selected(code)`: whether a rule ran.
    """
    remaining = {key: entry.count for key, entry in baseline.entries.items()}
    kept: list[Finding] = []
    outcome = Outcome()
    for f, entry in _keyed(findings, baseline.directory):
        if f.suppressed:
            kept.append(f)
        elif remaining.get(entry.key, 0) > 0:
            remaining[entry.key] -= 1
            outcome.baselined += 1
            outcome.matched.append(f)
        else:
            kept.append(f)
    checked = None if checked_files is None else {relative(p, baseline.directory) for p in checked_files}
    outcome.stale = sum(left for key, left in remaining.items()
                        if left > 0 and _covered(baseline.entries[key], checked, selected))
    return kept, outcome


def write(path: str, findings: list[Finding], previous: Baseline | None = None, ratchet: bool = False,
          checked_files: list[str] | None = None, selected=None) -> int:
    """Write a baseline of `findings` to `path`; returns the number of findings it holds.

    `previous`: the file's current content, if any. Its entries for files or rules
    outside this run are kept. With `ratchet`, entries of this run are capped at
    their previous counts and new findings are not added.
    """
    absolute = os.path.abspath(path)
    directory = os.path.dirname(absolute)
    current = entries_for(findings, directory)
    if previous is not None and ratchet:
        for key in list(current):
            old = previous.entries.get(key)
            if old is None:
                del current[key]
            else:
                current[key].count = min(current[key].count, old.count)
    if previous is not None:
        checked = None if checked_files is None else {relative(p, directory) for p in checked_files}
        for key, entry in previous.entries.items():
            if key not in current and not _covered(entry, checked, selected):
                current[key] = entry
    rows = sorted((e.to_dict() for e in current.values()),
                  key=lambda e: (e["path"], e["code"], e["scope"] or "", e["key"]))
    text = json.dumps({"entries": rows, "tool": "promptlint", "version": VERSION},
                      indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        os.makedirs(directory, exist_ok=True)
        with open(absolute, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return sum(e["count"] for e in rows)
