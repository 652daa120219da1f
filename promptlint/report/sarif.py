"""SARIF 2.1.0 for GitHub code scanning and the VS Code SARIF Viewer (conventions §10).

One run. `tool.driver.rules` lists every referenced rule in code order and each
result's `ruleIndex` points into it. URIs are relative to %SRCROOT% (the
directory promptlint ran in, where CI checks the repository out), symlinks
resolved, POSIX, percent-encoded. Suppressed findings stay in, marked
`suppressions: [{"kind": "inSource"}]`. No timestamps; the only machine-specific
field is `originalUriBaseIds`, which `--sarif-no-root` drops.

Notebooks (`.ipynb`): the region is where the flagged code is written in the
notebook file itself, the line and column inside the cell's JSON source string
(`notebook.Notebook.file_position`). It is the only position GitHub code
scanning can show (it displays the file's lines; it has no notion of cells),
and `primaryLocationLineHash` hashes that line, so an alert follows the code
when outputs or other cells move it. The cell, and the line and column in it,
are in `properties.notebook` and at the end of the message ("cell 2, line 1").

Baselines (`--baseline`): the findings the baseline holds are kept with
`"baselineState": "unchanged"` and the others get `"new"`; without a baseline no
result has a baselineState, nor has a suppressed one (baselines never hold them). Leaving them out would make GitHub close their
alerts as fixed (it tracks alerts itself and ignores baselineState); kept, its
alert list stays true and its pull-request checks still flag only alerts the
change introduces, while the SARIF Viewer can filter on baselineState. The
exit code counts new findings only, as in every other format.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from promptlint import __version__
from promptlint.cost.prices import figure_kind
from promptlint.model import WRAPPER_LAYER
from promptlint.money import money
from promptlint.report import (INFORMATION_URI, RULE_URL, ReportOptions, cell_position, file_position, file_span,
                               finite)
from promptlint.state.fingerprint import line_hashes, stable_fingerprints

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
GITHUB_MAX_RESULTS = 25_000
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "info": "recommendation"}
_MAX_FULL_DESCRIPTION = 1024  # GitHub truncates longer ones


def _docs() -> dict:
    try:
        from promptlint.ruledocs import load_all

        return load_all()
    except Exception:  # a missing or broken rules/ dir must not break the report
        return {}


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    for end in (". ", "? ", "! "):
        if end in text:
            return text[: text.index(end) + 1]
    return text


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def rule_descriptor(code: str, example, doc) -> dict:
    """One `reportingDescriptor`; `example` is a finding of this rule (name, severity fallback)."""
    name = doc.name if doc else example.name
    severity = doc.severity if doc else example.severity
    summary = (doc.summary if doc else "") or name.replace("-", " ")
    what = (doc.sections.get("what it does", "").strip() if doc else "") or summary
    tags = [t for t in (doc.tags if doc else ["cost", "llm"]) if t.lower() != "security"][:20]
    return {
        "id": code,
        "name": name,
        "shortDescription": {"text": _first_sentence(summary)},
        "fullDescription": {"text": _truncate(what, _MAX_FULL_DESCRIPTION)},
        "help": {
            "text": doc.text() if doc else summary,
            "markdown": doc.markdown() if doc else f"# {code} {name}\n\n{summary}\n",
        },
        "helpUri": RULE_URL.format(code=code),
        "defaultConfiguration": {"level": _LEVELS.get(severity, "warning")},
        "properties": {
            "tags": sorted(set(tags)),
            # PL000 (a file that does not parse) is certain; cost heuristics are not.
            "precision": "very-high" if code == "PL000" else "medium",
            "problem.severity": _PROBLEM_SEVERITY.get(severity, "warning"),
        },
    }


def artifact_location(path: str, srcroot: str) -> dict:
    real = os.path.realpath(path)
    root = os.path.realpath(srcroot)
    try:
        inside = os.path.commonpath([real, root]) == root
    except ValueError:
        inside = False
    if inside:
        rel = Path(os.path.relpath(real, root)).as_posix()
        return {"uri": quote(rel, safe="/"), "uriBaseId": "%SRCROOT%"}
    return {"uri": Path(real).as_uri()}


def _message(f) -> str:
    text = f.message
    estimate = []
    label = "Worst-case exposure" if figure_kind(f) == "worst-case" else "Estimated waste"
    if f.waste_tokens_per_call is not None:
        estimate.append(f"~{f.waste_tokens_per_call:,} tokens per call")
    usd = finite(f.usd_per_1k_calls)
    if usd is not None:
        estimate.append(f"{money(usd)} per 1,000 calls")
    if estimate:
        # The first sentence must stand alone; the estimate follows it.
        text = text.rstrip()
        if not text.endswith((".", "!", "?")):
            text += "."
        text += f" {label}: {', '.join(estimate)}."
    return text


def related_locations(f, options: ReportOptions) -> list[dict]:
    """SARIF `relatedLocations`: the finding's related places (model.Finding.related), then the
    call it is about when that is not where the finding is reported."""
    places = list(f.related)
    if f.call_site is not None and (f.call_site.path, f.call_site.line, f.call_site.column) != \
            (f.path, f.span.line, f.span.column):
        places.append(replace(f.call_site, message=f.call_site.message or "the LLM call this is about"))
    out = []
    for number, place in enumerate(places, 1):
        line, column = file_position(place, options)
        entry = {"id": number, "physicalLocation": {
            "artifactLocation": artifact_location(place.path, options.srcroot),
            "region": {"startLine": line, "startColumn": column}}}
        if place.message:
            entry["message"] = {"text": place.message}
        out.append(entry)
    return out


def code_flow(f, region: dict, options: ReportOptions) -> list[dict]:
    """One codeFlows thread from the call where a value is decided (the finding) through each
    wrapper layer to the SDK request, as code scanning shows data-flow alerts; [] when the
    finding has no such layers."""
    layers = [place for place in f.related if (place.message or "").startswith(WRAPPER_LAYER)]
    if not layers:
        return []
    steps = [{"physicalLocation": {"artifactLocation": artifact_location(f.path, options.srcroot), "region": region},
              "message": {"text": "the request is decided here"}}]
    for place in layers:
        line, column = file_position(place, options)
        steps.append({"physicalLocation": {"artifactLocation": artifact_location(place.path, options.srcroot),
                                           "region": {"startLine": line, "startColumn": column}},
                      "message": {"text": place.message[len(WRAPPER_LAYER):]}})
    return [{"threadFlows": [{"locations": [{"location": step} for step in steps]}]}]


def build(result, options: ReportOptions) -> dict:
    baselined = getattr(result, "baselined", None)  # None: no baseline in use
    held = {id(f) for f in baselined or []}
    findings = sorted([*result.findings, *(baselined or [])], key=lambda f: f.sort_key())
    docs = _docs()
    codes = sorted({f.code for f in findings})
    examples = {f.code: f for f in reversed(findings)}
    rules = [rule_descriptor(code, examples[code], docs.get(code)) for code in codes]
    index = {code: i for i, code in enumerate(codes)}

    stable = stable_fingerprints(findings, options.lines_of)
    hashes: dict[str, list[str] | None] = {}
    results = []
    for f, stable_fp in zip(findings, stable):
        if f.path not in hashes:
            text = options.text_of(f.path)
            hashes[f.path] = None if text is None else line_hashes(text)
        prints = {"promptlint/v1": stable_fp}
        line, column, end_line, end_column = file_span(f, options)
        region = {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}
        file_hashes = hashes[f.path]
        if file_hashes and 1 <= region["startLine"] <= len(file_hashes):
            prints["primaryLocationLineHash"] = file_hashes[region["startLine"] - 1]
        message = _message(f)
        cell = cell_position(f, options)
        if cell is not None:
            message += f" (cell {cell[0]}, line {cell[1]})"
        item = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _LEVELS.get(f.severity, "warning"),
            "message": {"text": message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": artifact_location(f.path, options.srcroot),
                    "region": region,
                },
            }],
            "partialFingerprints": prints,
            "suppressions": [{"kind": "inSource"}] if f.suppressed else [],
        }
        related = related_locations(f, options)
        if related:
            item["relatedLocations"] = related
        flow = code_flow(f, region, options)
        if flow:
            item["codeFlows"] = flow
        if f.fix is not None and cell is None:  # notebook spans are not file positions
            item["fixes"] = [_fix(f, options)]
        if baselined is not None and not f.suppressed:  # baselines never hold suppressed findings
            item["baselineState"] = "unchanged" if id(f) in held else "new"
        props = {
            "waste_tokens_per_call": f.waste_tokens_per_call,
            "waste_kind": f.waste_kind,
            "figure_kind": figure_kind(f),
            "usd_per_1k_calls": finite(f.usd_per_1k_calls),
            "notebook": None if cell is None else {
                "cell": cell[0], "line": cell[1], "column": f.span.column,
                "end_line": cell[2], "end_column": f.span.end_column},
        }
        props = {k: v for k, v in props.items() if v is not None}
        if props:
            item["properties"] = props
        results.append(item)

    run = {
        "tool": {"driver": {
            "name": "promptlint",
            "semanticVersion": __version__,
            "version": __version__,
            "informationUri": INFORMATION_URI,
            "rules": rules,
        }},
        "automationDetails": {"id": "promptlint/"},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if options.estimates and options.waste:
        waste = options.waste
        run["properties"] = {
            # Expected waste only; the worst-case exposure (PL301, PL302, PL701) is never added to it.
            "waste_tokens_per_call": waste["waste_tokens_per_call"],
            "usd_per_1k_calls": finite(waste["usd_per_1k_calls"]),
            "worst_case": waste["worst_case"],
            "waste_by_rule": waste["by_rule"],
            "waste_by_task": waste["by_task"],
            "prices_as_of": waste["prices_as_of"],
            "prices_source": waste["prices_source"],
            "monthly": waste["monthly"],
        }
    if options.sarif_root_uri:
        root = Path(os.path.realpath(options.srcroot)).as_uri()
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": root if root.endswith("/") else root + "/"}}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result, settings, stream, options: ReportOptions) -> None:
    log = build(result, options)
    if len(log["runs"][0]["results"]) > GITHUB_MAX_RESULTS * 0.9:
        print(f"promptlint: warning: {len(log['runs'][0]['results'])} SARIF results; GitHub code scanning "
              f"accepts at most {GITHUB_MAX_RESULTS:,} per run", file=sys.stderr)
    stream.write(json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n")


def _fix(f, options: ReportOptions) -> dict:
    """A SARIF fix: the edits as replacements in the finding's file (1-based, end column exclusive)."""
    return {
        "description": {"text": f"{f.fix.message} ({f.fix.applicability} fix)"},
        "artifactChanges": [{
            "artifactLocation": artifact_location(f.path, options.srcroot),
            "replacements": [{
                "deletedRegion": {"startLine": e.span.line, "startColumn": e.span.column,
                                  "endLine": e.span.end_line, "endColumn": e.span.end_column},
                "insertedContent": {"text": e.content},
            } for e in f.fix.edits],
        }],
    }
