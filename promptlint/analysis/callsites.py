"""Find the LLM call sites of a module and read what each one sends.

Matching is by value, not by spelling: the callee is evaluated (evaluator.py), so
`client = OpenAI()`, `self.client`, a factory's return value, a bound method
kept in a name and an SDK method handed to a retry helper all lead to the same
catalog entry in `rules/sdks.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import libcst as cst

from promptlint.analysis.catalog import candidate_names, sdk_data
from promptlint.analysis.context import ConstructorSite
from promptlint.analysis.evaluator import EvalContext, Evaluator
from promptlint.analysis.index import CallInfo, ModuleIndex, dotted
from promptlint.analysis.prompts import content_parts, message_parts
from promptlint.analysis.values import Alt, Client, Map, Num, Ref, Seq, Text, Val, static_text
from promptlint.model import CallSite
from promptlint.settings import Settings, Wrapper


@dataclass(slots=True)
class Match:
    provider: str
    api: str
    shape: str
    client: Client | None
    args: list[cst.Arg]  # the arguments that reach the request
    via: str | None = None
    wrapper: Wrapper | None = None
    callee_node: cst.CSTNode | None = None  # the SDK method when handed to a helper


# -- matching ----------------------------------------------------------------
class CallSiteFinder:
    def __init__(self, evaluator: Evaluator, index: ModuleIndex, path: str, settings: Settings) -> None:
        self.evaluator = evaluator
        self.index = index
        self.path = path
        self.settings = settings
        sdk = sdk_data()
        self.methods = sdk["methods"]
        self.functions = sdk["functions"]
        self.call_methods = sdk["call_methods"]
        self.shapes = sdk["shapes"]
        self.model_classes = sdk["model_classes"]
        self.wrappers = {w.name: w for w in settings.wrappers}
        self.infos: dict[int, CallInfo] = {}  # id(CallSite) -> where it was found

    def run(self) -> tuple[list[CallSite], list[ConstructorSite]]:
        sites, ctors = [], []
        names = candidate_names(tuple(self.wrappers))
        aliases = self._aliases(names)
        for info in self.index.calls:
            if not self._may_match(info.node, names, aliases):
                continue
            ctx = EvalContext(info.func, info.pos, info.path)
            ctor = self._constructor(info, ctx)
            if ctor is not None:
                ctors.append(ctor)
                continue
            match = self.match(info.node, ctx)
            if match is not None:
                site = self.build(info, match, ctx)
                if site.model and NON_GENERATING.search(site.model):
                    continue  # an embedding model through a generic endpoint (Bedrock invoke_model)
                if (site.model is None and site.api in GENERIC_ENDPOINTS and info.func is not None
                        and NON_GENERATING.search(info.func.qualname)):
                    continue  # model unknown, but the code around it says what it does: `Embedder.embed`
                self.infos[id(site)] = info
                sites.append(site)
        return sites, ctors

    def _aliases(self, names: frozenset[str]) -> frozenset[str]:
        """Local names that may stand for a request method or a chat model:
        imports (`from litellm import completion as llm`) and names assigned
        from an attribute or name (`create = client.chat.completions.create`)."""
        out = {local for local, qual in self.index.imports.items() if qual.split(".")[-1] in names}
        for events in [self.index.module_events, *(f.events for f in self.index.all_functions)]:
            for e in events:
                if e.kind == "assign" and isinstance(e.node, (cst.Attribute, cst.Name)):
                    if _last_name(e.node) in names:
                        out.add(e.name)
        return frozenset(out)

    @staticmethod
    def _may_match(node: cst.Call, names: frozenset[str], aliases: frozenset[str]) -> bool:
        """Cheap syntactic filter before any evaluation: most calls in a file are not LLM calls."""
        last = _last_name(node.func)
        if last in names or last in aliases:
            return True
        first = next((a for a in node.args if a.keyword is None and not a.star), None)
        return first is not None and _last_name(first.value) in names | aliases

    def match(self, node: cst.Call, ctx) -> Match | None:
        callee = self.evaluator.evaluate(node.func, ctx)
        found = self._match_callee(callee, list(node.args))
        if found is not None:
            return found
        wrapper = self._wrapper(node, callee)
        if wrapper is not None:
            return Match(wrapper.provider, wrapper.name, "wrapper", None, list(node.args), "wrapper", wrapper)
        # An SDK method handed to a helper: with_retries(client.messages.create, **kw).
        # Not when the callee is an SDK's own function (instructor.from_litellm(completion)).
        if isinstance(callee, Ref) and callee.qual.split(".")[0] in _sdk_roots():
            return self._match_chain_shape(node, callee, ctx)
        for i, arg in enumerate(node.args):
            if arg.keyword is not None or arg.star:
                continue
            inner = self.evaluator.evaluate(arg.value, ctx)
            rest = [a for j, a in enumerate(node.args) if j != i]
            found = self._match_callee(inner, rest)
            if found is not None:
                found.via = "retry-helper"
                found.callee_node = arg.value
                return found
            break  # only the first positional argument is a callable by convention
        return self._match_chain_shape(node, callee, ctx)

    def _match_callee(self, callee: Val, args) -> Match | None:
        if isinstance(callee, Alt):
            for option in callee.options:
                found = self._match_callee(option, args)
                if found is not None:
                    return found
            return None
        if isinstance(callee, Client):
            path = ".".join(callee.path)
            entry = self.methods.get(callee.kind, {}).get(path)
            if entry is None:
                entry = self.call_methods.get(callee.kind, {}).get(path)
            if isinstance(entry, str):
                return Match(provider_of(callee, self.model_classes), path, entry, callee, args)
            return None
        if isinstance(callee, Ref) and callee.qual in self.functions:
            provider, shape = self.functions[callee.qual]
            api = callee.qual.split(".", 1)[1] if "." in callee.qual else callee.qual
            return Match(provider, api, shape, None, args)
        return None

    def _wrapper(self, node: cst.Call, callee: Val) -> Wrapper | None:
        if not self.wrappers:
            return None
        written = dotted(node.func)
        if written in self.wrappers:
            return self.wrappers[written]
        if isinstance(callee, Ref) and callee.qual in self.wrappers:
            return self.wrappers[callee.qual]
        last = written.split(".")[-1]
        for name, wrapper in self.wrappers.items():
            if isinstance(callee, Ref) and callee.qual.endswith("." + name):
                return wrapper
            if name.endswith("." + written) or (written and name.split(".")[-1] == last and "." not in name):
                return wrapper
        return None

    def _match_chain_shape(self, node: cst.Call, callee: Val, ctx) -> Match | None:
        """An untyped client (a parameter, an attribute of an unknown object):
        accept only chains that no other library uses, with matching keywords."""
        if isinstance(callee, (Client, Ref)):
            return None
        written = dotted(node.func)
        if not written.endswith(CHAIN_SHAPES):
            return None
        keywords = set(self.kwargs(list(node.args), ctx).values)
        if written.endswith(".chat.completions.create") and "messages" in keywords:
            return Match("openai", "chat.completions.create", "openai-chat", None, list(node.args), "chain-shape")
        if written.endswith(".responses.create") and "model" in keywords and ("input" in keywords or "instructions" in keywords):
            return Match("openai", "responses.create", "openai-responses", None, list(node.args), "chain-shape")
        if written.endswith(".messages.create") and {"model", "max_tokens", "messages"} <= keywords:
            return Match("anthropic", "messages.create", "anthropic-messages", None, list(node.args), "chain-shape")
        if written.endswith(".models.generate_content") and {"model", "contents"} <= keywords:
            return Match("google-genai", "models.generate_content", "genai", None, list(node.args), "chain-shape")
        return None

    def _constructor(self, info: CallInfo, ctx) -> ConstructorSite | None:
        callee = self.evaluator.evaluate(info.node.func, ctx)
        if not (isinstance(callee, Ref) and callee.qual in self.model_classes):
            return None
        entry = self.model_classes[callee.qual]
        kwargs = self.kwargs(list(info.node.args), ctx)
        cap_kw = None
        for key in entry.get("cap", []):
            got = dig(kwargs.values, key)
            if got is not None:
                cap_kw = key
                break
        model = self._model(kwargs, entry.get("model", []), list(info.node.args), entry.get("model_pos"), ctx)
        if entry.get("default_cap") and cap_kw is None:
            cap_kw = f"(default {entry['default_cap']})"
        if entry.get("cap_at_call"):
            cap_kw = cap_kw or "(checked at the call)"
        return ConstructorSite(self.path, self.evaluator.span(info.node.func), self.evaluator.span(info.node),
                               self.evaluator.code(info.node.func), entry["provider"], model, cap_kw,
                               kwargs.opaque, info.func.qualname if info.func else None, node=info.node)

    # -- reading arguments -------------------------------------------------
    def kwargs(self, args: list[cst.Arg], ctx, positional_keys: dict[int, str] | None = None) -> "Kwargs":
        out = Kwargs({}, {}, False)
        pos_index = 0
        for a in args:
            if a.star == "**":
                val = self.evaluator.evaluate(a.value, ctx)
                if isinstance(val, Map) and not val.opaque:
                    out.values.update(val.items)
                    out.spans.update(val.spans)
                elif isinstance(val, Map):
                    out.values.update(val.items)
                    out.opaque = True
                else:
                    out.opaque = True
            elif a.star == "*":
                out.opaque = True
            elif a.keyword is not None:
                out.values[a.keyword.value] = self.evaluator.evaluate(a.value, ctx)
                out.spans[a.keyword.value] = self.evaluator.span(a.value)
            else:
                key = (positional_keys or {}).get(pos_index)
                if key is not None:
                    out.values.setdefault(key, self.evaluator.evaluate(a.value, ctx))
                    out.spans.setdefault(key, self.evaluator.span(a.value))
                pos_index += 1
        return out

    def _model(self, kwargs: "Kwargs", keys, args, model_pos, ctx) -> str | None:
        for key in keys:
            if key in kwargs.values:
                return single_text(kwargs.values[key])
        if model_pos is not None:
            positional = [a for a in args if a.keyword is None and not a.star]
            if len(positional) > model_pos:
                return single_text(self.evaluator.evaluate(positional[model_pos].value, ctx))
        return None

    def build(self, info: CallInfo, m: Match, ctx) -> CallSite:
        node = info.node
        if m.wrapper is not None:
            return self._build_wrapper(info, m, ctx)
        shape = self.shapes[m.shape]
        positional = {p["pos"]: p["key"] for p in shape.get("parts", []) if "pos" in p}
        kwargs = self.kwargs(m.args, ctx, positional)
        callee_node = m.callee_node or node.func
        site = CallSite(
            path=self.path, span=self.evaluator.span(callee_node), call_span=self.evaluator.span(node),
            callee=self.evaluator.code(callee_node).strip(), provider=m.provider, api=m.api, shape=m.shape,
            in_function=info.func.qualname if info.func else None, via=m.via,
            cap_required=bool(shape.get("cap_required")), default_cap=shape.get("default_cap"),
            billed=shape.get("billed", True), kwargs_opaque=kwargs.opaque,
            keywords=sorted(kwargs.values),
        )
        ctor_kwargs = None
        entry = None
        if m.client is not None and m.client.ctor is not None:
            ctor_ctx = m.client.ctor_ctx or ctx
            ctor_kwargs = self.kwargs(list(m.client.ctor.args), ctor_ctx)
            entry = self.model_classes.get(m.client.cls)
        # model
        site.model = self._model(kwargs, shape.get("model", []), m.args, None, ctx)
        if site.model is None and ctor_kwargs is not None:
            keys = (entry or {}).get("model", shape.get("ctor_model", ["model"]))
            site.model = self._model(ctor_kwargs, keys, list(m.client.ctor.args), (entry or {}).get("model_pos"),
                                     m.client.ctor_ctx or ctx)
        for key in shape.get("model", []):
            if key in kwargs.spans:
                site.model_span = kwargs.spans[key]
                break
        # prompt parts, in provider order
        if entry is not None and entry.get("system") and ctor_kwargs is not None:
            sys_val = ctor_kwargs.values.get(entry["system"])
            if sys_val is not None:
                site.parts.append(content_parts("system", sys_val))
        if m.client is not None and m.client.prompt is not None:
            site.parts += message_parts(m.client.prompt, template=True)
        else:
            for spec in shape.get("parts", []):
                val = dig(kwargs.values, spec["key"])
                if val is None:
                    continue
                role = spec["role"]
                if role == "messages":
                    site.parts += message_parts(val)
                else:
                    site.parts.append(content_parts(role, val, kwargs.spans.get(spec["key"].split(".")[0])))
        # output cap
        self._read_cap(site, kwargs, shape.get("cap", []))
        if site.cap_keyword is None and ctor_kwargs is not None:
            keys = (entry or {}).get("cap", shape.get("ctor_cap", []))
            self._read_cap(site, ctor_kwargs, keys)
            if entry is not None:
                site.cap_location = "constructor" if not entry.get("cap_at_call") else "call"
                if entry.get("default_cap"):
                    site.default_cap = entry["default_cap"]
            elif shape.get("ctor_cap"):
                site.cap_unknown = site.cap_unknown or ctor_kwargs.opaque
        if m.client is not None and m.client.kind in ("langchain", "llamaindex") and m.client.ctor is None:
            site.cap_unknown = True  # the model object came from somewhere we cannot see
        return site

    def _read_cap(self, site: CallSite, kwargs: "Kwargs", keys) -> None:
        for key in keys:
            val = dig(kwargs.values, key)
            if val is None:
                head = key.split(".")[0]
                container = kwargs.values.get(head)
                if "." in key and container is not None and not _transparent(container, key):
                    site.cap_unknown = True
                continue
            site.cap_keyword = key
            site.cap_value = val.value if isinstance(val, Num) and isinstance(val.value, int) else None
            site.cap_span = kwargs.spans.get(key.split(".")[0])
            return
        if kwargs.opaque:
            site.kwargs_opaque = True

    def _build_wrapper(self, info: CallInfo, m: Match, ctx) -> CallSite:
        w = m.wrapper
        node = info.node
        positional = {0: w.prompt} if w.prompt else {}
        kwargs = self.kwargs(m.args, ctx, positional)
        site = CallSite(
            path=self.path, span=self.evaluator.span(node.func), call_span=self.evaluator.span(node),
            callee=self.evaluator.code(node.func).strip(), provider=w.provider, api=w.name, shape="wrapper",
            in_function=info.func.qualname if info.func else None, via="wrapper",
            cap_required=w.cap_required, kwargs_opaque=kwargs.opaque, keywords=sorted(kwargs.values),
        )
        if w.model:
            site.model = self._model(kwargs, [w.model], m.args, None, ctx)
        if w.system and w.system in kwargs.values:
            site.parts.append(content_parts("system", kwargs.values[w.system]))
        if w.messages and w.messages in kwargs.values:
            site.parts += message_parts(kwargs.values[w.messages])
        if w.prompt and w.prompt in kwargs.values:
            site.parts.append(content_parts("user", kwargs.values[w.prompt]))
        if w.cap:
            self._read_cap(site, kwargs, [w.cap])
        return site


NON_GENERATING = re.compile(r"embed|rerank", re.IGNORECASE)
GENERIC_ENDPOINTS = ("invoke_model", "invoke_model_with_response_stream")  # any model, any task
CHAIN_SHAPES = (".chat.completions.create", ".responses.create", ".messages.create", ".models.generate_content")


@cache
def _sdk_roots() -> frozenset[str]:
    sdk = sdk_data()
    names = [*sdk["clients"], *sdk["functions"], *sdk["model_classes"], *sdk["passthrough_calls"]]
    return frozenset(q.split(".")[0] for q in names)


def _last_name(node) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


@dataclass(slots=True)
class Kwargs:
    values: dict[str, Val]
    spans: dict
    opaque: bool


def dig(values: dict[str, Val], path: str) -> Val | None:
    """Follow `config.max_output_tokens` through dicts, config objects and json.dumps."""
    head, _, rest = path.partition(".")
    if head not in values:
        return None
    val = values[head]
    if not rest:
        return val
    if isinstance(val, Alt):
        for option in val.options:
            if isinstance(option, Map):
                found = dig(option.items, rest)
                if found is not None:
                    return found
        return None
    if isinstance(val, Map):
        return dig(val.items, rest)
    return None


def _transparent(container: Val, key: str) -> bool:
    """True when we can see the whole container, so a missing key is really missing."""
    if isinstance(container, Map):
        rest = key.split(".", 1)[1]
        if container.opaque:
            return False
        if "." in rest:
            inner = container.items.get(rest.split(".")[0])
            return inner is None or _transparent(inner, rest)
        return True
    if isinstance(container, Alt):
        return all(_transparent(o, key) for o in container.options)
    if isinstance(container, (Text, Seq)):
        return True
    return False


def single_text(val: Val) -> str | None:
    text = static_text(val)
    if text is not None:
        return text
    return None


def provider_of(client: Client, model_classes) -> str:
    """The provider that bills a client's requests: its chat-model class's, else its kind's
    (`kind_providers` in rules/sdks.yaml; a kind not listed there is its own provider)."""
    if client.cls in model_classes:
        return model_classes[client.cls]["provider"]
    return sdk_data().get("kind_providers", {}).get(client.kind, client.kind)

