"""What a cache finding can save: one model shared by every cache rule (PL101-PL106, PL405).

A provider's prompt cache reuses the start of a request, byte for byte. Text that
breaks it (a timestamp, per-request data, a second copy) costs money only when
three things hold, and a figure is given only then:

1. the provider caches this call: automatically (OpenAI, Gemini 2.5 and newer,
   DeepSeek, Groq, Mistral), or only when asked (Anthropic `cache_control`,
   Bedrock `cachePoint`, Gemini 1.x/2.0 `cached_content`) and this call asks;
2. the prefix that would be cached reaches the model's minimum cacheable length
   (`rules/models.yaml`; the largest minimum of the provider where the model is
   not a literal, `rules/caching.yaml`);
3. nothing per-request precedes the text (callers pass only the static run that
   sits in the prefix: text after per-request content is never cached anyway).

Where 1 or 2 fails the loss is *latent*: nothing is cached today. Rules then
report at `info` with no figure and say what would make it real, or stay silent
when their `latent` option is false.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from promptlint.cost.estimate import min_cacheable_tokens
from promptlint.model import CallSite
from promptlint.ruledocs import load_data


@cache
def caching_data() -> dict:
    return load_data("caching.yaml")


def explicit_caching(site: CallSite) -> str | None:
    """How this call would ask for caching, if its provider caches only when asked; else None."""
    for row in caching_data()["explicit"]:
        if row["provider"] != site.provider:
            continue
        if "model" in row and not (site.model and re.search(row["model"], site.model)):
            continue
        return row["how"]
    return None


def never_cached(site: CallSite) -> bool:
    """A provider with no prompt cache a request could hit (or a local runtime that bills nothing)."""
    return not site.billed or site.provider in caching_data().get("no_cache", ())


def asks_for_caching(site: CallSite, req=None) -> bool | None:
    """Does the call ask for caching? True / False, or None when part of the request is hidden."""
    if any(part.cache_marker for part in site.parts):
        return True
    switches = caching_data()["request_switches"]
    if any(key in site.keywords for key in switches):
        return True
    if req is not None and any(req.value(path) is not None for path in switches):
        return True
    if site.kwargs_opaque or site.cap_unknown:
        return None  # `**kwargs` or an opaque config may carry the switch
    return False


def minimum_tokens(site: CallSite, override: int | None = None) -> int:
    """The shortest prefix the provider caches for this call's model."""
    if override:
        return int(override)
    if site.model:
        return min_cacheable_tokens(site.provider, site.model)
    by_provider = caching_data().get("unknown_model_min_tokens_by_provider") or {}
    return int(by_provider.get(site.provider, caching_data()["unknown_model_min_tokens"]))


@dataclass(frozen=True, slots=True)
class CacheSaving:
    """The verdict for one finding: a figure is honest only when `saves`."""

    saves: bool
    minimum: int
    latent: str | None = None  # why nothing is lost today, as a clause for the message
    why: str | None = None  # "below-minimum" | "not-asked" | "hidden-ask" | "no-cache" | "unknown-size"

    @property
    def silent(self) -> bool:
        """Nothing could ever be cached here: no finding at all."""
        return self.why == "no-cache"

    def message_tail(self) -> str:
        return f"; latent: {self.latent}" if self.latent else ""


def assess(site: CallSite, prefix_tokens: int | None, *, req=None, min_override: int | None = None) -> CacheSaving:
    """Can the fix save anything on this call? `prefix_tokens` is the static prefix the fix would
    make cacheable (the static text before the finding plus the static run after it); None when
    its size is unknown, which gives no figure."""
    minimum = minimum_tokens(site, min_override)
    if never_cached(site):
        return CacheSaving(False, minimum, why="no-cache")
    if prefix_tokens is not None and prefix_tokens < minimum:
        model = site.model or "the model"
        return CacheSaving(False, minimum, why="below-minimum", latent=(
            f"the {prefix_tokens:,}-token prefix is below {model}'s {minimum:,}-token cache minimum, so nothing "
            f"is cached today; it becomes a cache miss once the prefix reaches {minimum:,} tokens"))
    how = explicit_caching(site)
    if how is not None:
        asked = asks_for_caching(site, req)
        if asked is False:
            return CacheSaving(False, minimum, why="not-asked", latent=(
                f"{site.provider} caches only when asked ({how}) and this call does not ask, so nothing is "
                f"cached today; it becomes a cache miss once the call asks"))
        if asked is None:
            return CacheSaving(False, minimum, why="hidden-ask", latent=(
                f"{site.provider} caches only when asked ({how}) and the analysis cannot see whether this "
                f"call asks, so no figure is given"))
    if prefix_tokens is None:
        return CacheSaving(False, minimum, why="unknown-size")
    return CacheSaving(True, minimum)
