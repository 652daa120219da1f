from collections.abc import Iterator

from promptlint.analysis.request import map_keys, read_request
from promptlint.checks.base import Check, FileContext
from promptlint.cost.cache_savings import caching_data, explicit_caching, minimum_tokens
from promptlint.cost.estimate import tools_tokens
from promptlint.cost.prefix import flatten, static_run
from promptlint.model import CallSite, Finding


class UncachedStaticPrefix(Check):
    """A long static prefix sent to a provider that caches only when asked, without asking."""

    code = "PL105"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        data = caching_data()
        for site in ctx.callsites:
            if not site.billed or site.shape in data["wrapper_shapes"]:
                continue  # chat-model wrappers cache through middleware and bindings we cannot see
            how = explicit_caching(site)
            if how is None or site.kwargs_opaque:
                continue
            req = read_request(ctx, site)
            if req is None or any(req.value(path) is not None for path in data["request_switches"]):
                continue
            if site.provider == "google-genai" and not map_keys(req.value("config"))[1]:
                continue  # a config object the analysis cannot see into may carry cached_content
            if any(part.cache_marker for part in site.parts):
                continue
            if any(m in ctx.text for m in data["file_markers"]) and history_hidden(site):
                continue  # the file places cache markers, maybe on history messages we cannot see
            tokens = static_prefix_tokens(site, req, ctx.settings.tokenizer)
            if tokens is None:
                continue  # part of the prefix has unknown size: not known to reach the minimum
            minimum = minimum_tokens(site, self.option("min-cacheable-tokens"))
            model = site.model or "the model (not a literal here; the largest minimum is assumed)"
            if tokens < minimum:
                continue
            message = (f"`{site.callee}` sends a {tokens:,}-token static prefix without asking for "
                       f"caching ({how}); {model} caches prefixes from {minimum:,} tokens, so every call "
                       f"pays full input price for text that never changes")
            yield self.finding(ctx, site.span, message, call_span=site.call_span, scope=site.in_function, site=site,
                               snippet=site.callee, waste_tokens_per_call=tokens,
                               waste_kind="uncached-input", model=site.model)


def static_prefix_tokens(site: CallSite, req, tokenizer: str) -> int | None:
    """Tokens of the static prefix: the tool definitions (as JSON) plus the static run after them."""
    flat = flatten(site)
    tools_end = max((i + 1 for i, f in enumerate(flat) if f.part.role == "tools"), default=0)
    tools = tools_tokens(req, tokenizer) if tools_end else 0
    if tools is None:
        return None
    if any(f.seg.kind != "static" for f in flat[:tools_end]):
        return None  # tools built per request: no stable prefix to count
    after = static_run(flat, tools_end, tokenizer=tokenizer)
    return None if after.tokens is None else tools + after.tokens


def history_hidden(site: CallSite) -> bool:
    """Messages the analysis cannot see one by one (a history list from elsewhere)."""
    if any(part.opaque for part in site.parts):
        return True
    return "messages" in site.keywords and not any(p.role in ("user", "assistant", "tool") for p in site.parts)

