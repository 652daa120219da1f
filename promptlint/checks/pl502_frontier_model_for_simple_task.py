import re
from collections.abc import Iterator
from functools import cache

from promptlint.analysis.attribution import TagFinder
from promptlint.analysis.request import read_request
from promptlint.checks.base import Check, FileContext
from promptlint.cost.prefix import flatten, static_run
from promptlint.model import CallSite, Finding
from promptlint.ruledocs import load_data

# How much of the opening instructions is read for the task statement.
OPENING_CHARS = 400
OPENING_SENTENCES = 3


@cache
def tier_data():
    return load_data("model_tiers.yaml")


def tier_of(model: str | None) -> dict | None:
    if not model:
        return None
    return next((row for row in tier_data()["models"] if re.search(row["match"], model)), None)


def opening_text(site: CallSite) -> str:
    """The static start of the first prompt part: where the task is usually stated."""
    if not site.parts:
        return ""
    first = next((p for p in site.parts if p.role in ("system", "instructions", "developer")), None)
    first = first or next((p for p in site.parts if p.role != "tools"), None)
    if first is None or not first.segments or first.segments[0].kind != "static":
        return ""
    text = (first.segments[0].text or "")[:OPENING_CHARS]
    # The first sentences: a long agent prompt that mentions labels further down is not a classifier.
    ends = [m.end() for m in re.finditer(r"[.!?:](\s+|$)|\n\s*\n", text)]
    return text[:ends[OPENING_SENTENCES - 1]] if len(ends) >= OPENING_SENTENCES else text


class FrontierModelForSimpleTask(Check):
    """A top-tier model on a task a cheap model of the same family handles (classification, extraction...)."""

    code = "PL502"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        tags = TagFinder(ctx, self.settings)
        max_prompt = self.option("max-prompt-tokens")
        small_cap = self.option("small-output-cap")
        max_cap = self.option("max-output-tokens")
        for site in ctx.callsites:
            row = tier_of(site.model)
            if row is None or row["tier"] != "top" or not site.billed:
                continue
            if site.cap_value is not None and site.cap_value > max_cap:
                continue  # a long answer is allowed for: not a simple task by its own settings
            why = self._task_from_tag(ctx, site, tags) or self._task_from_prompt(site)
            if why is None:
                why = self._short_static(ctx, site, max_prompt, small_cap)
            if why is None:
                continue
            message = (f"`{site.model}` is the top tier of {row['family']}, used for {why}; "
                       f"`{row['cheaper']}` is the cheap tier and is usually enough for it")
            yield self.finding(ctx, site.model_span or site.span, message, call_span=site.call_span, site=site,
                               scope=site.in_function, snippet=site.model, model=site.model)

    @staticmethod
    def _task_from_tag(ctx: FileContext, site: CallSite, tags: TagFinder) -> str | None:
        req = read_request(ctx, site)
        if req is None:
            return None
        tag = tags.find(site, req)
        if tag.state != "tagged" or not tag.task:
            return None
        for kind, pattern in tier_data()["simple_task_tags"].items():
            if re.search(pattern, tag.task, re.IGNORECASE):
                return f"{kind} (task tag {tag.task!r})"
        return None

    @staticmethod
    def _task_from_prompt(site: CallSite) -> str | None:
        if any(p.role == "tools" for p in site.parts):
            return None  # a call with tools is an agent step, whatever its prompt opens with
        text = opening_text(site)
        for kind, pattern in tier_data()["simple_task_prompts"].items():
            m = re.search(pattern, text, re.IGNORECASE)
            if m:
                quoted = m.group(0) if len(m.group(0)) <= 40 else m.group(0)[:37] + "..."
                return f"{kind} (the prompt says \"{quoted}\")"
        return None

    @staticmethod
    def _short_static(ctx: FileContext, site: CallSite, max_prompt: int, small_cap: int) -> str | None:
        flat = flatten(site)
        if not flat or any(f.seg.kind != "static" for f in flat) or any(p.opaque for p in site.parts):
            return None
        if site.cap_value is None or site.cap_value > small_cap:
            return None
        run = static_run(flat, 0, tokenizer=ctx.settings.tokenizer)
        if run.tokens is None or run.tokens >= max_prompt:
            return None
        return f"a short fixed prompt ({run.tokens} tokens) with a {site.cap_value}-token answer"
