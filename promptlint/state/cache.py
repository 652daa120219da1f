"""Per-file results cached by content hash (conventions §14).

Key: sha256 of the file's bytes + the analysis settings + the selected codes +
the promptlint version + a digest of the installed code and rules/ data
(state/code_digest.py: an edited rule or catalog entry gives a new key). Never
mtime (fresh CI checkouts reset it). A result that read constants from sibling modules records their hashes and is used only
while they are unchanged. Entries are JSON (a cache must never be able to run
code), written atomically; a corrupt entry is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, fields

from promptlint import __version__
from promptlint.model import CallSite, FileResult, Finding, PromptPart, Segment, Span


def file_hash(path: str) -> str | None:
    try:
        if os.path.isdir(path):  # a folder of prompt files loaded whole: its listing
            return hashlib.sha256("\0".join(sorted(os.listdir(path))).encode()).hexdigest()
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


MAX_SKIPPED = 20_000  # keys kept from earlier runs; past it the list keeps this run's only (read on every run)


class Cache:
    def __init__(self, directory: str, settings_key: str) -> None:
        self.directory = os.path.join(directory, __version__)
        self.settings_key = settings_key
        self._skipped: set[str] | None = None  # keys of files the byte pre-check ruled out
        self._skipped_now: set[str] = set()

    # -- the skip list: on a warm run, files without an SDK marker are not even pre-checked

    def _per_settings(self, kind: str) -> str:
        """`kind-<settings hash>.json`: one file per settings, beside the per-file entries."""
        name = hashlib.sha256(self.settings_key.encode()).hexdigest()[:16]
        return os.path.join(self.directory, f"{kind}-{name}.json")

    def known_skipped(self, key: str) -> bool:
        if self._skipped is None:
            self._skipped = set()
            try:
                with open(self._per_settings("skipped"), encoding="utf-8") as fh:
                    keys = json.load(fh)
                if isinstance(keys, list):
                    self._skipped = {k for k in keys if isinstance(k, str)}
            except (OSError, ValueError):
                pass  # missing or corrupt: every file is pre-checked, and the list rebuilt
        if key in self._skipped:
            self._skipped_now.add(key)
            return True
        return False

    def note_skipped(self, key: str) -> None:
        self._skipped_now.add(key)

    def save_skipped(self) -> None:
        """Keep the keys skipped by this run and earlier ones (other subtrees, other branches)."""
        known = self._skipped or set()
        if self._skipped_now <= known:
            return
        keys = known | self._skipped_now
        if len(keys) > max(MAX_SKIPPED, 2 * len(self._skipped_now)):
            keys = self._skipped_now
        write_atomically(self._per_settings("skipped"), sorted(keys))

    # -- the project phase: one entry, the last run's, per settings

    def project_key(self, callsites) -> str:
        """Every call site, and the bytes of every file a call site or its prompt text comes from."""
        h = hashlib.sha256(self.settings_key.encode())
        paths = set()
        for site in callsites:
            h.update(json.dumps(asdict(site), sort_keys=True, ensure_ascii=False).encode())
            paths.add(site.path)
            paths.update(seg.origin for part in site.parts for seg in part.segments if seg.origin)
        for path in sorted(paths):
            h.update(f"\0{path}\0{file_hash(path)}".encode())
        return h.hexdigest()

    def load_project(self, key: str):
        """The project phase's findings for `key`, or None."""
        try:
            with open(self._per_settings("project"), encoding="utf-8") as fh:
                entry = json.load(fh)
            if entry["key"] != key:
                return None
            return [Finding.from_dict(f) for f in entry["findings"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def store_project(self, key: str, findings) -> None:
        write_atomically(self._per_settings("project"), {"key": key, "findings": [asdict(f) for f in findings]})

    def key(self, path: str, source: bytes) -> str:
        h = hashlib.sha256()
        for part in (source, path.encode(errors="surrogatepass"), self.settings_key.encode()):  # any file name
            h.update(hashlib.sha256(part).digest())
        return h.hexdigest()

    def _file(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], key + ".json")

    def load(self, key: str):
        """A FileResult, or None when absent, stale or unreadable."""
        try:
            with open(self._file(key), encoding="utf-8") as fh:
                entry = json.load(fh)
            for dep, digest in entry["deps"].items():
                if file_hash(dep) != digest:
                    return None
            raw = entry["result"]
            return FileResult(
                path=raw["path"], findings=[Finding.from_dict(f) for f in raw["findings"]],
                callsites=[_callsite(c) for c in raw["callsites"]], skipped=raw["skipped"],
                prefiltered=raw["prefiltered"], warnings=raw["warnings"], errors=[], lines=raw["lines"],
                not_checked=raw.get("not_checked"), needs_check=raw.get("needs_check", False))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # corrupt or from another layout: recompute and overwrite

    def store(self, key: str, result, deps: dict[str, str]) -> None:
        if result.errors or result.timed_out:
            return  # never cache an internal error or a file the time budget cut short
        target = self._file(key)
        entry = {"deps": deps, "result": {
            "path": result.path, "findings": [asdict(f) for f in result.findings],
            "callsites": [asdict(c) for c in result.callsites], "skipped": result.skipped,
            "prefiltered": result.prefiltered, "warnings": result.warnings, "lines": result.lines,
            "not_checked": result.not_checked, "needs_check": result.needs_check}}
        write_atomically(target, entry)  # a read-only or full disk only costs speed


def write_atomically(target: str, data) -> bool:
    """JSON to `target` through a temporary file and a rename: concurrent runs see
    the old or the new file, never half of one. False if the disk refused."""
    directory = os.path.dirname(target)
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False)
        os.replace(tmp, target)
        return True
    except (OSError, UnicodeEncodeError, ValueError):  # a file name that is not UTF-8: not cached
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False


def _span(raw) -> Span | None:
    return Span(**raw) if raw else None


def _callsite(raw: dict) -> CallSite:
    data = {f.name: raw[f.name] for f in fields(CallSite) if f.name in raw}
    for name in ("span", "call_span", "model_span", "cap_span"):
        data[name] = _span(data.get(name))
    data["parts"] = [
        PromptPart(p["role"], [Segment(**{**s, "span": _span(s["span"])}) for s in p["segments"]],
                   _span(p["span"]), p["opaque"], p["cache_marker"])
        for p in raw["parts"]]
    return CallSite(**data)
