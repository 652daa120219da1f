"""Lint one file or many: pre-check, parse, find call sites, run checks, apply suppressions."""

from __future__ import annotations

from dataclasses import dataclass, field

from promptlint.model import CallSite, Finding
from promptlint.settings import Settings


@dataclass(slots=True)
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)  # `suppressed` already set
    callsites: list[CallSite] = field(default_factory=list)
    skipped: bool = False  # the byte pre-check found no SDK marker
    warnings: list[str] = field(default_factory=list)  # e.g. malformed suppression comments


@dataclass(slots=True)
class RunResult:
    findings: list[Finding] = field(default_factory=list)  # sorted by Finding.sort_key
    files_checked: int = 0
    files_skipped: int = 0
    callsites: list[CallSite] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def lint_source(path: str, source: bytes, settings: Settings) -> FileResult:
    """Analyse one file's bytes. `path` is the display path (relative, POSIX)."""
    raise NotImplementedError


def lint_paths(files: list[str], settings: Settings) -> RunResult:
    """Analyse files (already discovered); results sorted and deterministic."""
    raise NotImplementedError
