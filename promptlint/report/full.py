"""Concise headline plus the source line, an underline and the rule name (Ruff-like):

    app.py:3:8: PL301 no output-token cap on this call
      |
    3 | resp = client.chat.completions.create(
      |        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ PL301 uncapped-output
      |
"""

from __future__ import annotations

from promptlint.report import ReportOptions, cell_position, visible
from promptlint.report.concise import headline


def _underline(line: str, column: int, end_column: int | None) -> str:
    start = max(column - 1, 0)
    end = len(line) if end_column is None else max(end_column - 1, start + 1)
    end = max(min(end, len(line)), start + 1)
    # Keep tabs under tabs so the carets line up however the terminal expands them.
    pad = "".join(ch if ch == "\t" else " " for ch in line[:start])
    return pad + "^" * (end - start)


def block(finding, options: ReportOptions) -> list[str]:
    out = [headline(finding, options)]
    lines = options.lines_of(finding.path)
    span = finding.span
    source = lines[span.line - 1].rstrip("\r\n") if lines and 1 <= span.line <= len(lines) else ""
    if source.strip():
        end = span.end_column if span.end_line == span.line else None
        cell = cell_position(finding, options)
        number = cell[1] if cell else span.line  # in a notebook, the line in the cell
        gutter = " " * len(str(number))
        label = f"{finding.code} {finding.name}"
        marks = _underline(source, span.column, end)
        out += [f"{gutter} |", f"{number} | {source}", f"{gutter} | {marks} {label}", f"{gutter} |"]
    else:
        out.append(f"  = rule: {finding.code} {finding.name}")
    for note in finding.assumptions or []:
        out.append(f"  = assumes: {note}")
    return out


def render(result, settings, stream, options: ReportOptions) -> None:
    blocks = ["\n".join(block(f, options)) for f in visible(result.findings, options)]
    if blocks:
        stream.write("\n\n".join(blocks) + "\n")
