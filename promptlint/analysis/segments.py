"""Segment helpers: the text a value contributes to a prompt, and the string
operations (concatenation, `.format`, `%`, `join`, `dedent`, string methods) that
the evaluator applies to static text while keeping where each piece was written.
"""

from __future__ import annotations

import json
import re
import string
import textwrap

from promptlint.analysis.values import (
    MISSING, Alt, Client, Det, Dyn, Many, Map, Num, Ref, Seq, Text, Unk, Val, Vol, python_value, static_text,
)
from promptlint.model import Segment

STR_METHODS = {"strip", "lstrip", "rstrip", "lower", "upper", "title", "capitalize", "replace", "removeprefix",
               "removesuffix", "expandtabs"}


_DOLLAR = re.compile(r"\$(?:(\$)|(\w+)|\{(\w+)\})")


def dollar_to_braces(template: Text) -> Text:
    """A `string.Template` text as a str.format one: `$name` / `${name}` -> `{name}`, `$$` -> `$`."""
    out = []
    for seg in template.segs:
        if seg.kind == "static" and seg.text:
            text = seg.text.replace("{", "{{").replace("}", "}}")
            text = _DOLLAR.sub(lambda m: "$" if m.group(1) else "{" + (m.group(2) or m.group(3)) + "}", text)
            seg = Segment("static", text, span=seg.span, origin=seg.origin)
        out.append(seg)
    return Text(out)


def format_fields(segs: list[Segment]):
    """Split static text on `{field}` placeholders (str.format / LangChain templates).

    Yields (segment, None) for text, with its location kept, and (segment, field)
    for a placeholder. Other segments, and text that is not a valid template, pass
    through unchanged."""
    for seg in segs:
        if seg.kind != "static" or seg.text is None:
            yield seg, None
            continue
        try:
            parsed = list(string.Formatter().parse(seg.text))
        except ValueError:
            yield seg, None
            continue
        offset = 0  # where `literal` starts in seg.text
        for literal, name, spec, conv in parsed:
            if literal:
                yield sub_segment(seg, offset, literal), None
            field_at = offset + raw_length(literal, None, None, None)
            offset += raw_length(literal, name, spec, conv)
            if name is not None:
                yield placeholder_segment(seg, field_at, offset - field_at) or seg, name


def placeholder_segment(seg: Segment, offset: int, length: int) -> Segment | None:
    """For text read from a template file: the placeholder at `offset`, placed in that file."""
    if not seg.origin and not seg.pieces:
        return None  # text written in Python: the placeholder keeps the literal's place
    from promptlint.analysis.templates import template_span

    span = template_span(seg, offset, length)
    return None if span is None else Segment("static", seg.text[offset:offset + length], span=span)


def merge(segs: list[Segment]) -> list[Segment]:
    """Join adjacent static segments of known text."""
    out: list[Segment] = []
    for s in segs:
        if (out and s.kind == "static" and out[-1].kind == "static" and s.text is not None
                and out[-1].text is not None and s.note is None and out[-1].note is None):
            out[-1] = join_static(out[-1], s)
        elif s.kind == "static" and s.text == "":
            continue
        else:
            out.append(s)
    return out


MAX_REPEATED_CHARS = 200_000  # `"-" * n` beyond this is kept as static text of unknown size


def repeat_text(a: Val, b: Val, source: str, span) -> Val | None:
    """`"..." * 20` (either order): a literal times a literal is static text the analysis can
    count. Past MAX_REPEATED_CHARS, or with a count that is not visible, the text is static
    but of unknown size (counts that include it become minimums); a per-request count is
    per-request data. None when neither side is text."""
    text, count = (a, b) if isinstance(a, Text) else (b, a)
    if not isinstance(text, Text) or not is_static(text):
        return None
    literal = static_text(text)
    if isinstance(count, Num) and isinstance(count.value, int) and not isinstance(count.value, bool):
        n = max(count.value, 0)
        if literal is not None and len(literal) * n <= MAX_REPEATED_CHARS:
            return Text([Segment("static", literal * n, span=span)] if literal and n else [])
        return Det(source)
    if isinstance(count, Dyn):
        return Dyn(source, span)
    return Det(source)


MAX_PIECES = 64  # enough to place findings in a prompt joined from many literals


def text_pieces(seg: Segment) -> tuple:
    """((offset, span, origin), ...): where each stretch of a static segment's text was written."""
    return tuple(seg.pieces) if seg.pieces else ((0, seg.span, seg.origin),)


