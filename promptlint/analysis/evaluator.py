"""A small symbolic evaluator: what does this expression hold at this point?

It never runs the analysed code. It follows names to their assignments in the
function and the module (straight-line reaching definitions; branches give
several candidates), applies list/dict mutations, understands the string
building people use for prompts, and knows which calls read the clock, mint
ids or return items in an unstable order (`rules/volatile.yaml`). Anything it
cannot see is `Dyn` (per-request data) or `Unk`, never a guess.

The values it returns are in values.py, the string operations in segments.py,
the catalog look-ups in catalog.py. Constants of sibling modules are read through
the `read_import` function it is given (project.imported_constant): project.py
builds evaluators for sibling modules, so this module does not import it back.
"""

from __future__ import annotations

import builtins
import json
import re
from dataclasses import dataclass
from functools import cache

import libcst as cst

from promptlint.analysis.catalog import (
    reexported, sdk_data, sdk_roots, volatile_data, volatile_kind_of_call, volatile_name,
)
from promptlint.analysis.index import END, FunctionInfo, ModuleIndex, Pos, dotted
from promptlint.analysis.positions import exact_span
from promptlint.analysis.segments import (
    STR_METHODS, concat, dedent, dollar_to_braces, format_fields, is_static, join_text, merge, percent_format,
    repeat_text, segments, str_method,
)
from promptlint.analysis.values import (
    DEFAULT_NONE, MISSING, NONE, Alt, Bound, Client, Det, Dyn, Factory, Items, LocalFunc, Many, Map, Num, Ref, Returns,
    Seq,
    Text, Unk, Val, Vol,
    client_options, find_unordered, python_value, static_text,
)
from promptlint.model import LazySpan, Segment, Span, TemplateSpan

MAX_DEPTH = 40
MAX_STEPS = 200_000

# Calls that run a function given as their first argument (after `None` for run_in_executor).
RUNNERS = frozenset({"to_thread", "run_in_executor", "submit", "partial", "run_sync"})
# Annotations whose last argument is the type of every item taken out: `dict[str, Anthropic]`.
CLIENT_CONTAINERS = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "defaultdict", "OrderedDict",
                               "list", "List", "Sequence", "MutableSequence", "tuple", "Tuple"})


class BindingReads:
    """How many values have been read from a wrapper's bound parameters (binding.Bindings,
    which counts). An evaluation under such bindings during which the count did not move is
    the same for every caller of the wrapper: the evaluator keeps it once per function (the
    bindings' `shape`), so each caller pays only for what depends on its own arguments."""

    count = 0


def captured(ctx):
    """`ctx`, kept in a value (a client's constructor arguments are read later, in it): keeping
    a caller's bindings counts as reading them, so that value is not shared with other callers."""
    if getattr(ctx.bindings, "shape", None) is not None:
        BindingReads.count += 1
    return ctx


@dataclass(slots=True)
class EvalContext:
    """Where an expression is evaluated: the function and statement position, the branch path,
    the argument values bound when a local function is called, and the call depth."""

    func: FunctionInfo | None
    pos: Pos
    path: tuple[int, ...]
    bindings: dict[str, Val] | None = None
    depth: int = 0
    self_class: str | None = None  # the class `self` is an instance of, when a base class's code runs


