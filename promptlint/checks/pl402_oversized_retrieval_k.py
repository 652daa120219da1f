"""PL402: a retrieval top-k above the limit; every extra chunk is re-sent as prompt input.

Retrieval calls are not LLM call sites, so this check reads every call of the module
(`ctx.index.calls`) against `rules/retrievers.yaml`. Generic method names (`query`,
`search`, `limit`) only count with evidence: the vector store's import in the file,
and for some, a keyword only that library uses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import cache, lru_cache

import libcst as cst

from promptlint.analysis.evaluator import EvalContext
from promptlint.analysis.index import dotted, last_name
from promptlint.analysis.values import Client, Map, Num, Ref
from promptlint.checks._structure import called_project_function
from promptlint.checks.base import Check, FileContext
from promptlint.model import Finding
from promptlint.ruledocs import load_data


@cache
def retriever_data() -> dict:
    return load_data("retrievers.yaml")


class OversizedRetrievalK(Check):
    code = "PL402"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        if ctx.index is None:
            return
        limit = self.option("max-k")
        modules = {qual.lstrip(".").split(".")[0] for qual in ctx.index.imports.values()}
        chunk = None  # computed on the first finding only
        for info in ctx.index.calls:
            found = self._retrieval(ctx, info, modules)
            if found is None:
                continue
            entry, k, node, omitted = found
            if k <= limit:
                continue
            if chunk is None:
                chunk = self._chunk_tokens(ctx)
            tokens, source = chunk
            waste = (k - limit) * tokens
            head, _, sub = entry["k"].partition(".")
            written = f'{head}={{"{sub}": {k}}}' if sub else f"{head}={k}"
            if omitted:
                what = f"`{head}` is not set, so {entry['library']} returns its default of {k} chunks per query"
            else:
                what = f"`{written}` retrieves {k} chunks per query"
            message = (f"{what}, {k - limit} above the limit of {limit}: ~{waste:,} extra prompt tokens per "
                       f"query at ~{tokens:,} tokens a chunk ({source})")
            span = ctx.evaluator.span(node)
            yield self.finding(ctx, span, message, call_span=ctx.evaluator.span(info.node),
                               scope=info.func.qualname if info.func else None,
                               snippet=ctx.evaluator.code(node).strip()[:80],
                               waste_tokens_per_call=waste, waste_kind="input")
        yield from self._through_helpers(ctx, limit)

    # -- recognising a retrieval call ------------------------------------------------
    def _retrieval(self, ctx: FileContext, info, modules: set[str], bindings: dict | None = None):
        """(entry, k, node to report, k omitted?) for a retrieval call, else None. `bindings`:
        the parameters of the enclosing function, bound to a caller's arguments."""
        func = info.node.func
        evctx = EvalContext(info.func, info.pos, info.path, bindings)
        for entry in self._named(ctx, info, modules):
            if isinstance(func, cst.Attribute) and not self._receiver_ok(ctx, entry, func.value, evctx):
                continue
            found = self._k_value(ctx, entry, info.node, evctx)
            if found is not None:
                return (entry, *found)
        return None

    def _named(self, ctx: FileContext, info, modules: set[str]) -> list:
        """The retrievers a call may be by its name, keywords and the module's imports alone."""
        func = info.node.func
        last = last_name(func)
        if not last or (last not in _entry_names() and not last.endswith("Retriever")):
            return []  # no entry's method or class: the name tests below, for all entries at once
        written = dotted(func)
        keywords = {a.keyword.value for a in info.node.args if a.keyword is not None}
        out = []
        for entry in retriever_data()["retrievers"]:
            if entry.get("imports") and not modules & set(entry["imports"]):
                continue
            if entry.get("keywords_any") and not keywords & set(entry["keywords_any"]):
                continue
            if self._method_matches(entry, func, written, last) or self._class_matches(entry, ctx, last):
                out.append(entry)
        return out

    @staticmethod
    def _method_matches(entry, func, written: str, last: str) -> bool:
        if not isinstance(func, cst.Attribute):
            return False
        for method in entry.get("methods", []):
            if "." in method:
                if written.endswith("." + method):
                    return True
            elif method == last:
                if entry.get("receiver_calls"):  # `table.search(q).limit(n)`
                    recv = func.value
                    return (isinstance(recv, cst.Call) and isinstance(recv.func, cst.Attribute)
                            and recv.func.attr.value in entry["receiver_calls"])
                return True
        return False

    @staticmethod
    def _class_matches(entry, ctx: FileContext, last: str) -> bool:
        for cls in entry.get("classes", []):
            if last == cls or (cls == "Retriever" and last.endswith("Retriever") and last != "Retriever"):
                if entry.get("imports"):  # the class itself must come from the library
                    qual = ctx.index.imports.get(last, "")
                    return qual.lstrip(".").split(".")[0] in entry["imports"]
                return True
        return False

    @staticmethod
    def _receiver_ok(ctx: FileContext, entry, receiver, evctx) -> bool:
        """`re.search(...)` or an LLM client is not a vector store."""
        if isinstance(receiver, cst.Call):
            return True
        val = ctx.evaluator.evaluate(receiver, evctx)
        if isinstance(val, Client):
            return False
        if isinstance(val, Ref):  # a module or class: it must be the library itself
            top = val.qual.lstrip(".").split(".")[0]
            return top in entry.get("imports", []) or top == "builtins" or not entry.get("imports")
        return True

    def _k_value(self, ctx: FileContext, entry, node: cst.Call, evctx):
        """(k, node to report, omitted?) or None when k cannot be known."""
        head, _, sub = entry["k"].partition(".")
        arg = next((a for a in node.args if a.keyword is not None and a.keyword.value == head), None)
        if arg is None and entry.get("k_pos") is not None and not sub:
            positional = [a for a in node.args if a.keyword is None and not a.star]
            if any(a.star for a in node.args[: len(positional)]):
                return None
            if len(positional) > entry["k_pos"]:
                arg = positional[entry["k_pos"]]
        if arg is None:
            if any(a.star == "**" for a in node.args):
                return None  # k may be inside **kwargs
            return self._default(entry, node)
        if not sub:
            return self._as_k(ctx.evaluator.evaluate(arg.value, evctx), arg.value)
        container = ctx.evaluator.evaluate(arg.value, evctx)
        if not isinstance(container, Map):
            return None
        if sub not in container.items:
            return None if container.opaque else self._default(entry, node)
        val = container.items[sub]
        report = _dict_value_node(arg.value, sub) or arg.value
        return self._as_k(val, report)

    @staticmethod
    def _as_k(val, report_node):
        if isinstance(val, Num) and isinstance(val.value, int) and not isinstance(val.value, bool):
            return val.value, report_node, False
        return None  # an unknown variable, None (library default) or a computed value: stay silent

    @staticmethod
    def _default(entry, node: cst.Call):
        if entry.get("default_fires") and entry.get("default") is not None:
            return entry["default"], node.func, True
        return None

    # -- retrieval helpers of the project: `search(query, k=DEFAULT_K)` ---------------
    def _through_helpers(self, ctx: FileContext, limit: int) -> Iterator[Finding]:
        """Calls of a project function (of this module, or a module-level function of another)
        whose body retrieves with k taken from its parameters: the caller decides k, by the
        argument it passes or by leaving the default, so the finding is reported at the call.
        A k fixed inside the helper is the helper file's own finding, not repeated here."""
        chunk = None
        for info in ctx.index.calls:
            helper = _helper(ctx, info)
            if helper is None:
                continue
            hctx, hfunc, shown = helper
            modules = {qual.lstrip(".").split(".")[0] for qual in hctx.index.imports.values()}
            # Only calls named like a retriever can be one: a helper without any is not bound (costly).
            inners = [inner for inner in hctx.index.calls if inner.func is hfunc and self._named(hctx, inner, modules)]
            bindings = _bind(ctx, info, hctx, hfunc) if inners else None
            if bindings is None:
                continue
            for inner in inners:
                if self._retrieval(hctx, inner, modules) is not None:
                    continue  # k known without the caller: reported there
                found = self._retrieval(hctx, inner, modules, bindings)
                if found is None or found[1] <= limit:
                    continue
                entry, k, node, omitted = found
                if chunk is None:
                    chunk = self._chunk_tokens(ctx)
                tokens, source = chunk
                waste = (k - limit) * tokens
                param = node.value if isinstance(node, cst.Name) and node.value in hfunc.params else None
                passed = _argument(info.node, hfunc, param) if param else None
                where = f"`{hfunc.name}()` ({shown}:{hctx.evaluator.span(inner.node).line})"
                if passed is not None:
                    what, span = f"`{param}={k}` passed to {where}", ctx.evaluator.span(passed)
                elif param is not None:
                    default = hctx.evaluator.code(hfunc.params[param].default).strip()
                    shown_k = "" if default == str(k) else f" ({k})"
                    what = f"{where} keeps its default `{param}={default}`{shown_k}"
                    span = ctx.evaluator.span(info.node.func)
                else:
                    what, span = f"{where} is called with arguments that make k {k}", ctx.evaluator.span(info.node.func)
                message = (f"{what}, so {entry['library']} retrieves {k} chunks per query, {k - limit} above the "
                           f"limit of {limit}: ~{waste:,} extra prompt tokens per query at ~{tokens:,} tokens a "
                           f"chunk ({source})")
                yield self.finding(ctx, span, message, call_span=ctx.evaluator.span(info.node),
                                   scope=info.func.qualname if info.func else None,
                                   snippet=ctx.evaluator.code(info.node).strip()[:80],
                                   waste_tokens_per_call=waste, waste_kind="input")
                break  # one finding per call of the helper

    # -- chunk size for the estimate ---------------------------------------------------
    def _chunk_tokens(self, ctx: FileContext) -> tuple[int, str]:
        data = retriever_data()["chunking"]
        for info in ctx.index.calls:
            for a in info.node.args:
                if a.keyword is None or a.keyword.value != data["keyword"]:
                    continue
                val = ctx.evaluator.evaluate(a.value, EvalContext(info.func, info.pos, info.path))
                if isinstance(val, Num) and isinstance(val.value, int) and val.value > 0:
                    line = ctx.evaluator.span(a.value).line
                    return _to_tokens(val.value, _counts_chars(info.node.func), f"`chunk_size={val.value}` at line {line}")
        found = package_chunk_size(os.path.dirname(os.path.abspath(ctx.path)))
        if found is not None:
            size, chars, where = found
            return _to_tokens(size, chars, f"`chunk_size={size}` in {where}")
        tokens = self.option("chunk-tokens")
        return tokens, "the configured `chunk-tokens`; no literal chunk_size was found"


