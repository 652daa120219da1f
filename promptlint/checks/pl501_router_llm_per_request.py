import re
from collections.abc import Iterator
from functools import cache

from promptlint.checks._request import from_llm, read_request
from promptlint.checks.base import Check, FileContext
from promptlint.estimate import count_tokens
from promptlint.model import CallSite, Finding
from promptlint.ruledocs import load_data


@cache
def router_phrases() -> list[re.Pattern]:
    return [re.compile(p, re.IGNORECASE) for p in load_data("routing.yaml")["router_phrases"]]


def asks_to_route(site: CallSite) -> str | None:
    """The phrase of the call's static prompt that asks for a model or a difficulty grade."""
    for part in site.parts:
        for seg in part.segments:
            if seg.kind != "static" or not seg.text:
                continue
            for pattern in router_phrases():
                m = pattern.search(seg.text)
                if m:
                    return m.group(0)
    return None


def response_metadata(source: str) -> bool:
    """`model=previous.model`: the response's own model field, not something the model wrote."""
    written = ("content", "text", "choices", "output", "message", "loads", "parts", "[")
    return bool(re.search(r"\.model$", source)) and not any(w in source for w in written)


def static_input_tokens(site: CallSite, tokenizer: str) -> int | None:
    texts = [s.text for p in site.parts for s in p.segments if s.kind == "static"]
    if any(t is None for t in texts):
        return None
    return sum(count_tokens(t, tokenizer) for t in texts)


class RouterLlmPerRequest(Check):
    """An extra LLM call on every request only to pick the model (or grade difficulty) for the next one."""

    code = "PL501"
    name = "router-llm-per-request"
    severity = "warning"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        routers: dict[int, tuple[CallSite, str]] = {}  # id(router site) -> (site, why)
        for site in ctx.callsites:
            req = read_request(ctx, site)
            answer = from_llm(req.value("model")) if req is not None else None
            if answer is None or answer.origin_span is None or response_metadata(answer.source):
                continue
            router = next((r for r in ctx.callsites if r is not site and r.call_span == answer.origin_span), None)
            if router is not None and id(router) not in routers:
                why = f"its answer picks the model of `{site.callee}` at line {site.span.line}"
                routers[id(router)] = (router, why)
        for site in ctx.callsites:
            if id(site) in routers or not site.billed:
                continue
            phrase = asks_to_route(site)
            if phrase is not None:
                quoted = phrase if len(phrase) <= 40 else phrase[:37] + "..."
                routers[id(site)] = (site, f"its prompt asks a model to route (\"{quoted}\")")
        for site, why in sorted(routers.values(), key=lambda r: (r[0].span.line, r[0].span.column)):
            yield self._finding(ctx, site, why)

    def _finding(self, ctx: FileContext, site: CallSite, why: str) -> Finding:
        tokens = static_input_tokens(site, ctx.settings.tokenizer)
        waste = None
        if tokens is not None and site.cap_value is not None:
            waste = tokens + site.cap_value
            cost = (f"{tokens:,} static input tokens plus up to {site.cap_value:,} output tokens per request"
                    if tokens else f"its per-request input plus up to {site.cap_value:,} output tokens per request")
        elif tokens is not None:
            cost = f"{tokens:,} static input tokens per request plus its uncapped output, so no figure is given"
        else:
            cost = "a whole extra call per request (its prompt size is not visible here, so no figure is given)"
        message = (f"`{site.callee}` is a router call: {why}; it costs {cost}. Prefer a deterministic signal "
                   f"(task type, input length, a small classifier) or a cascade")
        return self.finding(ctx, site.span, message, call_span=site.call_span, scope=site.in_function,
                            snippet=site.callee, waste_tokens_per_call=waste,
                            waste_kind="extra-call" if waste is not None else None, model=site.model)