# -- the evaluator -----------------------------------------------------------
class Evaluator:
    """Evaluates the expressions of one module (memoized, within a budget of steps)."""

    def __init__(self, index: ModuleIndex, module: cst.Module, importer: str | None = None,
                 read_import=None, read_helper=None, read_member=None, read_method=None,
                 read_factory=None) -> None:
        self.index = index
        self.importer = importer  # path of this module, to read constants it imports
        # read_import(importer, qual, hops): the value of a constant or client factory of a
        # sibling module, or None (project.imported_constant); None reads no other module.
        self.read_import = read_import
        # read_helper(evaluator, qual, call, ctx): what a reader helper of another module returns
        # (project.reader_helper); loading.py keeps it only when it is text read from a file.
        self.read_helper = read_helper
        # read_member(importer, qual of a class, attr, hops, defaults): a class default or a client
        # assigned in a method, of a project class defined in another module (project.class_member).
        self.read_member = read_member
        # read_method(importer, qual of a class, method, hops): (evaluator of its module, the method,
        # the class name) of a project class in another module (project.class_method), or None.
        self.read_method = read_method
        # read_factory(importer, qual of a classmethod, hops): the class it builds an instance of,
        # for a project class in another module (project.factory_class), or None.
        self.read_factory = read_factory
        # Qualnames of this module's wrappers that other project functions call (the project
        # index): their parameters are the callers' to fill, so with the callers' arguments not
        # bound, a parameter is per-request data its callers decide (Dyn.by_caller); rules that
        # would blame the wrapper for it judge it at each caller (wholeprogram.py) instead.
        self.callers_decide: frozenset[str] = frozenset()
        self.hops = 0  # how many imports away from the checked file this module is
        self.positions = index.positions
        self.module_code = module  # for the source text of nodes (code_for_node)
        self._shorts: dict[int, tuple] = {}  # id of a node -> (the node, kept so the id stays its, its short text)
        self._memo: dict[tuple, Val] = {}
        self._isinstance_checks: dict[int, dict[str, cst.BaseExpression]] | None = None
        self._callers_memo: dict[str, list] | None = None
        self._def_memo: dict[tuple, Val] = {}
        # Memo keys whose value read the bindings: a hit on one is a read too (BindingReads).
        self._read_keys: set[tuple] = set()
        self._events_by_name: dict[int, dict] = {}
        self._active: set[tuple] = set()
        # The memo keys hold object ids: every object keyed is kept alive here, so a freed
        # bindings dict or node can never lend its id to a new one and be served its stale value.
        self._pinned: dict[int, object] = {}
        # A budget of evaluation steps per module keeps one pathological file
        # from stalling the run; running out is reported, not hidden.
        self.steps = 0
        self.exhausted = False
        sdk = sdk_data()
        self.clients = sdk["clients"]
        self.model_classes = sdk["model_classes"]
        self.passthrough = set(sdk["passthrough_calls"])
        self.passthrough_methods = frozenset(sdk["passthrough_methods"])
        self.transparent = set(sdk["transparent_links"])

    # -- read from another module (project.py) ------------------------------
    def module_value(self, name: str, hops: int) -> Val:
        """What the module-level name `name` holds once the module has run, this module
        being `hops` imports away from the checked file."""
        self.hops = hops
        return self.lookup(name, EvalContext(None, END, ()))

    def class_default(self, cls: str, attr: str, hops: int) -> Val | None:
        """The class-level value of `cls.attr` (or of a base class in this module) when it is a
        literal or None (`top_k: int = 20`), else None."""
        self.hops = hops
        for info in self._class_chain(cls):
            if attr in info.attrs:
                val = self.evaluate(info.attrs[attr], EvalContext(None, END, ()))
                return val if isinstance(val, (Num, Text)) or val == NONE else None
        return None

    def assigned_client(self, cls: str, attr: str, hops: int) -> Val | None:
        """The SDK client or chat model the methods of `cls` assign to `self.attr`, if any: one,
        or one of several (a chat model built by provider, handed to the constructor)."""
        self.hops = hops
        found = self._attr_in_class(self.index.classes[cls], attr, EvalContext(None, END, ()), cls)
        return found if client_options(found) else None

    def function_result(self, name: str, hops: int) -> Val:
        """What the module function `name` returns when called without arguments (a client
        factory), this module being `hops` imports away from the checked file."""
        self.hops = hops
        return self._call_local(self.index.functions[name], None, EvalContext(None, END, ()))

    # -- positions and source --------------------------------------------
    def span(self, node: cst.CSTNode) -> Span:
        # The closure holds the positions, not the evaluator: values in the evaluator's memo
        # hold spans, so a closure over `self` would make a reference cycle, and the file's
        # whole tree would wait for the garbage collector instead of being freed at once.
        positions = self.positions
        return LazySpan(lambda: exact_span(positions, node))

    def exact_span(self, node: cst.CSTNode) -> Span:
        return exact_span(self.positions, node)

    def pos(self, node: cst.CSTNode) -> Pos:
        return self.index.order.get(id(node), END)

    def code(self, node: cst.CSTNode) -> str:
        return self.module_code.code_for_node(node)

    # -- entry point ------------------------------------------------------
    def evaluate(self, node: cst.CSTNode | None, ctx: EvalContext) -> Val:
        if node is None:
            return Unk("nothing")
        if ctx.depth > MAX_DEPTH:
            return Unk("too deep")
        self.steps += 1
        if self.steps > MAX_STEPS:
            self.exhausted = True
            return Unk("analysis budget exhausted")
        key = (id(node), id(ctx.func), ctx.pos, id(ctx.bindings), ctx.self_class)
        shape = getattr(ctx.bindings, "shape", None)
        shared = None if shape is None else (*key[:3], shape, ctx.self_class)
        found = self._hit(key, shared, self._memo)
        if found is not None:
            return found
        if key in self._active:
            return Unk("cycle")
        self._active.add(key)
        reads = BindingReads.count
        try:
            val = self._evaluate(node, ctx)
        except RecursionError:
            val = Unk("too deep")
        finally:
            self._active.discard(key)
        self._keep(key, shared, val, reads, self._memo)
        self._pin(node)
        self._pin(ctx.bindings)
        return val

    def _hit(self, key: tuple, shared: tuple | None, memo: dict) -> Val | None:
        """The memoized value for these bindings, or the one every caller shares."""
        if key in memo:
            if key in self._read_keys:
                BindingReads.count += 1  # what was read then is read again now
            return memo[key]
        if shared is not None and shared in memo:
            return memo[shared]
        return None

    def _keep(self, key: tuple, shared: tuple | None, val: Val, reads: int, memo: dict) -> None:
        memo[key] = val
        if BindingReads.count != reads:
            self._read_keys.add(key)
        elif shared is not None:
            memo[shared] = val  # nothing of this caller's was read: every caller gets the same

    def _pin(self, obj) -> None:
        if obj is not None:
            self._pinned.setdefault(id(obj), obj)

    def _evaluate(self, node, ctx: EvalContext) -> Val:
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            return self._string(node, ctx)
        if isinstance(node, cst.FormattedString):
            return self._fstring(node, ctx)
        if isinstance(node, (cst.Integer, cst.Float)):
            try:
                return Num(node.evaluated_value)
            except Exception:  # noqa: BLE001 - odd literal
                return Unk("number")
        if isinstance(node, cst.Name):
            return self.lookup(node.value, ctx, node)
        if isinstance(node, cst.Attribute):
            return self._attribute(node, ctx)
        if isinstance(node, cst.Call):
            return self._call(node, ctx)
        if isinstance(node, (cst.List, cst.Tuple)):
            return self._sequence(node, ctx)
        if isinstance(node, cst.Set):
            return Vol(self.code(node), "unordered", self.span(node), at_use=True)
        if isinstance(node, cst.Dict):
            return self._dict(node, ctx)
        if isinstance(node, cst.BinaryOperation):
            return self._binop(node, ctx)
        if isinstance(node, cst.IfExp):
            return Alt([self.evaluate(node.body, ctx), self.evaluate(node.orelse, ctx)])
        if isinstance(node, cst.Await):
            return self.evaluate(node.expression, ctx)
        if isinstance(node, cst.Subscript):
            return self._subscript(node, ctx)
        if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
            return self._comprehension(node, ctx)
        if isinstance(node, cst.BooleanOperation):
            return Alt([self.evaluate(node.left, ctx), self.evaluate(node.right, ctx)])
        if isinstance(node, cst.NamedExpr):
            return self.evaluate(node.value, ctx)
        return Dyn(self._short(node), self.span(node))

    def _short(self, node) -> str:
        """The first 60 characters of `node`'s code, once per node: an expression evaluated on
        many paths is described each time (browser-use's beta service: 48,000 times, 3.5 s)."""
        found = self._shorts.get(id(node))
        if found is None:
            text = _code_prefix(self.module_code, node, 60).strip()
            found = self._shorts[id(node)] = (node, text if len(text) <= 60 else text[:57] + "...")
        return found[1]

    # -- literals ---------------------------------------------------------
    def _string(self, node, ctx) -> Val:
        if isinstance(node, cst.ConcatenatedString):  # 'a' 'b' 'c' nests to the right: walk it, don't recurse
            val = self.evaluate(node.left, ctx)
            while isinstance(node.right, cst.ConcatenatedString):
                node = node.right
                val = concat(val, self.evaluate(node.left, ctx))
            return concat(val, self.evaluate(node.right, ctx))
        try:
            value = node.evaluated_value
        except Exception:  # noqa: BLE001 - malformed escape
            return Unk("string")
        if isinstance(value, bytes):
            return Dyn("bytes literal", self.span(node))
        return Text([Segment("static", value, span=self.span(node))])

    def _fstring(self, node: cst.FormattedString, ctx) -> Val:
        # Every text piece is placed at the whole f-string: one literal, so the prompt-text
        # rules (PL403-PL405) group by it and report once per f-string, where `refine` finds
        # the words inside it.
        segs: list[Segment] = []
        literal = self.span(node)
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                text = part.value.replace("{{", "{").replace("}}", "}")
                if "r" not in node.prefix.lower():
                    try:
                        text = text.encode("latin-1", "backslashreplace").decode("unicode_escape")
                    except Exception:  # noqa: BLE001 - keep raw text
                        pass
                segs.append(Segment("static", text, span=literal))
            else:
                segs += segments(self.evaluate(part.expression, ctx))
        return Text(merge(segs))

    def _sequence(self, node, ctx) -> Val:
        items: list[Val] = []
        for el in node.elements:
            if isinstance(el, cst.StarredElement):
                inner = self.evaluate(el.value, ctx)
                items += inner.items if isinstance(inner, Seq) else [inner]
            else:
                items.append(self.evaluate(el.value, ctx))
        return Seq(items, node=node)

    def _dict(self, node: cst.Dict, ctx) -> Val:
        out = Map({}, node=node)
        for el in node.elements:
            if isinstance(el, cst.StarredDictElement):
                inner = self.evaluate(el.value, ctx)
                merge_map(out, inner)
                continue
            key = self.evaluate(el.key, ctx)
            k = static_text(key)
            if k is None:
                out.opaque = True
                continue
            out.items[k] = self.evaluate(el.value, ctx)
            out.spans[k] = self.span(el.value)
        return out

    # -- names ------------------------------------------------------------
    def lookup(self, name: str, ctx: EvalContext, node=None) -> Val:
        if ctx.bindings is not None and name in ctx.bindings:
            return ctx.bindings[name]
        func, use_pos, use_path = ctx.func, ctx.pos, ctx.path
        while func is not None:
            events = [e for e in self._by_name(func).get(name, ()) if e.pos < use_pos]
            if events:
                return self._annotated(self._from_events(events, func, use_path, ctx), func, name, ctx)
            if name in func.params:
                return self._param(func, name, node, ctx)
            func, use_pos, use_path = func.parent, END, ()
        limit = ctx.pos if ctx.func is None else END
        events = [e for e in self._by_name(None).get(name, ()) if e.pos < limit]
        if events:
            val = self._annotated(self._from_events(events, None, ctx.path if ctx.func is None else (), ctx),
                                  None, name, ctx)
            if not (name in self.index.imports and val == NONE):
                return val
            # `if TYPE_CHECKING: import x / else: x = None` and `except ImportError: x = None`:
            # the None only stands in until the import (often a lazy one in a function) runs.
        if name in self.index.imports:
            qual = self.index.imports[name]
            return self._imported(qual) or Ref(reexported(qual))
        if name in self.index.functions:
            return LocalFunc(self.index.functions[name])
        if name in self.index.classes:
            return Ref(name)
        star = self._star_imported(name) if self.index.star_imports else None
        if star is not None:
            return star
        if volatile_name(name):
            return Vol(name, "unique-id", self.span(node) if node is not None else None)
        if name == "__file__" and self.importer:  # prompt files are found next to the module
            from promptlint.analysis.loading import file_of_module

            return file_of_module(self)
        return Ref("builtins." + name)

    def _annotated(self, val: Val, func: FunctionInfo | None, name: str, ctx: EvalContext) -> Val:
        """A name declared with a client type (`clients: dict[str, Anthropic] = {}`,
        `client: OpenAI | None = None`) when its value alone does not show the client."""
        ann = self.index.annotations.get((id(func.node) if func else 0, name))
        if ann is None or isinstance(val, (Client, Items)):
            return val
        if isinstance(val, Alt) and any(isinstance(o, Client) for o in val.options):
            return val
        return self._client_from_annotation(ann, ctx) or val

    def _from_events(self, events, func, use_path, ctx) -> Val:
        defs = [i for i, e in enumerate(events) if e.kind in ("assign", "loop", "with")]
        if not defs:
            base: list[tuple[int, Val]] = [(-1, self._param(func, events[0].name, None, ctx)
                                              if func and events[0].name in func.params
                                              else self.lookup_outer(events[0].name, func, ctx))]
        else:
            chosen = []
            for i in reversed(defs):
                chosen.append(i)
                if events[i].path == use_path[: len(events[i].path)]:
                    break
            base = [(i, self._def_value(events[i], func, ctx)) for i in reversed(chosen)]
        options = []
        for start, val in base:
            for event in events[start + 1:]:
                if event.kind in ("assign", "loop", "with"):
                    continue
                val = self._mutate(val, event, func, ctx)
            options.append(val)
        return options[0] if len(options) == 1 else Alt(options)

    def _by_name(self, func: FunctionInfo | None) -> dict[str, list]:
        key = id(func)
        table = self._events_by_name.get(key)
        if table is None:
            table = {}
            for e in (func.events if func is not None else self.index.module_events):
                table.setdefault(e.name, []).append(e)
            self._events_by_name[key] = table
        return table

    def same_everywhere(self, name: str, func: FunctionInfo | None) -> bool:
        """Does `name` read the same at every statement of `func`? Yes when neither the function
        nor one it is nested in assigns or changes it (module names are read as the module left them)."""
        if func is None:
            return False  # module-level code reads module names as they are at that line
        while func is not None:
            if name in self._by_name(func):
                return False
            func = func.parent
        return True

    def constructed_class(self, name: str, ctx: EvalContext, attr: str) -> str | None:
        """The class `name` is an instance of at `ctx`, read without evaluating the constructor's
        arguments, when lookup() would give that instance (a Map of the class) whose `attr` is not
        one of them: `name` is assigned once in the function, before this line, from a call of a
        class with keyword arguments only, which is neither an SDK client nor a builtin. None
        when anything else may hold (then evaluate the name)."""
        func = ctx.func
        if func is None or ctx.bindings is not None or name in ("self", "cls") or name in func.params:
            return None
        events = self._by_name(func).get(name, ())
        if len(events) != 1 or events[0].kind != "assign" or not events[0].pos < ctx.pos:
            return None
        call = events[0].node
        if (not isinstance(call, cst.Call) or not isinstance(call.func, cst.Name)
                or (id(func.node), name) in self.index.annotations
                or any(a.keyword is None or a.star or a.keyword.value == attr for a in call.args)):
            return None
        sub = EvalContext(func, events[0].pos, events[0].path, None, ctx.depth + 1, ctx.self_class)
        ctor = self.evaluate(call.func, sub)
        if not isinstance(ctor, Ref):
            return None
        qual, last = ctor.qual, ctor.qual.split(".")[-1]
        if (not last[:1].isupper() or last.isupper() or qual.startswith("builtins.")
                or qual in self.clients or qual in self.model_classes or volatile_kind_of_call(qual) is not None):
            return None
        local = self.index.classes.get(qual)
        return None if local is not None and attr in local.attrs else qual

    def lookup_outer(self, name, func, ctx) -> Val:
        outer = EvalContext(func.parent if func else None, END, (), None, ctx.depth + 1)
        return self.lookup(name, outer) if func else Unk(name)

    def _def_value(self, event, func, ctx) -> Val:
        bindings = ctx.bindings if func is ctx.func else None
        key = (id(event), id(bindings), ctx.self_class)
        shape = getattr(bindings, "shape", None)
        shared = None if shape is None else (id(event), shape, ctx.self_class)
        found = self._hit(key, shared, self._def_memo)
        if found is not None:
            return found
        self._pin(bindings)
        self._def_memo[key] = Unk("cycle")  # a definition that reads itself
        reads = BindingReads.count
        self._keep(key, shared, self._def_value_uncached(event, func, ctx), reads, self._def_memo)
        return self._def_memo[key]

    def _def_value_uncached(self, event, func, ctx) -> Val:
        sub = EvalContext(func, event.pos, event.path, ctx.bindings if func is ctx.func else None, ctx.depth + 1,
                  ctx.self_class)
        if event.kind == "assign":
            return self.evaluate(event.node, sub)
        if event.kind == "with" and isinstance(event.node, cst.Call):  # `with open(path) as fh`
            from promptlint.analysis.loading import with_item

            opened = with_item(self, self.evaluate(event.node, sub))
            if opened is not None:
                return opened
        if event.kind == "loop":
            it = self.evaluate(event.iter_node, sub)
            if find_unordered(it) is not None:
                return Dyn(event.name, self.span(event.node))  # one item: its order does not matter here
            if is_static(it):
                return Det(event.name)
            return Dyn(event.name, self.span(event.node))
        if event.kind == "with" and event.node is not None:
            # `async with httpx.AsyncClient() as http`: a client's context gives the client.
            val = self.evaluate(event.node, sub)
            if isinstance(val, Client):
                return val
        return Dyn(event.name)

    def _param(self, func: FunctionInfo, name: str, node, ctx) -> Val:
        param = func.params[name]
        if param.annotation is not None:
            client = self._client_from_annotation(param.annotation.annotation, ctx)
            if client is not None:
                return client
        client = (self._client_from_isinstance(func, func.params[name].name, ctx)
                  or self._client_from_callers(func, name, ctx))
        if client is not None:
            return client
        if volatile_name(name):
            return Vol(name, "unique-id", self.span(node) if node is not None else None)
        if param.annotation is not None:  # `backend: Backend`, a project class: only its clients are read
            ann = self.evaluate(param.annotation.annotation, EvalContext(None, END, ()))
            if isinstance(ann, Ref) and "." in ann.qual and ann.qual.split(".")[-1][:1].isupper():
                return Map({}, opaque=True, obj=ann.qual)
        by_caller = func.qualname in self.callers_decide and ctx.bindings is None
        return Dyn(name, self.span(node) if node is not None else None, by_caller=by_caller)

    def _star_imported(self, name: str) -> Val | None:
        """A name bound by none of this module's own statements or imports that a module it
        star-imports defines as a constant (`from app.prompts import *`): read as if imported by name."""
        if hasattr(builtins, name):
            return None
        for module in self.index.star_imports:
            found = self._imported(f"{module}.{name}" if not module.endswith(".") else module + name)
            if found is not None:
                return found
        return None

    def _imported(self, qual: str) -> Val | None:
        """A constant or client defined in a sibling module of the checked project."""
        if self.importer is None or self.read_import is None or qual.split(".")[0] in sdk_roots():
            return None
        val = self.read_import(self.importer, qual, self.hops)
        if isinstance(val, Vol):  # its span is in the other file
            return Vol(val.source, val.kind, None, at_use=True)
        if isinstance(val, (Client, Factory)):
            return val
        from promptlint.analysis.loading import JinjaEnv, JinjaTemplate, PathVal

        if isinstance(val, (PathVal, JinjaTemplate, JinjaEnv)):  # the prompts folder, or a template read from a file
            return val
        if isinstance(val, Returns):
            return val if val.value is not None else None
        if isinstance(val, Map) and val.obj and "." in val.obj and not val.opaque and reexported(qual) == qual:
            return val  # an instance of a project class: its attributes are read from the class (_member)
        if val is not None and is_static(val) and not (isinstance(val, Map) and val.obj):
            return val  # a constant; an object of the project's own class is not one
        return None

    def _member(self, base: Map, attr: str, ctx) -> Val | None:
        """An attribute an instance of a project class does not set itself: the class-level
        default, or an SDK client its methods assign (another module's class: read_member)."""
        local = self.index.classes.get(base.obj)
        if local is not None:
            for cls in self._class_chain(base.obj):
                if attr in cls.attrs and not base.opaque:
                    val = self.evaluate(cls.attrs[attr], EvalContext(None, END, (), None, ctx.depth + 1))
                    return DEFAULT_NONE if val == NONE else val if isinstance(val, (Num, Text)) else None
            return None
        if ("." not in base.obj or self.importer is None or self.read_member is None
                or base.obj.split(".")[0] in sdk_roots()):
            return None
        found = self.read_member(self.importer, base.obj, attr, self.hops, not base.opaque)
        return DEFAULT_NONE if found == NONE else found

    def _client_from_isinstance(self, func: FunctionInfo | None, node: cst.BaseExpression, ctx) -> Client | None:
        """A value the function checks: `if not isinstance(model, BaseChatModel): raise ...`."""
        if func is None:
            return None
        if self._isinstance_checks is None:
            self._isinstance_checks = {}
            for info in self.index.calls:
                node = info.node
                if (isinstance(node.func, cst.Name) and node.func.value == "isinstance" and len(node.args) == 2
                        and info.func is not None):
                    checks = self._isinstance_checks.setdefault(id(info.func), {})
                    checks.setdefault(self.code(node.args[0].value), node.args[1].value)
        checks = self._isinstance_checks.get(id(func))
        cls = checks.get(self.code(node)) if checks else None  # rendering the node only when it may matter
        return self._client_from_annotation(cls, ctx) if cls is not None else None

    def _client_from_callers(self, func: FunctionInfo, name: str, ctx) -> Val | None:
        """A client or model handed in by this module's own callers: `judge(ChatOpenAI())`,
        `cls(llm)` in a factory classmethod, `Provider(llm)`."""
        if ctx.depth > MAX_DEPTH - 12:
            return None
        params = _positional_params(func)
        found: list[Val] = []
        for info, skip in self._callers(func):
            arg = next((a for a in info.node.args if a.keyword is not None and a.keyword.value == name), None)
            if arg is None and name in params:
                positional = [a for a in info.node.args if a.keyword is None][skip:]
                index = params.index(name)
                if all(not a.star for a in positional[: index + 1]) and index < len(positional):
                    arg = positional[index]
            if arg is None:
                continue
            val = self.evaluate(arg.value, EvalContext(info.func, info.pos, info.path, None, ctx.depth + 1))
            found += [v for v in (val.options if isinstance(val, Alt) else [val]) if isinstance(v, Client)]
        if not found:
            return None
        return found[0] if len(found) == 1 else Alt(found)

    def handed_first(self, func: FunctionInfo, name: str) -> bool:
        """Is parameter `name` the first of `func`'s, and does every call of `func` in this
        module that passes it pass it first and by position (`fallback(client.chat.completions.
        create, params)`), with at least one such call? Such a call is itself the request's site."""
        params = _positional_params(func)
        if not params or params[0] != name:
            return False
        handed = False
        for info, skip in self._callers(func):
            if skip or any(a.keyword is not None and a.keyword.value == name for a in info.node.args):
                return False
            first = next((a for a in info.node.args if a.keyword is None), None)
            if first is None:
                continue
            if first.star:
                return False
            handed = True
        return handed

    def _callers(self, func: FunctionInfo) -> list:
        """Calls in this module that reach `func` by its name (or its class's, for `__init__`),
        with how many positional arguments come before func's own: `to_thread(f, a)` skips one."""
        if self._callers_memo is None:
            self._callers_memo = {}
            for info in self.index.calls:
                fn, skip = info.node.func, 0
                positional = [a.value for a in info.node.args if a.keyword is None]
                if dotted(fn).split(".")[-1] in RUNNERS and positional:  # to_thread(f, *args)
                    i = 1 if isinstance(positional[0], cst.Name) and positional[0].value == "None" else 0
                    if len(positional) > i:
                        fn, skip = positional[i], i + 1
                if isinstance(fn, cst.Name):
                    key = fn.value
                    if key == "cls" and info.func is not None and info.func.class_name:
                        key = info.func.class_name
                elif isinstance(fn, cst.Attribute) and isinstance(fn.value, cst.Name) and fn.value.value == "self":
                    key = "self." + fn.attr.value
                else:
                    continue
                self._callers_memo.setdefault(key, []).append((info, skip))
        if func.parent is not None:
            return []
        if func.class_name is None:
            return self._callers_memo.get(func.name, [])
        if func.name == "__init__":
            return self._callers_memo.get(func.class_name, [])
        return self._callers_memo.get("self." + func.name, [])

    def _client_from_annotation(self, ann, ctx) -> Client | Items | None:
        """The client an annotation names: `OpenAI`, `Optional[OpenAI]`, `OpenAI | None`,
        `Union[None, OpenAI]`, `"OpenAI"`, or a container of clients (`dict[str, Anthropic]`)."""
        if isinstance(ann, cst.SimpleString):  # a forward reference
            try:
                ann = cst.parse_expression(ann.evaluated_value)
            except Exception:  # noqa: BLE001 - not an expression: no client
                return None
        if isinstance(ann, cst.BinaryOperation):  # OpenAI | None, None | OpenAI
            return self._client_from_annotation(ann.left, ctx) or self._client_from_annotation(ann.right, ctx)
        if isinstance(ann, cst.Subscript):
            head = dotted(ann.value).split(".")[-1]
            inner = [s.slice.value for s in ann.slice if isinstance(s.slice, cst.Index)]
            if not inner:
                return None
            if head in ("Optional", "Union", "Annotated", "Final", "ClassVar"):
                for option in inner[:1] if head in ("Annotated", "Final", "ClassVar") else inner:
                    found = self._client_from_annotation(option, ctx)
                    if found is not None:
                        return found
                return None
            if head in CLIENT_CONTAINERS:
                item = self._client_from_annotation(inner[-1], ctx)
                return Items(item) if isinstance(item, Client) else None
            return None
        val = self.evaluate(ann, EvalContext(None, END, ()))
        if isinstance(val, Ref):
            return self._client_class(val.qual, None, ctx)
        return None

    def _mutate(self, val: Val, event, func, ctx) -> Val:
        sub = EvalContext(func, event.pos, event.path, ctx.bindings if func is ctx.func else None, ctx.depth + 1,
                  ctx.self_class)
        call = event.node
        if event.kind == "augassign":
            return concat(val, self.evaluate(call.value, sub))
        if event.kind == "setitem":
            m = val if isinstance(val, Map) else Map({}, opaque=True)
            m = Map(dict(m.items), m.opaque, m.obj, m.node, dict(m.spans))
            if event.key is None:
                m.opaque = True
            else:
                m.items[str(event.key)] = self.evaluate(call, sub)
                m.spans[str(event.key)] = self.span(call)
            return m
        if event.kind == "setattr":
            if not (isinstance(val, Map) and val.obj):
                return val  # only instances of a class keep what is set on them
            m = Map(dict(val.items), val.opaque, val.obj, val.node, dict(val.spans))
            m.items[event.key] = self.evaluate(call, sub)
            m.spans[event.key] = self.span(call)
            return m
        if event.kind == "shuffle":
            seq = val if isinstance(val, Seq) else Seq([val])
            return Seq(seq.items, Vol(self.code(call), "unordered", self.span(call)), seq.node)
        args = call.args
        if event.kind in ("append", "extend", "insert"):
            seq = val if isinstance(val, Seq) else Seq([val])
            if event.kind == "insert":
                if len(args) < 2:
                    return seq
                item = self.evaluate(args[1].value, sub)
                idx = self.evaluate(args[0].value, sub)
                items = [item, *seq.items] if isinstance(idx, Num) and idx.value == 0 else [*seq.items, item]
                return Seq(items, seq.unordered, seq.node)
            if not args:
                return seq
            item = self.evaluate(args[0].value, sub)
            new = [item] if event.kind == "append" else (item.items if isinstance(item, Seq) else [item])
            unordered = seq.unordered or (item.unordered if isinstance(item, Seq) else None)
            if event.in_loop:
                new = [Many(x) for x in new]
                if event.loop_iter is not None and unordered is None:
                    unordered = self._iterated(event.loop_iter, sub)
            return Seq([*seq.items, *new], unordered, seq.node)
        if event.kind == "sort":
            return Seq(val.items, None, val.node) if isinstance(val, Seq) else val
        if event.kind == "update":
            m = val if isinstance(val, Map) else Map({}, opaque=True)
            m = Map(dict(m.items), m.opaque, m.obj, m.node, dict(m.spans))
            for a in args:
                if a.keyword is not None:
                    m.items[a.keyword.value] = self.evaluate(a.value, sub)
                    m.spans[a.keyword.value] = self.span(a.value)
                else:
                    merge_map(m, self.evaluate(a.value, sub))
            return m
        if event.kind == "setdefault" and len(args) >= 2 and isinstance(val, Map):
            key = static_text(self.evaluate(args[0].value, sub))
            if key is not None and key not in val.items:
                m = Map(dict(val.items), val.opaque, val.obj, val.node, dict(val.spans))
                m.items[key] = self.evaluate(args[1].value, sub)
                return m
        if event.kind == "clear":
            return Seq([]) if isinstance(val, Seq) else Map({})
        return val

    # -- attributes ---------------------------------------------------------
    def _attribute(self, node: cst.Attribute, ctx) -> Val:
        attr = node.attr.value
        if isinstance(node.value, cst.Name) and node.value.value in ("self", "cls") and ctx.func:
            bound = ctx.bindings.get("self") if ctx.bindings else None
            if isinstance(bound, Map) and bound.obj:  # a container method called on a known instance
                found = instance_attr(self, bound, attr, ctx)
                if found is not None:
                    return found
            found = self._self_attr(ctx.func, attr, ctx)
            if found is not None:
                return found
        base = self.evaluate(node.value, ctx)
        if isinstance(base, Ref):
            local = self.index.classes.get(base.qual)
            if local is not None and attr in local.shared_attrs:  # `Service.client`, built by a method
                found = self._attr_in_class(local, attr, ctx, base.qual)
                if isinstance(found, (Client, Items)):
                    return found
            if local is not None and attr in local.attrs:
                return self.evaluate(local.attrs[attr], EvalContext(None, END, (), None, ctx.depth + 1))
            qual = f"{base.qual}.{attr}"
            return (self._imported(qual) if attr[:1].isupper() or attr.isupper() else None) or Ref(qual)
        if isinstance(base, Client):
            return base if attr in self.transparent else base.with_path(base.path + (attr,))
        from promptlint.analysis.loading import PathVal, attribute

        if isinstance(base, PathVal):
            found = attribute(self, base, attr, node)
            if found is not None:
                return found
        if isinstance(base, Map) and base.obj and attr in base.items:
            return base.items[attr]
        if isinstance(base, Map) and base.obj in self.index.classes and not base.opaque:
            # `settings = Settings()` then `settings.api_url`: the field's default in the class body
            declared = self.index.classes[base.obj].attrs.get(attr)
            if declared is not None:
                return self.evaluate(declared, EvalContext(None, END, (), None, ctx.depth + 1))
        if isinstance(base, Map) and base.obj:
            found = self._member(base, attr, ctx)
            if found is not None:
                return found
        if isinstance(base, Vol):
            return base
        if isinstance(base, Alt):
            return Alt([self._attr_of(o, attr, node) for o in base.options])
        if volatile_name(attr):
            return Vol(self._short(node), "unique-id", self.span(node))
        if isinstance(base, Det):
            return Det(self._short(node))
        narrowed = self._client_from_isinstance(ctx.func, node, ctx)
        if narrowed is not None:
            return narrowed
        if isinstance(base, Dyn):
            return Dyn(self._short(node), self.span(node), base.origin, base.origin_span)
        return Dyn(self._short(node), self.span(node))

    def _attr_of(self, base, attr, node):
        if isinstance(base, Client):
            return base if attr in self.transparent else base.with_path(base.path + (attr,))
        if isinstance(base, Ref):  # `(client or litellm).completion`
            return Ref(f"{base.qual}.{attr}")
        if isinstance(base, Vol):
            return base
        return Dyn(self._short(node), self.span(node))

    def _self_attr(self, func: FunctionInfo, attr: str, ctx) -> Val | None:
        """`self.attr`, looked up on the instance's class first, then on its bases
        in this module (a base class's `self.make()` calls the subclass's `make`)."""
        top = func
        while top.parent is not None:
            top = top.parent
        start = ctx.self_class or top.class_name or ""
        for cls in self._class_chain(start):
            found = self._attr_in_class(cls, attr, ctx, start)
            if found is not None:
                return found
        return None

    def method_of(self, cls: str, method: str):
        """The FunctionInfo of `cls.method`, defined in the class or a base class of this module, or None."""
        return next((info.methods[method] for info in self._class_chain(cls) if method in info.methods), None)

    def _class_chain(self, name: str) -> list:
        """The class and its bases defined in this module, nearest first."""
        chain, todo = [], [name]
        while todo and len(chain) < 10:
            cls = self.index.classes.get(todo.pop(0))
            if cls is None or cls in chain:
                continue
            chain.append(cls)
            todo += [dotted(b).split(".")[-1] for b in cls.bases]
        return chain

    def _attr_in_class(self, cls, attr: str, ctx, self_class: str) -> Val | None:
        if attr in cls.self_attrs:
            opts = []
            for value, method in cls.self_attrs[attr]:
                sub = EvalContext(method, self.pos(value), (), None, ctx.depth + 1, self_class)
                opts.append(self.evaluate(value, sub))
            clients = [o for o in opts if isinstance(o, (Client, Items))]
            if clients:  # `self.client = client or OpenAI()`: the client wins
                return clients[0]
            if attr in cls.self_annotations:  # `self.clients: dict[str, Anthropic] = {}`
                declared = self._client_from_annotation(cls.self_annotations[attr], ctx)
                if declared is not None:
                    return declared
            return opts[0] if len(opts) == 1 else Alt(opts)
        if attr in cls.attrs:
            return self.evaluate(cls.attrs[attr], EvalContext(None, END, (), None, ctx.depth + 1))
        if attr in cls.self_annotations:
            client = self._client_from_annotation(cls.self_annotations[attr], ctx)
            if client is not None:
                return client
        if attr in cls.methods:
            info = cls.methods[attr]
            if any(dotted(d.decorator).split(".")[-1] in ("property", "cached_property") for d in info.decorators):
                return self._call_local(info, None, EvalContext(ctx.func, ctx.pos, ctx.path, ctx.bindings, ctx.depth,
                                                        self_class))
            return LocalFunc(info)
        return None

    # -- subscripts, comprehensions, operators ----------------------------
    def _subscript(self, node: cst.Subscript, ctx) -> Val:
        base = self.evaluate(node.value, ctx)
        if isinstance(base, Items):
            return base.item
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            key = self.evaluate(node.slice[0].slice.value, ctx)
            if isinstance(base, Map):
                k = static_text(key)
                if k is not None and k in base.items:
                    return base.items[k]
            if isinstance(base, Seq) and isinstance(key, Num) and isinstance(key.value, int):
                try:
                    item = base.items[key.value]
                    if not isinstance(item, Many):
                        return item
                except IndexError:
                    pass
        if isinstance(base, Vol):
            return base
        answer = _llm_key(node, ctx, self)
        if answer is not None:  # ROUTES[answer]: picked by a model
            return Dyn(self._short(node), self.span(node), "llm", answer.origin_span)
        if isinstance(base, Det):
            return Det(self._short(node))
        if isinstance(base, (Seq, Map)) and is_static(base):
            return Det(self._short(node))
        if isinstance(base, Dyn):
            return Dyn(self._short(node), self.span(node), base.origin, base.origin_span)
        return Dyn(self._short(node), self.span(node))

    def _iterated(self, iter_node, ctx) -> Vol | None:
        """The unordered source an iteration reads, anchored at the iteration for sets."""
        unordered = find_unordered(self.evaluate(iter_node, ctx))
        if unordered is not None and (unordered.at_use or unordered.span is None):
            return Vol(f"iterating {self._short(iter_node)}", "unordered", self.span(iter_node))
        return unordered

    def _comprehension(self, node, ctx) -> Val:
        if isinstance(node, cst.DictComp):  # a folder of prompt files loaded into a dict
            from promptlint.analysis.loading import comprehension

            loaded = comprehension(self, node, ctx)
            if loaded is not None:
                return loaded
        comp = node.for_in
        it = self.evaluate(comp.iter, ctx)
        if isinstance(node, (cst.SetComp,)):
            return Vol(self._short(node), "unordered", self.span(node), at_use=True)
        unordered = self._iterated(comp.iter, ctx)
        if unordered is not None:
            return unordered
        if is_static(it) and comp.inner_for_in is None:
            return Det(self._short(node))
        return Dyn(self._short(node), self.span(node))

    def _binop(self, node: cst.BinaryOperation, ctx) -> Val:
        op = node.operator
        left = self.evaluate(node.left, ctx)
        if isinstance(op, cst.Add):
            return concat(left, self.evaluate(node.right, ctx))
        if isinstance(op, cst.Modulo) and isinstance(left, Text):
            return percent_format(left, self.evaluate(node.right, ctx))
        if isinstance(op, cst.Divide):  # pathlib: Path(__file__).parent / "prompts" / name
            from promptlint.analysis.loading import divide

            joined = divide(self, left, self.evaluate(node.right, ctx))
            if joined is not None:
                return joined
        if isinstance(op, cst.Multiply):
            repeated = repeat_text(left, self.evaluate(node.right, ctx), self._short(node), self.span(node))
            if repeated is not None:
                return repeated
        if isinstance(op, cst.BitOr):  # LCEL: prompt | llm | parser
            right = self.evaluate(node.right, ctx)
            for side, other in ((left, right), (right, left)):
                if isinstance(side, Client) and side.kind in self._chat_kinds():
                    prompt = side.prompt or (other if side is right else None)
                    return Client(side.kind, side.cls, side.path, side.ctor, side.ctor_ctx, prompt)
            return Dyn(self._short(node), self.span(node))
        return Dyn(self._short(node), self.span(node))

    @staticmethod
    @cache
    def _chat_kinds() -> frozenset[str]:
        return frozenset(sdk_data()["call_methods"])

    # -- calls ------------------------------------------------------------
    def _call(self, node: cst.Call, ctx) -> Val:
        fn = node.func
        if isinstance(fn, cst.Attribute):
            service = service_client(self, node, ctx)
            if service is not None:
                return service
            method = fn.attr.value
            if method in self.passthrough_methods and node.args:  # stack.enter_async_context(client)
                return self.evaluate(node.args[0].value, ctx)
            recv = self.evaluate(fn.value, ctx)
            special = self._method_on(recv, method, node, ctx)
            if special is not None:
                return special
            callee = self._attribute(fn, ctx) if not isinstance(recv, (Text, Seq, Map)) else Dyn(method)
        else:
            callee = self.evaluate(fn, ctx)
        if isinstance(callee, Ref):
            return self._call_ref(callee.qual, node, ctx)
        if isinstance(callee, LocalFunc):
            return self._call_local(callee.info, node, ctx)
        if isinstance(callee, Factory):
            return callee.client
        if isinstance(callee, Returns):
            return callee.value
        if isinstance(callee, Client):
            if isinstance(fn, cst.Attribute) and fn.attr.value in self.transparent:
                return callee  # client.with_options(timeout=5) is the same client
            return self._call_client(callee, node, ctx)
        if isinstance(callee, Alt) and client_options(callee):
            # one of several chat models (by provider): `llm.bind_tools(tools)` on each
            if isinstance(fn, cst.Attribute) and fn.attr.value in self.transparent:
                return callee
            return Alt([self._call_client(o, node, ctx) for o in callee.options])
        if isinstance(callee, Vol):
            return callee
        if isinstance(callee, Dyn) and callee.origin == "llm":
            # A method of a model's answer (`.strip()`, `.get("model")`) is still the model's answer.
            return Dyn(self._short(node), self.span(node), "llm", callee.origin_span)
        return self._opaque_call(node, ctx)

    def _opaque_call(self, node, ctx) -> Val:
        # An unknown function of a volatile value is volatile: fmt(datetime.now()).
        answer = None
        for a in node.args:
            val = self.evaluate(a.value, ctx)
            if isinstance(val, Vol):
                return val
            if isinstance(val, Dyn) and val.origin == "llm":
                answer = val  # json.loads(answer), MODELS.get(answer): derived from a model's answer
        if answer is not None:
            return Dyn(self._short(node), self.span(node), "llm", answer.origin_span)
        return Dyn(self._short(node), self.span(node))

    def _method_on(self, recv: Val, method: str, node: cst.Call, ctx) -> Val | None:
        args = node.args
        from promptlint.analysis import loading

        if isinstance(recv, (loading.PathVal, loading.FileHandle, loading.JinjaEnv, loading.JinjaTemplate)):
            found = loading.method(self, recv, method, node, ctx)
            if found is not None:
                return found
        if isinstance(recv, Alt) and method in STR_METHODS | {"format", "join"}:
            return Alt([self._method_on(o, method, node, ctx) or Dyn(method) for o in recv.options])
        if isinstance(recv, Text):
            if method == "format":
                return self._format(recv, args, ctx)
            if method == "format_map" and args:
                return self._format(recv, [], ctx, self.evaluate(args[0].value, ctx))
            if method == "join" and args:
                return join_text(recv, self.evaluate(args[0].value, ctx))
            if method in STR_METHODS:
                values = [self.evaluate(a.value, ctx) for a in args]
                if method == "replace":  # `template.replace("{{DATE}}", today)` on text read from a file
                    filled = loading.replace_marker(recv, values)
                    if filled is not None:
                        return filled
                return str_method(recv, method, values)
            return None
        if isinstance(recv, Vol) and recv.kind == "unordered" and method == "pop":
            return Dyn(self._short(node), self.span(node))  # one item: an item has no order
        if isinstance(recv, Vol):
            return recv
        if method in volatile_data()["unordered"]["methods"] and not isinstance(recv, (Client, Map, Seq)):
            return Vol(self._short(node), "unordered", self.span(node))
        if method == "read" and isinstance(fn_val := recv, Dyn) and isinstance(node.func.value, cst.Call):
            opener = self.evaluate(node.func.value.func, ctx)
            if isinstance(opener, Ref) and opener.qual == "builtins.open":
                inner = node.func.value.args
                if inner and is_static(self.evaluate(inner[0].value, ctx)):
                    return Det(f"contents of {self._short(inner[0].value)}")
            return fn_val
        if method in ("read_text",) and isinstance(recv, Dyn):
            return recv
        if isinstance(recv, Items) and method in ("get", "pop", "setdefault", "__getitem__"):
            return recv.item
        if isinstance(recv, Map) and method in ("copy",):
            return recv
        if (isinstance(recv, Map) and recv.obj == "string.Template" and method in ("substitute", "safe_substitute")
                and isinstance(recv.items.get("_arg0"), Text)):
            mapping = self.evaluate(args[0].value, ctx) if args and args[0].keyword is None else None
            return self._format(dollar_to_braces(recv.items["_arg0"]), [a for a in args if a.keyword is not None],
                                ctx, mapping)
        if isinstance(recv, Map) and method == "get" and args:
            key = static_text(self.evaluate(args[0].value, ctx))
            if key is not None and key in recv.items:
                return recv.items[key]
        if isinstance(recv, Map) and method in ("keys", "values", "items") and not recv.opaque:
            pick = {"keys": lambda: [Text([Segment("static", k)]) for k in recv.items],
                    "values": lambda: list(recv.items.values()),
                    "items": lambda: [Seq([Text([Segment("static", k)]), v]) for k, v in recv.items.items()]}
            return Seq(pick[method]())
        if isinstance(recv, Seq) and method == "copy":
            return recv
        if isinstance(recv, Map) and recv.obj and not recv.opaque and recv.items and not node.args:
            return container_method(self, recv, method, ctx)
        return None

    def _format(self, template: Text, args, ctx, mapping: Val | None = None) -> Val:
        positional = [self.evaluate(a.value, ctx) for a in args if a.keyword is None and not a.star]
        named = {a.keyword.value: self.evaluate(a.value, ctx) for a in args if a.keyword is not None}
        for a in args:
            if a.star == "**":
                inner = self.evaluate(a.value, ctx)
                if isinstance(inner, Map):
                    named.update(inner.items)
        if isinstance(mapping, Map):
            named.update(mapping.items)
        out: list[Segment] = []
        auto = 0
        for seg, field_name in format_fields(template.segs):
            if field_name is None:
                out.append(seg)
                continue
            head = re.split(r"[.\[]", field_name, maxsplit=1)[0]
            accessor = field_name[len(head):]  # `{user.name}` / `{items[0]}`
            if head == "":
                head = str(auto)
                auto += 1
            if head.isdigit():
                idx = int(head)
                val = positional[idx] if idx < len(positional) else Unk(field_name)
            else:
                val = named.get(head, Unk(field_name))
            if accessor and not isinstance(val, Vol):
                val = Det(field_name) if is_static(val) else Dyn(field_name)
            if isinstance(seg.span, TemplateSpan):  # a placeholder of a template file: report it there
                from promptlint.analysis.loading import anchored

                out += anchored(segments(val), seg.span)
            else:
                out += segments(val)
        return Text(merge(out))

    def _call_ref(self, qual: str, node: cst.Call, ctx) -> Val:
        from promptlint.analysis.loading import call as loading_call

        loaded = loading_call(self, qual, node, ctx)  # a prompt file, its path, or its parsed content
        if loaded is not None:
            return loaded
        args = node.args
        if qual == "functools.partial" and args and args[0].keyword is None and not args[0].star:
            return Bound(self.evaluate(args[0].value, ctx), list(args[1:]))
        first = self.evaluate(args[0].value, ctx) if args else None
        kind = volatile_kind_of_call(qual)
        if kind == "unordered" and qual.split(".")[-1] in ("set", "frozenset") and not args:
            return Seq([])
        if kind == "unordered" and qual.endswith("shuffle"):
            return Num(None)
        if kind is not None:
            if qual == "time.strftime" and len(args) > 1:
                return Dyn(self._short(node), self.span(node))
            is_set = qual in ("builtins.set", "builtins.frozenset")
            return Vol(self._short(node), kind, self.span(node), at_use=is_set)
        if qual in ("textwrap.dedent", "inspect.cleandoc") and first is not None:
            return dedent(first, qual == "inspect.cleandoc")
        if qual in ("builtins.str", "builtins.format") and first is not None:
            return first
        if qual in ("builtins.sorted", "builtins.list", "builtins.tuple", "builtins.reversed") and first is not None:
            if isinstance(first, Vol) and first.kind == "unordered":
                return Det(self._short(node)) if qual == "builtins.sorted" else first
            if isinstance(first, Seq):
                return Seq(first.items, None if qual == "builtins.sorted" else first.unordered, first.node)
            return first
        if qual == "builtins.dict":
            m = Map({}, node=node)
            for a in args:
                if a.keyword is not None:
                    m.items[a.keyword.value] = self.evaluate(a.value, ctx)
                else:
                    merge_map(m, self.evaluate(a.value, ctx))
            return m
        if qual in ("json.dumps", "orjson.dumps", "yaml.dump", "yaml.safe_dump", "pprint.pformat"):
            return self._dumps(qual, first, node, ctx)
        if qual in self.passthrough and first is not None:
            return first
        if qual.split(".")[-1] in ("from_messages", "from_template") and first is not None:
            return first  # a LangChain prompt template: its text, with {placeholders}
        client = self._client_class(qual, node, ctx)
        if client is not None:
            return client
        if qual.startswith("builtins.") and qual[9:] in self.index.classes:
            return self._kwargs_map(node, ctx, qual[9:])
        built = self._factory_class(qual)
        if built is not None:  # `Provider.from_config(...)`, a classmethod returning `cls(...)`
            return Map({}, opaque=True, obj=built, node=node)
        last = qual.split(".")[-1]
        if last[:1].isupper() and not last.isupper():
            # A constructor (config object, message class): keep its keyword arguments.
            m = self._kwargs_map(node, ctx, qual)
            if args and args[0].keyword is None:
                m.items.setdefault("_arg0", first)
            return m
        return self._opaque_call(node, ctx)

    def _factory_class(self, qual: str) -> str | None:
        """The class `qual` (`pkg.llm.Provider.from_provider`) builds: a classmethod of a class of
        another project module whose every return is `cls(...)` (project.factory_class); None
        otherwise, and where other modules are not read."""
        owner = qual.rpartition(".")[0]
        if "." not in owner or not owner.rpartition(".")[2][:1].isupper():
            return None
        if self.read_factory is None or self.importer is None:
            return None
        return self.read_factory(self.importer, qual, self.hops)

    def _kwargs_map(self, node: cst.Call, ctx, obj: str) -> Map:
        """A constructor call as the map of its keyword arguments (`**params` merged in)."""
        out = Map({}, obj=obj, node=node)
        for a in node.args:
            if a.keyword is not None:
                out.items[a.keyword.value] = self.evaluate(a.value, ctx)
                out.spans[a.keyword.value] = self.span(a.value)
            elif a.star == "**":
                merge_map(out, self.evaluate(a.value, ctx))
        return out

    def _dumps(self, qual, first, node, ctx) -> Val:
        if first is None:
            return Unk("dumps")
        if isinstance(first, Vol):
            return first
        unordered = find_unordered(first)
        if unordered is not None:
            return unordered
        from promptlint.analysis.pretty import pretty_dump

        pretty = pretty_dump(self, qual, first, node, ctx)
        if pretty is not None:
            return pretty
        value = python_value(first)
        if value is not MISSING and qual == "json.dumps":
            kwargs = {}
            for a in node.args[1:]:
                if a.keyword is not None and a.keyword.value in ("indent", "sort_keys", "ensure_ascii"):
                    kv = python_value(self.evaluate(a.value, ctx))
                    if kv is not MISSING:
                        kwargs[a.keyword.value] = kv
            try:
                return Text([Segment("static", json.dumps(value, **kwargs))])
            except (TypeError, ValueError):
                pass
        if is_static(first):
            return Det(self._short(node))
        return Dyn(self._short(node), self.span(node))

    def _client_class(self, qual: str, node: cst.Call | None, ctx) -> Client | None:
        if qual in self.clients:
            return Client(self.clients[qual], qual, (), node, captured(ctx))
        if qual in self.model_classes:
            return Client(self.model_classes[qual]["kind"], qual, (), node, captured(ctx))
        return None

    def _call_local(self, info: FunctionInfo, node: cst.Call | None, ctx) -> Val:
        if ctx.depth > MAX_DEPTH - 10 or not info.returns:
            return Dyn(info.name)
        bindings: dict[str, Val] = {}
        params = [p for p in [*info.node.params.posonly_params, *info.node.params.params]]
        if params and info.class_name and params[0].name.value in ("self", "cls"):
            params = params[1:]
        kwonly = {p.name.value: p for p in info.node.params.kwonly_params}
        args = node.args if node is not None else []
        positional = [a for a in args if a.keyword is None and not a.star]
        for p, a in zip(params, positional):
            bindings[p.name.value] = self.evaluate(a.value, ctx)
        for a in args:
            if a.keyword is not None and (a.keyword.value in kwonly or any(p.name.value == a.keyword.value for p in params)):
                bindings[a.keyword.value] = self.evaluate(a.value, ctx)
        for p in [*params, *kwonly.values()]:
            name = p.name.value
            if name not in bindings:
                if p.default is not None:
                    bindings[name] = self.evaluate(p.default, EvalContext(None, END, (), None, ctx.depth + 1))
                else:
                    bindings[name] = self._param(info, name, None, ctx)
        options = []
        for ret in info.returns:
            sub = EvalContext(info, self.pos(ret), (), bindings, ctx.depth + 1, ctx.self_class)
            options.append(self.evaluate(ret, sub))
        clients = [o for o in options if isinstance(o, Client)]
        if clients:
            return clients[0]
        return options[0] if len(options) == 1 else Alt(options)

    def _call_client(self, client: Client, node: cst.Call, ctx) -> Val:
        return client_call_result(self, client, node, ctx)


