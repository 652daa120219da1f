"""JSON (one envelope) and JSON Lines (one finding per line, no envelope).

Schema version 1. Keys are snake_case, always present (null when unknown),
sorted, non-ASCII kept as is. Changes within a schema version are additive only.
`cell` (added in schema 1): for a finding in a Jupyter notebook, the cell's number
(1-based over all cells, markdown ones included), and `location` / `end_location`
lines are lines of that cell; null for a Python file.
`summary.waste` (added in schema 1): run totals of the waste estimates by rule
and task, `prices_as_of`, and a monthly figure when traffic is configured
(null when no finding carries an estimate; see docs/estimates.md).
`call_site` (added in schema 1): `{path, line, column}` of the LLM call the finding
is about (the start of its callee; for PL301/PL302 on a chat model, its
constructor), null when the rule knows none. `related` (added in schema 1): other
places the finding involves, `[{path, line, column, message}]`, in the order the
message names them ([] when none). Their lines are lines of the file as the engine
reads it: for a notebook, of its joined code cells, with `cell` added (the cell's
number, `line` then being the line in that cell).
`summary.files_not_checked` (added in schema 1): files found or named but not checked,
each with `path`, `reason` and `may_hold_llm_calls`; `files_checked` + `files_skipped`
are the files checked (`files_skipped`: ruled out by the byte pre-check, no SDK reference).
`figure_kind` (added in schema 1): "expected" (what the fix saves on a typical call),
"worst-case" (what a runaway could cost: PL301, PL302, PL701) or null without a figure.
`summary.waste.worst_case` (added in schema 1): the worst-case totals; the top-level
waste totals, task rows and `monthly` are expected waste only, never the sum of both.
"""

from __future__ import annotations

import json

from promptlint import __version__
from promptlint.cost.prices import figure_kind
from promptlint.report import RULE_URL, ReportOptions, cell_position, finite, fix_dict, location_cell, visible
from promptlint.state.fingerprint import stable_fingerprints

SCHEMA_VERSION = 1


def finding_dict(f, fingerprint: str, options: ReportOptions) -> dict:
    span = f.span
    cell = cell_position(f, options)
    line, end_line = (cell[1], cell[2]) if cell else (span.line, span.end_line)
    return {
        "code": f.code,
        "name": f.name,
        "message": f.message,
        "severity": f.severity,
        "path": f.path,
        "cell": cell[0] if cell else None,
        "location": {"line": line, "column": span.column},
        "end_location": {"line": end_line, "column": span.end_column},
        "fingerprint": fingerprint,
        "url": RULE_URL.format(code=f.code),
        "fix": fix_dict(f),  # {applicability, message, edits} or null (schema 1, additive)
        "waste_tokens_per_call": f.waste_tokens_per_call,
        "waste_kind": f.waste_kind,
        "figure_kind": figure_kind(f),
        "usd_per_1k_calls": finite(f.usd_per_1k_calls),
        "assumptions": list(f.assumptions) if f.assumptions is not None else None,
        "suppressed": f.suppressed,
        "call_site": _location(f.call_site, options),
        "related": [_location(r, options) for r in f.related],
    }


def _location(location, options: ReportOptions) -> dict | None:
    if location is None:
        return None
    out = location.to_dict()
    cell = location_cell(location, options)
    if cell is not None:
        out["cell"], out["line"] = cell
    return out


def finding_dicts(result, options: ReportOptions) -> list[dict]:
    # Fingerprints over every finding, so --show-suppressed never changes an ordinal.
    prints = stable_fingerprints(result.findings, options.lines_of)
    by_id = {id(f): fp for f, fp in zip(result.findings, prints)}
    return [finding_dict(f, by_id[id(f)], options) for f in visible(result.findings, options)]


def summary(result, options: ReportOptions | None = None) -> dict:
    active = [f for f in result.findings if not f.suppressed]
    by_code: dict[str, int] = {}
    for f in active:
        by_code[f.code] = by_code.get(f.code, 0) + 1
    out = {
        "findings": len(active),
        "suppressed": len(result.findings) - len(active),
        "by_code": by_code,
        "files_checked": result.files_checked,
        "files_skipped": result.files_skipped,
        # Files found or named but not checked (unreadable, over the size limit ...).
        "files_not_checked": [{"path": n.path, "reason": n.reason, "may_hold_llm_calls": n.may_hold_llm_calls}
                              for n in getattr(result, "not_checked", None) or ()],
    }
    if options is not None and options.estimates:
        # Totals by rule and task, the price data's date, a monthly figure when traffic is configured.
        out["waste"] = options.waste
    return out


def _dump(obj, indent=None) -> str:
    return json.dumps(obj, indent=indent, sort_keys=True, ensure_ascii=False, allow_nan=False)


def render(result, settings, stream, options: ReportOptions) -> None:
    envelope = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "promptlint", "version": __version__},
        "findings": finding_dicts(result, options),
        "summary": summary(result, options),
    }
    stream.write(_dump(envelope, indent=2) + "\n")


def render_lines(result, settings, stream, options: ReportOptions) -> None:
    for item in finding_dicts(result, options):
        stream.write(_dump(item) + "\n")
