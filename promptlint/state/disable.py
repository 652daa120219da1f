"""The edit that silences one finding on its line: `# promptlint: disable=CODE` (the
editor's "Disable PLxxx for this line" action).

The comment goes on the first line of the finding's suppression range where a
comment may end the line (not inside a triple-quoted string, not after a
backslash continuation), as `--add-noqa` chooses. A line that already holds a
`# promptlint: disable=` directive gets the code added to its list, so one line
never carries two directives of ours.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from promptlint.model import Finding, Span

_DISABLE = re.compile(r"#\s*promptlint\s*:\s*disable\s*=\s*(?P<codes>[\w]+(?:\s*,\s*[\w]+)*)", re.I)


@dataclass(frozen=True, slots=True)
class LineEdit:
    """Replace `span` (1-based, end column exclusive, code points) with `content`;
    `original` is the text the span held, so a stale edit can be told apart."""

    span: Span
    content: str
    original: str


def _comments(text: str) -> tuple[dict[int, tuple[int, str]], set[int]] | None:
    """(line -> (column of its comment, the comment), lines ending inside a multi-line token),
    or None when the text does not tokenize."""
    comments: dict[int, tuple[int, str]] = {}
    unsafe: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = (tok.start[1], tok.string)
            elif tok.start[0] < tok.end[0] and tok.type not in (tokenize.NL, tokenize.NEWLINE):
                unsafe.update(range(tok.start[0], tok.end[0]))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return comments, unsafe


def disable_edit(text: str, finding: Finding) -> LineEdit | None:
    """The edit adding `finding.code` to a disable directive on its line, or None when no
    line of its range can take a comment (or the text does not tokenize)."""
    found = _comments(text)
    if found is None:
        return None
    comments, unsafe = found
    lines = text.splitlines()
    first, last = finding.suppress_lines or (finding.span.line, finding.span.line)
    for number in range(first, last + 1):
        if number > len(lines) or number in unsafe or lines[number - 1].endswith("\\"):
            continue
        body = lines[number - 1]
        comment = comments.get(number)
        match = _DISABLE.search(comment[1]) if comment else None
        if comment and match:
            codes = [c.strip().upper() for c in match["codes"].split(",")]
            if finding.code in codes:
                return None  # already there: the finding is silenced some other way, or not by this
            start = comment[0] + match.start("codes")
            end = comment[0] + match.end("codes")
            return LineEdit(Span(number, start + 1, number, end + 1), ",".join([*codes, finding.code]),
                            body[start:end])
        stripped = len(body.rstrip())
        directive = f"  # promptlint: disable={finding.code}"
        return LineEdit(Span(number, stripped + 1, number, len(body) + 1), directive, body[stripped:])
    return None
