import re
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
            if tag_hint(site) == "none":
                continue  # the SDK has no way to carry a tag (rules/sdks.yaml `tag_hint`)
            message = f"`{site.callee}` carries no task tag; {where_to_tag(site, ctx.text)}"
            if tag.note:
                message += f"; {tag.note}"
            yield self.finding(ctx, site.span, message, call_span=site.call_span, scope=site.in_function, site=site,
                               snippet=site.callee, model=site.model)


def tag_hint(site) -> str | None:
    """Where the catalog says a call of this shape carries a tag, if it says so."""
    from promptlint.analysis.catalog import sdk_data

    if site.via == "http":
        return sdk_data()["http"].get("tag_hint")
    return sdk_data()["shapes"].get(site.shape, {}).get("tag_hint")


def where_to_tag(site, text: str = "") -> str:
    """A mechanism that works for this client, in a few words: the shape's `tag_hint` in
    rules/sdks.yaml, else rules/providers.yaml (rules/PL201.yaml explains each): Gemini labels
    only on Vertex AI clients, Bedrock metadata only for Converse."""
    hint = tag_hint(site)
    if hint:
        return f"put one in {hint}"
    data = load_data("providers.yaml")
    if site.shape in data.get("task_tag_by_shape", {}):
        return data["task_tag_by_shape"][site.shape]
    entry = data["providers"].get(site.provider, {})
    by_api = entry.get("task_tag_by_api", {})
    if site.api in by_api:
        return by_api[site.api]
    if entry.get("task_tag_vertex") and re.search(r"vertexai\s*=\s*True", text):
        if re.search(r"\bClient\((?![^)]*vertexai)", text):  # an API-key client in the same file too
            return f"{entry['task_tag_vertex']} on the Vertex AI client only (the Gemini Developer API rejects it)"
        return entry["task_tag_vertex"]
    return entry.get("task_tag") or data["task_tag_default"]
