"""Autofix: fixes for findings, made with libcst, carried by the findings as plain data.

Two halves, in two layers:

- making fixes (`attach`): the engine calls it after the checks of a file (and
  after the project phase). Each fixer module re-parses the file with libcst
  (source.py), finds the nodes of a finding by position, builds the changed node
  and records the edit as text (model.Fix / model.Edit), so a fix survives the
  worker pool and the cache. Fixers read the model, the catalog and the checks'
  helpers; nothing in checks/ or analysis imports this package.
- applying fixes (apply.py): the CLI's `--fix`, `--unsafe-fixes`, `--diff`. It
  splices the edits into the file, checks that the result still parses (libcst)
  and compiles, repeats on overlapping fixes, and writes atomically.

A fixer returns None when it cannot make a fix it trusts; the finding then has
no fix, and its rule document says which cases are left unfixed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from promptlint.model import CallSite, Finding

# code -> "module:function"; the function takes (finding, source, env) and returns a Fix or None.
FIXERS: dict[str, str] = {
    "PL101": "reorder:fix_move_to_end",
    "PL102": "reorder:fix_move_to_end",
    "PL103": "ordering:fix_unstable_order",
    "PL104": "reorder:fix_move_to_end",
    "PL105": "caching:fix_uncached_static_prefix",
    "PL201": "tags:fix_missing_task_tag",
    "PL202": "tags:fix_missing_prompt_version",
    "PL301": "caps:fix_uncapped_output",
    "PL302": "caps:fix_oversized_cap",
    "PL403": "padding:fix_prompt_padding",
    "PL406": "serialization:fix_verbose_serialization",
}


@dataclass(slots=True)
class Env:
    """What a fixer may know besides the file: settings and the analysed call sites."""

    settings: object
    callsites: list[CallSite] = field(default_factory=list)
    constructors: list = field(default_factory=list)


def fixable(code: str) -> bool:
    return code in FIXERS


def _fixer(code: str):
    module_name, function = FIXERS[code].split(":")
    return getattr(importlib.import_module(f"promptlint.fix.{module_name}"), function)


def attach(path: str, text: str, findings: list[Finding], env: Env, starts: list[int] | None = None,
           tree=None) -> list[str]:
    """Give each finding of `path` that a fixer can fix its `fix`. Returns warnings
    (a fixer that failed leaves its finding without a fix; linting goes on). `starts`:
    where each line of the file starts in `text`, when `text` is not the whole file (source.py);
    `tree`: the file's libcst tree when the caller has it (not parsed again)."""
    wanted = [f for f in findings if f.code in FIXERS and f.path == path and f.fix is None]
    if not wanted or not path.endswith(".py"):
        return []  # notebooks and template files are not fixed (see apply.py)
    from promptlint.fix.source import Source

    source = Source(text, starts, tree)
    try:
        source.module  # parsed once for every fixer of the file
    except Exception:  # noqa: BLE001 - e.g. too deep for libcst's positions (RecursionError): no fixes here
        return []
    warnings: list[str] = []
    for finding in wanted:
        try:
            finding.fix = _fixer(finding.code)(finding, source, env)
        except (RecursionError, MemoryError):
            finding.fix = None  # nesting too deep to render the changed node: left unfixed
        except Exception as exc:  # noqa: BLE001 - a fix is an extra: never lose the finding over it
            warnings.append(f"{path}:{finding.span.line}: no fix for {finding.code}: "
                            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    return warnings


def attach_project(findings: list[Finding], env: Env) -> list[str]:
    """Fixes for project-phase findings, which may sit in any file: each file read from disk."""
    warnings: list[str] = []
    for path in sorted({f.path for f in findings if f.code in FIXERS and f.fix is None}):
        try:
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8").removeprefix("\ufeff")
        except (OSError, UnicodeDecodeError):
            continue
        warnings += attach(path, text, findings, env)
    return warnings
