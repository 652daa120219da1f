import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import libcst as cst

from promptlint.checks._inline_shots import SLOT, example_runs
from promptlint.checks._prompt_text import TEXT_ROLES, Group, Issue, PromptTextCheck, where, where_sent
from promptlint.checks.base import FileContext
from promptlint.cost.estimate import count_tokens
from promptlint.model import CallSite, Finding, PromptPart, Segment, Span
from promptlint.ruledocs import load_data

NOT_MESSAGES = ("tools", "system", "instructions", "developer")


@cache
def _data():
    data = load_data("few_shot.yaml")
    return frozenset(data["templates"]), tuple(data["template_packages"]), re.compile(data["constant_name"])


@dataclass(slots=True)
class InlineExamples(Issue):
    """Examples written inline in one prompt text; `offset` is where the first one beyond the limit starts."""

    count: int = 0
    shape: str = ""  # their labels as written, "Input/Answer", or their head, "Example"


class ExcessiveFewShot(PromptTextCheck):
    """More few-shot examples than the configured limit, re-sent on every call."""

    code = "PL401"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        limit = self.option("max-examples")
        seen: set = set()
        template_names: set[str] = set()
        found = [*self._message_pairs(ctx, limit, seen), *self._templates(ctx, limit, seen, template_names),
                 *self._constants(ctx, limit, seen, template_names)]
        yield from found
        # Examples written inline in a literal of this file; not again inside a list reported above.
        reported = [f.span for f in found]
        for group in self._groups(ctx.callsites, foreign=False).values():
            if not any(s.line <= group.literal.line and group.literal.end_line <= s.end_line for s in reported):
                yield self._finding(ctx.path, ctx.text, group)

    def run_project(self, callsites: list[CallSite]) -> Iterator[Finding]:
        """Inline examples in a literal of another module (a prompts module), reported there once."""
        return super().run_project(callsites)

    # -- examples written inline in one prompt text --------------------------------
    def site_issues(self, site: CallSite) -> Iterator[tuple[Segment, list[Issue], int | None]]:
        limit = self.option("max-examples")
        # One text for the whole request: the examples may sit in the system prompt and the
        # question that shows what they are in the user message ("Country: {country}").
        text, placed = _joined([p for p in site.parts if p.role in TEXT_ROLES])
        if placed:
            for run in example_runs(text):
                if run.count <= limit:
                    continue
                start = run.starts[limit]
                seg, seg_start = next(((g, o) for o, g in reversed(placed) if o <= start), (None, 0))
                if seg is None or start - seg_start >= len(seg.text):
                    continue  # the example starts with a value filled per request
                tokens = count_tokens(text[start:run.end].replace(SLOT, ""), self.settings.tokenizer)
                first_line = text[start:run.end].split("\n", 1)[0].replace(SLOT, "")
                issue = InlineExamples(start - seg_start, first_line, "inline examples", tokens, run.count, run.shape)
                yield seg, [issue], tokens

    def message(self, group: Group) -> str:
        limit = self.option("max-examples")
        first = group.issues[0]
        more = len(group.issues) - 1
        what = (f"{first.count} few-shot examples ({first.shape}) written in the prompt text sent by "
                f"{where_sent(group)}, above the limit of {limit}"
                + (f" (and {more} more set{'s' if more > 1 else ''} of examples)" if more else ""))
        return what + _tail(group.waste or None)

    # -- user/assistant example pairs ahead of the real question ------------------
    def _message_pairs(self, ctx, limit, seen) -> Iterator[Finding]:
        for site in ctx.callsites:
            if not site.billed:
                continue
            msgs = [p for p in site.parts if p.role not in NOT_MESSAGES]
            pairs = leading_pairs(msgs)
            if len(pairs) <= limit:
                continue
            extra = pairs[limit:]
            span = self._part_span(extra[0][0], site)
            key = (span.line, span.column)
            if key in seen:
                continue
            seen.add(key)
            texts = [s.text for p in (x for pair in extra for x in pair) for s in p.segments]
            waste = None if None in texts else count_tokens("\n".join(texts), self.settings.tokenizer)
            yield self._report(ctx, span, site, waste,
                                f"{len(pairs)} few-shot example pairs (user/assistant) precede the question in "
                                f"`{site.callee}` at line {site.span.line}, above the limit of {limit}")

    @staticmethod
    def _part_span(part: PromptPart, site: CallSite) -> Span:
        for seg in part.segments:
            if seg.kind == "static" and seg.text:
                _start, span, origin = where(seg, 0)
                if span is not None and origin is None:
                    return span
        return site.span

    # -- LangChain few-shot templates ---------------------------------------------
    def _templates(self, ctx, limit, seen, template_names) -> Iterator[Finding]:
        from promptlint.analysis.evaluator import EvalContext
        from promptlint.analysis.values import Ref

        names, packages, _ = _data()
        evaluator = ctx.evaluator
        if evaluator is None:
            return
        for info in ctx.index.calls:
            func = info.node.func
            last = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
            if last not in names:
                continue
            c = EvalContext(info.func, info.pos, info.path)
            callee = evaluator.evaluate(func, c)
            if not (isinstance(callee, Ref) and callee.qual.split(".")[0] in packages):
                continue
            arg = next((a for a in info.node.args if a.keyword is not None and a.keyword.value == "examples"), None)
            if arg is None:
                continue  # an example_selector picks examples per request: not a fixed list
            if isinstance(arg.value, cst.Name):
                template_names.add(arg.value.value)
            items = _items(evaluator.evaluate(arg.value, c))
            if items is None or len(items) <= limit:
                continue
            span = evaluator.span(arg.value)
            if (span.line, span.column) in seen:
                continue
            seen.add((span.line, span.column))
            example_prompt = next((a for a in info.node.args if a.keyword is not None
                                   and a.keyword.value == "example_prompt"), None)
            templates = _template_texts(evaluator.evaluate(example_prompt.value, c)) if example_prompt else []
            waste = self._items_tokens(items[limit:], templates)
            yield self._report(ctx, span, None, waste,
                                f"`{last}` gets {len(items)} examples, above the limit of {limit}",
                                scope=info.func.qualname if info.func else None)

    # -- example constants joined into a prompt --------------------------------------
    def _constants(self, ctx, limit, seen, template_names) -> Iterator[Finding]:
        from promptlint.analysis.evaluator import EvalContext

        _, _, pattern = _data()
        evaluator = ctx.evaluator
        if evaluator is None:
            return
        prompts = []
        for site in ctx.callsites:
            if site.billed:
                prompts.append((site, "".join(s.text for p in site.parts for s in p.segments
                                              if s.kind == "static" and s.text),
                                {s.source for p in site.parts for s in p.segments if s.source}))
        iterated = _comprehensions_over(evaluator)
        done = set()
        for event in ctx.index.module_events:
            name = event.name
            if event.kind != "assign" or name in done or name in template_names or not pattern.search(name):
                continue
            done.add(name)
            items = _items(evaluator.evaluate(event.node, EvalContext(None, event.pos, event.path)))
            if items is None or len(items) <= limit or any(_is_message(i) for i in items):
                continue
            texts = [_item_text(i) for i in items]
            if None in texts:
                continue
            for site, text, sources in prompts:
                shown = sum(1 for t in texts if _longest(t) and _longest(t) in text)
                # `"\n".join(f"Q: {e['q']}..." for e in EXAMPLES)`: the evaluator names the
                # comprehension by its source text, so the same text finds it in the prompt.
                named = bool(iterated.get(name, set()) & sources)
                if shown <= limit and not named:
                    continue
                span = evaluator.span(event.node)
                if (span.line, span.column) in seen:
                    break
                seen.add((span.line, span.column))
                waste = count_tokens("\n".join(texts[limit:]), self.settings.tokenizer)
                yield self._report(ctx, span, site, waste,
                                    f"`{name}` holds {len(items)} examples and reaches the prompt of "
                                    f"`{site.callee}` at line {site.span.line}, above the limit of {limit}",
                                    assumed="counted on the examples' own text")
                break

    def _items_tokens(self, items, templates: list[str]) -> int | None:
        texts = []
        for item in items:
            text = _item_text(item, templates)
            if text is None:
                return None
            texts.append(text)
        return count_tokens("\n\n".join(texts), self.settings.tokenizer)

    def _report(self, ctx, span: Span, site: CallSite | None, waste, what: str, scope=None,
                 assumed: str | None = None) -> Finding:
        return self.finding(ctx, span, what + _tail(waste, assumed), scope=scope or (site.in_function if site else None),
                            snippet=what[:40], site=site, waste_tokens_per_call=waste or None,
                            waste_kind="input" if waste else None, model=site.model if site else None)


