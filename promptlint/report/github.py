"""GitHub Actions workflow commands: one `::error|warning|notice ...::message` per finding.

A finding in a notebook points into the `.ipynb` file (the line GitHub can show) and its
message ends with the cell and the line in it, as in SARIF.
"""

from __future__ import annotations

from promptlint.report import ReportOptions, cell_position, file_span, visible, waste_text

_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result, settings, stream, options: ReportOptions) -> None:
    for f in visible(result.findings, options):
        line, column, end_line, end_column = file_span(f, options)  # in a notebook: its JSON file
        props = [
            f"file={_escape_property(f.path)}",
            f"line={line}",
            f"col={column}",
            f"endLine={end_line}",
            f"endColumn={end_column}",
            f"title={_escape_property(f'{f.code} {f.name}')}",
        ]
        message = f.message + (f" {waste_text(f)}" if waste_text(f) else "")
        cell = cell_position(f, options)
        if cell is not None:
            message += f" (cell {cell[0]}, line {cell[1]})"
        level = _LEVELS.get(f.severity, "warning")
        stream.write(f"::{level} {','.join(props)}::{_escape_data(message)}\n")
