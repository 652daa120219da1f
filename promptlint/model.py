"""The data that flows between the engine's stages.

discovery -> (path, bytes) -> analysis/callsites.py -> CallSite -> analysis/prompts.py -> PromptPart
-> checks/ -> Finding -> state/ (suppress, baseline) -> report/.

Everything here is plain data (no CST nodes), so results can cross process
boundaries and be cached as JSON.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Literal

SegmentKind = Literal["static", "dynamic", "volatile", "unknown"]
Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Span:
    """A source range: 1-based lines, 1-based columns, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


class LazySpan(Span):
    """A Span whose numbers are worked out on first use. The evaluator gives every
    value it builds a span, and only the few that reach a report need libcst's
    positions, which are the costly part. Pickles and copies as a plain Span."""

    __slots__ = ("_compute",)

    def __init__(self, compute) -> None:  # compute() -> Span
        object.__setattr__(self, "_compute", compute)

    def __getattr__(self, name: str):  # called only while a field is still unset
        if name not in ("line", "column", "end_line", "end_column"):
            raise AttributeError(name)
        span = self._compute()
        for field_name in ("line", "column", "end_line", "end_column"):
            object.__setattr__(self, field_name, getattr(span, field_name))
        return getattr(span, name)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Span):
            return NotImplemented
        return (self.line, self.column, self.end_line, self.end_column) == (
            other.line, other.column, other.end_line, other.end_column)

    def __hash__(self) -> int:
        return hash((self.line, self.column, self.end_line, self.end_column))

    def __reduce__(self):
        return (Span, (self.line, self.column, self.end_line, self.end_column))


class TemplateSpan(Span):
    """A position in a prompt template file (templates.py), not in the checked Python
    file: a placeholder the code fills in. `path` is the template's display path,
    `filled_at` where the Python code passes the value. Serialized (asdict, the cache)
    as a plain Span; pickled whole (worker processes)."""

    __slots__ = ("path", "filled_at")

    def __init__(self, line: int, column: int, end_line: int, end_column: int, path: str,
                 filled_at: Span | None = None) -> None:
        for name, value in (("line", line), ("column", column), ("end_line", end_line),
                            ("end_column", end_column), ("path", path), ("filled_at", filled_at)):
            object.__setattr__(self, name, value)

    def __reduce__(self):
        filled = self.filled_at
        if filled is not None:
            filled = Span(filled.line, filled.column, filled.end_line, filled.end_column)
        return (TemplateSpan, (self.line, self.column, self.end_line, self.end_column, self.path, filled))


@dataclass(slots=True)
class Segment:
    """One piece of a prompt part, in the order it is sent.

    static:   text known at analysis time (`text` holds it; `text` is None for a
              static value of unknown size, e.g. `open(PATH).read()`).
    dynamic:  per-request data that legitimately varies (parameters, user input).
    volatile: differs between calls even for the same input (`source` names it,
              `volatile_kind` is timestamp | unique-id | unordered).
    unknown:  the analysis could not see what this is.
    """

    kind: SegmentKind
    text: str | None = None
    source: str | None = None
    volatile_kind: str | None = None
    span: Span | None = None
    # Where static text was written, for rules that report inside prompt text
    # (PL403-PL405). `origin`: the file of `span` when it is not the checked
    # file (a constant imported from a sibling module). `pieces`: for text
    # joined from several literals, ((offset in text, span, origin), ...).
    origin: str | None = field(default=None, compare=False)
    pieces: tuple | None = field(default=None, compare=False)
    # A remark the evaluator attaches, e.g. "json.dumps(..., indent=2)" for
    # pretty-printed data (PL406). Segments with a note are never merged.
    note: str | None = field(default=None, compare=False)
    # A dynamic segment that is a parameter the wrapper's callers fill (values.Dyn.by_caller).
    by_caller: bool = field(default=False, compare=False)


