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

from promptlint.analysis.catalog import candidate_names, sdk_data, sdk_names_by_import
from promptlint.analysis.context import ConstructorSite
from promptlint.analysis.evaluator import EvalContext, Evaluator
from promptlint.analysis.index import CallInfo, ModuleIndex, dotted, last_name
from promptlint.analysis.project import sees_package
from promptlint.analysis.prompts import content_parts, fill_placeholders, message_parts
from promptlint.analysis.values import DEFAULT_NONE, NONE, Alt, Bound, Client, Map, Num, Ref, Seq, Text, Val, static_text
from promptlint.model import TEST_FILE, CallSite
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
    body: Map | None = None  # raw HTTP: the JSON body, read in place of the arguments
    model: str | None = None  # raw HTTP: the model named in the URL
    billed: bool | None = None  # None: the shape's; False: a server on this machine (hosts.yaml)


# -- matching ----------------------------------------------------------------
def _partial_of(value, names: frozenset[str] | None) -> bool:
    """`partial(client.chat.completions.create, ...)` / `functools.partial(completion, ...)`: of one
    of `names`, or of anything when `names` is None."""
    if not (isinstance(value, cst.Call) and last_name(value.func) == "partial" and value.args):
        return False
    first = value.args[0]
    return first.keyword is None and not first.star and (names is None or last_name(first.value) in names)


def _partial_attrs(cls, names: frozenset[str] | None) -> dict[str, str]:
    """The attributes of `cls` that hold a partial of a request method (`self._send = partial(
    litellm.completion, ...)`, or of any callable when `names` is None), directly or through
    another such attribute (`self._raw = self._send`): each with the one assigned the partial."""
    found = {attr: attr for attr, values in cls.self_attrs.items() if any(_partial_of(v, names) for v, _f in values)}
    grown = True
    while grown:
        grown = False
        for attr, values in cls.self_attrs.items():
            if attr in found:
                continue
            for v, _f in values:
                if (isinstance(v, cst.Attribute) and isinstance(v.value, cst.Name) and v.value.value == "self"
                        and v.attr.value in found):
                    found[attr] = found[v.attr.value]
                    grown = True
                    break
    return found


