"""`path:line:col: CODE message [~1,840 tok/call]`, one line per finding.

Always plain text: at a terminal the CLI shows report/terminal.py instead."""

from __future__ import annotations

from promptlint.report import ReportOptions, fix_mark, visible, waste_text
from promptlint.report import where as location


def headline(finding, options: ReportOptions) -> str:
    """The one-line form of a finding, shared with the full format."""
    where = location(finding, options) + ":"
    extra = waste_text(finding)
    line = f"{where} {finding.code} {fix_mark(finding, options)}{finding.message}"
    if extra:
        line += f" {extra}"
    if finding.suppressed:
        line += " (suppressed)"
    return line


def render(result, settings, stream, options: ReportOptions) -> None:
    for finding in visible(result.findings, options):
        stream.write(headline(finding, options) + "\n")