def join_static(a: Segment, b: Segment) -> Segment:
    """Two adjacent static texts as one segment that still knows where each part was written."""
    pieces = None
    if a.pieces or b.pieces or a.span or b.span or a.origin or b.origin:
        shift = len(a.text)
        pieces = (text_pieces(a) + tuple((o + shift, sp, og) for o, sp, og in text_pieces(b)))[:MAX_PIECES]
    return Segment("static", a.text + b.text, span=a.span, origin=a.origin, pieces=pieces)


def sub_segment(seg: Segment, start: int, text: str, scale: float = 1.0) -> Segment:
    """Static `text` cut from `seg` at `start` (a .format literal, a stripped copy), keeping
    where it was written. `scale` maps offsets of text that shrank (dedent)."""
    if seg.text is None or not (seg.pieces or seg.span or seg.origin):
        return Segment("static", text)
    end = start + len(text)
    kept = []
    for offset, span, origin in text_pieces(seg):
        offset = int(offset * scale)
        if offset >= end and kept:
            break
        if offset <= start:
            kept = [(0, span, origin)]
        else:
            kept.append((offset - start, span, origin))
    first = kept[0]
    return Segment("static", text, span=first[1], origin=first[2], pieces=tuple(kept) if len(kept) > 1 else None)


def raw_length(literal: str, field_name, spec, conv) -> int:
    """Length in the template of one `string.Formatter().parse` item (escaped braces doubled)."""
    n = len(literal) + literal.count("{") + literal.count("}")
    if field_name is not None:
        n += len(field_name) + 2 + (len(conv) + 1 if conv else 0) + (len(spec) + 1 if spec else 0)
    return n


def segments(val: Val) -> list[Segment]:
    """The text a value contributes to a prompt, as segments."""
    return list(_segments(val, {}))


def _segments(val: Val, memo: dict) -> list[Segment]:
    """segments(), once per value object: branches share their parts (`Alt` of values built
    from the same `Alt`s), and walking every path was exponential (an f-string URL over 20
    optional parts in agno's cookbook: 13 million calls, 40 s). The memo keeps the values, so
    an id stays theirs while it is in use."""
    found = memo.get(id(val))
    if found is None:
        found = memo[id(val)] = (val, _segments_of(val, memo))
    return found[1]


def _segments_of(val: Val, memo: dict) -> list[Segment]:
    if isinstance(val, Text):
        return list(val.segs)
    if isinstance(val, Num):
        return [Segment("static", str(val.value))]
    if isinstance(val, Vol):
        return [Segment("volatile", source=val.source, volatile_kind=val.kind, span=val.span)]
    if isinstance(val, Dyn):
        return [Segment("dynamic", source=val.source, span=val.span, by_caller=val.by_caller)]
    if isinstance(val, Det):
        return [Segment("static", None, source=val.source)]
    if isinstance(val, Ref):
        last = val.qual.split(".")[-1]
        if last.isupper() or (last[:1] == "_" and last[1:].isupper()):
            return [Segment("static", None, source=val.qual.lstrip("."))]
        return [Segment("unknown", source=val.qual)]
    if isinstance(val, Alt):
        return _alt_segments(val, memo)
    if isinstance(val, Many):
        inner = _segments(val.item, memo)
        kinds = {s.kind for s in inner}
        if kinds <= {"static"}:
            return [Segment("static", None, source="repeated block")]
        return [s for s in inner if s.kind != "static"][:1]
    if isinstance(val, (Seq, Map)):
        value = python_value(val)
        if value is not MISSING:
            try:
                return [Segment("static", json.dumps(value))]
            except (TypeError, ValueError):
                return [Segment("static", None)]
        out: list[Segment] = []
        if isinstance(val, Seq) and val.unordered is not None:
            out += _segments(val.unordered, memo)
        items = val.items if isinstance(val, Seq) else list(val.items.values())
        for item in items:
            out += _segments(item, memo)
        if isinstance(val, Map) and val.opaque:
            out.append(Segment("dynamic", source="**kwargs"))
        return merge(out)
    if isinstance(val, Client):
        return [Segment("unknown", source=val.cls)]
    return [Segment("unknown", source=getattr(val, "reason", "?"))]


def alt_segments(val: Alt) -> list[Segment]:
    """Branches: a volatile branch wins (it reaches the prompt on some path), then
    dynamic; all-static branches count as the shortest one (a conservative estimate)."""
    return list(_alt_segments(val, {}))


def _alt_segments(val: Alt, memo: dict) -> list[Segment]:
    options = [_segments(o, memo) for o in val.options]
    for kind in ("volatile", "dynamic", "unknown"):
        for segs in options:
            if any(s.kind == kind for s in segs):
                return segs
    known = [s for s in options if all(x.text is not None for x in s)]
    if known:
        return min(known, key=lambda segs: sum(len(x.text) for x in segs))
    return options[0] if options else []


