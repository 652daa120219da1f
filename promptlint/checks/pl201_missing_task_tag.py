from collections.abc import Iterator

from promptlint.analysis.attribution import site_tags
from promptlint.checks.base import Check, FileContext
from promptlint.model import Finding


class MissingTaskTag(Check):
    """A billed LLM call that carries no task tag, so its spend cannot be attributed to a task."""

    code = "PL201"
    name = "missing-task-tag"
    severity = "warning"

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
    if site.shape == "langchain-call":
        return '`config={"metadata": ...}`'
    if site.provider == "anthropic":
        return "`extra_headers` (Anthropic's `metadata` takes only `user_id`)"
    if site.provider == "bedrock":
        return "`requestMetadata`"
    if site.provider == "google-genai":
        return "`config.labels`"
    return "`metadata` or `extra_headers`"

