"""Dollar amounts as every report writes them."""

from __future__ import annotations


def money(usd: float) -> str:
    if usd >= 0.01 or usd == 0:
        return f"${usd:,.2f}"
    return f"${usd:.2g}"  # keep two significant digits of small amounts
