"""PL403: remove filler that is a whole clause ("Thank you!", "I hope this helps.",
"Thanks in advance."). Unsafe: it changes the prompt text the model sees.

Only sentences made of padding alone are removed; padding inside an instruction
("Please answer briefly") is left, since cutting it would leave a sentence to
re-capitalise or re-word, which is a person's call. The text is edited in the
source of a plain string literal (not an f-string or bytes), in sentences free of
backslash escapes, so the source and the value agree character by character.
"""

from __future__ import annotations

import re

import libcst as cst

from promptlint.model import Edit, Fix, Span
from promptlint.ruledocs import rule_option

SENTENCE = re.compile(r"[^.!?\n]+[.!?]*|[.!?]+")


def _literal(source, span: Span):
    """The innermost plain string literal holding `span`."""
    best = None
    stmt = source.statement_at(span)
    for node in _strings(stmt) if stmt is not None else []:
        where = source.span_of(node)
        if (where.line, where.column) <= (span.line, span.column) and \
                (span.end_line, span.end_column) <= (where.end_line, where.end_column):
            best = node
    return best


def _strings(stmt):
    found = []

    class Strings(cst.CSTVisitor):
        def visit_SimpleString(self, node) -> None:
            found.append(node)

    stmt.visit(Strings())
    return found


def fix_prompt_padding(finding, source, env) -> Fix | None:
    from promptlint.checks.pl403_prompt_padding import find_padding

    node = _literal(source, finding.span)
    if node is None:
        return None
    prefix = node.prefix.lower()
    if "b" in prefix or "f" in prefix:
        return None
    threshold = rule_option(env.settings, "PL403", "threshold")
    quote = len(node.quote)
    where = source.span_of(node)
    body_start = source.starts[where.line - 1] + where.column - 1 + len(node.prefix) + quote
    body = node.value[len(node.prefix) + quote:len(node.value) - quote]
    cuts: list[tuple[int, int]] = []
    removed: list[str] = []
    line_start = 0
    for line in body.split("\n"):
        for m in SENTENCE.finditer(line):
            sentence = m.group()
            if "\\" in sentence or not re.search(r"\w", sentence):
                continue
            issues = find_padding(sentence, threshold)
            rest = sentence
            for issue in sorted(issues, key=lambda i: -i.offset):
                rest = rest[:issue.offset] + rest[issue.offset + len(issue.snippet):]
            if re.search(r"\w", rest):
                continue  # an instruction with padding in it, not padding alone
            a, b = line_start + m.start(), line_start + m.end()
            cuts.append(_widen(body, a, b))
            removed.append(sentence.strip())
        line_start += len(line) + 1
    if not cuts:
        return None
    kept = _cut(body, cuts)
    if not kept.strip() or kept.rstrip("\\\n ").strip() == "":
        return None  # the whole literal is padding: removing it is a rewrite, not a fix
    edits = []
    for a, b in cuts:
        begin, end = body_start + a, body_start + b
        edits.append(Edit(Span(*source.position(begin), *source.position(end)), "", source.text[begin:end]))
    listed = ", ".join(f'"{s}"' for s in removed)
    return Fix("unsafe", f"remove the filler {listed}", tuple(edits))


def _widen(body: str, a: int, b: int) -> tuple[int, int]:
    """The sentence with the spaces that go with it: its whole line (and line break) when it
    is alone on the line, else the spaces before it (or after it, at the start of a line)."""
    start = body.rfind("\n", 0, a) + 1
    end = body.find("\n", b)
    end = len(body) if end < 0 else end
    before, after = body[start:a].strip(), body[b:end].strip()
    if not before and not after:
        return (start, end + 1) if end < len(body) else (start, end)
    if before:
        while a > start and body[a - 1] in " \t":
            a -= 1
        return a, b
    while b < end and body[b] in " \t":
        b += 1
    return a, b


def _cut(body: str, cuts) -> str:
    out, last = [], 0
    for a, b in sorted(cuts):
        out.append(body[last:a])
        last = b
    out.append(body[last:])
    return "".join(out)
