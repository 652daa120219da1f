"""Output formats: one module per format, all behind `render()`.

    render("sarif", result, settings, sys.stdout, ReportOptions(...))

Each module defines `render(result, settings, stream, options) -> None`. They
are imported only when selected (start-up time). Every format is
deterministic: same findings and options, same bytes.
"""

from __future__ import annotations

import importlib
import math
import os
from dataclasses import dataclass, field

from promptlint.model import Finding
from promptlint.money import money
from promptlint.sources import SourceFiles

FORMATS = {
    "concise": "concise",
    "full": "full",
    "json": "jsonfmt",
    "json-lines": "jsonfmt",
    "github": "github",
    "sarif": "sarif",
    "gitlab": "gitlab",
    "junit": "junit",
}

RULE_URL = "https://github.com/promptlint/promptlint/blob/main/docs/rules/{code}.md"
INFORMATION_URI = "https://github.com/promptlint/promptlint"


@dataclass(slots=True)
class ReportOptions(SourceFiles):
    """How to report; the checked files' text (`sources`, `lines_of`, ...) comes from SourceFiles."""

    show_suppressed: bool = False  # concise/full/json/json-lines/github (SARIF always keeps them)
    color: bool = False  # ANSI colours in the terminal report (report/terminal.py)
    # Directory that SARIF URIs are relative to (%SRCROOT%); output paths are relative to cwd.
    srcroot: str = field(default_factory=os.getcwd)
    sarif_root_uri: bool = True  # False: omit originalUriBaseIds (--sarif-no-root)
    # Run totals of the waste estimates (prices.waste_summary). `estimates` is set by
    # the CLI once it has priced the findings; JSON and SARIF then carry `waste`.
    estimates: bool = False
    waste: dict | None = None
    unsafe_fixes: bool = False  # --unsafe-fixes: unsafe fixes count as applicable ([*] in text)


def render(fmt: str, result, settings, stream, options: ReportOptions | None = None) -> None:
    """Write `result` (engine.RunResult) to `stream` in format `fmt`."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format '{fmt}'")
    module = importlib.import_module(f"promptlint.report.{FORMATS[fmt]}")
    options = options or ReportOptions()
    if fmt == "json-lines":
        module.render_lines(result, settings, stream, options)
    else:
        module.render(result, settings, stream, options)


# ---------------------------------------------------------------- shared helpers


def visible(findings: list[Finding], options: ReportOptions) -> list[Finding]:
    """Findings a human-facing format shows: suppressed ones only on request; sorted."""
    keep = [f for f in findings if options.show_suppressed or not f.suppressed]
    return sorted(keep, key=Finding.sort_key)


def _notebook(finding: Finding, options: ReportOptions):
    """The notebook whose joined cells the finding's span points into, if any (a file that
    is not a notebook is reported at a position in the file itself)."""
    if not finding.path.endswith(".ipynb"):
        return None
    from promptlint.notebook import NOT_A_NOTEBOOK

    if finding.message.startswith(NOT_A_NOTEBOOK):
        return None
    return options.notebook(finding.path)


def cell_position(finding: Finding, options: ReportOptions) -> tuple[int, int, int] | None:
    """(cell, line in the cell, end line in the cell) of a finding in a notebook, else None."""
    notebook = _notebook(finding, options)
    where = notebook.locate(finding.span.line) if notebook is not None else None
    if where is None:
        return None
    cell, line = where
    return cell, line, line + finding.span.end_line - finding.span.line


def location_cell(location, options: ReportOptions) -> tuple[int, int] | None:
    """(cell, line in the cell) of a model.Location in a notebook, else None."""
    if not location.path.endswith(".ipynb"):
        return None
    notebook = options.notebook(location.path)
    return notebook.locate(location.line) if notebook is not None else None


def file_position(location, options: ReportOptions) -> tuple[int, int]:
    """(line, column) in the file on disk of a model.Location (see file_span)."""
    if location.path.endswith(".ipynb"):
        notebook = options.notebook(location.path)
        where = notebook.file_position(location.line, location.column) if notebook is not None else None
        if where is not None:
            return where
    return location.line, location.column


def file_span(finding: Finding, options: ReportOptions) -> tuple[int, int, int, int]:
    """(line, column, end line, end column) in the file on disk: for a notebook, where the
    code is written inside the cell's JSON string (see notebook.Notebook.file_position)."""
    span = finding.span
    notebook = _notebook(finding, options)
    if notebook is not None:
        start = notebook.file_position(span.line, span.column)
        end = notebook.file_position(span.end_line, span.end_column)
        if start is not None and end is not None:
            return (*start, *end)
    return span.line, span.column, span.end_line, span.end_column


def where(finding: Finding, options: ReportOptions) -> str:
    """`path:line:col`, or ruff's `path:cell 3:2:1` (cell, line in it, column) in a notebook."""
    cell = cell_position(finding, options)
    if cell is None:
        return f"{finding.path}:{finding.span.line}:{finding.span.column}"
    return f"{finding.path}:cell {cell[0]}:{cell[1]}:{finding.span.column}"


def fix_mark(finding: Finding, options: ReportOptions) -> str:
    """`[*] ` before the message of a finding --fix would fix (with the current flags), as ruff marks them."""
    fix = finding.fix
    return "[*] " if fix is not None and (fix.applicability == "safe" or options.unsafe_fixes) else ""


def fix_dict(finding: Finding) -> dict | None:
    """The fix as plain data (JSON `fix`): applicability, message, edits with 1-based positions."""
    fix = finding.fix
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [{"content": e.content,
                   "location": {"line": e.span.line, "column": e.span.column},
                   "end_location": {"line": e.span.end_line, "column": e.span.end_column}}
                  for e in fix.edits],
    }


def finite(value: float | None) -> float | None:
    """JSON never carries NaN or infinity: those become null."""
    if value is None or isinstance(value, bool) or not math.isfinite(value):
        return None
    return value


def waste_text(finding: Finding) -> str:
    """The bracketed estimate, e.g. `[~1,840 tok/call, $0.42/1k calls]`, or "". A worst-case
    exposure says so: `[worst case ~28,672 tok/call, ...]`."""
    from promptlint.cost.prices import figure_kind

    parts = []
    if finding.waste_tokens_per_call is not None:
        parts.append(f"~{finding.waste_tokens_per_call:,} tok/call")
    usd = finite(finding.usd_per_1k_calls)
    if usd is not None:
        parts.append(f"{money(usd)}/1k calls")
    if not parts:
        return ""
    label = "worst case " if figure_kind(finding) == "worst-case" else ""
    return f"[{label}{', '.join(parts)}]"
