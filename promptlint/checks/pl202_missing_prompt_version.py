from collections.abc import Iterator

from promptlint.analysis.attribution import TagFinder, site_tags
from promptlint.checks.base import Check, FileContext
from promptlint.model import Finding


class MissingPromptVersion(Check):
    """A task-tagged LLM call whose tag carries no prompt version."""

    code = "PL202"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        keys = ", ".join(f"`{k}`" for k in TagFinder(ctx, self.settings).version_keys)
        for site, tag in site_tags(ctx, self.settings):
            if not site.billed:
                continue
            if tag.state != "tagged" or tag.versioned is not False:
                continue  # untagged is PL201's finding; None means the analysis cannot tell
            task = f" {tag.task!r}" if tag.task else ""
            message = (f"`{site.callee}` is tagged with task{task} ({tag.where}) but no prompt version "
                       f"({keys}), so a cost or quality change cannot be tied to a prompt change")
            yield self.finding(ctx, site.span, message, call_span=site.call_span, scope=site.in_function, site=site,
                               snippet=site.callee, model=site.model)
