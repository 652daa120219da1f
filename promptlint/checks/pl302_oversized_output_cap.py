import re
from collections.abc import Iterator
from functools import cache

from promptlint.analysis.evaluator import EvalContext
from promptlint.analysis.values import Num
from promptlint.checks.base import Check, FileContext
from promptlint.model import CallSite, Finding, Span
from promptlint.ruledocs import load_data


@cache
def reasoning_data():
    return load_data("reasoning.yaml")


def reasons(site: CallSite) -> bool:
    """Does the cap also have to hold reasoning tokens (a reasoning model, or thinking turned on)?"""
    data = reasoning_data()
    if site.model and any(re.search(p, site.model) for p in data["models"]):
        return True
    return any(arg.split(".")[-1] in site.keywords or arg in site.keywords for arg in data["arguments"])


class OversizedOutputCap(Check):
    """An output cap set far above what the task needs."""

    code = "PL302"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        ceiling = self.option("ceiling")
        reasoning_ceiling = self.option("reasoning-ceiling")
        seen = set()
        for site in ctx.callsites:
            # At a wrapper site a cap read in the wrapper's class or module (a field default through
            # `self`, a dict a method builds) has no position here: reported at the call, like the
            # other values from there.
            cap_span = site.cap_span or (site.span if site.via == "wrapper" else None)
            if site.cap_value is None or cap_span is None or not site.billed or site.output != "text":
                continue
            limit, what = (reasoning_ceiling, "reasoning ceiling") if reasons(site) else (ceiling, "ceiling")
            if site.cap_value <= limit:
                continue
            key = (cap_span.line, cap_span.column)
            if key in seen:
                continue  # one constructor cap shared by several calls
            seen.add(key)
            waste = site.cap_value - limit
            where = "the chat model's constructor" if site.cap_location == "constructor" else f"`{site.callee}`"
            message = (f"`{site.cap_keyword}={site.cap_value:,}` on {where} allows {waste:,} output tokens "
                       f"beyond the {limit:,}-token {what} (worst case per call)")
            yield self.finding(ctx, cap_span, message, scope=site.in_function, site=site,
                               snippet=f"{site.cap_keyword}={site.cap_value}", waste_tokens_per_call=waste,
                               waste_kind="output", model=site.model)
        yield from self._constructors(ctx, ceiling, reasoning_ceiling, seen)

    def _constructors(self, ctx: FileContext, ceiling: int, reasoning_ceiling: int, seen) -> Iterator[Finding]:
        """Chat models built here and called elsewhere (`llm = ChatOpenAI(max_tokens=16000)`)."""
        for ctor in ctx.constructors:
            if not ctor.cap_keyword or ctor.cap_keyword.startswith("("):
                continue
            found = constructor_cap(ctx, ctor)
            if found is None:
                continue
            value, span, keywords = found
            if (span.line, span.column) in seen:
                continue
            probe = CallSite(ctor.path, ctor.span, ctor.call_span, ctor.callee, ctor.provider, "", "",
                             model=ctor.model, keywords=keywords)
            limit, what = (reasoning_ceiling, "reasoning ceiling") if reasons(probe) else (ceiling, "ceiling")
            if value <= limit:
                continue
            seen.add((span.line, span.column))
            waste = value - limit
            message = (f"`{ctor.cap_keyword}={value:,}` on `{ctor.callee}(...)` allows {waste:,} output tokens "
                       f"beyond the {limit:,}-token {what} (worst case per call)")
            yield self.finding(ctx, span, message, scope=ctor.in_function, site=ctor, snippet=f"{ctor.cap_keyword}={value}",
                               waste_tokens_per_call=waste, waste_kind="output", model=ctor.model)


def constructor_cap(ctx: FileContext, ctor) -> tuple[int, Span, list[str]] | None:
    """The literal cap of a chat-model constructor, its span, and the constructor's keywords."""
    evaluator = ctx.evaluator
    if evaluator is None or ctx.index is None:
        return None
    for info in ctx.index.calls:
        if info.node is not ctor.node:
            continue
        ectx = EvalContext(info.func, info.pos, info.path)
        for arg in info.node.args:
            if arg.keyword is not None and arg.keyword.value == ctor.cap_keyword:
                val = evaluator.evaluate(arg.value, ectx)
                if isinstance(val, Num) and isinstance(val.value, int):
                    keywords = [a.keyword.value for a in info.node.args if a.keyword is not None]
                    return val.value, evaluator.span(arg.value), keywords
        return None
    return None