def _names_of(entry) -> set[str]:
    """The last names of a retriever entry's methods, and its classes."""
    return {m.split(".")[-1] for m in entry.get("methods", [])} | set(entry.get("classes", []))


@cache
def _entry_names() -> frozenset[str]:
    """The names of every entry (_names_of)."""
    return frozenset(name for entry in retriever_data()["retrievers"] for name in _names_of(entry))


class _Module:
    """Another module of the project seen as a FileContext by the retrieval matching."""

    def __init__(self, path: str, evaluator) -> None:
        self.path, self.evaluator, self.index = path, evaluator, evaluator.index


@cache
def _retrieval_patterns() -> tuple[tuple[frozenset[str], tuple[str, ...], re.Pattern], ...]:
    """(the modules one of which a file must import, the names, the pattern of a call of one of
    them) per retriever."""
    out = []
    for entry in retriever_data()["retrievers"]:
        names = _names_of(entry)
        # `Retriever` stands for any `...Retriever` class (_class_matches): no word start there.
        words = "|".join(sorted(re.escape(n) if n == "Retriever" else rf"\b{re.escape(n)}" for n in names))
        out.append((frozenset(entry.get("imports", ())), tuple(sorted(names)), re.compile(rf"(?:{words})\b")))
    return tuple(out)


