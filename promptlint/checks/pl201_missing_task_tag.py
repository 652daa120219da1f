from collections.abc import Iterator

from promptlint.analysis.attribution import site_tags
from promptlint.checks.base import Check, FileContext
from promptlint.model import Finding
from promptlint.ruledocs import load_data


class MissingTaskTag(Check):
    """A billed LLM call that carries no task tag, so its spend cannot be attributed to a task."""

    code = "PL201"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        for site, tag in site_tags(ctx, self.settings):
            if not site.billed:
                continue
            if tag.state != "untagged":
                continue  # tagged, or the analysis cannot see every place a tag could be
            message = (f"`{site.callee}` carries no task tag, so its spend cannot be attributed to a task "
                       f"(put a `task` key in {where_to_tag(site)}, or wrap the call in a configured decorator "
                       f"or `with` block)")
            if tag.note:
                message += f"; {tag.note}"
            yield self.finding(ctx, site.span, message, call_span=site.call_span, scope=site.in_function, site=site,
                               snippet=site.callee, model=site.model)


def where_to_tag(site) -> str:
    """Where this call would carry a task tag (rules/providers.yaml)."""
    data = load_data("providers.yaml")
    if site.shape in data.get("task_tag_by_shape", {}):
        return data["task_tag_by_shape"][site.shape]
    return data["providers"].get(site.provider, {}).get("task_tag") or data["task_tag_default"]

