from collections.abc import Iterator

from promptlint.checks.base import Check, FileContext
from promptlint.cost.estimate import max_output_tokens
from promptlint.model import TEST_FILE, Finding
from promptlint.ruledocs import rule_option


class UncappedOutput(Check):
    """A generation call with no output-token cap where the API allows leaving it out."""

    code = "PL301"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        for site in ctx.callsites:
            if (site.cap_required or site.cap_keyword or site.kwargs_opaque or site.cap_unknown
                    or site.default_cap or not site.billed or site.cap_location != "call"
                    or site.output != "text"):
                continue
            yield self._finding(ctx, site, f"`{site.callee}`", "the call sets no output cap")
        if TEST_FILE.search(ctx.path):
            # A chat model or agent built in a test is mostly handed to a fake model, a mock or a
            # patched runner (the OpenAI Agents SDK's own tests: 650 agents, none billed): judged
            # at a request the test makes itself, not where the object is built.
            return
        for ctor in ctx.constructors:
            if ctor.cap_keyword or ctor.kwargs_opaque:
                continue
            yield self._finding(ctx, ctor, f"`{ctor.callee}(...)`", "the chat model is built without an output cap")

    def _finding(self, ctx, site, what, reason) -> Finding:
        """`site`: a CallSite, or the ConstructorSite of a chat model built without a cap."""
        model = site.model
        ceiling = rule_option(self.settings, "PL302", "ceiling")  # one ceiling for both rules
        most = max_output_tokens(model)
        if most is not None and most > ceiling:
            waste = most - ceiling
            tail = (f"; {model} can write up to {most:,} tokens, {waste:,} beyond a {ceiling:,}-token cap "
                    f"(worst case)")
        else:
            waste = None
            tail = "; output is unbounded up to the model's limit, so no figure is given"
        return self.finding(ctx, site.span, f"{what}: {reason}{tail}", call_span=site.call_span,
                            scope=site.in_function, snippet=what, site=site, waste_tokens_per_call=waste,
                            waste_kind="output" if waste is not None else None, model=model)
