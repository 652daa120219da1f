"""Hover on an LLM call site: its `promptlint inventory` row (report/inventory.py)."""

from __future__ import annotations

from types import SimpleNamespace

from promptlint.model import CallSite
from promptlint.server.session import Outcome


def site_at(outcome: Outcome, line: int, column: int) -> CallSite | None:
    """The innermost call site whose call spans (line, column) (1-based, code points)."""
    best = None
    for site in outcome.result.callsites:
        span = site.call_span or site.span
        if (span.line, span.column) <= (line, column) < (span.end_line, span.end_column):
            size = (span.end_line - span.line, span.end_column - span.column)
            if best is None or size < best[0]:
                best = (size, site)
    return best[1] if best else None


def hover_markdown(outcome: Outcome, site: CallSite, book) -> str:
    from promptlint.cost.prices import UNTAGGED
    from promptlint.report.inventory import _usd, build_rows

    run = SimpleNamespace(callsites=[site], findings=outcome.findings)
    row = build_rows(run, outcome.settings, book)[0]
    tokens = f"≥{row.static_tokens:,}" if row.prompt_partial else f"{row.static_tokens:,}"
    number = (lambda v: "?" if v is None else f"{v:,}")
    usd = _usd(row.usd_per_1k_calls, row.prompt_partial)
    lines = [
        f"**promptlint** · `{row.provider}` {row.api}" + (f" · task `{row.task}`" if row.task != UNTAGGED else ""),
        "",
        "| | |",
        "|---|---:|",
        f"| model | {row.model or '?'} |",
        f"| static prompt tokens | {tokens} |",
        f"| cacheable prefix tokens | {number(row.cacheable_prefix_tokens)} |",
        f"| output cap | {number(row.output_cap)} |",
        f"| cost per 1,000 calls | {usd} |",
    ]
    if row.codes:
        lines.append(f"| findings | {', '.join(row.codes)} |")
    lines += ["", "Cost per 1,000 calls: the static prompt as input plus output at the cap"
              + (" (a minimum: part of the prompt is not known statically)" if row.prompt_partial else "") + "."]
    if row.note:
        lines.append(f"Missing figures: {row.note}.")
    return "\n".join(lines)
