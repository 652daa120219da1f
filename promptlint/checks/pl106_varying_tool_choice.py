from collections.abc import Iterator

from promptlint.analysis.request import TOOL_LISTS, options, read_request
from promptlint.analysis.values import MISSING, Dyn, Map, Ref, Seq, Text, Val, python_value
from promptlint.checks.base import Check, FileContext
from promptlint.cost import cache_savings
from promptlint.cost.estimate import tools_tokens
from promptlint.cost.prefix import flatten, static_run
from promptlint.model import Finding

# Request arguments that choose the tools, per SDK (sdks.yaml has the tool lists themselves).
TOOL_CHOICE = ["tool_choice", "toolConfig.toolChoice", "config.tool_config", "function_call"]
ABSENT = {"None", "NOT_GIVEN", "NotGiven", "omit", "Omit", "NOT_SET"}


class VaryingToolChoice(Check):
    """`tool_choice` or the tool list chosen per request, so the cached tool block changes between calls."""

    code = "PL106"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        for site in ctx.callsites:
            if not site.billed:
                continue
            req = read_request(ctx, site)
            if req is None:
                continue
            for path in TOOL_CHOICE + TOOL_LISTS:
                val = req.value(path)
                params = req.info.func.params if req.info.func else {}
                why = varies(val, path in TOOL_LISTS, params) if val is not None else None
                if why is None:
                    continue
                flat = flatten(site)
                tools_end = max((i + 1 for i, f in enumerate(flat) if f.part.role == "tools"), default=0)
                after = static_run(flat, tools_end, tokenizer=ctx.settings.tokenizer)
                if not after.tokens:
                    break  # nothing static (or nothing of known size) after the tools: no loss we can show
                tools = tools_tokens(req, ctx.settings.tokenizer)
                saving = cache_savings.assess(site, (tools or 0) + after.tokens, req=req,
                                              min_override=self.option("min-cacheable-tokens"))
                if saving.silent or saving.why == "below-minimum" or (saving.latent and not self.option("latent")):
                    break  # below the cache minimum the rule stays quiet, as before: nothing is cached to lose
                name = path.split(".")[-1]
                lost = "the tool block and the" if path in TOOL_LISTS else "the"
                head = f"`{name}` of `{site.callee}` is {why}, so calls of this task send different requests"
                if saving.latent:
                    yield self.finding(ctx, req.span(path) or site.span, head + saving.message_tail(),
                                       call_span=site.call_span, site=site, scope=site.in_function, snippet=name,
                                       model=site.model, severity="info")
                    break
                message = f"{head} and {lost} {after.tokens:,} static tokens cached after the tools miss"
                yield self.finding(ctx, req.span(path) or site.span, message, call_span=site.call_span, site=site,
                                   scope=site.in_function, snippet=name, waste_tokens_per_call=after.tokens,
                                   waste_kind="uncached-input", model=site.model)
                break


def varies(val: Val, is_list: bool, params=()) -> str | None:
    """Why the value changes between calls of one call site, or None when it is stable."""
    opts = [o for o in options(val) if not _absent(o)]  # `x if tools else None`: sent or not, with the tools
    if len(opts) > 1:
        # Two different values the analysis can read: a real per-call choice. An unreadable
        # option (`tool_choice or "auto"`) is usually fixed per instance, so it proves nothing.
        known = {repr(v) for v in map(python_value, opts) if v is not MISSING}
        return "chosen by a condition" if len(known) > 1 else None
    if is_list or not isinstance(val, (Map, Text)):
        return None  # passed in or built elsewhere: the choice is made by a caller we cannot see
    # A forced choice computed in this function from the request: {"type": "tool", "name": pick(q)}.
    # A parameter or attribute is passed through from a caller, usually one per task: quiet.
    leaves = _dynamic_leaves(val)
    if leaves and any(not _passed_in(leaf, params) for leaf in leaves):
        return "computed per request"
    return None


def _dynamic_leaves(val: Val) -> list[str]:
    if isinstance(val, Map):
        return [leaf for v in val.items.values() for leaf in _dynamic_leaves(v)]
    if isinstance(val, Seq):
        return [leaf for v in val.items for leaf in _dynamic_leaves(v)]
    if isinstance(val, Text):
        return [s.source or "?" for s in val.segs if s.kind == "dynamic"]
    if isinstance(val, Dyn):
        return [val.source]
    return []


def _passed_in(source: str, params) -> bool:
    head = source.split(".")[0].split("[")[0]
    return head in params or head in ("self", "cls")


def _absent(val: Val) -> bool:
    """None / NOT_GIVEN / omit: the argument is not sent at all."""
    if isinstance(val, Ref):
        return val.qual.split(".")[-1] in ABSENT
    if isinstance(val, Map) and val.obj:
        return val.obj.split(".")[-1] in ABSENT
    return isinstance(val, Seq) and not val.items  # `tools or []`