def _llm_key(node: cst.Subscript, ctx, evaluator: "Evaluator") -> "Dyn | None":
    """The subscript's key when it is the result of an LLM call (`MODELS[label]`)."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    key = evaluator.evaluate(node.slice[0].slice.value, ctx)
    return key if isinstance(key, Dyn) and key.origin == "llm" else None


def merge_map(target: Map, inner: Val) -> None:
    if isinstance(inner, Map):
        target.items.update(inner.items)
        target.spans.update(inner.spans)
        target.opaque = target.opaque or inner.opaque
    else:
        target.opaque = True


# -- what a call on a client returns ------------------------------------------
def client_call_result(evaluator: Evaluator, client: Client, node: cst.Call, ctx) -> Val:
    sdk = sdk_data()
    path = ".".join(client.path)
    entry = sdk["methods"].get(client.kind, {}).get(path)
    if entry is None:
        entry = sdk["call_methods"].get(client.kind, {}).get(path)
    if isinstance(entry, dict) and "returns" in entry:
        if client.cls in sdk["model_classes"] and client.ctor is not None:
            # model.start_chat(): the session sends what the model was built with
            return Client(entry["returns"], client.cls, (), client.ctor, client.ctor_ctx)
        return Client(entry["returns"], client.cls, (), node, captured(ctx))
    if isinstance(entry, str):
        return Dyn(evaluator._short(node), evaluator.span(node), origin="llm", origin_span=evaluator.span(node))
    if client.path and client.path[-1] in (*sdk["derived_methods"], *sdk["transparent_links"]):
        return client.with_path(client.path[:-1])  # llm.bind_tools(...) is the same model
    return Dyn(evaluator._short(node), evaluator.span(node))


def service_client(evaluator: Evaluator, node: cst.Call, ctx) -> Client | None:
    """`boto3.client("bedrock-runtime")`, `session.create_client("bedrock-runtime")`."""
    services = sdk_data()["service_clients"]
    if not (isinstance(node.func, cst.Attribute) and node.func.attr.value in services["methods"]):
        return None
    arg = node.args[0].value if node.args else None
    for a in node.args:
        if a.keyword is not None and a.keyword.value == "service_name":
            arg = a.value
    name = static_text(evaluator.evaluate(arg, ctx)) if arg is not None else None
    if name in services["services"]:
        return Client(services["services"][name], f"boto3.client({name!r})", (), node, captured(ctx))
    return None


def _positional_params(func: FunctionInfo) -> list[str]:
    """The names a call fills by position, without a method's `self` / `cls`."""
    params = [p.name.value for p in (*func.node.params.posonly_params, *func.node.params.params)]
    return params[1:] if func.class_name and params and params[0] in ("self", "cls") else params


