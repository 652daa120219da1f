"""PL601: a synchronous LLM call made once per item of a collection in offline code,
where the provider's batch API would bill about half."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import libcst as cst

from promptlint.analysis.evaluator import EvalContext
from promptlint.analysis.index import dotted
from promptlint.analysis.segments import is_static
from promptlint.analysis.values import Map, Num, Seq
from promptlint.checks._structure import (
    call_cost_tokens, enclosing_comprehensions, in_main_block, is_request_handler,
    offline_functions, offline_path,
)
from promptlint.checks.base import Check, FileContext
from promptlint.model import CallSite, Finding
from promptlint.ruledocs import load_data

# Calls that pass a collection through: the items are the collection's.
WRAPPERS = {"enumerate", "sorted", "list", "tuple", "reversed", "tqdm", "track", "zip", "iter"}
INTERACTIVE_TOOL = "interactive"
# A module that asks its user questions, or shows a spinner while it waits for the model
# (rich's `console.status`), is an interactive tool, even as a CLI command.
INTERACTIVE = re.compile(r"\b(?:input\(|Confirm\.ask|Prompt\.ask|click\.confirm|click\.prompt|typer\.confirm|"
                         r"typer\.prompt|questionary\.|console\.status\()")
# Plain substrings one of which every INTERACTIVE match holds: tested first, since the
# expression is tried at every position of the file (a third of a second on 7 MB).
_INTERACTIVE_WORDS = ("input(", ".ask", "click.", "typer.", "questionary.", "console.status(")


@cache
def batch_data() -> dict:
    return load_data("batch_apis.yaml")


class BatchCandidate(Check):
    code = "PL601"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        if ctx.index is None or not ctx.callsites:
            return
        providers = batch_data()["providers"]
        runs = set(batch_data().get("agent_runs", ()))  # a multi-step agent run is no single batchable request
        sites = [s for s in ctx.callsites
                 if s.billed and s.provider in providers and id(s) in ctx.infos and s.shape not in runs]
        if not sites:
            return
        configured = list(self.option("offline-functions"))
        offline = offline_functions(ctx, configured)
        path_reason = offline_path(ctx.path, tuple(self.option("offline-dirs")))
        if _interactive(ctx):
            # only the configuration can make an interactive tool offline
            offline = {q: why for q, why in offline.items() if "offline-functions" in why}
            path_reason = INTERACTIVE_TOOL
        submitting = _batch_submitters(ctx)
        helpers: dict[str, list[CallSite]] = {}  # function name -> its call sites outside loops
        for site in sites:
            info = ctx.infos[id(site)]
            scope = info.func.qualname if info.func else None
            if scope in submitting or (info.func and is_request_handler(ctx, info.func)):
                continue
            loop = self._collection_loop(ctx, info)
            if loop is None:
                if info.func is not None and info.func.parent is None:
                    helpers.setdefault(info.func.name, []).append(site)
                continue
            why = self._offline(ctx, info, offline, path_reason)
            if why is not None:
                yield self._finding(ctx, site, loop, why, None)
        yield from self._via_helpers(ctx, helpers, offline, path_reason, submitting)

    # -- where the call runs ---------------------------------------------------------
    @staticmethod
    def _offline(ctx, info, offline: dict[str, str], path_reason: str | None) -> str | None:
        if info.func is not None and info.func.qualname in offline:
            return offline[info.func.qualname]
        if path_reason != INTERACTIVE_TOOL and in_main_block(ctx, info):
            return "the `__main__` block"
        if path_reason != INTERACTIVE_TOOL and info.func is None:
            return "module-level script code"  # a loop at module level runs when the file is run
        return None if path_reason == INTERACTIVE_TOOL else path_reason

    def _collection_loop(self, ctx, info) -> tuple[str, int] | None:
        """(iterable's source, line) of the innermost enclosing loop over a collection."""
        for comp in reversed(enclosing_comprehensions(ctx, info)):
            found = self._iterable(ctx, info, comp.node.for_in.target, comp.node.for_in.iter)
            if found is not None:
                return found
        for loop in reversed(info.loops):
            if isinstance(loop, cst.For):
                found = self._iterable(ctx, info, loop.target, loop.iter)
            else:
                found = self._while_collection(ctx, loop)
            if found is not None:
                return found
        return None

    def _iterable(self, ctx, info, target, iterable) -> tuple[str, int] | None:
        markers = {m.lower() for m in batch_data()["retry_markers"]}
        target_name = dotted(target).lower()
        if any(m in target_name for m in markers):
            return None  # for attempt in range(3): a retry loop
        if isinstance(iterable, cst.Call):
            last = dotted(iterable.func).split(".")[-1]
            if last.lower() in markers or last in ("count", "repeat", "cycle"):
                return None
            if last == "range":
                args = [a for a in iterable.args if a.keyword is None]
                bound = args[1] if len(args) > 1 else (args[0] if args else None)
                at = EvalContext(info.func, info.pos, info.path)
                val = ctx.evaluator.evaluate(bound.value, at) if bound else None
                if isinstance(val, Num) or bound is None:
                    return None  # a fixed number of repetitions, not a collection
        if self._fixed_fan_out(ctx, info, iterable):
            return None
        return ctx.evaluator.code(iterable).strip(), ctx.evaluator.span(iterable).line

    @staticmethod
    def _fixed_fan_out(ctx, info, iterable) -> bool:
        """A literal list in the code (three languages, four pipeline stages) is a fixed
        fan-out, not a data set: often sequential steps, and too small to batch."""
        while isinstance(iterable, cst.Call) and iterable.args and dotted(iterable.func).split(".")[-1] in WRAPPERS:
            iterable = iterable.args[0].value
        val = ctx.evaluator.evaluate(iterable, EvalContext(info.func, info.pos, info.path))
        return isinstance(val, (Seq, Map)) and is_static(val)

    @staticmethod
    def _while_collection(ctx, loop: cst.While) -> tuple[str, int] | None:
        """`while queue:` / `while pending:` drains a collection; `while True` does not say."""
        test = loop.test
        if isinstance(test, (cst.Name, cst.Attribute)) and dotted(test) not in ("True", "False"):
            return ctx.evaluator.code(test).strip(), ctx.evaluator.span(test).line
        return None

    # -- calls made through a helper of this module ----------------------------------
    def _via_helpers(self, ctx, helpers, offline, path_reason, submitting) -> Iterator[Finding]:
        if not helpers:
            return
        reported = set()
        for info in ctx.index.calls:
            name = dotted(info.node.func)
            if name not in helpers:
                continue
            if (info.func.qualname if info.func else None) in submitting:
                continue
            loop = self._collection_loop(ctx, info)
            if loop is None:
                continue
            why = self._offline(ctx, info, offline, path_reason)
            if why is None:
                continue
            for site in helpers[name]:
                if id(site) not in reported:
                    reported.add(id(site))
                    via = (name, ctx.evaluator.span(info.node).line)
                    yield self._finding(ctx, site, loop, why, via)

    # -- the finding ---------------------------------------------------------------------
    def _finding(self, ctx, site: CallSite, loop, why: str, via) -> Finding:
        provider = batch_data()["providers"][site.provider]
        iterable, line = loop
        if len(iterable) > 40:
            iterable = iterable[:37] + "..."
        through = f" through `{via[0]}()` (line {via[1]})" if via else ""
        cost = call_cost_tokens(site, ctx.settings.tokenizer)
        waste = round(cost[0] * provider["discount"]) if cost is not None else None
        message = (f"`{site.callee}` runs once per item of `{iterable}` (loop at line {line}){through} in offline "
                   f"code ({why}); {provider['name']}'s {provider['api']} bills about "
                   f"{round(provider['discount'] * 100)}% less for work that can wait")
        if waste is not None:
            least = "" if cost[1] else "at least "
            message += f": {least}~{waste:,} tokens' worth per item, counting the static prompt and the output cap"
        else:
            message += "; the call has no output cap, so no figure is given"
        return self.finding(ctx, site.span, message, call_span=site.call_span, scope=site.in_function, site=site,
                            snippet=site.callee, waste_tokens_per_call=waste,
                            waste_kind="batch-discount" if waste is not None else None, model=site.model)


def _batch_submitters(ctx) -> set[str | None]:
    """The functions that submit a batch job; once per file (each group of its wrapper sites asks again)."""
    return ctx.module_fact("batch-submitters", lambda: _submitters(ctx))


def _submitters(ctx) -> set[str | None]:
    ends = batch_data()["batch_submissions"]
    lasts = {e.split(".")[-1] for e in ends}
    out = set()
    for info in ctx.index.calls:
        func = info.node.func
        if (func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)) not in lasts:
            continue  # `name == e` or `name.endswith("." + e)` needs e's last name
        name = dotted(func)
        if any(name == e or name.endswith("." + e) for e in ends):
            out.add(info.func.qualname if info.func else None)
    return out


def _interactive(ctx) -> bool:
    """Does the module ask its user questions (INTERACTIVE)? Once per file."""
    return ctx.module_fact("interactive", lambda: any(w in ctx.text for w in _INTERACTIVE_WORDS)
                           and INTERACTIVE.search(ctx.text) is not None)