def _may_retrieve(path: str, name: str) -> bool:
    """Can module-level function `name` of the module at `path` hold a retrieval call? Its own text
    must name a retriever whose library the module imports (`query` counts only with chromadb ...):
    an `ast` look, so that most helpers are never parsed with libcst."""
    from promptlint.analysis import project

    if not _module_may_retrieve(project.module_text(path)):
        return False  # what the function's text holds, its module's text holds: no `ast` parse
    text = project.function_source(path, name)
    if text is None:
        return False
    imported = project.facts(path).imported
    return any((not needs or needs & imported) and pattern.search(text) for needs, _, pattern in _retrieval_patterns())


@lru_cache(maxsize=256)  # asked for every imported function called; project.module_text keeps one str per module
def _module_may_retrieve(text: str) -> bool:
    """_may_retrieve's test on a whole module's text: a module that imports a library spells
    its name, so a substring stands in for the import. The pattern can only match where one of
    its names is a substring: those are looked for first (the pattern alone, tried at every
    position, cost crewAI a tenth of a second over the modules its files import)."""
    return any((not needs or any(n in text for n in needs)) and any(n in text for n in names)
               and pattern.search(text) for needs, names, pattern in _retrieval_patterns())


def _helper(ctx: FileContext, info):
    """(module, function, display path) of the project function a call reaches, when its
    module mentions a retrieval API at all (a cheap text check before any parse), else None."""
    from promptlint.analysis import project

    found = called_project_function(ctx, info, info.node, _may_retrieve)
    if found is None:
        return None
    evaluator, hfunc, path = found
    if evaluator is ctx.evaluator:  # a function of this module
        return ctx, hfunc, ctx.path
    shown = project.shown_path(path)
    return _Module(shown, evaluator), hfunc, shown


