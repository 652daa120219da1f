"""GitLab Code Quality report: a JSON array of Code Climate issues, one per finding.

Each issue has `description` (the message and its figure), `check_name` (the rule code),
`fingerprint`, `severity`, and `location.path` with `location.lines.begin` / `end`.

The fingerprint is the finding's line-free `promptlint/v1` fingerprint (rule, file,
enclosing function, normalised source of the reported node, ordinal; fingerprint.py)
hashed to 32 hex characters, so it stays the same across runs and when lines move,
and GitLab's merge-request widget shows only new and fixed findings.

Severity: info -> `info`, warning -> `minor`, error -> `major`; PL000 (a file that could
not be parsed, so none of its calls were checked) -> `critical`.
"""

from __future__ import annotations

import hashlib
import json

from promptlint.state.fingerprint import stable_fingerprints
from promptlint.report import ReportOptions, file_span, visible, waste_text

SEVERITY = {"info": "info", "warning": "minor", "error": "major"}


def severity(finding) -> str:
    if finding.code == "PL000":
        return "critical"
    return SEVERITY.get(finding.severity, "minor")


def issues(result, options: ReportOptions) -> list[dict]:
    # Fingerprints over every finding, so --show-suppressed never changes an ordinal.
    prints = stable_fingerprints(result.findings, options.lines_of)
    by_id = {id(f): fp for f, fp in zip(result.findings, prints)}
    out = []
    for f in visible(result.findings, options):
        line, _, end_line, _ = file_span(f, options)  # in a notebook: the line of its JSON file
        figure = waste_text(f)
        out.append({
            "type": "issue",
            "engine_name": "promptlint",
            "check_name": f.code,
            "description": f"{f.code} {f.name}: {f.message}" + (f" {figure}" if figure else ""),
            "categories": ["Performance"],
            "severity": severity(f),
            "fingerprint": hashlib.sha256(by_id[id(f)].encode("utf-8")).hexdigest()[:32],
            "location": {"path": f.path, "lines": {"begin": line, "end": max(end_line, line)}},
        })
    return out


def render(result, settings, stream, options: ReportOptions) -> None:
    stream.write(json.dumps(issues(result, options), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
