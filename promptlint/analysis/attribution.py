"""Find the task tag (and prompt version) a call site carries: PL201, PL202, PL502.

Mechanisms, in the order they are tried (rules/attribution.yaml lists the containers):
a key of a request container (`metadata`, `extra_headers`, `requestMetadata`,
`config.labels`, LangChain `config.metadata` ...), a LangChain run name or tags, a tag
argument (`prompt_cache_key`), a declared wrapper's task argument, a key of a
client-level container (`default_headers`), an enclosing decorator or context
manager named in configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import libcst as cst

from promptlint.analysis.callsites import dig
from promptlint.analysis.context import FileContext
from promptlint.analysis.evaluator import EvalContext
from promptlint.analysis.index import dotted
from promptlint.analysis.request import Request, hidden_path, map_keys, options
from promptlint.analysis.values import Map, Seq, static_text
from promptlint.analysis.walk import visit
from promptlint.model import CallSite
from promptlint.ruledocs import load_data, rule_option

# "classify@3", "classify/v2", "classify-v2": a version written into the task value itself.
VERSION_IN_VALUE = re.compile(r"(?:[@:/]v?|[-_.]v)\d", re.IGNORECASE)


@dataclass(slots=True)
class TagInfo:
    state: str  # tagged | untagged | unknown (the analysis cannot see every place a tag could be)
    task: str | None = None  # the tag's literal value, when known
    where: str | None = None  # how the tag is attached, for messages
    versioned: bool | None = None  # None: cannot tell
    note: str | None = None  # e.g. a tag put where the provider rejects it


@cache
def attribution_data():
    return load_data("attribution.yaml")


def snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower().replace("-", "_").replace(" ", "_")


def key_matches(key: str, names: list[str]) -> bool:
    """`task`, `X-Task`, `Helicone-Property-Task`, `taskName` all match the name `task`."""
    s = snake(key)
    return any(s == snake(n) or s.endswith("_" + snake(n)) for n in names)


class TagFinder:
    def __init__(self, ctx: FileContext, settings) -> None:
        self.ctx = ctx
        self.task_keys = list(rule_option(settings, "PL201", "keys"))
        self.version_keys = list(rule_option(settings, "PL202", "keys"))
        self.decorators = list(rule_option(settings, "PL201", "decorators"))
        self.context_managers = list(rule_option(settings, "PL201", "context-managers"))
        self.arguments = list(rule_option(settings, "PL201", "arguments"))
        self.wrappers = {w.name: w for w in settings.wrappers}
        self._withs: dict[int, list[cst.WithItem]] | None = None

    # -- entry point ---------------------------------------------------------
    def find(self, site: CallSite, req: Request) -> TagInfo:
        data = attribution_data()
        rejected = set(data["rejected"].get(site.provider, []))
        unknown = req.call.opaque or site.kwargs_opaque
        found: TagInfo | None = None
        note = None
        versioned = False

        def look(values, containers, label_prefix: str):
            nonlocal unknown, found, note, versioned
            for path in containers:
                val = dig(values, path)
                if val is None:
                    unknown = unknown or hidden_path(values, path)
                    continue
                keys, complete = map_keys(val)
                unknown = unknown or not complete
                if any(key_matches(k, self.version_keys) for k in keys):
                    versioned = True
                tag_keys = [k for k in keys if key_matches(k, self.task_keys)]
                if not tag_keys:
                    continue
                if path in rejected:
                    note = f"the {site.provider} API rejects a `{tag_keys[0]}` key in `{path}` (it allows only `user_id`)"
                    continue
                if found is None:
                    found = TagInfo("tagged", _value(val, tag_keys[0]), f"{label_prefix}{path}[{tag_keys[0]!r}]")

        look(req.call.values, data["request_containers"], "")
        if site.shape == "langchain-call":
            for path in data["langchain_names"]:
                found = found or self._named(req.value(path), path)
        for arg in self.arguments:
            val = req.value(arg)
            if val is not None and found is None:
                found = TagInfo("tagged", static_text(val), f"`{arg}`")
        if site.via == "wrapper":
            wrapper = self._wrapper(site)
            if wrapper is not None and wrapper.task and wrapper.task in req.call.values and found is None:
                found = TagInfo("tagged", static_text(req.call.values[wrapper.task]), f"`{wrapper.task}=`")
            if any(key_matches(k, self.version_keys) for k in req.call.values):
                versioned = True
        if req.client is None and not req.client_seen and site.shape == "langchain-call":
            unknown = True  # a chat model built where the analysis cannot see: its tags / metadata may be there
        if req.client is not None:
            # `AsyncOpenAI(**params)` with params the analysis cannot list: default_headers may be among them.
            unknown = unknown or (req.client.opaque and site.provider not in data.get("no_client_containers", ()))
            look(req.client.values, data["client_containers"], "the client's ")
            if site.shape == "langchain-call":
                for path in data["langchain_client_names"]:
                    found = found or self._named(req.client.values.get(path), path)
        enclosing = req.enclosing or self.enclosing(req.info)
        if enclosing is not None:
            tag, has_version = enclosing
            found = found or tag
            versioned = versioned or has_version
        if found is not None:
            if found.task and VERSION_IN_VALUE.search(found.task):
                versioned = True
            found.versioned = True if versioned else (None if unknown else False)
            return found
        if unknown or any(link in site.callee for link in ("with_config", "with_options", ".copy(")):
            return TagInfo("unknown", note=note)
        return TagInfo("untagged", note=note)

    # -- mechanisms ----------------------------------------------------------
    @staticmethod
    def _named(val, path: str) -> TagInfo | None:
        if val is None:
            return None
        if isinstance(val, Seq):
            if not val.items:
                return None
            return TagInfo("tagged", static_text(val.items[0]), f"`{path}`")
        return TagInfo("tagged", static_text(val), f"`{path}`")

    def _wrapper(self, site: CallSite):
        return self.wrappers.get(site.api) or next(
            (w for name, w in self.wrappers.items() if name.endswith("." + site.api) or site.api.endswith(name)), None)

    def enclosing(self, info) -> tuple[TagInfo, bool] | None:
        """An enclosing decorator or `with` block named in configuration, around the call `info`."""
        func = info.func
        while func is not None:
            for dec in func.decorators:
                hit = self._marker(dec.decorator, self.decorators, f"decorator of `{func.name}`")
                if hit is not None:
                    return hit
            func = func.parent
        if not self.context_managers:
            return None
        for item in self._with_items(info.node):
            hit = self._marker(item.item, self.context_managers, "enclosing `with` block")
            if hit is not None:
                return hit
        return None

    def _marker(self, expr, names: list[str], label: str) -> tuple[TagInfo, bool] | None:
        call = expr if isinstance(expr, cst.Call) else None
        name = dotted(call.func if call is not None else expr)
        if not name or not any(name == n or name.split(".")[-1] == n for n in names):
            return None
        task, has_version = None, False
        if call is not None:
            ectx = EvalContext(None, (1 << 60, 0), ())
            for arg in call.args:
                names_task = arg.keyword is None or arg.keyword.value in ("name", "task", "task_name")
                if names_task and task is None:
                    task = static_text(self.ctx.evaluator.evaluate(arg.value, ectx))
                if arg.keyword is not None and key_matches(arg.keyword.value, self.version_keys):
                    has_version = True
                if arg.keyword is not None and arg.keyword.value == "metadata":  # @traceable(metadata={...})
                    keys, _ = map_keys(self.ctx.evaluator.evaluate(arg.value, ectx))
                    has_version = has_version or any(key_matches(k, self.version_keys) for k in keys)
        return TagInfo("tagged", task, f"`@{name}`" if "decorator" in label else f"`with {name}(...)`"), has_version

    def _with_items(self, call: cst.Call) -> list[cst.WithItem]:
        """The items of the `with` statements around the call, outermost first: read from the
        statements that hold it (the index knows them), not from a walk of the module."""
        index = self.ctx.index
        around = index.statements_around(call) if index is not None else None
        if around is None:
            return self._collected().get(id(call), [])
        return [item for stmt in reversed(around) if type(stmt) is cst.With for item in stmt.items]

    def _collected(self) -> dict[int, list[cst.WithItem]]:
        """Every call's `with` items, by a walk of the module: for a call the index did not see."""
        if self._withs is None:
            collector = _WithCollector()
            module = self.ctx.evaluator.module_code if self.ctx.evaluator is not None else None
            if module is not None and module.body:
                visit(module, collector)
            self._withs = collector.found
        return self._withs


def _value(val, key: str) -> str | None:
    for option in options(val):
        if isinstance(option, Map) and key in option.items:
            return static_text(option.items[key])
    return None


class _WithCollector(cst.CSTVisitor):
    """For every call inside a `with` block, the items of the enclosing `with` statements."""

    def __init__(self) -> None:
        self.stack: list[cst.WithItem] = []
        self.found: dict[int, list[cst.WithItem]] = {}

    def visit_With(self, node: cst.With) -> None:
        self.stack.extend(node.items)

    def leave_With(self, node: cst.With) -> None:
        del self.stack[len(self.stack) - len(node.items):]

    def visit_Call(self, node: cst.Call) -> None:
        if self.stack:
            self.found[id(node)] = list(self.stack)


def site_tags(ctx: FileContext, settings) -> list[tuple[CallSite, TagInfo]]:
    """Each call site whose request can be read, with its tag; computed once per file."""
    from promptlint.analysis.request import read_request

    if "tags" not in ctx.memo:
        finder = TagFinder(ctx, settings)
        found = []
        for site in ctx.callsites:
            request = read_request(ctx, site)
            if request is not None:
                found.append((site, finder.find(site, request)))
        ctx.memo["tags"] = found
    return ctx.memo["tags"]