class CallSiteFinder:
    def __init__(self, evaluator: Evaluator, index: ModuleIndex, path: str, settings: Settings) -> None:
        self.evaluator = evaluator
        self.index = index
        self.path = path
        self.settings = settings
        self._called_partials: set[int] | None = None
        sdk = sdk_data()
        self.methods = sdk["methods"]
        self.functions = sdk["functions"]
        self.call_methods = sdk["call_methods"]
        self.shapes = sdk["shapes"]
        self.model_classes = sdk["model_classes"]
        self.wrappers = {w.name: w for w in settings.wrappers}
        self.infos: dict[int, CallInfo] = {}  # id(CallSite) -> where it was found

    def run(self, calls: list[CallInfo] | None = None) -> tuple[list[CallSite], list[ConstructorSite]]:
        """The module's LLM call sites and client constructors; `calls`: only among these (a
        wrapper module is read one wrapper at a time, wholeprogram.Module.sites_in)."""
        sites, ctors = [], []
        imported = {qual.split(".")[0] for qual in self.index.imports.values()}
        names = candidate_names(tuple(self.wrappers)) | {
            name for name, modules in sdk_names_by_import().items() if modules & imported}
        aliases = self._aliases(names)
        for info in self.index.calls if calls is None else calls:
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
        imports (`from litellm import completion as llm`), names assigned
        from an attribute or name (`create = client.chat.completions.create`), and names and
        attributes given a partial of one (`self._send = partial(litellm.completion, ...)`)."""
        out = {local for local, qual in self.index.imports.items() if qual.split(".")[-1] in names}
        requests = names | out  # `partial(litellm_completion, ...)` after `import completion as litellm_completion`
        for events in [self.index.module_events, *(f.events for f in self.index.all_functions)]:
            for e in events:
                if e.kind == "assign" and isinstance(e.node, (cst.Attribute, cst.Name)):
                    if last_name(e.node) in names:
                        out.add(e.name)
                elif e.kind == "assign" and _partial_of(e.node, requests):
                    out.add(e.name)
        for cls in self.index.classes.values():
            out.update(_partial_attrs(cls, frozenset(requests)))
        return frozenset(out)

    def _partials_called(self) -> set[int]:
        """The `partial(<request method>, ...)` calls whose result is kept under a name or
        attribute this module calls: the request is made there (the partial itself sends none)."""
        if self._called_partials is None:
            called = {last_name(info.node.func) for info in self.index.calls}
            found = set()
            for events in [self.index.module_events, *(f.events for f in self.index.all_functions)]:
                found.update(id(e.node) for e in events
                             if e.kind == "assign" and e.name in called and _partial_of(e.node, None))
            for cls in self.index.classes.values():
                for attr, source in _partial_attrs(cls, None).items():
                    if attr in called:
                        found.update(id(v) for v, _f in cls.self_attrs[source] if _partial_of(v, None))
            self._called_partials = found
        return self._called_partials

    @staticmethod
    def _may_match(node: cst.Call, names: frozenset[str], aliases: frozenset[str]) -> bool:
        """Cheap syntactic filter before any evaluation: most calls in a file are not LLM calls."""
        last = last_name(node.func)
        if last in names or last in aliases:
            return True
        first = next((a for a in node.args if a.keyword is None and not a.star), None)
        return first is not None and last_name(first.value) in names | aliases

    def match(self, node: cst.Call, ctx) -> Match | None:
        fn = node.func
        if (isinstance(fn, cst.Name) and ctx.bindings is None and ctx.func is not None and fn.value in ctx.func.params
                and self.evaluator.handed_first(ctx.func, fn.value)):
            return None  # `create(**params)` in a helper handed the request method: each call handing it is the site
        callee = self.evaluator.evaluate(node.func, ctx)
        found = self._match_callee(callee, list(node.args))
        if found is not None and found.shape == "http-post":
            return self._http_endpoint(found, ctx)
        if found is not None:
            return found
        wrapper = self._wrapper(node, callee)
        if wrapper is not None:
            return Match(wrapper.provider, wrapper.name, "wrapper", None, list(node.args), "wrapper", wrapper)
        if isinstance(callee, Ref) and callee.qual == "functools.partial" and id(node) in self._partials_called():
            return None  # the request is the call of the partial, further on (_match_callee: Bound)
        # An SDK method handed to a helper: with_retries(client.messages.create, **kw).
        # Not when the callee is an SDK's own function (instructor.from_litellm(completion)).
        if isinstance(callee, Ref) and callee.qual.split(".")[0] in _sdk_roots():
            return self._match_chain_shape(node, callee, ctx)
        for i, arg in enumerate(node.args):
            if arg.keyword is not None or arg.star:
                continue
            inner = self.evaluator.evaluate(arg.value, ctx)
            rest = [self._as_request_dict(a, ctx) for j, a in enumerate(node.args) if j != i]
            found = self._match_callee(inner, rest)
            if found is not None:
                found.via = "retry-helper"
                found.callee_node = arg.value
                return found
            break  # only the first positional argument is a callable by convention
        return self._match_chain_shape(node, callee, ctx)

    def _as_request_dict(self, arg: cst.Arg, ctx) -> cst.Arg:
        """`helper(client.chat.completions.create, params)`: a dict handed over beside the SDK
        method is the request (the helper calls `create(**params)`), so it is read as `**params`.
        Only a plain dict with a request key (model, messages, input, ...)."""
        if arg.keyword is not None or arg.star:
            return arg
        val = self.evaluator.evaluate(arg.value, ctx)
        if isinstance(val, Map) and not val.obj and REQUEST_KEYS & set(val.items):
            return arg.with_changes(star="**")
        return arg

    def _match_callee(self, callee: Val, args) -> Match | None:
        if isinstance(callee, Bound):  # the partial's own arguments come first
            return self._match_callee(callee.func, [*callee.args, *args])
        if isinstance(callee, Alt):
            for option in callee.options:
                found = self._match_callee(option, args)
                if found is not None:
                    return found
            return None
        if isinstance(callee, Client):
            if self._shadowed(callee.cls):
                return None
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

    def _http_endpoint(self, found: Match, ctx) -> Match | None:
        """A POST to a provider endpoint (sdks.yaml `http`), with its JSON body; None for any other URL."""
        url_arg = next((a.value for a in found.args if a.keyword is not None and a.keyword.value == "url"), None)
        if url_arg is None:
            url_arg = next((a.value for a in found.args if a.keyword is None and not a.star), None)
        body_arg = next((a.value for a in found.args if a.keyword is not None and a.keyword.value == "json"), None)
        if url_arg is None:
            return None
        url = url_text(self.evaluator.evaluate(url_arg, ctx))
        if url is None:
            return None
        endpoint, model = http_endpoint(url)
        if endpoint is None:
            return None
        body = self.evaluator.evaluate(body_arg, ctx) if body_arg is not None else None
        if not isinstance(body, Map):
            body = Map({}, opaque=True)
        host, spelled = host_facts(url), written_host(url)
        if not host and found.client is not None and found.client.ctor is not None:
            # `httpx.Client(base_url="https://api.openai.com")` then `.post("/v1/chat/completions")`
            ctor_kwargs = self.kwargs(list(found.client.ctor.args), found.client.ctor_ctx or ctx)
            base = ctor_kwargs.values.get("base_url")
            base_url = url_text(base) if base is not None else None
            host = host_facts(base_url) if base_url else {}
            spelled = spelled or (written_host(base_url) if base_url else None)
        provider = host.get("provider") or endpoint["provider"]
        # A test posting to a host it does not spell out is most often the application under
        # test or a fake server (`f"{self.base_url}/v1/chat/completions"`), not a paid API.
        unseen_in_test = spelled is None and TEST_FILE.search(self.path) is not None
        return Match(provider, endpoint["api"], endpoint["shape"], None, found.args, "http",
                     body=body, model=model, billed=False if host.get("local") or unseen_in_test else None)

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
        """An untyped client (a parameter, an attribute of an unknown object, a dict
        lookup): accept only the chains of `chain_shapes` that no other library uses,
        with their keywords present."""
        if isinstance(callee, (Client, Ref)):
            return None
        links = written_links(node.func)
        entry = chain_shape_for(tuple(links))
        if entry is None or (entry.get("package") and self._shadowed(entry["package"])):
            return None
        keywords = set(self.kwargs(list(node.args), ctx).values)
        if not set(entry.get("requires", ())) <= keywords:
            return None
        if entry.get("any_of") and not keywords & set(entry["any_of"]):
            return None
        return Match(entry["provider"], entry["chain"], entry["shape"], None, list(node.args), "chain-shape")

    def _constructor(self, info: CallInfo, ctx) -> ConstructorSite | None:
        callee = self.evaluator.evaluate(info.node.func, ctx)
        if not (isinstance(callee, Ref) and callee.qual in self.model_classes) or self._shadowed(callee.qual):
            return None
        entry = self.model_classes[callee.qual]
        kwargs = self.entry_kwargs(entry, list(info.node.args), ctx)
        cap_kw = None
        for key in entry.get("cap", []):
            got = dig(kwargs.values, key)
            if got is not None:
                cap_kw = key
                break
        model = self._model(kwargs, entry.get("model", []), list(info.node.args), entry.get("model_pos"), ctx)
        if entry.get("default_cap") and cap_kw is None:
            cap_kw = f"(default {entry['default_cap']})"
        by_model = model_default_cap(entry, model)
        if cap_kw is None and by_model:
            cap_kw = f"(default {by_model} for this model)"
        held = model_object(entry, kwargs.values)
        if cap_kw is None and held is not None and held is not NONE and not isinstance(held, Text):
            # A catalog chat model handed over reports its own constructor; an object the
            # analysis cannot see into decides the cap where it is built.
            if not (isinstance(held, Map) and held.obj in sdk_data().get("model_object_providers", {})
                    and not held.opaque):
                cap_kw = "(set on the model object)"
        if cap_kw is None and _custom_model(entry, kwargs.values):
            cap_kw = "(the project's own model class: not judged)"
        if entry.get("cap_at_call"):
            cap_kw = cap_kw or "(checked at the call)"
        if entry.get("sends_cap"):
            cap_kw = cap_kw or "(the class always sends one)"
        provider = self._object_provider(entry, kwargs.values) or entry["provider"]
        host = base_url_facts(kwargs.values) or {}
        provider = host.get("provider") or provider
        if host.get("local"):
            cap_kw = cap_kw or "(local server, not billed)"
        if entry.get("billed") is False or local_model(provider, model):
            cap_kw = cap_kw or "(local runtime, not billed)"
        if placeholder_key(kwargs.values.get("api_key")):
            cap_kw = cap_kw or "(local server, not billed)"
        if output_kind(model, kwargs.values) != "text":
            cap_kw = cap_kw or "(not a text model)"
        return ConstructorSite(self.path, self.evaluator.span(info.node.func), self.evaluator.span(info.node),
                               self.evaluator.code(info.node.func), provider, model, cap_kw,
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

    def entry_kwargs(self, entry: dict | None, args: list[cst.Arg], ctx) -> "Kwargs":
        """A catalog class's constructor arguments. A catalog chat model handed over as the
        model object (`Agent(llm=LLM(model=..., max_tokens=...))`, `CodeAgent(model=
        LiteLLMModel(...))`) reads as a dict of its own constructor's arguments, so the
        entry's `llm.max_tokens` and `llm.model` paths reach them. A `fields_from` keyword
        (crewAI's `config=` dict from YAML) may set any other field: unless it is a dict
        seen whole, the arguments are not all visible."""
        kwargs = self.kwargs(args, ctx, (entry or {}).get("positional"))
        if entry is None:
            return kwargs
        key = entry.get("model_object")
        held = kwargs.values.get(key) if key else None
        if isinstance(held, Client) and not held.path and held.ctor is not None and held.cls in self.model_classes:
            inner = self.model_classes[held.cls]
            positional = {inner["model_pos"]: inner["model"][0]} if "model_pos" in inner else None
            got = self.kwargs(list(held.ctor.args), held.ctor_ctx or ctx, positional)
            kwargs.values[key] = Map(got.values, opaque=got.opaque, obj=held.cls, spans=got.spans)
        for name in entry.get("fields_from", []):
            given = kwargs.values.get(name)
            if given is None or given is NONE:
                continue
            if isinstance(given, Map) and not given.opaque:
                for field_name, val in given.items.items():
                    kwargs.values.setdefault(field_name, val)
            else:
                kwargs.opaque = True
        return kwargs

    def _object_provider(self, entry: dict | None, values: dict[str, Val]) -> str | None:
        """The provider of the model object an agent holds: its class's in
        `model_object_providers`, or the catalog chat model's (from its `base_url` when
        that names a host)."""
        held = model_object(entry, values)
        if isinstance(held, Map) and held.obj in self.model_classes:
            for key in BASE_URL_KEYS:
                url = url_text(held.items[key]) if key in held.items else None
                if url is not None and host_facts(url).get("provider"):
                    return host_facts(url)["provider"]
            return self.model_classes[held.obj]["provider"]
        return model_object_provider(entry, values)

    def _shadowed(self, qual: str) -> bool:
        """True inside a project that ships the framework itself (crewAI's own repository):
        there its classes are the project's code, read as such, not catalog entries."""
        root = qual.split(".")[0]
        return root in _shadowable() and sees_package(self.path, root)

    def _model(self, kwargs: "Kwargs", keys, args, model_pos, ctx) -> str | None:
        for key in keys:
            val = dig(kwargs.values, key)
            if val is not None:
                return single_text(val)
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
        positional.update(shape.get("positional", {}))  # other arguments passed by position
        if "agent" in shape:
            positional[shape["agent"]["pos"]] = shape["agent"]["key"]
        if m.body is not None:  # raw HTTP: the JSON body is the request
            kwargs = Kwargs(dict(m.body.items), dict(m.body.spans), m.body.opaque)
        else:
            kwargs = self.kwargs(m.args, ctx, positional)
        if "agent" in shape and m.client is None:  # Runner.run(agent, ...): the agent's constructor
            agent = kwargs.values.get(shape["agent"]["key"])
            if isinstance(agent, Client) and agent.ctor is not None:
                m.client = agent
        callee_node = m.callee_node or node.func
        site = CallSite(
            path=self.path, span=self.evaluator.span(callee_node), call_span=self.evaluator.span(node),
            callee=self.evaluator.code(callee_node).strip(), provider=m.provider, api=m.api, shape=m.shape,
            in_function=info.func.qualname if info.func else None, via=m.via,
            cap_required=bool(shape.get("cap_required")), default_cap=shape.get("default_cap"),
            billed=shape.get("billed", True) if m.billed is None else m.billed, kwargs_opaque=kwargs.opaque,
            keywords=sent_keywords(kwargs.values),
        )
        ctor_kwargs = None
        entry = None
        if m.client is not None and m.client.ctor is not None:
            ctor_ctx = m.client.ctor_ctx or ctx
            entry = self.model_classes.get(m.client.cls)
            ctor_kwargs = self.entry_kwargs(entry, list(m.client.ctor.args), ctor_ctx)
        if entry is not None and entry.get("billed") is False:
            site.billed = False
        prefixes = (entry or {}).get("model_prefix")
        # model
        site.model = m.model or self._model(kwargs, shape.get("model", []), m.args, shape.get("model_pos"), ctx)
        if site.model is None and ctor_kwargs is not None:
            keys = (entry or {}).get("model", shape.get("ctor_model", ["model"]))
            site.model = self._model(ctor_kwargs, keys, list(m.client.ctor.args), (entry or {}).get("model_pos"),
                                     m.client.ctor_ctx or ctx)
        if prefixes and site.model and ":" in site.model:  # pydantic-ai: "openai:gpt-4o"
            prefix, _, name = site.model.partition(":")
            if prefix in prefixes:
                site.provider, site.model = prefixes[prefix], name
        for key in shape.get("model", []):
            if key in kwargs.spans:
                site.model_span = kwargs.spans[key]
                break
        # prompt parts, in provider order
        if entry is not None and entry.get("system") and ctor_kwargs is not None:
            keys = entry["system"] if isinstance(entry["system"], list) else [entry["system"]]
            for key in keys:
                sys_val = ctor_kwargs.values.get(key)
                if sys_val is not None:
                    site.parts.append(content_parts("system", sys_val))
        if m.client is not None and m.client.prompt is not None:
            prompt = m.client.prompt
            first = next((a for a in m.args if a.keyword is None and not a.star), None)
            given = self.evaluator.evaluate(first.value, ctx) if first is not None else None
            if isinstance(given, Map):  # chain.invoke({"now": ...}): the values of its placeholders
                prompt = fill_placeholders(prompt, given)
            site.parts += message_parts(prompt, template=True)
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
            held = model_object(entry, ctor_kwargs.values)
            if site.cap_keyword and isinstance(held, Map) and site.cap_keyword.startswith(entry["model_object"] + "."):
                # the cap written on the model object's own constructor, not the agent's `model=` argument
                site.cap_span = held.spans.get(site.cap_keyword.split(".")[1], site.cap_span)
            if entry is not None:
                site.cap_location = "constructor" if not entry.get("cap_at_call") else "call"
                if entry.get("default_cap"):
                    site.default_cap = entry["default_cap"]
                elif site.cap_keyword is None:
                    site.default_cap = (model_default_cap(entry, site.model) or self._object_default(entry, ctor_kwargs)
                                        or site.default_cap)
                if entry.get("sends_cap") and site.cap_keyword is None:
                    site.cap_unknown = True  # sent, but its value is not known
            elif shape.get("ctor_cap"):
                site.cap_unknown = site.cap_unknown or ctor_kwargs.opaque
        if m.client is not None and m.client.ctor is None and (
                m.client.kind in ("langchain", "llamaindex") or m.client.kind in _ctor_cap_kinds()):
            site.cap_unknown = True  # the model object came from somewhere we cannot see
        if shape.get("cap_set_elsewhere") and site.cap_keyword is None:
            site.cap_unknown = True  # an omitted cap is decided where the analysis cannot see
        if ctor_kwargs is not None:
            self._served_by(site, ctor_kwargs)
            held = model_object(entry, ctor_kwargs.values)
            if isinstance(held, Map) and held.obj in self.model_classes:  # CodeAgent(model=LiteLLMModel(api_base=...))
                self._served_by(site, Kwargs(held.items, held.spans, held.opaque))
                if self.model_classes[held.obj].get("billed") is False:
                    site.billed = False
            served = self._object_provider(entry, ctor_kwargs.values)
            if served is not None:
                site.provider = served
                site.billed = site.billed and not local_model(served, None)
        if shape.get("members") and m.client is not None and m.client.ctor is not None and site.model is None:
            self._team_model(site, m.client, shape["members"], ctx)
        if local_model(site.provider, site.model) or served_locally(kwargs.values):
            site.billed = False  # litellm.completion(model="ollama/llama3", ...), or api_base="http://localhost:..."
        site.output = output_kind(site.model, kwargs.values)
        return site

    def _team_model(self, site: CallSite, team: Client, key: str, ctx) -> None:
        """A crew run (`Crew(agents=[a, b]).kickoff()`): its agents' model and provider when
        every agent is visible and they agree; the caps stay theirs."""
        members = self.kwargs(list(team.ctor.args), team.ctor_ctx or ctx).values.get(key)
        if not isinstance(members, Seq) or not members.items or members.unordered is not None:
            return
        found = set()
        for agent in members.items:
            entry = self.model_classes.get(agent.cls) if isinstance(agent, Client) else None
            if entry is None or agent.ctor is None or agent.path:
                return
            actx = agent.ctor_ctx or ctx
            values = self.entry_kwargs(entry, list(agent.ctor.args), actx)
            model = self._model(values, entry["model"], list(agent.ctor.args), entry.get("model_pos"), actx)
            found.add((self._object_provider(entry, values.values) or entry["provider"], model))
        if len(found) == 1 and None not in next(iter(found)):
            site.provider, site.model = found.pop()

    def _object_default(self, entry: dict | None, ctor_kwargs: "Kwargs") -> int | None:
        """The cap the agent's model object sends when none is given (AutoGen's Anthropic client: 4,096)."""
        held = model_object(entry, ctor_kwargs.values)
        if not (isinstance(held, Map) and held.obj in self.model_classes):
            return None
        inner = self.model_classes[held.obj]
        model = next((single_text(held.items[k]) for k in inner["model"] if k in held.items), None)
        return inner.get("default_cap") or model_default_cap(inner, model)

    def _served_by(self, site: CallSite, ctor_kwargs: "Kwargs") -> None:
        """An OpenAI-compatible client pointed at another provider (`base_url=`): the
        provider, and its prices, are the host's; a server on this machine is not billed."""
        host = base_url_facts(ctor_kwargs.values)
        if host is None:
            if placeholder_key(ctor_kwargs.values.get("api_key")):  # its URL comes from configuration
                site.billed = False
            return
        if host.get("provider"):
            site.provider = host["provider"]
        if host.get("local"):
            site.billed = False

    def _read_cap(self, site: CallSite, kwargs: "Kwargs", keys) -> None:
        for key in keys:
            val = dig(kwargs.values, key)
            if val is DEFAULT_NONE:  # a config object's default of None: the SDK sends no cap
                continue
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
            cap_required=w.cap_required, kwargs_opaque=kwargs.opaque, keywords=sent_keywords(kwargs.values),
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


def written_links(func: cst.BaseExpression) -> list[str]:
    """The attribute names written at the end of a callee, whatever the receiver
    (`clients[key].beta.messages.stream` gives [beta, messages, stream]), without
    the links that keep the client (`with_raw_response`, `aio`)."""
    transparent = set(sdk_data()["transparent_links"])
    links: list[str] = []
    node = func
    while isinstance(node, cst.Attribute):
        if node.attr.value not in transparent:
            links.append(node.attr.value)
        node = node.value
    return links[::-1]


@cache
def _chain_shapes() -> dict[tuple[str, ...], dict]:
    return {tuple(e["chain"].split(".")): e for e in sdk_data()["chain_shapes"]}


@cache
def chain_shape_for(links: tuple[str, ...]) -> dict | None:
    """The longest catalog chain the written links end with, if any."""
    table = _chain_shapes()
    for start in range(len(links)):
        entry = table.get(links[start:])
        if entry is not None:
            return entry
    return None


# Constructor keywords that point an OpenAI-compatible client at a server.
BASE_URL_KEYS = ("base_url", "api_base", "openai_api_base", "azure_endpoint", "endpoint", "host")
# What a model produces when it is not text (no text output to run away: not a PL301 case).
NON_TEXT_MODELS = re.compile(r"dall-e|gpt-image|imagen|[-/_]image(?![a-z])|image-(preview|generation)|"
                             r"tts|whisper|transcribe|-audio(?![a-z])|embed|rerank|veo-|sora|"
                             r"stable-diffusion|sdxl|flux", re.IGNORECASE)


def model_default_cap(entry: dict | None, model: str | None) -> int | None:
    """The cap a class sends for some models only when none is given (`model_default_cap`:
    model pattern -> cap; crewAI's native Anthropic route sends 4,096)."""
    for pattern, cap in (entry or {}).get("model_default_cap", {}).items():
        if model and re.search(pattern, model):
            return cap
    return None


def model_object(entry: dict | None, values: dict[str, Val]) -> Val | None:
    """The model object an agent is given (`Agent(model=OpenAIChat(...))`: the entry's
    `model_object` keyword), or None."""
    key = (entry or {}).get("model_object")
    return values.get(key) if key else None


def _custom_model(entry: dict, values: dict[str, Val]) -> bool:
    """Is the agent given an object of a class the catalog does not know (`Agent(model=FakeModel())`,
    the project's own Model subclass)? Whether such a model bills, and whether it sends the cap,
    is its own code's business."""
    held = values.get(entry["custom_model"]) if entry.get("custom_model") else None
    return (isinstance(held, Map) and held.obj is not None
            and held.obj not in sdk_data().get("model_object_providers", {}))


def model_object_provider(entry: dict | None, values: dict[str, Val]) -> str | None:
    """The provider named by the class of a model object (`Agent(model=OpenAIChat(...))`)."""
    held = model_object(entry, values)
    if isinstance(held, Map) and held.obj:
        return sdk_data().get("model_object_providers", {}).get(held.obj)
    return None


def output_kind(model: str | None, values: dict[str, Val]) -> str:
    """"text", or what the request produces instead: an image model, or a Gemini request
    whose response modalities are images or audio only (`response_modalities=["IMAGE"]`)."""
    modalities = None
    for key in ("config.response_modalities", "generation_config.response_modalities",
                "generationConfig.responseModalities", "response_modalities"):
        modalities = dig(values, key)
        if modalities is not None:
            break
    if isinstance(modalities, Seq) and modalities.items:
        kinds = {(static_text(v) or "").upper() for v in modalities.items}
        if "" not in kinds and "TEXT" not in kinds:
            return "image" if "IMAGE" in kinds else "audio"
    if model and NON_TEXT_MODELS.search(model):
        return "image"
    return "text"


def url_text(val: Val) -> str | None:
    """A URL's text with per-request parts as `*` (`f"{BASE}/v1/messages"` gives
    `*/v1/messages`); None when nothing of it is known."""
    if isinstance(val, Alt):
        for option in val.options:
            text = url_text(option)
            if text is not None:
                return text
        return None
    if not isinstance(val, Text):
        return None
    out = "".join(seg.text if seg.kind == "static" and seg.text is not None else "*" for seg in val.segs)
    return out if out.strip("*") else None


@cache
def _endpoints() -> list[tuple[re.Pattern, dict]]:
    return [(re.compile(e["pattern"]), e) for e in sdk_data()["http"]["endpoints"]]


def http_endpoint(url: str) -> tuple[dict | None, str | None]:
    """(catalog endpoint, model named in the URL) for a provider endpoint, else (None, None)."""
    path = url.split("?", 1)[0].rstrip("/")
    for pattern, entry in _endpoints():
        found = pattern.search(path)
        if found is not None:
            model = found.groupdict().get("model")
            return entry, model if model and "*" not in model else None
    return None, None


@cache
def _hosts() -> list[dict]:
    from promptlint.ruledocs import load_data

    return load_data("hosts.yaml")["hosts"]


def written_host(url: str) -> str | None:
    """The host of a URL when its text spells it (not `{self.base_url}/v1/...`), lower-cased."""
    found = re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://([^/:?*]+)", url)
    return found.group(1).lower() if found is not None else None


def host_facts(url: str) -> dict:
    """The hosts.yaml entry of a URL's host ({} when the host is not written or not listed)."""
    host = written_host(url)
    if host is None:
        return {}
    for entry in _hosts():
        name = entry["host"]
        if host == name or (name.startswith(".") and host.endswith(name)):
            return entry
    return {}


def base_url_facts(values: dict[str, Val]) -> dict | None:
    """The hosts.yaml facts of the first base URL the keywords write (BASE_URL_KEYS; {} for a
    host not listed), or None when they write none."""
    for key in BASE_URL_KEYS:
        url = url_text(values[key]) if key in values else None
        if url is not None:
            return host_facts(url)
    return None


def local_model(provider: str | None, model: str | None) -> bool:
    """Is the request served on this machine by its provider (hosts.yaml `local_providers`:
    Ollama, e.g. pydantic-ai's `"ollama:llama3"`), or by the prefix its provider routes
    (`local_model_prefixes`: litellm sends `ollama/llama3` to Ollama)?"""
    local_providers, prefixes = _local_models()
    if provider in local_providers:
        return True
    if not model or "/" not in model:
        return False
    return model.split("/", 1)[0] in prefixes.get(provider or "", ())


@cache
def _local_models() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    from promptlint.ruledocs import load_data

    data = load_data("hosts.yaml")
    return (frozenset(data.get("local_providers", ())),
            {provider: frozenset(prefixes) for provider, prefixes in data.get("local_model_prefixes", {}).items()})


def served_locally(values: dict[str, Val]) -> bool:
    """Do a request's own keywords send it to a server on this machine: a base URL of a local
    host (`litellm.completion(..., api_base="http://localhost:8000/v1")`) or a placeholder key?"""
    host = base_url_facts(values)
    return bool(host.get("local")) if host is not None else placeholder_key(values.get("api_key"))


def placeholder_key(val) -> bool:
    """Is `val` a literal API key that only a local or self-hosted server takes (hosts.yaml)?"""
    key = single_text(val) if val is not None else None
    return key is not None and key in _placeholder_keys()


@cache
def _placeholder_keys() -> frozenset[str]:
    from promptlint.ruledocs import load_data

    return frozenset(load_data("hosts.yaml").get("placeholder_keys", ()))


@cache
def _shadowable() -> frozenset[str]:
    return frozenset(sdk_data().get("shadowed_by_project", ()))


@cache
def _ctor_cap_kinds() -> frozenset[str]:
    """Kinds of the agent frameworks whose cap is set on the model object only: a call on an
    instance whose constructor is not visible cannot tell whether it is capped."""
    return frozenset(sdk_data().get("ctor_cap_kinds", ()))


@cache
def _sdk_roots() -> frozenset[str]:
    sdk = sdk_data()
    names = [*sdk["clients"], *sdk["functions"], *sdk["model_classes"], *sdk["passthrough_calls"]]
    return frozenset(q.split(".")[0] for q in names)


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


def sent_keywords(values: dict) -> list[str]:
    """The keywords a request sends: one whose value is None (`thinking=self.thinking`, a field
    that defaults to None, set only when not None) turns nothing on."""
    return sorted(k for k, v in values.items() if not (isinstance(v, Ref) and v.qual == "builtins.None"))


# Keys that mark a dict handed to a helper beside an SDK method as the request's keywords.
REQUEST_KEYS = frozenset({"model", "messages", "input", "contents", "prompt", "system", "instructions"})
