"""The engine side of the server: lint a snapshot, remember what each lint found and
which other files it read, and run the project phase over the open documents.

Everything here runs on the server's single lint thread (the analysis keeps
per-process memos that are not thread-safe); nothing here knows LSP.

Findings may land in files other than the one linted: a constant imported from
a sibling module (PL401 and PL403-PL406 point at the constant), a placeholder in a prompt
template file (PL101-PL104), and, as the whole-program work lands, wrapper sites. Each finding
is filed under the file it points into; the server publishes per target file,
merging what every origin (each open document, the project phase) put there.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field

from promptlint.model import CallSite, FileResult, Finding
from promptlint.server.documents import Snapshot
from promptlint.settings import Settings


@dataclass(slots=True)
class Outcome:
    """One lint of one snapshot."""

    snapshot: Snapshot
    settings: Settings
    result: FileResult
    findings: list[Finding]  # selected, not suppressed, not per-file-ignored
    dependencies: set[str] = field(default_factory=set)  # absolute paths of the other files it read
    errors: list[str] = field(default_factory=list)  # a rule that crashed; the whole lint failing


def shown_findings(findings: list[Finding], settings: Settings) -> list[Finding]:
    """What the CLI would print: selected codes (PL000 unless ignored outright), no suppressed
    finding, no per-file-ignored one."""
    from promptlint.checks import is_selected
    from promptlint.state.suppress import per_file_ignored

    def selected(code: str) -> bool:
        if code == "PL000":
            return not any(code.startswith(p) for p in settings.ignore)
        return is_selected(code, settings.select, settings.ignore)

    return [f for f in findings if not f.suppressed and selected(f.code)
            and not per_file_ignored(f, settings.per_file_ignores, settings.root)]


def lint(snapshot: Snapshot, settings: Settings) -> Outcome:
    """Lint one snapshot; never raises (an engine failure is an error of the outcome)."""
    from promptlint.analysis import loading, project
    from promptlint.engine import lint_source

    project.DEPENDENCIES.clear()
    loading.take_files_read()
    try:
        result = lint_source(snapshot.shown, snapshot.data, settings)
    except Exception as exc:  # noqa: BLE001 - a bug in the analysis must not take the server down
        result = FileResult(snapshot.shown)
        detail = "".join(traceback.format_exception(exc)[-3:]).strip()
        result.errors.append(f"{snapshot.shown}: internal error: {type(exc).__name__}: {exc}\n{detail}")
    # Sibling modules (and the modules and files they read) and prompt template files it read:
    # a change to one re-lints this document.
    deps = {os.path.abspath(p) for p in project.dependencies() | loading.take_files_read()}
    project.DEPENDENCIES.clear()
    deps.discard(snapshot.path)
    return Outcome(snapshot, settings, result, shown_findings(result.findings, settings), deps,
                   list(result.errors))


def project_phase(outcomes: list[Outcome]) -> tuple[list[Finding], list[str]]:
    """The project-wide rules over the call sites of `outcomes` (the open documents), per
    settings; returns (findings to show, errors)."""
    from promptlint.engine import project_findings

    groups: dict[int, tuple[Settings, list[CallSite]]] = {}
    for outcome in outcomes:
        groups.setdefault(id(outcome.settings), (outcome.settings, []))[1].extend(outcome.result.callsites)
    found: list[Finding] = []
    errors: list[str] = []
    for settings, callsites in groups.values():
        callsites.sort(key=lambda c: (c.path, c.span.line, c.span.column))
        try:
            shown = shown_findings(project_findings(callsites, settings), settings)
            if any(f.waste_kind or f.waste_tokens_per_call is not None for f in shown):
                from promptlint.cost.prices import price_findings

                price_findings(shown, settings, callsites)  # dollar figures, as `check` prints them
            found += shown
        except Exception as exc:  # noqa: BLE001
            errors.append(f"project phase: internal error: {type(exc).__name__}: {exc}")
    found.sort(key=Finding.sort_key)
    return found, errors
