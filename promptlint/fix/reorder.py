"""PL101, PL102, PL104: move the line of an f-string that holds a volatile or
per-request value to the end of that f-string, so the static lines before it form
a prefix that stays the same from call to call. Unsafe: the model reads the
instructions in another order; the fix's message says which line moved.

    f"Today is {date.today()}.\\n{POLICY}\\nAnswer in English."
 -> f"{POLICY}\\nAnswer in English.\\nToday is {date.today()}."

The f-string is found through the analysis: the static text next to the value in
the prompt part is a literal piece of an f-string in this file. Lines are split at
line breaks written in the f-string (a real one in a triple-quoted string, `\\n`
otherwise). Left unfixed: values that are already on the f-string's last line,
f-strings with no line break (a sentence split would be a guess), values built
with `+` or `.format`, and text spread over several variables or files.
"""

from __future__ import annotations

import re

import libcst as cst

from promptlint.model import Fix

NEWLINE = re.compile(r"(?<!\\)((?:\\\\)*)(\\n|\n)")  # a line break: real, or an unescaped `\n` escape


def _site_segment(finding, env):
    """(part, index of the finding's segment) in a call site of this file."""
    for site in env.callsites:
        if site.path != finding.path:
            continue
        for part in site.parts:
            for i, seg in enumerate(part.segments):
                if seg.span == finding.span and seg.kind in ("volatile", "dynamic"):
                    return part, i
    return None


def _neighbour_texts(part, i):
    """Spans of the literal pieces right before and right after segment i."""
    out = []
    if i > 0 and part.segments[i - 1].kind == "static":
        pieces = part.segments[i - 1].pieces or [(0, part.segments[i - 1].span, part.segments[i - 1].origin)]
        out.append(("before", pieces[-1]))
    if i + 1 < len(part.segments) and part.segments[i + 1].kind == "static":
        pieces = part.segments[i + 1].pieces or [(0, part.segments[i + 1].span, part.segments[i + 1].origin)]
        out.append(("after", pieces[0]))
    return out


def _as_span(raw):
    from promptlint.model import Span

    if raw is None or isinstance(raw, Span):
        return raw
    return Span(**raw) if isinstance(raw, dict) else None


def fix_move_to_end(finding, source, env) -> Fix | None:
    found = _site_segment(finding, env)
    if found is None:
        return None
    part, i = found
    for side, (_offset, span, origin) in _neighbour_texts(part, i):
        span = _as_span(span)
        if origin is not None or span is None:
            continue
        text = source.node_at(span, cst.FormattedStringText)
        fstring = source.parent(text) if text is not None else None
        if not isinstance(fstring, cst.FormattedString):
            continue
        parts = list(fstring.parts)
        at = parts.index(text)
        value_at = at + 1 if side == "before" else at - 1
        if not 0 <= value_at < len(parts) or not isinstance(parts[value_at], cst.FormattedStringExpression):
            continue
        return _move_line(source, fstring, value_at) or _move_piece(source, fstring)
    return _move_by_value(finding, source, part, i)


def _move_by_value(finding, source, part, i) -> Fix | None:
    """The value's own `{...}` in an f-string, found from the finding's span: the analysis may
    place an f-string's static pieces at the whole f-string rather than at each literal piece."""
    if not any(origin is None for _side, (_o, _s, origin) in _neighbour_texts(part, i)):
        return None  # the static text next to it is not written in this file
    for node in source.nodes_at(finding.span):
        holder = source.parent(node)  # climb from the value (`now()` in `{now().isoformat()}`) to its `{...}`
        while holder is not None and not isinstance(holder, (cst.FormattedStringExpression, cst.BaseStatement)):
            holder = source.parent(holder)
        fstring = source.parent(holder) if isinstance(holder, cst.FormattedStringExpression) else None
        if isinstance(fstring, cst.FormattedString):
            value_at = list(fstring.parts).index(holder)
            return _move_line(source, fstring, value_at) or _move_piece(source, fstring)
    return None