def is_static(val: Val) -> bool:
    """Deterministic across calls (text may be unknown)."""
    if isinstance(val, (Text,)):
        return all(s.kind == "static" for s in val.segs)
    if isinstance(val, (Num, Det)):
        return True
    if isinstance(val, Ref):
        return segments(val)[0].kind == "static"
    if isinstance(val, Seq):
        return val.unordered is None and all(is_static(i) for i in val.items)
    if isinstance(val, Map):
        return not val.opaque and all(is_static(i) for i in val.items.values())
    if isinstance(val, Alt):
        return all(is_static(o) for o in val.options)
    if isinstance(val, Many):
        return is_static(val.item)
    return False


def concat(a: Val, b: Val) -> Val:
    if isinstance(a, Seq) and isinstance(b, Seq):
        return Seq([*a.items, *b.items], a.unordered or b.unordered)
    if isinstance(a, Seq):
        return Seq([*a.items, b], a.unordered)
    if isinstance(b, Seq) and not isinstance(a, Text):
        return Seq([a, *b.items], b.unordered)
    return Text(merge([*segments(a), *segments(b)]))


def join_text(sep: Text, items: Val) -> Val:
    if isinstance(items, Seq) and items.unordered is None:
        out: list[Segment] = []
        for i, item in enumerate(items.items):
            if i:
                out += sep.segs
            out += segments(item)
        return Text(merge(out))
    if isinstance(items, Seq):
        return items.unordered
    if isinstance(items, (Vol, Dyn, Det)):
        return items
    return Text(segments(items))


def str_method(recv: Text, method: str, args: list[Val]) -> Val:
    text = static_text(recv)
    if text is None:
        return recv
    plain = [python_value(a) for a in args]
    if any(p is MISSING for p in plain):
        return Text([Segment("static", None, source="string method of static text")])
    try:
        result = getattr(text, method)(*plain)
        whole = recv.segs[0]
        for seg in recv.segs[1:]:
            whole = join_static(whole, seg)
        return Text([sub_segment(whole, max(text.find(result), 0) if result else 0, result)])
    except Exception:  # noqa: BLE001 - bad arguments in analysed code
        return recv


def dedent(val: Val, clean: bool) -> Val:
    """Dedent around placeholders so dynamic segments keep their place."""
    if not isinstance(val, Text):
        return val
    placeholders = {}
    pieces = []
    for i, seg in enumerate(val.segs):
        if seg.kind == "static" and seg.text is not None:
            pieces.append(seg.text)
        else:
            mark = f"\x00{i}\x00"
            placeholders[mark] = seg
            pieces.append(mark)
    joined = "".join(pieces)
    done = textwrap.dedent(joined) if not clean else _cleandoc(joined)
    out: list[Segment] = []
    statics = [s for s in val.segs if s.kind == "static" and s.text is not None]
    parts = re.split(r"(\x00\d+\x00)", done)
    texts = [p for p in parts if p and p not in placeholders]
    same_shape = len(texts) == len(statics)
    k = 0
    for part in parts:
        if part in placeholders:
            out.append(placeholders[part])
        elif part:
            if same_shape:  # the k-th static run of the result is the k-th static run of the input
                orig = statics[k]
                out.append(sub_segment(orig, 0, part, len(part) / max(len(orig.text), 1)))
            else:
                out.append(Segment("static", part))
            k += 1
    return Text(merge(out))


def _cleandoc(text: str) -> str:
    import inspect

    return inspect.cleandoc(text)


def percent_format(template: Text, right: Val) -> Val:
    text_segs = template.segs
    values = right.items if isinstance(right, Seq) else [right]
    mapping = right if isinstance(right, Map) else None
    out: list[Segment] = []
    idx = 0
    pattern = re.compile(r"%(\([^)]*\))?[-#0 +]*(\*|\d+)?(\.(\*|\d+))?[diouxXeEfFgGcrsa%]")
    for seg in text_segs:
        if seg.kind != "static" or seg.text is None:
            out.append(seg)
            continue
        pos = 0
        for m in pattern.finditer(seg.text):
            out.append(sub_segment(seg, pos, seg.text[pos:m.start()]))
            pos = m.end()
            if m.group(0) == "%%":
                out.append(Segment("static", "%"))
                continue
            if m.group(1) and mapping is not None:
                val = mapping.items.get(m.group(1)[1:-1], Unk("key"))
            elif idx < len(values):
                val = values[idx]
                idx += 1
            else:
                val = Unk("argument")
            out += segments(val)
        out.append(sub_segment(seg, pos, seg.text[pos:]))
    return Text(merge(out))