@dataclass(slots=True)
class PromptPart:
    """A block of the request in provider order: tools, system, a message..."""

    role: str  # "tools" | "system" | "instructions" | "user" | "assistant" | "developer" | "prompt" | "input"
    segments: list[Segment]
    span: Span | None = None
    # True for the list-level stand-in of a whole history that the analysis
    # could not split into messages (e.g. `messages=history`).
    opaque: bool = False
    # A cache breakpoint sits on this part (Anthropic `cache_control`, Bedrock `cachePoint`).
    cache_marker: bool = False


@dataclass(slots=True)
class CallSite:
    """One LLM request in the source, with what the analysis knows about it."""

    path: str
    span: Span  # the callee expression, e.g. `client.messages.create`
    call_span: Span  # the whole call, for call-level suppression comments
    callee: str  # source text of the callee
    provider: str  # openai | anthropic | google | litellm | langchain | llamaindex | bedrock | ...
    api: str  # e.g. "chat.completions.create", "messages.create", "invoke"
    shape: str  # catalog shape name that mapped its arguments
    model: str | None = None  # literal model id when known
    model_span: Span | None = None
    parts: list[PromptPart] = field(default_factory=list)
    cap_keyword: str | None = None  # the keyword that caps output, if present
    cap_value: int | None = None  # its literal value when known
    cap_span: Span | None = None
    cap_required: bool = False  # the API refuses a call without a cap
    cap_location: Literal["call", "constructor"] = "call"
    kwargs_opaque: bool = False  # a `**kwargs` the analysis cannot see into
    cap_unknown: bool = False  # the cap would sit in a value the analysis cannot see (`config=cfg`)
    default_cap: int | None = None  # the server default when no cap is sent (small, not unbounded)
    billed: bool = True  # False for local runtimes (Ollama)
    output: str = "text"  # "image" / "audio": no text output to cap (image models, response_modalities)
    keywords: list[str] = field(default_factory=list)  # keyword names seen (resolved kwargs included)
    in_function: str | None = None  # qualified name of the enclosing function
    via: str | None = None  # how it was reached: "bound-method", "retry-helper", "wrapper"
    task: str | None = None  # the literal task tag the call carries, when it has one
    # A wrapper site (via "wrapper", inferred by wholeprogram.py): the project function called
    # here, and each layer down to the SDK call as "name (path:line)", the SDK callee last.
    wrapper: str | None = None
    through: list[str] | None = None
    # Where each of those layers makes its call (path, line, column), up to the first that is one
    # of several implementations: the call there is a call site of its own, sending this same
    # request (the inventory counts it once, here).
    through_at: list[tuple[str, int, int]] | None = None
    leaves: list[str] | None = None  # what the wrapper leaves to its callers: "cap", "model", "prompt"
    # Where the response's usage goes (analysis/usage.py): read | caller | instrumented | none |
    # not-sent | unknown; and whether the cached-input field is recorded too (None: cannot tell).
    usage: str | None = None
    usage_cached: bool | None = None


# The message prefix of a Finding.related place that is a wrapper layer the request goes through
# (wholeprogram.py); SARIF draws those as a code flow.
WRAPPER_LAYER = "wrapper layer: "
# The kind of a wrapper-table row (project_index.py) the resolver follows but the byte pre-check
# and the parse plan ignore: a generic method (`execute`, `run`) of a class a package re-exports.
RESOLVE_ONLY = "resolve-only"


