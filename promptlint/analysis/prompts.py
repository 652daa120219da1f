"""Turn evaluated argument values into prompt parts, in provider order."""

from __future__ import annotations


from promptlint.analysis.segments import format_fields, merge, segments
from promptlint.analysis.values import Alt, Det, Dyn, Many, Map, Seq, Text, Val, Vol, find_unordered, map_items, static_text
from promptlint.model import PromptPart, Segment, Span

# Message classes of LangChain / LlamaIndex, by the last part of their name.
MESSAGE_CLASSES = {
    "SystemMessage": "system",
    "HumanMessage": "user",
    "AIMessage": "assistant",
    "ToolMessage": "tool",
    "SystemMessagePromptTemplate": "system",
    "HumanMessagePromptTemplate": "user",
    "AIMessagePromptTemplate": "assistant",
}
ROLE_ALIASES = {"human": "user", "ai": "assistant", "model": "assistant", "placeholder": "history"}


def content_parts(role: str, val: Val, span: Span | None = None, template: bool = False) -> PromptPart:
    """One part from a string, a list of content blocks, or an unknown value."""
    segs, marker = content_segments(val, template)
    return PromptPart(role, segs, span, cache_marker=marker)


def content_segments(val: Val, template: bool = False) -> tuple[list[Segment], bool]:
    if isinstance(val, Seq) and val.unordered is None:
        out: list[Segment] = []
        marker = False
        for block in val.items:
            segs, m = block_segments(block, template)
            out += segs
            marker = marker or m
        return merge(out), marker
    if isinstance(val, Map):
        return block_segments(val, template)
    segs = segments(val)
    return (template_segments(segs) if template else segs), False


def block_segments(block: Val, template: bool) -> tuple[list[Segment], bool]:
    """A content block: {"type": "text", "text": ...}, {"text": ...}, types.Part(text=...)."""
    if isinstance(block, Map):
        marker = "cache_control" in block.items or "cachePoint" in block.items
        for key in ("text", "content", "_arg0", "parts"):
            if key in block.items:
                segs, inner_marker = content_segments(block.items[key], template)
                return segs, marker or inner_marker
        if marker:  # a bare {"cachePoint": {...}} block
            return [], True
        if block.opaque:
            return [Segment("dynamic", source="content block")], False
        # Other blocks (images, tool results) are sent too; their text is not ours to count.
        return ([Segment("static", None, source="content block")] if not block.opaque else []), False
    if isinstance(block, Many):
        return segments(block), False
    segs = segments(block)
    return (template_segments(segs) if template else segs), False


def template_segments(segs: list[Segment]) -> list[Segment]:
    """LangChain f-string templates: `{question}` placeholders are per-request values."""
    out = [Segment("dynamic", source="{" + field + "}", span=seg.span) if field is not None else seg
           for seg, field in format_fields(segs)]
    return merge(out)


def fill_placeholders(val: Val, mapping: Map, depth: int = 0) -> Val:
    """A LangChain template with the values its `invoke({...})` call gives some placeholders:
    `{now}` filled with `datetime.now()` is a clock reading, not per-request data. Only such
    volatile values are filled in; other placeholders stay per-request data, as they are by
    convention (a literal in one `invoke` says little about the others)."""
    if depth > 20:
        return val
    if isinstance(val, Text):
        out: list[Segment] = []
        for seg, field in format_fields(val.segs):
            if field is None:
                out.append(seg)
            elif field in mapping.items and any(x.kind == "volatile" for x in segments(mapping.items[field])):
                out += segments(mapping.items[field])
            else:
                out.append(Segment("static", "{" + field + "}", span=seg.span))
        return Text(out)
    return map_items(val, lambda item: fill_placeholders(item, mapping, depth + 1))


def message_parts(val: Val, template: bool = False) -> list[PromptPart]:
    """A messages argument -> one part per message, in order."""
    if isinstance(val, Alt):
        # Branches: the one carrying a volatile value reaches the prompt on some path.
        for option in val.options:
            if any(s.kind == "volatile" for p in message_parts(option, template) for s in p.segments):
                return message_parts(option, template)
        seqs = [o for o in val.options if isinstance(o, Seq)]
        return message_parts(seqs[0] if seqs else val.options[0], template)
    if isinstance(val, Seq):
        parts: list[PromptPart] = []
        if val.unordered is not None:
            parts.append(PromptPart("history", segments(val.unordered), opaque=True))
        for item in val.items:
            parts += message_item(item, template)
        return parts
    if isinstance(val, (Text, Det)):
        return [content_parts("user", val, template=template)]
    if isinstance(val, Map) and val.obj and val.obj.split(".")[-1] in ("ChatPromptValue",):
        return [PromptPart("history", [Segment("dynamic", source="prompt value")], opaque=True)]
    if isinstance(val, Map):
        return message_item(val, template)
    return [PromptPart("history", segments(val), opaque=True)]


def message_item(item: Val, template: bool) -> list[PromptPart]:
    if isinstance(item, Many):
        inner = message_item(item.item, template)
        return [PromptPart("history", [Segment("dynamic", source="messages added in a loop")], opaque=True)] \
            if inner else []
    if isinstance(item, Map):
        span = None
        if item.obj:
            cls = item.obj.split(".")[-1]
            role = MESSAGE_CLASSES.get(cls)
            if cls == "MessagesPlaceholder":
                return [PromptPart("history", [Segment("dynamic", source="history placeholder")], opaque=True)]
            if cls in ("ChatMessage", "Content", "Message") or role is None:
                role = static_text(item.items.get("role", Text([]))) or "user"
            content = item.items.get("content", item.items.get("_arg0", item.items.get("parts")))
            if content is None and "prompt" in item.items:
                content = item.items["prompt"]
            if cls.endswith("PromptTemplate") and content is None:
                content = item.items.get("_arg0")
            return [content_parts(ROLE_ALIASES.get(role, role), content if content is not None else Dyn("message"),
                                  span, template or cls.endswith("PromptTemplate"))]
        role_val = item.items.get("role")
        role = static_text(role_val) if role_val is not None else None
        if role is None:
            if item.opaque or role_val is not None:
                return [PromptPart("history", [Segment("dynamic", source="message")], opaque=True)]
            role = "user"
        content = item.items.get("content", item.items.get("parts"))
        if content is None:
            return [PromptPart(ROLE_ALIASES.get(role, role), [Segment("dynamic", source="message")], opaque=True)]
        return [content_parts(ROLE_ALIASES.get(role, role), content, span, template)]
    if isinstance(item, Seq) and len(item.items) == 2 and static_text(item.items[0]) is not None:
        role = static_text(item.items[0])
        if role == "placeholder":
            return [PromptPart("history", [Segment("dynamic", source="history placeholder")], opaque=True)]
        return [content_parts(ROLE_ALIASES.get(role, role), item.items[1], template=True)]
    if isinstance(item, (Text, Det)):
        return [content_parts("user", item, template=template)]
    unordered = find_unordered(item)
    if unordered is not None or isinstance(item, Vol):
        return [PromptPart("history", segments(unordered or item), opaque=True)]
    return [PromptPart("history", segments(item), opaque=True)]
