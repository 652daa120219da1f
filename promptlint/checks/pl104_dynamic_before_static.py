from collections.abc import Iterator

from promptlint.cost import cache_savings
from promptlint.checks.base import Check, FileContext
from promptlint.cost.estimate import token_upper_bound
from promptlint.cost.prefix import flatten, fmt_tokens, part_label, static_run
from promptlint.model import Finding


class DynamicBeforeStatic(Check):
    """Per-request content placed ahead of a static block that could have been cached."""

    code = "PL104"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        min_static = self.option("min-static-tokens")
        seen = set()
        for site in ctx.callsites:
            if not site.billed:
                continue
            flat = flatten(site)
            # The first non-static segment ends the cacheable prefix. A volatile one
            # is PL101-PL103's business; an unknown one proves nothing.
            first_dyn = next((i for i, f in enumerate(flat) if f.seg.kind != "static"), None)
            if first_dyn is None or flat[first_dyn].seg.kind != "dynamic":
                continue
            threshold = cache_savings.minimum_tokens(site, self.option("min-cacheable-tokens"))
            # A token covers at least one byte: when the bytes cannot reach the
            # thresholds, the tokenizer need not even be loaded.
            if _bytes(flat[first_dyn + 1:]) < min_static or _bytes(flat) < threshold:
                continue
            before = static_run(flat, 0, tokenizer=ctx.settings.tokenizer)
            after = static_run(flat, first_dyn + 1, stop_at_dynamic=False, tokenizer=ctx.settings.tokenizer)
            if after.tokens is None or before.tokens is None:
                continue  # sizes unknown: cannot show the move would reach the cache minimum
            if after.tokens < min_static or before.tokens + after.tokens < threshold:
                continue
            seg, part = flat[first_dyn].seg, flat[first_dyn].part
            span = seg.span or part.span or site.span
            key = (span.line, span.column)
            if key in seen:
                continue
            seen.add(key)
            # Below the minimum the rule is already quiet; what is left is whether anything is cached.
            saving = cache_savings.assess(site, before.tokens + after.tokens, min_override=threshold)
            if saving.silent or (saving.latent and not self.option("latent")):
                continue
            head = (f"per-request `{seg.source}` comes first in {part_label(site, part)} of `{site.callee}` "
                    f"at line {site.span.line}; the {fmt_tokens(after.tokens)} static tokens after it")
            if saving.latent:
                yield self.finding(ctx, span, f"{head} cannot be cached{saving.message_tail()}",
                                   scope=site.in_function, snippet=seg.source, site=site, model=site.model,
                                   severity="info")
                continue
            message = f"{head} are re-billed on every call instead of being read from the cache"
            yield self.finding(ctx, span, message, scope=site.in_function, snippet=seg.source, site=site,
                               waste_tokens_per_call=after.tokens, waste_kind="uncached-input", model=site.model)
        yield from self._late_breakpoints(ctx, seen)

    def _late_breakpoints(self, ctx: FileContext, seen) -> Iterator[Finding]:
        """Anthropic: a cache_control breakpoint on a system/tools block after dynamic content."""
        for site in ctx.callsites:
            for part in site.parts:
                if not part.cache_marker or part.role not in ("system", "tools"):
                    continue
                dyn = next((s for s in part.segments if s.kind == "dynamic"), None)
                if dyn is None or (dyn.by_caller and not any(s.kind == "static" and s.text for s in part.segments)):
                    # A block that is all one parameter of a wrapper the project calls: whether it
                    # varies is each caller's choice, judged at its call (the wrapper site).
                    continue
                span = dyn.span or part.span or site.span
                if (span.line, span.column) in seen:
                    continue
                seen.add((span.line, span.column))
                yield self.finding(
                    ctx, span,
                    f"a cache breakpoint in {part_label(site, part)} of `{site.callee}` sits after per-request "
                    f"`{dyn.source}`, so the cached block differs on every call",
                    scope=site.in_function, snippet=dyn.source, site=site, model=site.model)


def _bytes(items) -> int:
    """Upper bound of the static tokens in `items`; unknown-size text counts as unbounded."""
    total = 0
    for item in items:
        if item.seg.kind == "static":
            if item.seg.text is None:
                return 1 << 30
            total += token_upper_bound(item.seg.text)
    return total