@dataclass(frozen=True, slots=True)
class Location:
    """A place a finding refers to besides its own span, as data: nothing reads
    positions back out of message text (rewording a message breaks nothing).

    `line` and `column` are 1-based and in the same coordinates as `Finding.span`
    (for a notebook: the lines of its joined code cells). A location of an LLM call
    is the start of the call's callee (`CallSite.span`), which is how pricing and the
    inventory find the CallSite again. `message` says in a few words what is there
    ("the call this loop repeats"); None for `Finding.call_site`."""

    path: str
    line: int
    column: int
    message: str | None = None

    @classmethod
    def at(cls, path: str, span: Span, message: str | None = None) -> "Location":
        return cls(path, span.line, span.column, message)

    def to_dict(self) -> dict:
        """The JSON form (`call_site` has no message key)."""
        out = {"path": self.path, "line": self.line, "column": self.column}
        if self.message is not None:
            out["message"] = self.message
        return out


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text of `span` (1-based, end column exclusive) with `content`.
    `original` is the text the range held when the fix was made: an edit whose range
    no longer holds it is stale and never applied."""

    span: Span
    content: str
    original: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A finding's fix (promptlint/fix/): plain text edits computed with libcst, so it
    crosses process boundaries and the cache. `applicability` as ruff's: "safe"
    (applied by --fix) or "unsafe" (only with --unsafe-fixes)."""

    applicability: Literal["safe", "unsafe"]
    message: str  # what the fix does, e.g. "add `max_completion_tokens=4096`"
    edits: tuple[Edit, ...]

    @classmethod
    def from_dict(cls, data: dict) -> "Fix":
        edits = tuple(Edit(Span(**e["span"]), e["content"], e["original"]) for e in data["edits"])
        return cls(data["applicability"], data["message"], edits)


@dataclass(slots=True)
class Finding:
    """One reported problem.

    `call_site`: the LLM call the finding is about (its callee's start), when the
    rule knows it; pricing uses that call's model and prompt. `related`: other places
    the finding involves, in the order the message names them (the other calls a loop
    repeats, the first copy of a duplicated prompt, the loop around a call). Both are
    filled by the rules; later analyses (data-flow paths) add their own fields beside them.
    """

    code: str
    name: str
    message: str
    severity: Severity
    path: str
    span: Span
    # Lines on which a suppression comment silences this finding (the call's
    # lines for call-level rules, else the reported line).
    suppress_lines: tuple[int, int] | None = None
    waste_tokens_per_call: int | None = None
    waste_kind: str | None = None
    usd_per_1k_calls: float | None = None
    assumptions: list[str] | None = None
    model: str | None = None
    scope: str | None = None  # enclosing function qualname, for line-free fingerprints
    snippet: str | None = None  # normalized source of the reported node, for fingerprints
    suppressed: bool = False
    call_site: Location | None = None
    # Other places: for a finding inside a template file, first the Python line that fills
    # the placeholder in; then the ones the rule names.
    related: tuple[Location, ...] = ()
    fix: Fix | None = None

    def sort_key(self) -> tuple:
        return (self.path, self.span.line, self.span.column, self.code, self.message)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        data = dict(data)
        data["span"] = Span(**data["span"])
        if data.get("suppress_lines") is not None:
            data["suppress_lines"] = tuple(data["suppress_lines"])
        if data.get("call_site") is not None:
            data["call_site"] = Location(**data["call_site"])
        data["related"] = tuple(Location(**r) for r in data.get("related") or ())
        if data.get("fix") is not None:
            data["fix"] = Fix.from_dict(data["fix"])
        return cls(**data)


@dataclass(slots=True)
class FileResult:
    """What the engine found in one file (cached per file by state/cache.py)."""

    path: str
    findings: list[Finding] = field(default_factory=list)  # `suppressed` already set
    callsites: list[CallSite] = field(default_factory=list)
    skipped: bool = False  # the byte pre-check found no SDK marker
    prefiltered: bool = False  # parsed with `ast` only: no call could reach an LLM
    timed_out: bool = False  # stopped by the per-file time budget (never cached)
    warnings: list[str] = field(default_factory=list)  # e.g. malformed suppression comments
    errors: list[str] = field(default_factory=list)  # internal errors (exit 2)
    lines: int = 0
    # Why the file was not checked (unreadable, over the size limit, over the time budget ...),
    # and whether it may hold LLM calls (then the run must not say "All checks passed.").
    not_checked: str | None = None
    needs_check: bool = False


@dataclass(slots=True)
class NotChecked:
    """A file found or named but not checked, for the run report."""

    path: str
    reason: str  # "over the size limit", "unreadable", ...
    may_hold_llm_calls: bool


# Test modules: the engine skips those that mock the SDK (their calls are never billed); in
# the others only the worst-case rules report (checks/__init__.py REPORTED_IN_TESTS).
TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")
