"""The interface every rule implements, and the context it receives."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from promptlint.model import CallSite, Finding, Span
from promptlint.settings import Settings


@dataclass(slots=True)
class ConstructorSite:
    """A chat-model constructor whose instance is called elsewhere (LangChain, LlamaIndex)."""

    path: str
    span: Span
    call_span: Span
    callee: str
    provider: str
    model: str | None
    cap_keyword: str | None
    kwargs_opaque: bool
    in_function: str | None = None
    node: object = field(default=None, compare=False, repr=False)  # the libcst Call


@dataclass(slots=True)
class FileContext:
    path: str
    text: str
    settings: Settings
    callsites: list[CallSite] = field(default_factory=list)
    constructors: list[ConstructorSite] = field(default_factory=list)
    exhausted: bool = False  # the evaluator ran out of budget on this file
    # Live analysis objects, for checks that look beyond the call sites (loops,
    # retrieval calls, decorators). Never cached or sent across processes.
    index: Any = None  # promptlint.index.ModuleIndex
    evaluator: Any = None  # promptlint.values.Evaluator
    infos: dict[int, Any] = field(default_factory=dict)  # id(CallSite) -> index.CallInfo
    # Per-file results several rules share (a call's task tag for PL201, PL202 and
    # the estimates), computed once.
    memo: dict[str, Any] = field(default_factory=dict)


class Check:
    """One rule. Subclasses set the class attributes and implement `run`."""

    code: str = ""
    name: str = ""
    severity: str = "warning"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def option(self, key: str, default):
        return self.settings.option(self.code, key, default)

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        raise NotImplementedError

    # Project-wide rules (PL405) also implement this; it runs once after every
    # file has been analysed, with all call sites of the run.
    def run_project(self, callsites: list[CallSite]) -> Iterator[Finding]:
        return iter(())

    def finding(self, ctx: FileContext, span: Span, message: str, *, call_span: Span | None = None,
                scope: str | None = None, snippet: str | None = None, **estimate) -> Finding:
        lines = (call_span.line, call_span.end_line) if call_span else (span.line, span.line)
        return Finding(code=self.code, name=self.name, message=message, severity=self.severity,
                       path=ctx.path, span=span, suppress_lines=lines, scope=scope,
                       snippet=snippet, **estimate)