def _bind(ctx: FileContext, info, hctx, hfunc) -> dict | None:
    """The helper's parameters bound to the call's arguments; defaults read in the helper's
    module. None for a call that unpacks `*args` / `**kwargs` (what k is cannot be known)."""
    from promptlint.analysis.binding import bind

    if any(a.star for a in info.node.args):
        return None
    at = EvalContext(info.func, info.pos, info.path)
    return bind(ctx.evaluator, info.node, at, hctx.evaluator, hfunc, bound_self=False)


def _argument(call: cst.Call, hfunc, param: str):
    """The expression a call passes for `param`, by keyword or position, else None."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == param:
            return arg.value
    params = [p.name.value for p in (*hfunc.node.params.posonly_params, *hfunc.node.params.params)]
    positional = [a for a in call.args if a.keyword is None]
    if param in params and params.index(param) < len(positional):
        return positional[params.index(param)].value
    return None


def _dict_value_node(node, key: str):
    if isinstance(node, cst.Dict):
        for el in node.elements:
            if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString):
                if el.key.evaluated_value == key:
                    return el.value
    if isinstance(node, cst.Call) and dotted(node.func) == "dict":
        for a in node.args:
            if a.keyword is not None and a.keyword.value == key:
                return a.value
    return None


def _counts_chars(func) -> bool:
    data = retriever_data()["chunking"]
    name = dotted(func)
    parts = name.split(".")
    if parts[-1] in data["token_constructors"]:
        return False
    return parts[-1] in data["character_splitters"]


def _to_tokens(size: int, chars: bool, where: str) -> tuple[int, str]:
    if not chars:
        return size, where
    per = retriever_data()["chunking"]["chars_per_token"]
    return max(1, size // per), f"{where}, counted in characters at ~{per} a token"


CHUNK_RE = re.compile(r"\bchunk_size\s*=\s*(\d[\d_]*)")
MAX_PACKAGE_FILES = 500


@cache
def package_chunk_size(directory: str) -> tuple[int, bool, str] | None:
    """A literal `chunk_size=` in the file's package (the directory tree up to the last
    `__init__.py`), or, outside a package, in its own directory. First in path order."""
    top = directory
    while os.path.isfile(os.path.join(top, "__init__.py")) and os.path.dirname(top) != top:
        top = os.path.dirname(top)
    recursive = top != directory
    files = []
    for root, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")) and d not in ("node_modules", "venv"))
        files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".py")]
        if not recursive or len(files) > MAX_PACKAGE_FILES:
            break
    for path in files[:MAX_PACKAGE_FILES]:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        m = CHUNK_RE.search(text)
        if m:
            chars = "TextSplitter" in text and not any(
                t in text for t in retriever_data()["chunking"]["token_constructors"])
            return int(m.group(1).replace("_", "")), chars, os.path.relpath(path).replace(os.sep, "/")
    return None