# -- a whole piece of a `"..." "..."` or `a + b` chain --------------------------------
SEPARATOR = re.compile(r"(?:\\n|\n| |\t)+$")
ENDS_CLAUSE = re.compile(r"[.!?:;\])]$")


def _chain(source, piece):
    """(top node, pieces, glue) of the implicit concatenation or `+` chain `piece` is in;
    glue[k] joins pieces[k] and pieces[k + 1] (whitespace, or the `+` operator)."""
    parent = source.parent(piece)
    if isinstance(parent, cst.ConcatenatedString):
        top = parent
        while isinstance(source.parent(top), cst.ConcatenatedString):
            top = source.parent(top)
        pieces, glue, node = [], [], top
        while isinstance(node, cst.ConcatenatedString):
            if (node is not top and node.lpar) or isinstance(node.left, cst.ConcatenatedString):
                return None
            pieces.append(node.left)
            glue.append(node.whitespace_between)
            node = node.right
        return top, pieces + [node], glue
    if isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Add):
        top = parent
        while isinstance(source.parent(top), cst.BinaryOperation) and isinstance(source.parent(top).operator, cst.Add) \
                and source.parent(top).left is top and not top.lpar:
            top = source.parent(top)
        pieces, glue, node = [], [], top
        while isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            if node is not top and node.lpar:
                break
            pieces.insert(0, node.right)
            glue.insert(0, node.operator)
            node = node.left
        return top, [node] + pieces, glue
    return None


def _rebuild(top, pieces, glue):
    if isinstance(top, cst.ConcatenatedString):
        node = pieces[-1]
        for piece, whitespace in zip(reversed(pieces[:-1]), reversed(glue)):
            node = cst.ConcatenatedString(left=piece, right=node, whitespace_between=whitespace)
        return node.with_changes(lpar=top.lpar, rpar=top.rpar)
    node = pieces[0]
    for piece, operator in zip(pieces[1:], glue):
        node = cst.BinaryOperation(left=node, operator=operator, right=piece)
    return node.with_changes(lpar=top.lpar, rpar=top.rpar)


def _text_end(piece) -> str | None:
    """The raw text of a string piece (its last text part for an f-string); None for
    anything that is not a plain or f-string literal."""
    if not isinstance(piece, (cst.SimpleString, cst.FormattedString)):
        return None
    if "r" in piece.prefix.lower() or "b" in piece.prefix.lower():
        return None
    if isinstance(piece, cst.SimpleString):
        return piece.value[len(piece.prefix) + len(piece.quote):-len(piece.quote)]
    if isinstance(piece, cst.FormattedString):
        last = piece.parts[-1] if piece.parts else None
        return last.value if isinstance(last, cst.FormattedStringText) else ""
    return None


def _with_separator_first(piece, separator: str):
    """The piece with its trailing separator moved to its start."""
    if isinstance(piece, cst.SimpleString):
        body = piece.value[len(piece.prefix) + len(piece.quote):-len(piece.quote)]
        body = separator + body[:len(body) - len(separator)]
        return piece.with_changes(value=piece.prefix + piece.quote + body + piece.quote)
    parts = list(piece.parts)
    last = parts[-1]
    rest = last.value[:len(last.value) - len(separator)]
    parts = parts[:-1] + ([last.with_changes(value=rest)] if rest else [])
    if parts and isinstance(parts[0], cst.FormattedStringText):
        parts[0] = parts[0].with_changes(value=separator + parts[0].value)
    else:
        parts.insert(0, cst.FormattedStringText(separator))
    return piece.with_changes(parts=parts)


