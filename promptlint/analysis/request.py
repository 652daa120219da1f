"""Re-read what a call site sends, for rules that look at arguments other than
the prompt (tags, tool_choice, the model expression).

CallSite records keep plain data only; these helpers evaluate the call's
arguments again with the file's live evaluator (evaluation is memoized, so
this costs little) and return the symbolic values.
"""

from __future__ import annotations

from dataclasses import dataclass

from promptlint.analysis.callsites import CallSiteFinder, Kwargs, dig
from promptlint.analysis.context import FileContext
from promptlint.analysis.evaluator import EvalContext
from promptlint.analysis.values import Alt, Dyn, Map, Val
from promptlint.model import CallSite, Span

# Request arguments that carry the tool definitions, per SDK.
TOOL_LISTS = ["tools", "functions", "toolConfig.tools", "config.tools"]

# Positional arguments of the LangChain call methods: invoke(input, config).
LANGCHAIN_POSITIONAL = {0: "input", 1: "config"}


@dataclass(slots=True)
class Request:
    call: Kwargs  # keyword arguments that reach the request (literal `**dict`s resolved)
    client: Kwargs | None  # the client's / chat model's constructor arguments, when visible
    client_seen: bool  # False: the client came from somewhere the analysis cannot see
    info: object  # index.CallInfo
    ctx: EvalContext
    # At a wrapper site: a task tag from a `with` block or decorator around the request, or around
    # a call on the way to it, in the wrapper's own code ((TagInfo, names a version) or None).
    enclosing: object = None

    def value(self, path: str) -> Val | None:
        return dig(self.call.values, path)

    def span(self, key: str) -> Span | None:
        return self.call.spans.get(key.split(".")[0])


def read_request(ctx: FileContext, site: CallSite) -> Request | None:
    """What the call of `site` sends; read once per site and context, for the rules and the task
    tags that each ask (five of them: the same evaluations again, or a wrapper site's request
    rebuilt with the caller's arguments)."""
    found = ctx.memo.setdefault("requests", {})
    if id(site) not in found:
        found[id(site)] = _read_request(ctx, site)
    return found[id(site)]


def _read_request(ctx: FileContext, site: CallSite) -> Request | None:
    info = ctx.infos.get(id(site))
    if info is None or ctx.evaluator is None:
        return None
    through = ctx.memo.get("wrapper-requests", {}).get(id(site))
    if through is not None:  # a wrapper site: the wrapper's SDK call, with the caller's arguments bound
        call, client, seen, enclosing = through()
        return Request(call, client, seen, info, EvalContext(info.func, info.pos, info.path), enclosing)
    finder = CallSiteFinder(ctx.evaluator, ctx.index, ctx.path, ctx.settings)
    ectx = EvalContext(info.func, info.pos, info.path)
    match = finder.match(info.node, ectx)
    if match is None:
        return None
    positional = LANGCHAIN_POSITIONAL if site.shape == "langchain-call" else None
    call = finder.kwargs(match.args, ectx, positional)
    client, seen = None, match.client is None  # module functions (litellm.completion) have no client
    if match.client is not None and match.client.ctor is not None:
        entry = finder.model_classes.get(match.client.cls)
        client = finder.entry_kwargs(entry, list(match.client.ctor.args), match.client.ctor_ctx or ectx)
        seen = True
    return Request(call, client, seen, info, ectx)


def options(val: Val) -> list[Val]:
    """The candidate values of a value that differs by branch."""
    if isinstance(val, Alt):
        out: list[Val] = []
        for option in val.options:
            out += options(option)
        return out
    return [val]


def from_llm(val: Val | None) -> Dyn | None:
    """The LLM answer a value is derived from, if any branch of it is one."""
    if val is None:
        return None
    for option in options(val):
        if isinstance(option, Dyn) and option.origin == "llm":
            return option
    return None


def map_keys(val: Val | None) -> tuple[set[str], bool]:
    """Keys of a dict-like value, and whether the analysis can see all of them."""
    if val is None:
        return set(), True
    keys: set[str] = set()
    complete = True
    for option in options(val):
        if isinstance(option, Map):
            keys |= set(option.items)
            complete = complete and not option.opaque
        else:
            complete = False
    return keys, complete


def hidden_path(values: dict, path: str) -> bool:
    """True when `path` cannot be checked: a container on the way exists but cannot be seen
    into (`config=config` from a parameter, a dict merged from somewhere else)."""
    head, _, rest = path.partition(".")
    if head not in values or not rest:
        return False
    val = values[head]
    for option in options(val):
        if not isinstance(option, Map) or option.opaque:
            return True
        if hidden_path(option.items, rest):
            return True
    return False