# -- message containers -------------------------------------------------------------
def container_method(ev: "Evaluator", recv: Map, method: str, ctx) -> Val | None:
    """`chunks.all_messages()` on an instance of a project class built here, whose attributes
    were set after it was built (`chunks.system = [...]`) or passed to it: what the method
    returns, read with `self` bound to that instance. Only a getter (no argument besides self)
    whose every return reads `self.`, on an instance whose attributes are all known (not a
    parameter typed with the class): a message container, not arbitrary code. The class is this
    module's, or another project module's (read_method); None when it is neither or the method
    does not qualify."""
    if ctx.depth > 6:
        return None
    found = _local_method(ev, recv.obj, method)
    if found is None and "." in recv.obj and ev.read_method is not None and ev.importer is not None:
        found = ev.read_method(ev.importer, recv.obj, method, ev.hops)
    if found is None:
        return None
    owner, info, cls = found
    params = [*info.node.params.posonly_params, *info.node.params.params, *info.node.params.kwonly_params]
    if [p.name.value for p in params] != ["self"] or not info.returns:
        return None
    if not all("self." in owner.code(ret) for ret in info.returns):
        return None
    values = [owner.evaluate(ret, EvalContext(info, owner.pos(ret), (), {"self": recv}, ctx.depth + 1, cls))
              for ret in info.returns]
    return values[0] if len(values) == 1 else Alt(values)


