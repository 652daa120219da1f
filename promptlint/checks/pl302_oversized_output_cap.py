import re
from collections.abc import Iterator
from functools import cache

from promptlint.checks.base import Check, FileContext
from promptlint.model import CallSite, Finding
from promptlint.ruledocs import load_data

DEFAULT_CEILING = 4096
DEFAULT_REASONING_CEILING = 32768


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
    name = "oversized-output-cap"
    severity = "info"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        ceiling = self.option("ceiling", DEFAULT_CEILING)
        reasoning_ceiling = self.option("reasoning-ceiling", DEFAULT_REASONING_CEILING)
        seen = set()
        for site in ctx.callsites:
            if site.cap_value is None or site.cap_span is None or not site.billed:
                continue
            limit, what = (reasoning_ceiling, "reasoning ceiling") if reasons(site) else (ceiling, "ceiling")
            if site.cap_value <= limit:
                continue
            key = (site.cap_span.line, site.cap_span.column)
            if key in seen:
                continue  # one constructor cap shared by several calls
            seen.add(key)
            waste = site.cap_value - limit
            where = "the chat model's constructor" if site.cap_location == "constructor" else f"`{site.callee}`"
            message = (f"`{site.cap_keyword}={site.cap_value:,}` on {where} allows {waste:,} output tokens "
                       f"beyond the {limit:,}-token {what} (worst case per call)")
            yield self.finding(ctx, site.cap_span, message, scope=site.in_function,
                               snippet=f"{site.cap_keyword}={site.cap_value}", waste_tokens_per_call=waste,
                               waste_kind="output", model=site.model)
