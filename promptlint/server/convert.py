"""Findings and edits in LSP terms: ranges, diagnostics, text edits.

Promptlint spans are 1-based lines and 1-based columns counted in code points;
LSP positions are 0-based and count columns in the encoding the client and
server agreed on (UTF-16 unless the client offers another), so every column is
converted with the text of its line.
"""

from __future__ import annotations

from lsprotocol import types

from promptlint.model import Finding, Span
from promptlint.report import RULE_URL, waste_text

SOURCE = "promptlint"

_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


def units(text: str, encoding: str) -> int:
    """The length of `text` in the agreed position encoding."""
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def client_column(line: str, column: int, encoding: str) -> int:
    """0-based client column of the 1-based code point column `column` of `line`."""
    return units(line[:max(column - 1, 0)], encoding)


def code_point_column(line: str, character: int, encoding: str) -> int:
    """1-based code point column of the 0-based client column `character` of `line`."""
    count = 0
    for index, char in enumerate(line):
        if count >= character:
            return index + 1
        count += units(char, encoding)
    return len(line) + 1


def to_range(span: Span, lines: list[str], encoding: str, line_shift: int = 0) -> types.Range:
    """The LSP range of `span`; `line_shift` moves it (a notebook cell starts at line
    `line_shift + 1` of the joined source)."""
    def position(line: int, column: int) -> types.Position:
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return types.Position(line=max(line - 1 - line_shift, 0), character=client_column(text, column, encoding))

    start = position(span.line, span.column)
    end = position(span.end_line, span.end_column)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start=start, end=end)


def message(finding: Finding) -> str:
    """The finding's message with its waste estimate, as the concise report shows it."""
    extra = waste_text(finding)
    return f"{finding.message} {extra}" if extra else finding.message


def related(finding: Finding) -> list[types.DiagnosticRelatedInformation] | None:
    """The other places the finding names (model.Finding.related): the Python line that fills a
    template's placeholder in, the other copy of a duplicated prompt, the loop a call repeats in."""
    places = getattr(finding, "related", None) or ()
    if not places:
        return None
    from promptlint.server.documents import path_to_uri

    out = []
    for place in places:
        # Columns are code points here (exact on ASCII lines); a notebook's lines are those of its joined cells.
        position = types.Position(line=max(place.line - 1, 0), character=max(place.column - 1, 0))
        out.append(types.DiagnosticRelatedInformation(
            location=types.Location(uri=path_to_uri(place.path), range=types.Range(start=position, end=position)),
            message=place.message or "related place"))
    return out


def diagnostic(finding: Finding, lines: list[str], encoding: str, line_shift: int = 0) -> types.Diagnostic:
    data = {"code": finding.code, "line": finding.span.line, "column": finding.span.column}
    return types.Diagnostic(
        related_information=related(finding),
        range=to_range(finding.span, lines, encoding, line_shift),
        message=message(finding),
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=types.CodeDescription(href=RULE_URL.format(code=finding.code)),
        source=SOURCE,
        data=data,  # finds the finding again when the client asks for code actions
    )


def text_edits(edits, lines: list[str], encoding: str, line_shift: int = 0) -> list[types.TextEdit]:
    """LSP text edits of promptlint edits (anything with `span` and `content`), in order."""
    ordered = sorted(edits, key=lambda e: (e.span.line, e.span.column, e.span.end_line, e.span.end_column))
    return [types.TextEdit(range=to_range(e.span, lines, encoding, line_shift), new_text=e.content)
            for e in ordered]


def still_holds(edits, lines: list[str]) -> bool:
    """Does every edit's range still hold the text it was made for? (A fix computed for an
    older version of the buffer must not be applied to a newer one.)"""
    for edit in edits:
        original = getattr(edit, "original", None)
        if original is None:
            continue
        span = edit.span
        if not (0 < span.line <= len(lines) and 0 < span.end_line <= len(lines)):
            return False
        if span.line == span.end_line:
            held = lines[span.line - 1][span.column - 1:span.end_column - 1]
        else:
            held = "\n".join([lines[span.line - 1][span.column - 1:],
                              *lines[span.line:span.end_line - 1],
                              lines[span.end_line - 1][:span.end_column - 1]])
        if held != original:
            return False
    return True