def _tail(waste: int | None, assumed: str | None = None) -> str:
    if not waste:
        return "; keep the ones that hold eval scores (their size is not visible here)"
    note = f" ({assumed})" if assumed else ""
    return f"; the examples beyond it cost ~{waste:,} tokens on every call{note}: keep the ones that hold eval scores"


def _joined(parts: list[PromptPart]) -> tuple[str, list[tuple[int, Segment]]]:
    """The parts' text (a blank line between two parts), a SLOT for each value that is not
    static text, and where each static segment starts in it."""
    pieces, placed, pos = [], [], 0

    def add(text: str) -> None:
        nonlocal pos
        pieces.append(text)
        pos += len(text)

    for n, part in enumerate(parts):
        if n:
            add("\n\n")
        if part.opaque:
            add(SLOT)
            continue
        for seg in part.segments:
            if seg.kind == "static" and seg.text and seg.note is None:
                placed.append((pos, seg))
                add(seg.text)
            else:
                add(SLOT)
    return "".join(pieces), placed


def leading_pairs(msgs: list[PromptPart]) -> list[tuple[PromptPart, PromptPart]]:
    """Static user/assistant pairs at the start of the messages, before the last user message."""
    last_user = max((i for i, p in enumerate(msgs) if p.role == "user"), default=-1)
    pairs = []
    i = 0
    while i + 1 < last_user:
        user, assistant = msgs[i], msgs[i + 1]
        if not (user.role == "user" and assistant.role == "assistant" and _static(user) and _static(assistant)):
            break
        pairs.append((user, assistant))
        i += 2
    return pairs


