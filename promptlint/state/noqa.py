"""`--add-noqa`: append `# noqa: CODE` to silence every current finding (a migration aid).

The comment goes on the first line of the finding's suppression range where a
comment can legally end the line: not inside a multi-line string and not after
a backslash continuation. Existing comments are kept; ours is appended.
"""

from __future__ import annotations

import io
import tokenize
from collections import defaultdict

from promptlint.model import Finding


def _unsafe_lines(text: str) -> set[int]:
    """Lines whose end lies inside a multi-line token (a triple-quoted string)."""
    unsafe: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.start[0] < tok.end[0] and tok.type not in (tokenize.NL, tokenize.NEWLINE):
            unsafe.update(range(tok.start[0], tok.end[0]))
    return unsafe


def add_noqa(findings: list[Finding]) -> int:
    """Edit the files in place; returns the number of lines changed."""
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_path[finding.path].append(finding)
    changed = 0
    for path in sorted(by_path):
        if path.endswith(".ipynb"):
            continue  # a notebook's lines are JSON; spans point into its joined cells (notebook.py)
        try:
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8")
            unsafe = _unsafe_lines(text)
        except (OSError, UnicodeDecodeError, SyntaxError, tokenize.TokenError):
            continue  # unreadable or unparsable: leave the file alone
        lines = text.splitlines(keepends=True)
        wanted: dict[int, set[str]] = defaultdict(set)
        for finding in by_path[path]:
            first, last = finding.suppress_lines or (finding.span.line, finding.span.line)
            for line in range(first, last + 1):
                body = lines[line - 1].rstrip("\r\n") if line <= len(lines) else None
                if body is not None and line not in unsafe and not body.endswith("\\"):
                    wanted[line].add(finding.code)
                    break
        for line, codes in wanted.items():
            raw = lines[line - 1]
            body = raw.rstrip("\r\n")
            ending = raw[len(body):]
            lines[line - 1] = f"{body.rstrip()}  # noqa: {', '.join(sorted(codes))}{ending}"
            changed += 1
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write("".join(lines))
    return changed
