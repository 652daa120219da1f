"""Shared logic of PL101-PL103: a volatile value ahead of static prompt text."""

from __future__ import annotations

from collections.abc import Iterator

from promptlint.checks.base import Check, FileContext
from promptlint.cost import cache_savings
from promptlint.cost.prefix import flatten, part_label, static_run, static_tokens_before
from promptlint.model import Finding

class VolatileInPrefix(Check):
    volatile_kind = ""
    what = ""  # "a clock reading", ...

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        best: dict[tuple, Finding] = {}
        counts: dict[tuple, int] = {}
        for site in ctx.callsites:
            if not site.billed:
                continue
            flat = flatten(site)
            for i, item in enumerate(flat):
                seg = item.seg
                if seg.kind == "dynamic":
                    break  # the cacheable prefix already ended here; later values cost nothing extra
                if seg.kind != "volatile" or seg.volatile_kind != self.volatile_kind:
                    continue
                after = static_run(flat, i + 1, tokenizer=ctx.settings.tokenizer)
                if not after.present:
                    continue  # nothing cacheable follows it: not a finding
                before = static_tokens_before(flat, i, tokenizer=ctx.settings.tokenizer)
                prefix = None if after.tokens is None else after.tokens + (before or 0)
                saving = cache_savings.assess(site, prefix, min_override=self.option("min-cacheable-tokens"))
                if saving.silent or (saving.latent and not self.option("latent")):
                    break
                span = seg.span or site.span
                where = part_label(site, item.part)
                if saving.latent:
                    message = (f"`{seg.source}` enters {where} of `{site.callee}` at line {site.span.line}, "
                               f"ahead of {after.label()} static tokens{saving.message_tail()}")
                else:
                    message = (f"`{seg.source}` enters {where} of `{site.callee}` at line {site.span.line}, "
                               f"ahead of {after.label()} static tokens that can no longer be cached")
                    if after.tokens is None:  # a loss we cannot size: lower than error, and say so
                        message += (" (part of the static text is not visible here, so no figure is given, and the "
                                    f"prefix may be below the {saving.minimum:,}-token cache minimum)")
                    note = self.note(seg.source or "")
                    if note:
                        message += f"; {note}"
                waste = after.tokens if saving.saves else None
                finding = self.finding(
                    ctx, span, message, scope=site.in_function, snippet=seg.source, site=site,
                    waste_tokens_per_call=waste, waste_kind="uncached-input" if waste is not None else None,
                    model=site.model,
                    severity="info" if saving.latent else "warning" if saving.why == "unknown-size" else None,
                )
                key = (finding.path, span.line, span.column, span.end_line, span.end_column)
                counts[key] = counts.get(key, 0) + 1
                old = best.get(key)
                if old is None or _rank(finding) > _rank(old):
                    best[key] = finding
                break  # the first volatile value of this kind is the one that breaks the prefix
        for key, finding in best.items():
            if counts[key] > 1:
                finding.message += f" (and {counts[key] - 1} more call site{'s' if counts[key] > 2 else ''})"
            yield finding

    def note(self, source: str) -> str | None:
        return None


def _rank(finding: Finding) -> tuple:
    """Of the calls sharing one volatile value, report the one with a real loss, then the largest."""
    return (finding.severity != "info", finding.waste_tokens_per_call or 0)
