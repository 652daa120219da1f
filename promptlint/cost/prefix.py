"""Walk a call site's prompt in provider order: where the cacheable prefix ends
and how many static tokens follow a given segment."""

from __future__ import annotations

from dataclasses import dataclass

from promptlint.cost.estimate import count_tokens
from promptlint.model import CallSite, PromptPart, Segment


@dataclass(slots=True)
class Flat:
    part_index: int
    part: PromptPart
    seg: Segment


def flatten(site: CallSite) -> list[Flat]:
    return [Flat(i, p, s) for i, p in enumerate(site.parts) for s in p.segments]


@dataclass(slots=True)
class StaticRun:
    tokens: int | None  # None when some static text is of unknown size
    present: bool  # any static segment at all
    chars: int
    known: int = 0  # tokens of the static text whose size is known: a minimum when `tokens` is None

    def label(self) -> str:
        """`1,205`, `≥120` when part of the text has an unknown size, or `an unknown number of`."""
        if self.tokens is not None:
            return f"{self.tokens:,}"
        return f"≥{self.known:,}" if self.known else "an unknown number of"


def static_run(flat: list[Flat], start: int, stop_at_dynamic: bool = True, tokenizer: str = "cl100k_base") -> StaticRun:
    """Static text from flat[start:] up to the next non-static segment (or the end)."""
    tokens, present, chars, unknown = 0, False, 0, False
    for item in flat[start:]:
        seg = item.seg
        if seg.kind != "static":
            if stop_at_dynamic:
                break
            continue
        if seg.text is None:
            present, unknown = True, True
            continue
        if seg.text.strip():
            present = True
        chars += len(seg.text)
        tokens += count_tokens(seg.text, tokenizer)
    return StaticRun(None if unknown else tokens, present, chars, tokens)


def static_tokens_before(flat: list[Flat], end: int, tokenizer: str = "cl100k_base") -> int | None:
    """Static tokens in flat[:end] (the prefix ahead of a segment); None when some are of unknown size."""
    total = 0
    for item in flat[:end]:
        if item.seg.kind == "static":
            if item.seg.text is None:
                return None
            total += count_tokens(item.seg.text, tokenizer)
    return total


def part_label(site: CallSite, part: PromptPart) -> str:
    role = part.role
    if role == "tools":
        return "the tool definitions"
    if role in ("system", "instructions"):
        return f"the {role} prompt" if role == "system" else "the instructions"
    if role == "prompt":
        return "the prompt"
    messages = [p for p in site.parts if p.role not in ("tools", "system", "instructions")]
    if part in messages:
        return f"message {messages.index(part) + 1} ({role})"
    return f"the {role} part"


def fmt_tokens(n: int | None) -> str:
    return "an unknown number of" if n is None else f"{n:,}"


def cacheable_prefix_tokens(site, name: str = "cl100k_base") -> int | None:
    """Static tokens before the first non-static segment: what a prompt cache can reuse.
    None when some static text in that prefix has an unknown size."""
    return static_run(flatten(site), 0, tokenizer=name).tokens
