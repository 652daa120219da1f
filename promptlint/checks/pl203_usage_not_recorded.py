from collections.abc import Iterator

from promptlint.analysis.usage import site_usage
from promptlint.checks.base import Check, FileContext
from promptlint.model import Finding


class UsageNotRecorded(Check):
    """A billed LLM call whose usage (input, output, cached tokens) nobody records."""

    code = "PL203"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        for site, fate in site_usage(ctx, self.settings):
            if not site.billed:
                continue
            message = _message(site, fate)
            if message is not None:
                yield self.finding(ctx, site.span, message, call_span=site.call_span, scope=site.in_function,
                                   snippet=site.callee, model=site.model)


def _message(site, fate) -> str | None:
    callee = f"`{site.callee}`"
    if fate.state == "none":
        return (f"the usage of {callee}'s response is never read, returned, stored or logged, so what this call "
                f"spends (input, output and cached tokens) is not recorded (read `{_field(site)}` and log it "
                f"with the task, or instrument the client)")
    if fate.state == "not-sent":
        return (f"{callee} streams without `stream_options={{\"include_usage\": True}}` ({fate.how}), so the "
                f"API sends no usage at all and what this call spends cannot be recorded")
    if fate.state == "read" and fate.cached is False:
        return (f"{callee}'s usage is recorded field by field without the cached-input tokens "
                f"(`{_cached_field(site)}`), so cached input, billed at a fraction of the price, "
                f"cannot be told from fresh input")
    return None


def _field(site) -> str:
    if site.shape == "langchain-call":
        return "usage_metadata"
    if site.provider in ("google-genai", "google"):
        return "usage_metadata"
    if site.provider == "bedrock" and site.shape == "bedrock-converse":
        return 'response["usage"]'
    return "usage"


def _cached_field(site) -> str:
    if site.shape == "langchain-call":
        return 'usage_metadata["input_token_details"]["cache_read"]'
    if site.provider == "anthropic":
        return "usage.cache_read_input_tokens"
    if site.provider in ("google-genai", "google"):
        return "usage_metadata.cached_content_token_count"
    if site.provider == "bedrock":
        return 'usage["cacheReadInputTokens"]'
    if site.shape == "openai-responses":
        return "usage.input_tokens_details.cached_tokens"
    return "usage.prompt_tokens_details.cached_tokens"