def _move_piece(source, piece) -> Fix | None:
    """Move a string piece that ends a line or a sentence to the end of its chain."""
    found = _chain(source, piece)
    if found is None:
        return None
    top, pieces, glue = found
    k = next((n for n, p in enumerate(pieces) if p is piece), None)
    if k is None or k == len(pieces) - 1:
        return None
    text = _text_end(piece)
    separator = SEPARATOR.search(text or "")
    if separator is None:
        return None
    before = text[:separator.start()]
    if "\n" not in separator.group() and "\\n" not in separator.group() and not ENDS_CLAUSE.search(before):
        return None  # not a whole line or sentence: moving it would split a sentence
    if isinstance(piece, cst.FormattedString) and not before and len(piece.parts) == 1:
        return None
    previous = _text_end(pieces[-1])
    if previous is not None and SEPARATOR.search(previous):
        moved = _strip_separator(piece, separator.group())  # the text before it already ends with one
    else:
        moved = _with_separator_first(piece, separator.group())
    new_pieces = pieces[:k] + pieces[k + 1:] + [moved]
    shown = source.code(piece).strip()
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return Fix("unsafe", f"move `{shown}` to the end of the prompt text, after the static text",
               (source.replace(top, _rebuild(top, new_pieces, glue)),))


def _strip_separator(piece, separator: str):
    """The piece without its trailing separator (the text before it already ends with one)."""
    if isinstance(piece, cst.SimpleString):
        body = piece.value[len(piece.prefix) + len(piece.quote):-len(piece.quote)]
        return piece.with_changes(value=piece.prefix + piece.quote + body[:len(body) - len(separator)] + piece.quote)
    parts = list(piece.parts)
    last = parts[-1]
    rest = last.value[:len(last.value) - len(separator)]
    return piece.with_changes(parts=parts[:-1] + ([last.with_changes(value=rest)] if rest else []))


def _tokens(fstring: cst.FormattedString):
    """The f-string as ("text", raw) / ("nl", raw) / ("expr", node) tokens."""
    raw_string = "r" in fstring.prefix.lower()
    out = []
    for part in fstring.parts:
        if isinstance(part, cst.FormattedStringExpression):
            out.append(("expr", part))
            continue
        value, last = part.value, 0
        for m in NEWLINE.finditer(value):
            if raw_string and m.group(2) != "\n":
                continue
            cut = m.start(2)
            if cut > last:
                out.append(("text", value[last:cut]))
            out.append(("nl", m.group(2)))
            last = m.end(2)
        if last < len(value):
            out.append(("text", value[last:]))
    return out


def _move_line(source, fstring: cst.FormattedString, value_at: int) -> Fix | None:
    tokens = _tokens(fstring)
    target = fstring.parts[value_at]
    at = next(k for k, t in enumerate(tokens) if t[0] == "expr" and t[1] is target)
    start = max((k + 1 for k in range(at) if tokens[k][0] == "nl"), default=0)
    stop = next((k for k in range(at, len(tokens)) if tokens[k][0] == "nl"), len(tokens))
    end = stop
    while end < len(tokens) and tokens[end][0] == "nl":
        end += 1  # the line break and the blank lines after it move with the line, before it
    if not any(t[0] != "nl" for t in tokens[end:]):
        return None  # already the last line: nothing static follows it here
    line, separator, rest = tokens[start:stop], tokens[stop:end], tokens[:start] + tokens[end:]
    trail = []
    while rest and rest[-1][0] == "nl":
        trail.insert(0, rest.pop())  # the f-string's final line break stays last
    moved = rest + separator + line + trail
    new_parts, buffer = [], ""
    for kind, value in moved:
        if kind == "expr":
            if buffer:
                new_parts.append(cst.FormattedStringText(buffer))
                buffer = ""
            new_parts.append(value)
        else:
            buffer += value
    if buffer:
        new_parts.append(cst.FormattedStringText(buffer))
    shown = "".join(source.code(v) if k == "expr" else v for k, v in line).strip()
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return Fix("unsafe", f"move the line `{shown}` to the end of the f-string, after the static text",
               (source.replace(fstring, fstring.with_changes(parts=new_parts)),))
