"""Does each call site record what it spent? (PL203 and the inventory's usage column)

The playbook's first step is "you cannot optimize what you cannot attribute": every
call's usage (input, output and cached input tokens) must be recorded. This module
follows a call's response inside the function that makes it, and says where its
usage goes:

  read          the code reads the usage (`response.usage`, `usage_metadata`, ...) or
                passes the response to a logger, a metrics or tracing call
  caller        the response is handed on whole: returned, yielded, stored on an
                object, passed to another function (that code is responsible)
  instrumented  the project records every call another way (rules/instrumentation.yaml)
  none          nothing reads or hands on the usage
  not-sent      an OpenAI-style stream that never asks for usage: none is sent
  unknown       the analysis cannot tell (a `**kwargs` stream, a lambda, ...)

and, where the usage is read field by field, whether the cached-input field is among
them (`cached`: True, False or None for "cannot tell").

It is one walk per function that holds a call site (parents, name uses), then a short
climb from each call: cheap enough to run on every call site. The project's markers
are found by instrumentation.scan_markers, bytes first and `ast` only on a hit; the engine puts
them in the settings (`rule_options["_instrumentation"]`), so they reach every file
and the cache key.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import libcst as cst

from promptlint.analysis.index import dotted
from promptlint.analysis.instrumentation import covering_marker, scan_markers, usage_data
from promptlint.analysis.walk import child_fields, children, is_node
from promptlint.model import CallSite
from promptlint.ruledocs import rule_option

RECORDED = ("read", "caller", "instrumented")  # the states in which usage is recorded (or someone's job)


@dataclass(slots=True)
class Fate:
    state: str  # read | caller | instrumented | none | not-sent | unknown
    cached: bool | None = None  # the cached-input field is recorded too (None: cannot tell)
    how: str = ""  # for messages: "returned", "passed to `logger.info`", "stored on `self.last`"


# ------------------------------------------------------------------ one function


class _Scope:
    """One function body (or the module): each node's parent, every `Name` use and the
    assignments to each name, with a pre-order number to tell before from after."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.parent: dict[int, cst.CSTNode] = {}
        self.order: dict[int, int] = {}
        self.uses: dict[str, list[cst.Name]] = {}
        self.words: set[str] = set()  # attribute names and short string literals: the cached-field fallback
        stack = [root]
        n = 0
        while stack:
            node = stack.pop()
            n += 1
            self.order[id(node)] = n
            kind = type(node)
            if kind is cst.Name:
                self.uses.setdefault(node.value, []).append(node)
                continue
            if kind is cst.Attribute:
                self.words.add(node.attr.value)
            elif kind is cst.SimpleString and len(node.value) < 64:
                self.words.add(node.value.strip("\"'bru"))
            children = []
            for name in child_fields(kind):
                value = getattr(node, name)
                if is_node(value):
                    children.append(value)
                elif isinstance(value, (tuple, list)):
                    children.extend(v for v in value if is_node(v))
            for child in children:
                self.parent[id(child)] = node
            stack.extend(reversed(children))

    def up(self, node) -> cst.CSTNode | None:
        return self.parent.get(id(node))

    def end_of_statement(self, node) -> int:
        """The pre-order number just past the statement that holds `node`."""
        stmt = node
        while stmt is not None and not isinstance(stmt, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            stmt = self.up(stmt)
        if stmt is None:
            return self.order.get(id(node), 0)
        last = stmt
        while True:  # the last node in pre-order is the right-most descendant
            kids = children(last)
            if not kids:
                break
            last = kids[-1]
        return self.order.get(id(last), 0)


CONTAINERS = (cst.Element, cst.StarredElement, cst.Tuple, cst.List, cst.Set, cst.DictElement, cst.Dict,
              cst.StarredDictElement, cst.IfExp, cst.BooleanOperation, cst.FormattedStringExpression,
              cst.FormattedString, cst.ConcatenatedString)
NOT_RECORDING = {"isinstance", "hasattr", "len", "type", "id", "bool", "callable", "print", "str", "repr",
                 "iter", "next", "list"}
SERIALIZE = frozenset({"model_dump", "dict", "to_dict", "json", "model_dump_json", "to_json", "parse"})


class UsageFinder:
    """The fate of each call site's response in one file."""

    def __init__(self, ctx, recorders: list[str], markers) -> None:
        self.ctx = ctx
        self.recorders = [r for r in recorders if r]
        self.markers = markers
        self.data = usage_data()
        # by id of the function body: the file's own, shared with its wrapper sites' contexts
        self._scopes: dict[int, _Scope] = ctx.module_memo.setdefault("usage-scopes", {})
        self.builtin = {shape: entry["style"] for entry in self.data["builtin"] for shape in entry["shapes"]}

    def fate(self, site: CallSite) -> Fate:
        info = self.ctx.infos.get(id(site))
        if info is None:
            return Fate("unknown")
        style = covering_marker(site, self.markers) or self.builtin.get(site.shape)
        local = self._local(site, info)
        if style is not None and local.state in ("none", "not-sent", "unknown"):
            return Fate("instrumented", True, style)
        if site.via == "wrapper" and local.state not in RECORDED:
            # A call of the project's own wrapper (declared, or a whole-program wrapper site):
            # the caller reading the usage counts; not reading it is not reported, since the
            # wrapper's body may record it (its own call site is judged where it is).
            return Fate("unknown", how="the project's own wrapper may record it")
        return local

    def _local(self, site: CallSite, info) -> Fate:
        node = info.node
        root = info.func.node.body if info.func is not None else self.ctx.evaluator.module_code
        scope = self._scopes.get(id(root))
        if scope is None:
            scope = self._scopes[id(root)] = _Scope(root)
        callbacks = self._callbacks(node, scope)
        if callbacks:
            return Fate("instrumented", True, callbacks)
        stream = self._stream(site, node)
        if stream is not None:
            return stream
        return self._escape(node, scope, set())

    # -- where a value goes ---------------------------------------------------
    def _escape(self, expr, scope: _Scope, seen: set) -> Fate:
        parent = scope.up(expr)
        while isinstance(parent, (cst.Await, cst.IfExp, cst.BooleanOperation)):  # `await r`, `r or fallback`
            expr, parent = parent, scope.up(parent)
        if isinstance(parent, CONTAINERS):
            # The response inside a tuple, dict or f-string: where the container goes.
            while isinstance(parent, (cst.Await, *CONTAINERS)):
                expr, parent = parent, scope.up(parent)
        return self._use(expr, parent, scope, seen)

    def _use(self, expr, parent, scope: _Scope, seen: set) -> Fate:
        if parent is None:
            return Fate("unknown")
        if isinstance(parent, cst.Return):
            return Fate("caller", None, "returned")
        if isinstance(parent, (cst.Yield, cst.From)):
            return Fate("caller", None, "yielded")
        if isinstance(parent, cst.Expr):
            return Fate("none")
        if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.AugAssign)) and parent.value is expr:
            targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
            return self._assigned(targets, parent, scope, seen)
        if isinstance(parent, cst.NamedExpr):
            return self._follow(parent.target.value, parent, scope, seen, from_node=parent) \
                if isinstance(parent.target, cst.Name) else Fate("unknown")
        if isinstance(parent, cst.WithItem) and parent.item is expr:
            if parent.asname is not None and isinstance(parent.asname.name, cst.Name):
                return self._follow(parent.asname.name.value, parent, scope, seen, from_node=parent)
            return Fate("none")
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is expr:
            start = parent
            while isinstance(scope.up(start), (cst.CompFor, cst.ListComp, cst.SetComp, cst.DictComp,
                                               cst.GeneratorExp)):
                start = scope.up(start)  # the comprehension's element comes before its `for`
            names = [n.value for n in _names(parent.target)]
            return self._merge([self._follow(n, parent, scope, seen, from_node=start) for n in names])
        if isinstance(parent, cst.Attribute) and parent.value is expr:
            return self._attribute(parent, scope, seen)
        if isinstance(parent, cst.Subscript) and parent.value is expr:
            key = _subscript_key(parent)
            if key in self.data["usage"]:
                return self._usage_read(parent, scope)
            return Fate("none")
        if isinstance(parent, cst.Arg):
            call = scope.up(parent)
            if not isinstance(call, cst.Call):
                return Fate("unknown")
            name = dotted(call.func)
            if name == "getattr" and len(call.args) > 1 and _string(call.args[1].value) in self.data["usage"]:
                return self._usage_read(call, scope)
            if name in ("cast", "typing.cast") and call.args[-1] is parent:
                return self._escape(call, scope, seen)  # cast(T, response) is the response
            if name in NOT_RECORDING:
                return Fate("none")
            if self._recording(name):
                return Fate("read", True, f"passed to `{name}`")
            return Fate("caller", None, f"passed to `{name or 'a call'}`")
        if isinstance(parent, (cst.Comparison, cst.ComparisonTarget, cst.If, cst.While, cst.UnaryOperation,
                               cst.Assert)):
            return Fate("none")
        return Fate("unknown")

    def _assigned(self, targets, stmt, scope, seen) -> Fate:
        fates = []
        for target in targets:
            if isinstance(target, cst.Name):
                fates.append(self._follow(target.value, stmt, scope, seen))
            elif isinstance(target, cst.Attribute):
                fates.append(Fate("caller", None, f"stored on `{dotted(target) or target.attr.value}`"))
            elif isinstance(target, cst.Subscript):
                fates.append(Fate("caller", None, f"stored in `{dotted(target.value) or 'a container'}`"))
            else:
                fates.append(Fate("unknown"))
        return self._merge(fates)

    def _attribute(self, attr: cst.Attribute, scope: _Scope, seen: set) -> Fate:
        name = attr.attr.value
        if name in self.data["usage"]:
            return self._usage_read(attr, scope)
        call = scope.up(attr)
        if name in self.data["final_attrs"] and not (isinstance(call, cst.Call) and call.func is attr):
            return self._escape(attr, scope, seen)  # `event.response`: the whole response again
        if isinstance(call, cst.Call) and call.func is attr:
            if name in self.data["final"] or name in SERIALIZE:
                return self._escape(call, scope, seen)  # the whole response again
            return Fate("none")
        return Fate("none")

    def _follow(self, name: str, binding, scope: _Scope, seen: set, from_node=None) -> Fate:
        """Every use of `name` after `binding`, until a later assignment derived from it."""
        key = (name, id(binding))
        if key in seen:
            return Fate("none")
        seen.add(key)
        start = scope.order.get(id(from_node), 0) if from_node is not None else scope.end_of_statement(binding)
        uses = [u for u in scope.uses.get(name, ()) if scope.order.get(id(u), 0) > start]
        end = None
        for use in uses:  # `response = response.choices[0].message.content`: what follows is text
            if isinstance(scope.up(use), cst.AssignTarget):
                continue  # a binding, not a read: rebinding from another call (another branch) kills nothing
            stmt = scope.up(use)
            while stmt is not None and not isinstance(stmt, (cst.Assign, cst.AnnAssign)) and not isinstance(
                    stmt, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                stmt = scope.up(stmt)
            if isinstance(stmt, (cst.Assign, cst.AnnAssign)) and any(
                    isinstance(t, cst.Name) and t.value == name
                    for t in ([x.target for x in stmt.targets] if isinstance(stmt, cst.Assign) else [stmt.target])):
                end = scope.end_of_statement(stmt)
                break
        fates = []
        for use in uses:
            if end is not None and scope.order.get(id(use), 0) > end:
                break
            if _exclusive(binding, use, scope):
                continue  # `if a: r = create(...)` / `else: r = other(); return r`: not this response
            parent = scope.up(use)
            if isinstance(parent, (cst.AssignTarget, cst.AsName, cst.Param)) or (
                    isinstance(parent, (cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor)) and parent.target is use):
                continue
            if isinstance(parent, (cst.Tuple, cst.List, cst.Element)) and _is_target(use, scope):
                continue
            fates.append(self._escape(use, scope, seen))
        return self._merge(fates)

    @staticmethod
    def _merge(fates: list[Fate]) -> Fate:
        for state in ("read", "caller", "unknown"):
            found = [f for f in fates if f.state == state]
            if found:
                if state == "read":
                    cached = [f.cached for f in found]
                    best = True if True in cached else (False if False in cached else None)
                    return Fate("read", best, found[0].how)
                return found[0]
        return Fate("none")

    # -- usage read: which fields ---------------------------------------------
    def _usage_read(self, node, scope: _Scope) -> Fate:
        """`node` reads the usage: is the cached-input field among what is recorded?"""
        data = self.data
        if scope.words & data["cached"]:  # named anywhere in the function: trust it
            return Fate("read", True, "usage read")
        fields, whole = self._usage_fields(node, scope, 0)
        if whole:  # the usage object itself is logged, stored, returned or passed on
            return Fate("read", True, "usage recorded whole")
        if fields & data["counts"]:
            return Fate("read", False, "usage read field by field")
        return Fate("read", None, "usage checked")

    def _usage_fields(self, node, scope: _Scope, depth: int) -> tuple[set, bool]:
        """The fields read from the usage object `node` (climbing `.a["b"].get("c")`, and
        through one or two names it is kept in), and whether it goes somewhere whole."""
        fields: set = set()
        expr, parent = node, scope.up(node)
        while True:
            if isinstance(parent, cst.Attribute) and parent.value is expr:
                fields.add(parent.attr.value)
            elif isinstance(parent, cst.Subscript) and parent.value is expr:
                fields.add(_subscript_key(parent))
            elif isinstance(parent, cst.Call) and parent.func is expr and isinstance(expr, cst.Attribute) \
                    and expr.attr.value == "get" and parent.args:
                fields.discard("get")
                fields.add(_string(parent.args[0].value))
            elif not isinstance(parent, cst.Await):
                break
            expr, parent = parent, scope.up(parent)
        if fields & SERIALIZE:
            return fields, True
        if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is expr and depth < 2:
            targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
            if len(targets) == 1 and isinstance(targets[0], cst.Name):  # usage = response.usage
                name = targets[0].value
                start = scope.end_of_statement(parent)
                whole = False
                for use in scope.uses.get(name, ()):
                    if scope.order.get(id(use), 0) <= start or isinstance(scope.up(use), cst.AssignTarget):
                        continue
                    more, went = self._usage_fields(use, scope, depth + 1)
                    fields |= more
                    whole = whole or went
                return fields, whole
        if fields or isinstance(parent, (cst.Comparison, cst.ComparisonTarget, cst.If, cst.IfExp, cst.While,
                                         cst.UnaryOperation, cst.BooleanOperation, cst.Assert)):
            return fields, False
        return fields, True

    def _recording(self, name: str) -> bool:
        if not name:
            return False
        parts = name.split(".")
        if any(name == r or name.endswith("." + r) or parts[-1] == r.split(".")[-1] and "." not in r
               for r in self.recorders):
            return True
        return parts[-1] in self.data["rec_last"] or parts[0] in self.data["rec_first"]

    # -- other ways -------------------------------------------------------------
    def _stream(self, site: CallSite, node: cst.Call) -> Fate | None:
        """An OpenAI-style stream that does not ask for usage: no usage is sent."""
        if site.shape not in self.data["stream_without_usage"]["shapes"] or site.api.startswith("POST "):
            return None  # raw HTTP: `stream=True` there is the HTTP client's flag, the API's is in the body
        stream = options = None
        for arg in node.args:
            if arg.star == "**":
                return None  # the stream flags may be in there
            if arg.keyword is None:
                continue
            if arg.keyword.value == "stream":
                stream = arg.value
            elif arg.keyword.value == "stream_options":
                options = arg.value
        if not (isinstance(stream, cst.Name) and stream.value == "True"):
            return None
        if options is None:
            return Fate("not-sent", None, "stream=True without stream_options")
        if isinstance(options, cst.Dict):
            for el in options.elements:
                if isinstance(el, cst.DictElement) and _string(el.key) == "include_usage":
                    if isinstance(el.value, cst.Name) and el.value.value == "False":
                        return Fate("not-sent", None, "stream_options include_usage=False")
                    return None
            return Fate("not-sent", None, "stream_options without include_usage")
        return None  # built elsewhere: cannot tell

    def _callbacks(self, node: cst.Call, scope: _Scope) -> str | None:
        """LangChain: a call with callbacks, or inside `with get_openai_callback()`."""
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "callbacks":
                return "LangChain callbacks"
            if arg.keyword is not None and arg.keyword.value == "config" and isinstance(arg.value, cst.Dict):
                if any(isinstance(e, cst.DictElement) and _string(e.key) == "callbacks" for e in arg.value.elements):
                    return "LangChain callbacks"
        up = scope.up(node)
        while up is not None:
            if isinstance(up, cst.With):
                for item in up.items:
                    if isinstance(item.item, cst.Call):
                        name = dotted(item.item.func).split(".")[-1]
                        if name in ("get_openai_callback", "get_usage_metadata_callback", "get_bedrock_anthropic_callback"):
                            return f"`with {name}()`"
            up = scope.up(up)
        return None


def _exclusive(a, b, scope: _Scope) -> bool:
    """Do `a` and `b` sit in different branches of one `if` (so no run reaches both)?"""
    through: dict[int, object] = {}  # id(ancestor of a) -> its child on the way to a
    node = a
    while (parent := scope.up(node)) is not None:
        through[id(parent)] = node
        node = parent
    node = b
    while (parent := scope.up(node)) is not None:
        if id(parent) in through:
            if isinstance(parent, cst.If):
                via_a = through[id(parent)]
                return via_a is not node and (via_a is parent.orelse or node is parent.orelse)
            return False
        node = parent
    return False


def _is_target(name: cst.Name, scope: _Scope) -> bool:
    """Is this name bound by a tuple target (`for i, chunk in ...`, `a, b = ...`)?"""
    node, up = name, scope.up(name)
    while isinstance(up, (cst.Element, cst.Tuple, cst.List, cst.StarredElement)):
        node, up = up, scope.up(up)
    return isinstance(up, cst.AssignTarget) or (isinstance(up, (cst.For, cst.CompFor)) and up.target is node)


def _names(target) -> list[cst.Name]:
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        out = []
        for el in target.elements:
            out += _names(el.value)
        return out
    return []


def _string(node) -> str | None:
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # noqa: BLE001 - an odd literal: no key
            return None
        return value if isinstance(value, str) else None
    return None


def _subscript_key(sub: cst.Subscript) -> str | None:
    if len(sub.slice) != 1 or not isinstance(sub.slice[0].slice, cst.Index):
        return None
    return _string(sub.slice[0].slice.value)


@lru_cache(maxsize=4)
def _own_markers(text: str) -> list:
    """scan_markers of a file's text, kept: each group of wrapper sites is checked with a context
    of its own over the same file (wholeprogram.py), and the scan parses the file when a needle is there."""
    return scan_markers(text.encode("utf-8", "surrogatepass"))


def site_usage(ctx, settings) -> list[tuple[CallSite, Fate]]:
    """Each call site of the file with its fate; computed once per file and recorded on
    the CallSite (`usage`, `usage_cached`) for the inventory."""
    if "usage" not in ctx.memo:
        # The project's markers (the engine scans every file of the run), and this file's own
        # (a file checked alone: an editor, stdin, the rule's examples).
        markers = settings.rule_options.get("_instrumentation") or []
        local = _own_markers(ctx.text)
        finder = UsageFinder(ctx, list(rule_option(settings, "PL203", "recorders")), [*markers, *local])
        found = []
        for site in ctx.callsites:
            try:
                fate = finder.fate(site)
            except RecursionError:
                fate = Fate("unknown")
            site.usage = fate.state
            site.usage_cached = fate.cached if fate.state in RECORDED else None
            found.append((site, fate))
        ctx.memo["usage"] = found
    return ctx.memo["usage"]
