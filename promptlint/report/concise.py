"""`path:line:col: CODE message [~1,840 tok/call]`, one line per finding."""

from __future__ import annotations

from promptlint.report import ReportOptions, visible, waste_text
from promptlint.report import where as location

BOLD, RED, DIM, RESET = "\x1b[1m", "\x1b[31m", "\x1b[2m", "\x1b[0m"


def headline(finding, options: ReportOptions) -> str:
    """The one-line form of a finding, shared with the full format."""
    where = location(finding, options) + ":"
    code = finding.code
    extra = waste_text(finding)
    if options.color:
        where, code = f"{BOLD}{where}{RESET}", f"{BOLD}{RED}{code}{RESET}"
        extra = f"{DIM}{extra}{RESET}" if extra else ""
    line = f"{where} {code} {finding.message}"
    if extra:
        line += f" {extra}"
    if finding.suppressed:
        line += " (suppressed)"
    return line


def render(result, settings, stream, options: ReportOptions) -> None:
    for finding in visible(result.findings, options):
        stream.write(headline(finding, options) + "\n")
