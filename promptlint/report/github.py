"""GitHub Actions workflow commands: one `::error|warning|notice ...::message` per finding."""

from __future__ import annotations

from promptlint.report import ReportOptions, visible, waste_text

_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result, settings, stream, options: ReportOptions) -> None:
    for f in visible(result.findings, options):
        span = f.span
        props = [
            f"file={_escape_property(f.path)}",
            f"line={span.line}",
            f"col={span.column}",
            f"endLine={span.end_line}",
            f"endColumn={span.end_column}",
            f"title={_escape_property(f'{f.code} {f.name}')}",
        ]
        message = f.message + (f" {waste_text(f)}" if waste_text(f) else "")
        level = _LEVELS.get(f.severity, "warning")
        stream.write(f"::{level} {','.join(props)}::{_escape_data(message)}\n")
