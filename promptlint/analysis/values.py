"""What an expression can hold, as the evaluator (evaluator.py) sees it.

Each class is one kind of symbolic value. Text is made of model.Segment pieces
(static, dynamic, volatile, unknown), so a prompt built from several values keeps
track of which part is which. These are plain data: building and reading them
needs no parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

    from promptlint.analysis.evaluator import EvalContext
    from promptlint.analysis.index import FunctionInfo
    from promptlint.model import Segment, Span


class Val:
    """Any value the evaluator can return."""

    __slots__ = ()


@dataclass(slots=True)
class Text(Val):
    """A string, as segments: static text (known or not) and the dynamic or volatile parts inside it."""

    segs: list[Segment]


@dataclass(slots=True)
class Num(Val):
    """A literal number or other plain constant (its Python value)."""

    value: object


@dataclass(slots=True)
class Dyn(Val):
    """Per-request data. `origin` is "llm" when it is the result of an LLM call."""

    source: str
    span: Span | None = None
    origin: str | None = None
    origin_span: Span | None = None  # where the LLM call that produced it is
    # A parameter of a wrapper other project functions call, its arguments not bound: what it
    # holds is each caller's to decide (evaluator.callers_decide), judged at the wrapper sites.
    by_caller: bool = False


@dataclass(slots=True)
class Vol(Val):
    """Volatile: differs on every call (a timestamp, a fresh id, a set's iteration order)."""

    source: str
    kind: str  # timestamp | unique-id | unordered
    span: Span | None = None
    # A set is only unordered once iterated: report where it is iterated, where the fix goes.
    at_use: bool = False


@dataclass(slots=True)
class Det(Val):
    """Deterministic, but its text is not visible (an imported constant, a file read)."""

    source: str


@dataclass(slots=True)
class Unk(Val):
    """Unknown: the analysis cannot tell what it holds; `reason` says why."""

    reason: str


@dataclass(slots=True)
class Alt(Val):
    """One of several values, depending on the branch taken (`a if c else b`, assignments in branches)."""

    options: list[Val]


@dataclass(slots=True)
class Many(Val):
    """Zero or more copies of `item` (appended inside a loop)."""

    item: Val


@dataclass(slots=True)
class Seq(Val):
    """A list or tuple; `unordered` is set when its order changes from run to run (built from a set)."""

    items: list[Val]
    unordered: Vol | None = None
    node: cst.CSTNode | None = None


@dataclass(slots=True)
class Map(Val):
    """A dict, or an object built by a constructor call (`obj`) whose keyword arguments are its items."""

    items: dict[str, Val]
    opaque: bool = False  # has content the analysis cannot see (`**unknown`)
    obj: str | None = None  # class name when built by a constructor call
    node: cst.CSTNode | None = None
    spans: dict[str, Span] = field(default_factory=dict)


@dataclass(slots=True)
class Ref(Val):
    """A module, class or function named through imports (`openai.OpenAI`)."""

    qual: str


@dataclass(slots=True)
class Factory(Val):
    """A function of another module that returns an SDK client."""

    client: "Client"


@dataclass(slots=True)
class Returns(Val):
    """A function of another module, called: what it returns (its parameters unbound)."""

    value: Val


@dataclass(slots=True)
class Bound(Val):
    """`functools.partial(f, *args, **kwargs)`: `f` with arguments given in advance, which a
    call of it receives before its own (`send = partial(client.chat.completions.create,
    model=...)`, then `send(messages=...)` is the request)."""

    func: Val
    args: list  # the partial's arguments after `f` (libcst Args)


@dataclass(slots=True)
class LocalFunc(Val):
    """A function defined in the analysed module (calling it evaluates its return statements)."""

    info: FunctionInfo


@dataclass(slots=True)
class Client(Val):
    """An SDK client or chat-model instance, plus the attribute path taken from it."""

    kind: str  # a key of sdks.yaml `methods` / `call_methods`
    cls: str
    path: tuple[str, ...] = ()
    ctor: cst.Call | None = None
    ctor_ctx: "EvalContext | None" = None
    prompt: Val | None = None  # LCEL: the prompt template piped into the model

    def with_path(self, path: tuple[str, ...]) -> "Client":
        """The same client reached along another attribute path."""
        return Client(self.kind, self.cls, path, self.ctor, self.ctor_ctx, self.prompt)


def client_options(val) -> list[Client]:
    """The clients a value may be: itself, or every option of one of several clients (a chat
    model built by provider); [] for anything else."""
    if isinstance(val, Client):
        return [val]
    if isinstance(val, Alt) and val.options and all(isinstance(o, Client) for o in val.options):
        return list(val.options)
    return []


@dataclass(slots=True)
class Items(Val):
    """A container of clients known from its annotation (`dict[str, Anthropic]`):
    any item taken out of it is `item`."""

    item: Client


NONE = Ref("builtins.None")
# The None a settings object holds when it is built without arguments (`LLMConfig()` whose
# `max_tokens` defaults to None): a value that is really sent, unlike `self.max_tokens`, which
# a constructor may have set. Equal to NONE; told apart by identity.
DEFAULT_NONE = Ref("builtins.None")

# python_value's answer for a value that is not fully literal (None is a literal value).
MISSING = object()


def map_items(val: Val, f, into_many: bool = False) -> Val:
    """`val` with `f` applied to each item of a Seq, Map or Alt (and to a Many's item when
    `into_many`), the container's other fields kept; any other value is returned as it is."""
    if isinstance(val, Seq):
        return Seq([f(i) for i in val.items], val.unordered, val.node)
    if isinstance(val, Map):
        return Map({k: f(v) for k, v in val.items.items()}, val.opaque, val.obj, val.node, dict(val.spans))
    if isinstance(val, Alt):
        return Alt([f(o) for o in val.options])
    if into_many and isinstance(val, Many):
        return Many(f(val.item))
    return val


def static_text(val: Val) -> str | None:
    """The text of a string (or number) whose every part is known, else None."""
    if isinstance(val, Text) and all(s.kind == "static" and s.text is not None for s in val.segs):
        return "".join(s.text for s in val.segs)
    if isinstance(val, Num):
        return str(val.value)
    return None


def find_unordered(val: Val) -> Vol | None:
    """Where the value's order changes from run to run (a set iterated into it), if anywhere."""
    if isinstance(val, Vol) and val.kind == "unordered":
        return val
    if isinstance(val, Seq):
        if val.unordered is not None:
            return val.unordered
    if isinstance(val, Alt):
        for o in val.options:
            found = find_unordered(o)
            if found is not None:
                return found
    return None


def python_value(val: Val):
    """The Python value of a fully literal structure, else MISSING."""
    if isinstance(val, Text):
        text = static_text(val)
        return MISSING if text is None else text
    if isinstance(val, Num):
        return val.value
    if isinstance(val, Seq):
        if val.unordered is not None:
            return MISSING
        out = [python_value(i) for i in val.items]
        return MISSING if any(o is MISSING for o in out) else out
    if isinstance(val, Map):
        if val.opaque or val.obj:
            return MISSING
        out = {k: python_value(v) for k, v in val.items.items()}
        return MISSING if any(o is MISSING for o in out.values()) else out
    if isinstance(val, Ref) and val.qual in ("builtins.True", "builtins.False", "builtins.None"):
        return {"builtins.True": True, "builtins.False": False, "builtins.None": None}[val.qual]
    return MISSING
