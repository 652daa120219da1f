"""The interface every rule implements. The context it receives (FileContext) is built by
the analysis layer (analysis/context.py)."""

from __future__ import annotations

from collections.abc import Iterator

from promptlint.analysis.context import FileContext
from promptlint.model import CallSite, Finding, Location, Span, TemplateSpan
from promptlint.ruledocs import rule_meta, rule_option
from promptlint.settings import Settings


class Check:
    """One rule. Subclasses set `code` and implement `run`; the rule's name, default
    severity and options are declared once, in its document rules/<code>.yaml."""

    code: str = ""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def name(self) -> str:
        return rule_meta(self.code).name

    @property
    def severity(self) -> str:
        return rule_meta(self.code).severity

    def option(self, key: str):
        """The configured value of this rule's option `key`, else its declared default."""
        return rule_option(self.settings, self.code, key)

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        raise NotImplementedError

    # Project-wide rules (PL405) also implement this; it runs once after every
    # file has been analysed, with all call sites of the run.
    def run_project(self, callsites: list[CallSite]) -> Iterator[Finding]:
        return iter(())

    def finding(self, ctx: FileContext, span: Span, message: str, *, call_span: Span | None = None,
                scope: str | None = None, snippet: str | None = None, site=None,
                related: tuple[Location, ...] = (), severity: str | None = None, **estimate) -> Finding:
        """`site`: the CallSite (or ConstructorSite) the finding is about, recorded as
        `Finding.call_site`; `related`: other places, in the order the message names them;
        `severity` overrides the rule's own, e.g. `info` for a latent cache finding."""
        lines = (call_span.line, call_span.end_line) if call_span else (span.line, span.line)
        path = ctx.path
        if isinstance(span, TemplateSpan):  # a placeholder in a template file: reported there
            path, lines = span.path, (span.line, span.line)
            filled = span.filled_at
            if filled is not None:  # the Python line that fills the placeholder in
                related = (Location(ctx.path, filled.line, filled.column, "the value is filled in here"), *related)
                message += f" (filled in at {ctx.path}:{filled.line})"
            span = Span(span.line, span.column, span.end_line, span.end_column)
        return Finding(code=self.code, name=self.name, message=message, severity=severity or self.severity,
                       path=path, span=span, suppress_lines=lines, scope=scope,
                       snippet=snippet, call_site=call_location(site), related=tuple(related), **estimate)


def call_location(site) -> Location | None:
    """Where a call site (or chat-model constructor) is, for `Finding.call_site`."""
    return None if site is None else Location.at(site.path, site.span)