def _static(part: PromptPart) -> bool:
    return not part.opaque and bool(part.segments) and all(s.kind == "static" for s in part.segments)


def _items(val):
    """The items of a literal list (None when its length is not known)."""
    from promptlint.analysis.values import Many, Seq

    if not isinstance(val, Seq) or val.unordered is not None:
        return None
    if any(isinstance(i, Many) for i in val.items):
        return None
    return val.items


def _is_message(item) -> bool:
    from promptlint.analysis.values import Map

    return isinstance(item, Map) and "role" in item.items


def _item_text(item, templates: list[str] | None = None) -> str | None:
    """An example as text: formatted with the example prompt when known, else its strings joined."""
    from promptlint.analysis.values import MISSING, python_value

    value = python_value(item)
    if value is MISSING:
        return None
    if isinstance(value, dict) and templates:
        try:
            return "\n".join(t.format(**value) for t in templates)
        except (KeyError, IndexError, ValueError):
            pass
    return "\n".join(_strings(value))


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return [str(value)] if value is not None else []


def _longest(text: str) -> str:
    lines = [ln.strip() for ln in text.split("\n")]
    best = max(lines, key=len, default="")
    return best if len(best) >= 12 else ""


def _template_texts(val) -> list[str]:
    """The template strings of a LangChain example prompt (PromptTemplate or chat messages)."""
    from promptlint.analysis.values import Map, Seq, static_text

    text = static_text(val)
    if text is not None:
        return [text]
    if isinstance(val, Map):
        for key in ("template", "_arg0"):
            if key in val.items and static_text(val.items[key]) is not None:
                return [static_text(val.items[key])]
    if isinstance(val, Seq):
        out = []
        for item in val.items:
            if isinstance(item, Seq) and len(item.items) == 2 and static_text(item.items[1]) is not None:
                out.append(static_text(item.items[1]))
            else:
                out += _template_texts(item)
        return out
    return []


def _comprehensions_over(evaluator) -> dict[str, set[str]]:
    """Constant name -> short source texts of the comprehensions that iterate it."""
    found: dict[str, set[str]] = {}

    for node, _func in evaluator.index.comprehensions:
        it = node.for_in.iter
        if isinstance(node, (cst.ListComp, cst.GeneratorExp)) and isinstance(it, cst.Name):
            try:
                found.setdefault(it.value, set()).add(evaluator._short(node))
            except Exception:  # noqa: BLE001 - a node without a position
                pass
    return found