def _local_method(ev: "Evaluator", obj: str, method: str):
    name = obj[len("builtins."):] if obj.startswith("builtins.") else obj
    info = ev.method_of(name, method) if name in ev.index.classes else None
    return (ev, info, name) if info is not None else None


def instance_attr(ev: "Evaluator", bound: Map, attr: str, ctx) -> Val | None:
    """`self.attr` inside a container method: what was set on the instance, else a dataclass
    `field(default_factory=list)` default (an empty list); else None (the class decides)."""
    if attr in bound.items:
        return bound.items[attr]
    top = ctx.func
    while top is not None and top.parent is not None:
        top = top.parent
    cls = ev.index.classes.get(ctx.self_class or (top.class_name if top else "") or "")
    declared = cls.attrs.get(attr) if cls is not None else None
    if not (isinstance(declared, cst.Call) and dotted(declared.func).split(".")[-1] == "field"):
        return None
    factory = next((dotted(a.value) for a in declared.args
                    if a.keyword is not None and a.keyword.value == "default_factory"), None)
    return Seq([]) if factory == "list" else Map({}) if factory == "dict" else None


class _Enough(Exception):
    pass


@cache
def _bounded_state():
    """libcst's code generation state, stopping once the text holds more than `limit`
    characters after its leading whitespace (a long call's text is cut to 60 anyway). It is
    not public API: a libcst without it renders whole nodes."""
    try:
        from libcst._nodes.internal import CodegenState
    except ImportError:  # pragma: no cover
        return None

    class BoundedState(CodegenState):
        __slots__ = ("limit", "size")

        def add_token(self, value: str) -> None:
            self.tokens.append(value)
            self.size += len(value)
            if self.size > self.limit and len("".join(self.tokens).strip()) > self.limit:
                raise _Enough

    return BoundedState


def _code_prefix(module: cst.Module, node: cst.CSTNode, limit: int) -> str:
    """The code of `node`, or a prefix of it whose stripped text is longer than `limit`: then
    the whole code, stripped, is longer too and starts with the same characters."""
    kind = _bounded_state()
    if kind is None:  # pragma: no cover
        return module.code_for_node(node)
    state = kind(default_indent=module.default_indent, default_newline=module.default_newline)
    state.limit, state.size = limit, 0
    try:
        node._codegen(state)
    except _Enough:
        pass
    return "".join(state.tokens)
