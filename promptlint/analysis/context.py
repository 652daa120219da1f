"""What the analysis of one file hands to the checks (FileContext), and the chat-model
constructors it found (ConstructorSite). Built by engine.analyse."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from promptlint.model import CallSite, Span
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
    """One analysed file, as every check of it sees it."""

    path: str
    text: str
    settings: Settings
    callsites: list[CallSite] = field(default_factory=list)
    constructors: list[ConstructorSite] = field(default_factory=list)
    exhausted: bool = False  # the evaluator ran out of budget on this file
    # Live analysis objects, for checks that look beyond the call sites (loops,
    # retrieval calls, decorators). Never cached or sent across processes.
    index: Any = None  # analysis.index.ModuleIndex
    evaluator: Any = None  # analysis.evaluator.Evaluator
    infos: dict[int, Any] = field(default_factory=dict)  # id(CallSite) -> index.CallInfo
    # Per-file results several rules share (a call's task tag for PL201, PL202 and
    # the estimates), computed once.
    memo: dict[str, Any] = field(default_factory=dict)
    # What rules work out from the module alone (its index, text and path), whatever its call
    # sites: shared by the contexts the file's wrapper sites are checked in (wholeprogram.py).
    module_memo: dict[Any, Any] = field(default_factory=dict)

    def module_fact(self, key, make):
        """`make()`, worked out once per file (module_memo): what a rule reads from the module alone."""
        if key not in self.module_memo:
            self.module_memo[key] = make()
        return self.module_memo[key]
