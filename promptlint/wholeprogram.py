"""Wrapper sites: every call of a project function that sends an LLM request is a
call site in its own right.

The project index (project_index.py) names the candidate wrappers. Here, at a
call of one, the callee is resolved by value (the evaluator: a local function,
an import, a method of an object whose class is known, or of a class the module
imports), the wrapper's module is parsed, and its *summary* is applied: the
request its body sends is rebuilt with the wrapper's parameters bound to the
caller's arguments (`**kwargs` holds the caller's extra keywords), following
wrapper-of-wrapper calls up to MAX_CHAIN layers. The request is rebuilt by the
same catalog-driven code as a direct call (CallSiteFinder.build), so a new SDK
shape or a new kind of template value flows through without changes here.

Two shapes of multi-provider code are followed (Resolver.callees): a function handed to an
executor (`pool.submit(backend.inference, model, prompt)`: a call of `backend.inference` with
the arguments that follow), and dispatch: a method called on a value of unknown type, in a
module that builds instances of several classes each having a wrapper method of that name
(`{"openai": OpenAIBackend(), "claude": ClaudeBackend()}[provider]`), reaches every one of them.
Such a call is one site (one inventory row, naming the other implementations); the rules run
on each implementation, so a problem that holds for one provider is reported, naming it.

Class hierarchies (override dispatch): a call on `self` reaches the method the class of `self`
has by its method resolution order, across modules (the index's alias rows), when the expansion
knows that class (`OpenAIBackend().reply(...)`: the base class's `reply`, then the subclass's
`_send`); when it does not (the base class's own code, a receiver known only by its base class),
every override that sends a request is a candidate, as in dispatch ("one of N implementations",
the finding holding for the one it names). Past MAX_IMPLEMENTATIONS requesting overrides the
call is still a site, but no rule is run on it. Hops count against MAX_CHAIN, and MAX_EXPANSIONS
bounds the functions expanded for one call.

Typed receivers (Resolver.declared): a method called on a receiver whose value does not show its
class but whose annotation does (`llm: Optional[BaseLLM] = None` in the class body, `self.llm:
BaseLLM = ...`, a property or function annotated `-> BaseLLM`, a parameter `llm: BaseLLM`; read
by analysis/declared.py in the calling module) reaches that class's method, or, when subclasses
override it, each requesting implementation as above (one of N). A receiver declared as a project
class whose method sends nothing is no site: the method's name alone no longer decides.

What a wrapper's body works out is shared by all its callers (its *summary*): the wrapper's
module is parsed and its direct requests found once per process (`load`), its own codes and
what it leaves to callers once per wrapper (`_BODIES`), and while a caller's arguments are
bound, the evaluator keeps every value that read none of them under the bindings' shape
rather than their identity (evaluator.BindingReads; binding.Bindings counts the reads). The
second caller of `chat` in a file gets the system prompt, the model, the client and the
module constants from that memo; only what reads its own arguments (its messages, its cap)
is evaluated again, so a caller costs what it supplies, not what the body holds. Which
wrapper a call reaches is resolved once per way of writing the callee in a function
(`Resolver.callee`), when its first name reads the same at every line there.

Every rule then runs on the wrapper site, reported at the caller. A rule that
already fires on the wrapper's body with its parameters unbound (the body
decides: `ask_llm` never sets a cap) is reported there, once, not again at
every caller. A parameter of a wrapper the project calls is its callers' to fill
(evaluator.callers_decide, values.Dyn.by_caller): a rule does not blame the body for
what it holds where the body only passes it on (PL104: a cached block that is just that
parameter), the wrapper sites judge each caller's value. Prompt text from the wrapper's
module keeps its file (`origin`); other values from it have no position in the caller's
file, so rules fall back to the call. The wrapper's modules are dependencies of the
caller's cached result.
"""

from __future__ import annotations

import ast
import functools
import os
import re
from dataclasses import dataclass, field, replace

import libcst as cst

from promptlint.analysis import project
from promptlint.analysis.binding import bind
from promptlint.analysis.evaluator import BindingReads, EvalContext, Evaluator
from promptlint.analysis.declared import class_of, receiver_annotation
from promptlint.analysis.index import END, CallInfo, FunctionInfo, ModuleIndex, dotted, last_name, replaces
from promptlint.analysis.positions import exact_span
from promptlint.analysis.templates import file_stamp
from promptlint.model import CallSite, Finding, LazySpan, PromptPart
from promptlint.project_index import GENERIC, OVERRIDE
from promptlint.analysis.values import Dyn, LocalFunc, Map, Ref, Unk

# Hops of one expansion: caller -> wrapper -> wrapper -> wrapper -> SDK call (project_index.MAX_LAYERS
# + 1). Letting a hop down to a wrapper nearer its request cost nothing was tried and left out (+5 %
# of crewAI's run). MAX_HOPS bounds every chain.
MAX_CHAIN = 3
MAX_HOPS = 10
# Functions expanded for one call of a wrapper, depth first in source order: a web of methods that
# call each other (a workflow engine's run loop) would otherwise be walked along every path.
MAX_EXPANSIONS = 24
# A call on `self` whose class is not known reaches every implementation of the method (override
# dispatch). Past this many implementations that send a request, the call stays a call site (the
# first implementation's request) but the rules are not run on it: a finding would stand on one
# provider out of many, picked by configuration the analysis does not see. Each implementation
# checked parses its module in every worker (5 cost crewAI +11 % of its run: six BaseLLM.call).
MAX_IMPLEMENTATIONS = 3
MAX_SITES = 60  # wrapper sites analysed per file, in source order; the rest are left out (a warning says so)
MAX_MODULES = 16  # parsed wrapper modules kept per process
# Rules that read the whole module rather than its call sites (retrieval calls): the file's own
# analysis reports them.
FILE_LEVEL = frozenset({"PL402"})


class ForeignSpan(LazySpan):
    """A span in another module than the checked one (`origin`, its display path)."""

    __slots__ = ("origin",)

    def __init__(self, compute, origin: str) -> None:
        super().__init__(compute)
        object.__setattr__(self, "origin", origin)


@dataclass
class Module:
    """One analysed module: its index, evaluator and, function by function, its direct call sites."""

    path: str
    text: str
    index: ModuleIndex
    ev: Evaluator
    finder: object  # callsites.CallSiteFinder (None: the checked file seen as the caller)
    by_qualname: dict[str, FunctionInfo] = field(default_factory=dict)
    foreign: bool = True
    parsed_as: bytes | None = None  # the key of its tree in _PARSED (parsed())
    _calls: dict[int, list[CallInfo]] | None = None
    _sites: dict[int, list[tuple[CallSite, CallInfo]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for info in self.index.all_functions:
            if replaces(self.by_qualname.get(info.qualname), info):
                self.by_qualname[info.qualname] = info

    def calls_in(self, func: FunctionInfo) -> list[CallInfo]:
        """The calls made in `func`'s body, its nested functions' included (a retry or generator
        closure, `def attempt(): return client.chat.completions.create(...)`, holds the request
        of the function that defines it, as the project index counts it); grouped once per
        module, not scanned per expansion."""
        if self._calls is None:
            self._calls = {}
            for info in self.index.calls:
                inner = info.func
                while inner is not None:
                    self._calls.setdefault(id(inner), []).append(info)
                    inner = inner.parent
        return self._calls.get(id(func), [])

    def sites_in(self, func: FunctionInfo) -> list[tuple[CallSite, CallInfo]]:
        """The direct LLM call sites in `func`'s body, found when a wrapper is first expanded: the
        module's other calls are never matched (crewAI's agent/core.py: 0.49 s for the whole
        module, which holds no direct site, against a few milliseconds for its wrappers)."""
        if id(func) not in self._sites:
            sites, _ = self.finder.run(self.calls_in(func))
            self._sites[id(func)] = [(site, self.finder.infos[id(site)]) for site in sites]
        return self._sites[id(func)]


@dataclass
class Hop:
    """One layer a wrapper site goes through: the function, and where its request is sent."""

    name: str
    path: str
    line: int
    others: int = 0  # other implementations the call may reach instead (dispatch: one of several providers)
    # Which of those implementations this is: past the first, the rules read the request, but it is
    # the first one's call site (the inventory lists one row per call, naming the others).
    nth: int = 0
    unchecked: bool = False  # one of more than MAX_IMPLEMENTATIONS: a call site, no rule is run on it
    column: int = 0  # with `line`: where the call is, which is a call site of its own there too

    def shown(self) -> str:
        more = f" or {self.others} other implementation{'s' if self.others > 1 else ''}" if self.others else ""
        if self.unchecked:
            more += " (too many to check)"
        return f"{self.name} ({self.path}:{self.line}){more}"


_MODULES: dict[tuple, Module | None] = {}
_BODIES: dict[tuple, tuple] = {}  # (path, stamp, qualname, settings) -> (codes its body reports, what it leaves)


def load(path: str, settings, analysis: str) -> Module | None:
    """Parse another module of the project in full (cached per process while its bytes are unchanged);
    `analysis`: settings.analysis_hash(), which the caller works out once per checked file."""
    shown = project.shown_path(path)
    key = (shown, file_stamp(path), analysis)
    if key in _MODULES:
        return _MODULES[key]
    found = None
    try:
        if os.path.getsize(path) <= project.MAX_BYTES:
            with open(path, "rb") as fh:
                source = fh.read()
            found = _analyse(shown, source, settings)
    except Exception:  # noqa: BLE001 - an unreadable wrapper module only costs precision
        found = None
    if len(_MODULES) >= MAX_MODULES:
        _MODULES.pop(next(iter(_MODULES)))
    _MODULES[key] = found
    return found


def _analyse(shown: str, source: bytes, settings) -> Module:
    from promptlint.analysis.callsites import CallSiteFinder
    from promptlint.analysis.slicing import relevant_source
    from promptlint.outline import module_outline
    from promptlint.project_index import called_wrappers

    from promptlint import trees

    tree = trees.peek(source) or ast.parse(source)  # the project index's tree, while the run keeps it
    # What the module's own analysis parses (engine._lint_python): only what an LLM call can depend
    # on, which holds its wrappers; the same bytes, so one parse serves both (parsed()).
    plan = module_outline(tree, settings, source, shown)
    data = source
    if plan.candidates:
        data, tree = relevant_source(source, plan)
    key = _digest(data)
    module, index = parsed(data, tree, key)
    ev = Evaluator(index, module, importer=shown, read_import=project.imported_constant,
                   read_member=project.class_member, read_method=project.class_method,
                   read_factory=project.factory_class)
    positions = index.positions
    ev.span = lambda node: ForeignSpan(lambda: exact_span(positions, node), shown)
    ev.callers_decide = called_wrappers(settings.project_wrappers, shown)
    text = source.decode(module.encoding, errors="replace")
    return Module(shown, text, index, ev, CallSiteFinder(ev, index, shown, settings), parsed_as=key)


# libcst trees of wrapper modules with their indexes, by a digest of the bytes parsed: a module is
# parsed and walked once per process, whether its own analysis or another file's wrapper site reads
# it first (crewAI: 12 of the 15 wrapper modules a run reads are checked files too).
_PARSED: dict[bytes, tuple] = {}


def parsed(data: bytes, tree, key: bytes | None = None) -> tuple:
    """(libcst's tree of `data`, its ModuleIndex); `tree`: the `ast` tree of the same bytes;
    `key`: _digest(data), when the caller has it."""
    from promptlint.analysis.positions import LazyPositions
    from promptlint.analysis.walk import visit
    from promptlint.trees import cst_module

    key = key or _digest(data)
    if key not in _PARSED:
        # A wrapper module loaded earlier holds its tree still, though other modules parsed since
        # pushed it out of _PARSED (mem0: its 150 KB Memory class, loaded for the examples that
        # call it, then parsed again for its own analysis).
        held = next((m for m in _MODULES.values() if m is not None and m.parsed_as == key), None)
        if held is not None:
            module, index = held.ev.module_code, held.index
        else:
            module = cst_module(data)
            index = ModuleIndex(LazyPositions(module, tree))
            visit(module, index)
        if len(_PARSED) >= MAX_MODULES:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = (module, index)
    return _PARSED[key]


def _digest(data: bytes) -> bytes:
    import hashlib

    return hashlib.blake2b(data, digest_size=16).digest()


def holds_wrappers(settings, path: str) -> bool:
    """Does the module at display path `path` define one of the project's wrappers?"""
    return path in _wrapper_paths(settings.project_wrappers)


@functools.cache
def _wrapper_paths(table: tuple) -> frozenset[str]:
    return frozenset(row[3] for row in table)


# -- resolving a call to a project function ------------------------------------
# A wrapper a call reaches: its module, its function, and the class of its `self` when the caller
# knows it ((path, class name): `OpenAIBackend().reply(...)` runs the base class's `reply` for an
# OpenAIBackend), else None.
Target = tuple  # (Module, FunctionInfo, tuple[str, str] | None)


class Resolver:
    def __init__(self, here: Module, settings) -> None:
        self.here = here
        self.settings = settings
        table = settings.project_wrappers
        self.names = frozenset(t[0] for t in table)
        self.wrappers = {(t[1], t[2]) for t in table if (t[1], t[2]) == (t[3], t[4])}
        self.aliases = {(t[1], t[2]): (t[3], t[4]) for t in table
                        if (t[1], t[2]) != (t[3], t[4]) and t[5] != OVERRIDE}
        # (path, "Base.method") -> the implementations subclasses define that send a request, and
        # how many implementations there are in all (project_index.hierarchy_rows)
        self.overrides: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.implemented: dict[tuple[str, str], int] = {}
        for t in table:
            if t[5] == OVERRIDE:
                self.overrides.setdefault((t[1], t[2]), []).append((t[3], t[4]))
                self.implemented[(t[1], t[2])] = t[6]
        self.memo: dict = {}
        self.own = None  # () -> the checked file as a wrapper module (_self_module)

    @functools.cached_property
    def analysis(self) -> str:
        """settings.analysis_hash(), part of the keys of the process-wide memos (a fifth of a
        millisecond each time: crewAI asked 200 times)."""
        return self.settings.analysis_hash()

    def module(self, path: str) -> Module | None:
        if path == self.here.path:
            # a wrapper of the checked file reached from a hop: the file as a wrapper module
            return self.own() if self.own is not None else self.here
        return load(path, self.settings, self.analysis)

    def callees(self, mod: Module, info: CallInfo, ctx: EvalContext, self_cls=None) -> tuple[list, int, bool]:
        """The wrappers a call in `mod` may reach, each with the class of its `self` (or None) and
        the call as that wrapper receives it: one, or several when the module picks one of its
        providers' classes at run time (dispatch) or the call is on `self` of a class subclasses
        override the method in (override dispatch), or none; with how many implementations the
        call may reach in all, and whether there were too many to run the rules on. A function
        handed to an executor is called with the rest of the arguments
        (`executor.submit(model.inference, name, prompt)`)."""
        node = deferred(info.node) or info.node
        found = self.callee(mod, info, ctx, node.func, self_cls)
        if found is not None:
            return [(*found, node)], 1, False
        if self_cls is not None and _self_call(node.func, ctx) is not None:
            return [], 0, False  # the class of `self` is known: callee() decided
        impls, total, unchecked = self.overriding(mod, node.func, ctx)
        if impls:
            return [(*target, node) for target in impls], total, unchecked
        found = [(*target, node) for target in self.dispatch(mod, node.func, ctx)]
        return found, len(found), False

    def overriding(self, mod: Module, fn, ctx: EvalContext) -> tuple[list, int, bool]:
        """The implementations a method call may run when the class of its receiver is not known:
        those of `self.method(...)` (implementations), else of a receiver known only by its
        annotation (declared)."""
        impls, total, unchecked = self.implementations(mod, fn, ctx)
        return (impls, total, unchecked) if impls else self.declared(mod, fn, ctx)

    def implementations(self, mod: Module, fn, ctx: EvalContext) -> tuple[list, int, bool]:
        """`self.method(...)` where the class of `self` is not known: the method of the class
        that holds the code (when a wrapper) and every override of it in the project's
        subclasses (project_index.hierarchy_rows) that is a wrapper, each with its class as the
        class of `self`; how many implementations there are in all, requests or not; and whether
        more than MAX_IMPLEMENTATIONS send one (then only the first is listed)."""
        owner = _self_call(fn, ctx)
        if owner is None:
            return [], 0, False
        key = (mod.path, f"{owner}.{fn.attr.value}")
        rows = self.overrides.get(key)
        if not rows:
            return [], 0, False
        memo = ("implementations", *key, mod.finder is None)  # the same for every call in the module
        if memo not in self.memo:
            self.memo[memo] = self._implementations(self._wrapper(mod, key[1]) or self._alias(mod, key[1]), key, rows)
        return self.memo[memo]

    def _implementations(self, own: Target | None, key: tuple[str, str], rows: list) -> tuple[list, int, bool]:
        """`own`: the method `key` itself when it sends a request (a wrapper or an alias row)."""
        found = []
        if own is not None:
            found.append(own)
        requesting = [row for row in sorted(rows) if row in self.wrappers]
        unchecked = len(found) + len(requesting) > MAX_IMPLEMENTATIONS
        for path, qualname in requesting:
            if unchecked and found:
                break  # only the first one is expanded: its module alone is parsed
            target = self._target(path, qualname, (path, qualname.rpartition(".")[0]))
            if target is not None:
                found.append(target)
        return found, self.implemented.get(key, len(rows)) + (own is not None), unchecked

    def declared(self, mod: Module, fn, ctx: EvalContext) -> tuple[list, int, bool]:
        """`recv.method(...)` where only an annotation tells the class of `recv` (analysis/
        declared.py): that class's method when a wrapper, or, when subclasses override it (an
        abstract `BaseLLM.aask`), every implementation that sends a request, as for a call on
        `self` (one of N; past MAX_IMPLEMENTATIONS, no rule is run); with how many there are
        and whether too many. The instance may be of any subclass, so the class of `self` stays
        unknown inside the method."""
        cls = self._declared_class(mod, fn, ctx)
        if cls is None:
            return [], 0, False
        path, name = cls
        key = (path, f"{name}.{fn.attr.value}")
        memo = ("declared", *key)
        if memo not in self.memo:
            self.memo[memo] = self._declared_targets(self._reexported(key))
        return self.memo[memo]

    def _reexported(self, key: tuple[str, str]) -> tuple[str, str]:
        """`(app/llm/__init__.py, "LLMBase.complete")` for a class the package re-exports
        (`from app.llm import LLMBase`): the one module of the package whose rows hold that
        method, when the package module's own rows do not."""
        path, qualname = key
        if not path.endswith("__init__.py") or key in self.overrides or key in self.wrappers or key in self.aliases:
            return key
        package = path[: -len("__init__.py")]
        found = {p for p, q in (*self.overrides, *self.wrappers) if q == qualname and p.startswith(package)}
        return (found.pop(), qualname) if len(found) == 1 else key

    def _declared_targets(self, key: tuple[str, str]) -> tuple[list, int, bool]:
        rows = self.overrides.get(key)
        own = None
        if key in self.wrappers:  # only then is the declared class's module parsed (an abstract base's is not)
            own = self._target(*key)
        elif key in self.aliases:
            own = self._alias_at(*key)
        if rows:
            return self._implementations(own, key, rows)
        return ([own], 1, False) if own is not None else ([], 0, False)

    def _declared_class(self, mod: Module, fn, ctx: EvalContext) -> tuple[str, str] | None:
        """The project class (display path, name) the receiver of `fn` is declared as, or None:
        not a method call, no annotation, or one that names no class of the project."""
        if not isinstance(fn, cst.Attribute) or fn.attr.value not in self.names:
            return None
        ann = receiver_annotation(mod.index, fn.value, ctx.func)
        if ann is None:
            return None
        key = ("declared-class", mod.path, dotted(ann))  # a name written alike: the same class in the module
        if key not in self.memo:
            self.memo[key] = self._annotated_class(mod, ann)
        return self.memo[key]

    def _annotated_class(self, mod: Module, ann) -> tuple[str, str] | None:
        if isinstance(ann, cst.Name) and ann.value in mod.index.classes:
            return mod.path, ann.value
        val = mod.ev.evaluate(ann, EvalContext(None, END, ()))
        if not isinstance(val, Ref) or "." not in val.qual:
            return None
        module, _, name = val.qual.rpartition(".")
        path = project.module_file(mod.path, module)
        return (project.shown_path(path), name) if path is not None else None

    def dispatch(self, mod: Module, fn, ctx: EvalContext) -> list[Target]:
        """`model.inference(...)` on a value of unknown type, in a module that builds instances of
        several classes each having a wrapper method of that name (`{"OPENAI": OpenAi(), "CLAUDE":
        Claude()}[name]`): every one of them. Several candidates without that evidence (the
        module does not build them) are no answer: the method name alone could be anyone's."""
        if not isinstance(fn, cst.Attribute) or fn.attr.value in GENERIC or fn.attr.value not in self.names:
            return []
        key = ("dispatch", mod.path, fn.attr.value)
        if key not in self.memo:
            rows = self._imported_rows(mod, fn.attr.value)
            built = [row for row in rows if _builds(mod, row[1].rpartition(".")[0])]
            found = self._targets(rows) if len(rows) > 1 and len(built) == len(rows) else []
            self.memo[key] = found if len(found) > 1 else []
        if not self.memo[key]:
            return []
        recv = mod.ev.evaluate(fn.value, ctx)
        known = isinstance(recv, Ref) or (isinstance(recv, Map) and recv.obj)  # a type: callee() decides
        return [] if known else self.memo[key]

    def callee(self, mod: Module, info: CallInfo, ctx: EvalContext, fn=None, self_cls=None) -> Target | None:
        """The wrapper a call in `mod` reaches, with the class of its `self` when known, or None
        (`fn`: the callee expression, when not the call's; `self_cls`: the class of `self` in
        the calling code, (path, name), when the expansion knows it)."""
        fn = info.node.func if fn is None else fn
        last = last_name(fn)
        if last not in self.names:
            return None
        key = _callee_key(mod, fn, ctx)
        if key is None:
            return self._callee(mod, fn, last, ctx, self_cls)
        key = (*key, self_cls)
        if key not in self.memo:
            reads = BindingReads.count
            found = self._callee(mod, fn, last, ctx, self_cls)
            if BindingReads.count != reads:
                return found  # it read the caller's arguments: good for this call only
            self.memo[key] = found
        return self.memo[key]

    def _callee(self, mod: Module, fn, last: str, ctx: EvalContext, self_cls=None) -> Target | None:
        owner = _self_call(fn, ctx)
        if owner is not None and self_cls is not None:
            found, decided = self._on_class(self_cls, last, mod, owner)
            if decided:
                return found
        elif owner is not None and self.overrides.get((mod.path, f"{owner}.{last}")):
            return None  # one of several implementations: callees() lists them
        found = self._by_value(mod, fn, last, ctx)
        if found is not None and found[2] is None and owner is not None and self_cls is not None:
            return (found[0], found[1], self_cls)  # a method of this module's class chain, for the same instance
        return found

    def _by_value(self, mod: Module, fn, last: str, ctx: EvalContext) -> Target | None:
        cls = self._constructed(mod, fn, last, ctx)
        if cls is not None:
            return self._method(mod, cls, last)
        val = mod.ev.evaluate(fn, ctx)
        if isinstance(val, LocalFunc):
            return self._wrapper(mod, val.info.qualname)
        if isinstance(val, Ref):
            return self._qual(mod, val.qual)
        if isinstance(fn, cst.Attribute):
            recv = mod.ev.evaluate(fn.value, ctx)
            cls = recv.obj if isinstance(recv, Map) and recv.obj else recv.qual if isinstance(recv, Ref) else None
            if cls is not None:
                return self._method(mod, cls, last)
            if self._declared_class(mod, fn, ctx) is not None:
                return None  # declared a class of the project: that class decides (declared())
            if isinstance(recv, (Dyn, Unk)):
                return self._by_import(mod, last)
        return None

    def _method(self, mod: Module, cls: str, last: str) -> Target | None:
        """Method `last` of class `cls` as `mod` names it: a wrapper, or None."""
        if cls.startswith("builtins."):
            cls = cls[len("builtins."):]
        if "." not in cls and cls in mod.index.classes:
            return self._wrapper(mod, f"{cls}.{last}") or self._alias(mod, f"{cls}.{last}")
        return self._qual(mod, f"{cls}.{last}")

    def _on_class(self, self_cls: tuple[str, str], method: str, mod: Module, owner: str) -> tuple[Target | None, bool]:
        """`self.method(...)` in code of class `owner` (module `mod`) run for an instance of
        `self_cls`: the method that class has by its method resolution order, its own or one it
        inherits from another module, as the index records it; with whether that decides it
        (False: the class has no say of its own, the code's class chain is read as usual)."""
        path, cls = self_cls
        qualname = f"{cls}.{method}"
        if (path, qualname) in self.wrappers:
            return self._target(path, qualname, self_cls), True
        if (path, qualname) in self.aliases:
            return self._alias_at(path, qualname, self_cls), True
        if (mod.path, f"{owner}.{method}") in self.overrides and (path, cls) != (mod.path, owner):
            return None, True  # the class overrides it with a method that sends no request (or inherits one)
        return None, False

    def _alias(self, mod: Module, qualname: str, self_cls=None) -> Target | None:
        """A method `mod`'s class inherits from another module (an alias row of the index)."""
        return self._alias_at(mod.path, qualname, self_cls)

    def _alias_at(self, path: str, qualname: str, self_cls=None) -> Target | None:
        found = self.aliases.get((path, qualname))
        if found is None or "." not in qualname:
            return None
        return self._target(found[0], found[1], self_cls or (path, qualname.rpartition(".")[0]))

    def _constructed(self, mod: Module, fn, last: str, ctx: EvalContext) -> str | None:
        """`converter.to_pydantic()` after `converter = Converter(llm=..., text=..., ...)`: the
        project class the receiver was built from, found without evaluating the constructor's
        arguments (which the wrapper, reading `self` through its class, never uses)."""
        if not (isinstance(fn, cst.Attribute) and isinstance(fn.value, cst.Name)):
            return None
        cls = mod.ev.constructed_class(fn.value.value, ctx, last)
        if cls is None or cls in mod.index.classes:
            return cls
        # a class of a project module (not pathlib.Path or jinja2.Environment, which hold no instance)
        return cls if project.module_file(mod.path, cls.rpartition(".")[0] or cls) is not None else None

    def _target(self, path: str, qualname: str, self_cls=None) -> Target | None:
        """The wrapper `qualname` of the module at display path `path`, that module parsed (and
        recorded as one the checked file's result depends on)."""
        module = self.module(path)
        if module is None:
            return None
        project.DEPENDENCIES.add(path)
        return self._wrapper(module, qualname, self_cls)

    def _wrapper(self, mod: Module, qualname: str, self_cls=None) -> Target | None:
        if (mod.path, qualname) not in self.wrappers:
            return None
        info = mod.by_qualname.get(qualname)
        return (mod, info, self_cls) if info is not None else None

    def _qual(self, mod: Module, qual: str, hops: int = 0) -> Target | None:
        """`app.llm.chat` or `.gateway.ModelGateway.generate` as imported in `mod`, through
        `__init__` re-exports."""
        found = self._qual_row(mod, qual)
        return self._target(*found) if found is not None else None

    def _qual_row(self, mod: Module, qual: str) -> tuple[str, str, tuple | None] | None:
        """The wrapper `qual` names as `mod` imports it, (display path, qualname, class of its
        `self` or None), found in the table without parsing its module; None: no wrapper."""
        parts = qual.split(".")
        for i in range(len(parts) - 1, 0, -1):
            name = ".".join(parts[:i])
            if not name.strip("."):
                continue
            path = project.module_file(mod.path, name)
            if path is None:
                continue
            shown = project.shown_path(path)
            rest = ".".join(parts[i:])
            self_cls = None
            if (shown, rest) in self.aliases:
                owner = rest.rpartition(".")[0]
                found = self.aliases[(shown, rest)]
                if owner and found[1].rpartition(".")[0] != owner and not shown.endswith("__init__.py"):
                    self_cls = (shown, owner)  # a method the class inherits: `self` is still one of it
                shown, rest = found
            return (shown, rest, self_cls) if (shown, rest) in self.wrappers else None
        return None

    def _module_path(self, mod: Module, qual: str) -> str | None:
        """The display path of the project module an import names, if it is one."""
        if qual.split(".")[-1][:1].isupper():
            return None
        path = project.module_file(mod.path, qual)
        return project.shown_path(path) if path else None

    def _by_import(self, mod: Module, method: str) -> Target | None:
        """`backend.generate(...)` on a value of unknown type: a wrapper method of that name on a
        class this module imports (`from app.gateway import Gateway`), or on a class of a module it
        imports (`from aider import models`), when exactly one such method exists."""
        if method in GENERIC:
            return None
        key = ("by-import", mod.path, method)  # the same for every call of `method` in this module
        if key not in self.memo:
            self.memo[key] = self._by_import_uncached(mod, method)
        return self.memo[key]

    def _by_import_uncached(self, mod: Module, method: str) -> Target | None:
        rows = self._imported_rows(mod, method)
        if len({row[:2] for row in rows}) != 1:
            return None  # none, or several the name alone cannot choose between
        found = self._targets(rows)
        return found[0] if len(found) == 1 else None

    def _imported_rows(self, mod: Module, method: str) -> list[tuple[str, str, tuple | None]]:
        """The wrapper methods named `method` of classes `mod` imports (or of their modules), as
        table rows (_qual_row): read from the table, no module parsed (crewAI's agent/core.py
        spent 1 s parsing provider modules only to find five of them define a method of a name)."""
        rows = []
        for path, qualname in sorted(self.wrappers):
            owner, _, name = qualname.rpartition(".")
            if name != method or not owner or "." in owner:
                continue
            for local, qual in mod.index.imports.items():
                if local == owner and qual.split(".")[-1] == owner:
                    row = self._qual_row(mod, f"{qual}.{method}")
                elif self._module_path(mod, qual) == path:
                    row = self._qual_row(mod, f"{qual}.{owner}.{method}")
                else:
                    continue
                if row is not None and row not in rows:
                    rows.append(row)
        return rows

    def _targets(self, rows: list[tuple[str, str, tuple | None]]) -> list[Target]:
        """The wrappers of table rows, their modules parsed."""
        found = []
        for row in rows:
            target = self._target(*row)
            if target is not None and target not in found:
                found.append(target)
        return found

def _self_call(fn, ctx: EvalContext) -> str | None:
    """The class holding the code of a call written `self.method(...)` (or `cls.`), or None."""
    return class_of(ctx.func) if _on_self(fn) else None


def _on_self(fn) -> bool:
    """A callee written `self.method` or `cls.method`."""
    return isinstance(fn, cst.Attribute) and isinstance(fn.value, cst.Name) and fn.value.value in ("self", "cls")


def deferred(node: cst.Call) -> cst.Call | None:
    """`executor.submit(model.inference, name, prompt)` as the call it makes,
    `model.inference(name, prompt)` (project_index.DEFERRED); None for any other call."""
    from promptlint.project_index import DEFERRED

    at = DEFERRED.get(last_name(node.func))
    args = list(node.args)
    if at is None or len(args) <= at or args[at].keyword is not None or args[at].star:
        return None
    target = args[at].value
    if not isinstance(target, (cst.Name, cst.Attribute)):
        return None
    return node.with_changes(func=target, args=args[at + 1:])


def _builds(mod: Module, cls: str | None) -> bool:
    """Does the module's text build an instance of class `cls` (`Cls(`)?"""
    return bool(cls) and re.search(rf"(?<![\w.]){re.escape(cls)}\s*\(", mod.text) is not None


def _callee_key(mod: Module, fn, ctx: EvalContext) -> tuple | None:
    """A key under which every call of `fn` in this function resolves alike: `self.llm.call`,
    `llm.generate`, `ask_llm` written the same way, when the name they start from is not
    assigned in the function (its value is then the same at every line) nor bound to the
    caller's arguments. None when the callee holds a call or a subscript, or that name is assigned."""
    names = []
    while isinstance(fn, cst.Attribute):
        names.append(fn.attr.value)
        fn = fn.value
    if not isinstance(fn, cst.Name):
        return None
    root = fn.value
    if ctx.bindings is not None and (root in ctx.bindings or "self" in ctx.bindings):
        return None
    if not mod.ev.same_everywhere(root, ctx.func):
        return None
    return ("callee", mod.path, mod.finder is None, id(ctx.func), ctx.self_class, root, *reversed(names))


# -- binding a call's arguments to a wrapper's parameters ------------------------
# -- expanding a wrapper call into the requests it sends ---------------------------
@dataclass
class Expanded:
    site: CallSite
    hops: list[Hop]
    first: CallInfo  # the call in the expanded function's own body (the SDK call, or the next wrapper's)
    request: object = None  # () -> (call kwargs, client kwargs, client seen) of the SDK call, read on demand


class Expander:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.keep: list = []  # bindings stay alive: the evaluator's memo is keyed by their ids
        self.left = MAX_EXPANSIONS  # expansions left for the wrapper call being expanded
        self._sdk: dict[int, list] = {}

    def expand(self, mod: Module, func: FunctionInfo, bindings: dict | None, depth: int = 0,
               active: frozenset = frozenset(), self_cls=None) -> list[Expanded]:
        """The requests `func` sends, with its parameters bound (None: left unbound); `self_cls`:
        the class of its `self` when known. `depth` counts the hops across modules (MAX_CHAIN),
        `active` every function on the way (recursion, MAX_HOPS)."""
        if mod.finder is None:  # a chain that comes back into the checked file (a -> b.relay -> a.ask)
            mod = self.resolver.module(mod.path)
            if mod is None or mod.finder is None:
                return []
        key = (mod.path, func.qualname)
        if not active:
            self.left = MAX_EXPANSIONS
        if depth >= MAX_CHAIN or key in active or len(active) >= MAX_HOPS or self.left <= 0:
            return []  # recursion: a documented depth limit, not a fixpoint
        self.left -= 1
        active = active | {key}
        if bindings is not None:
            self.keep.append(bindings)
        out: list[Expanded] = []
        for site0, info, match in self._sdk_calls(mod, func):
            ctx = EvalContext(info.func, info.pos, info.path, _closure(bindings, info.func, func))
            site = mod.finder.build(info, match, ctx) if bindings is not None else site0
            out.append(Expanded(site, [Hop(func.qualname, mod.path, site0.span.line, column=site0.span.column)], info,
                                _request_reader(mod, match, ctx, info, self.resolver.settings)))
        for info in mod.calls_in(func):
            ctx = EvalContext(info.func, info.pos, info.path, _closure(bindings, info.func, func))
            targets, total, unchecked = self.resolver.callees(mod, info, ctx, self_cls)
            for nth, (tmod, tfunc, tself, node) in enumerate(targets):
                inner = bind(mod.ev, node, ctx, tmod.ev, tfunc, bound_self=tfunc.class_name is not None)
                at = mod.ev.exact_span(info.node) if not mod.foreign else exact_span(mod.index.positions, info.node)
                for found in self.expand(tmod, tfunc, inner, depth + 1, active, tself):
                    hops = _one_of(found.hops, nth, total, unchecked)
                    out.append(Expanded(found.site, [Hop(func.qualname, mod.path, at.line, column=at.column), *hops], info,
                                        _enclosed(found.request, mod, info, self.resolver.settings)))
        return out

    def _sdk_calls(self, mod: Module, func: FunctionInfo) -> list:
        """The direct LLM calls in `func`'s body, with their catalog match."""
        key = id(func)
        if key not in self._sdk:
            found = []
            for site, info in mod.sites_in(func):
                if site.via == "wrapper":
                    continue
                ctx = EvalContext(info.func, info.pos, info.path)
                match = mod.finder.match(info.node, ctx)
                if match is not None and match.wrapper is None:
                    found.append((site, info, match))
            self._sdk[key] = found
        return self._sdk[key]


_BINDS = ("assign", "augassign", "param", "loop", "with")  # events that bind a name (not a mutation of it)


def _closure(bindings: dict | None, inner: FunctionInfo, func: FunctionInfo) -> dict | None:
    """The arguments bound to `func`'s parameters as code of `inner`, a function nested in it,
    sees them: less the names that `inner` (or a function between them) binds itself."""
    if bindings is None or inner is func:
        return bindings
    own: set[str] = set()
    while inner is not None and inner is not func:
        own.update(inner.params)
        own.update(event.name for event in inner.events if event.kind in _BINDS)
        inner = inner.parent
    return {name: value for name, value in bindings.items() if name not in own}


def _request_reader(mod: Module, match, ctx: EvalContext, info: CallInfo, settings):
    """What the wrapper's SDK call sends, read with the caller's arguments bound, for the rules
    that look at the request's keywords (PL201's task tag: request.read_request); lazily, as
    most sites are never asked. With the tag of a `with` block or decorator around the call."""
    def read():
        from promptlint.analysis.request import LANGCHAIN_POSITIONAL

        positional = LANGCHAIN_POSITIONAL if match.shape == "langchain-call" else None
        call = mod.finder.kwargs(match.args, ctx, positional)
        client, seen = None, match.client is None
        if match.client is not None and match.client.ctor is not None:
            client = mod.finder.kwargs(list(match.client.ctor.args), match.client.ctor_ctx or ctx)
            seen = True
        return call, client, seen, _enclosing_tag(mod, info, settings)
    return read


def _enclosed(reader, mod: Module, info: CallInfo, settings):
    """`reader`, one layer up: the call of the next wrapper (`info`, in `mod`) may sit in a `with
    trace(...)` block or a tagged function that tags every request under it (`with
    trace("Research"): await self._search(...)`), when nothing nearer the request did."""
    if reader is None:
        return None

    def read():
        call, client, seen, tag = reader()
        return call, client, seen, tag or _enclosing_tag(mod, info, settings)
    return read


def _enclosing_tag(mod: Module, info: CallInfo, settings):
    """The task tag of a `with` block or decorator around `info` in the wrapper's module."""
    from types import SimpleNamespace

    from promptlint.analysis.attribution import TagFinder

    return TagFinder(SimpleNamespace(index=mod.index, evaluator=mod.ev), settings).enclosing(info)


# -- the sites of the checked file ---------------------------------------------------
def wrapper_sites(ctx, settings) -> list[tuple[CallSite, CallInfo, list[Hop], set[str]]]:
    """(site at the caller, the call, the layers it goes through, the body's own codes). What
    each site's SDK call sends is kept in ctx.memo["wrapper-requests"] (by id of the site)."""
    if not settings.project_wrappers or ctx.index is None:
        return []
    site_requests = ctx.memo.setdefault("wrapper-requests", {})
    here = Module(ctx.path, ctx.text, ctx.index, ctx.evaluator, None, foreign=False)
    resolver = Resolver(here, settings)
    resolver.own = lambda: _self_module(ctx, settings)
    direct = {id(info.node) for info in ctx.infos.values()}
    expander = Expander(resolver)
    out = []
    calls = 0
    # which functions call each name: only a call that passes its own parameters on asks (forwards)
    called_here = functools.cache(lambda: _called_names(ctx.index))
    for info in ctx.index.calls:
        if id(info.node) in direct:
            continue  # a configured wrapper (`wrappers` key) or an SDK call: already a site
        if last_name(info.node.func) not in resolver.names:
            continue  # every row the resolver reads (wrappers, aliases, overrides) is named by its last name
        cctx = EvalContext(info.func, info.pos, info.path)
        targets = _site_targets(resolver, here, info, cctx)
        if not targets or (_passes_nothing(info.node) and all(_takes_nothing(t[0][1]) for t in targets)):
            continue  # `main()`, `self._judge()`: the body decides the whole request, already its own site
        calls += 1
        if calls > MAX_SITES:
            ctx.memo["wrapper-sites-left-out"] = ctx.memo.get("wrapper-sites-left-out", 0) + 1
            continue
        for target, nth, total, unchecked in targets:
            out += _expand_site(ctx, settings, resolver, expander, info, cctx, target, called_here, site_requests,
                                (nth, total, unchecked))
    for mod in {id(m): m for m in _MODULES.values() if m is not None}.values():
        mod.ev._memo.clear()  # memo keys hold ids of this file's bindings, which die with it
        mod.ev._def_memo.clear()
    return out


def _passes_nothing(call: cst.Call) -> bool:
    """`main()` or `self._judge()`: no argument, and no receiver the caller could have filled
    (`instructor.to_pydantic()` on an object built with the caller's prompt passes that object)."""
    return not call.args and (isinstance(call.func, cst.Name) or _on_self(call.func))


def _one_of(hops: list[Hop], nth: int, total: int, unchecked: bool) -> list[Hop]:
    """The hops of the `nth` of `total` implementations a call may reach: the first hop says so."""
    if total > 1 or unchecked:
        return [replace(hops[0], others=total - 1, nth=nth, unchecked=unchecked), *hops[1:]]
    return hops


def _takes_nothing(func: FunctionInfo) -> bool:
    """A function with no parameter but `self` / `cls`: a call of it passes the request nothing."""
    return not [name for name in func.params if name not in ("self", "cls")]


def _site_targets(resolver: Resolver, here: Module, info: CallInfo, cctx: EvalContext) -> list[tuple]:
    """The wrappers a call of the checked file reaches: one, or, for `self.method(...)` that
    subclasses override, each implementation (with its place among them, how many there are,
    and whether there are too many to run the rules on)."""
    target = resolver.callee(here, info, cctx)
    if target is not None:
        return [(target, 0, 1, False)]
    impls, total, unchecked = resolver.overriding(here, info.node.func, cctx)
    return [(t, nth, total, unchecked) for nth, t in enumerate(impls)]


def _expand_site(ctx, settings, resolver: Resolver, expander: Expander, info: CallInfo, cctx: EvalContext,
                 target, called_here, site_requests: dict, which: tuple) -> list[tuple]:
    """The sites of one call of a wrapper (`which`: its place among the implementations the
    call may reach, how many there are, too many to check)."""
    nth, total, unchecked = which
    here = resolver.here
    tmod, tfunc, self_cls = target
    if tmod.path == ctx.path and info.func is not None and info.func.qualname == tfunc.qualname:
        return []  # a wrapper calling itself: the same request its body sends (PL701 reports the recursion)
    if tmod.finder is None:  # the wrapper is in this very file: analyse it like any other module
        tmod = _self_module(ctx, settings)
        if tmod is None:
            return []
        tfunc = tmod.by_qualname.get(tfunc.qualname)
        if tfunc is None:
            return []
    key = (tmod.path, tfunc.qualname, self_cls)
    if key not in resolver.memo:  # another module's wrapper: the same for every file of the run
        stored = (tmod.path, file_stamp(tmod.path), tfunc.qualname, self_cls, resolver.analysis)
        if tmod.foreign and stored in _BODIES:
            resolver.memo[key] = _BODIES[stored]
        else:
            body = expander.expand(tmod, tfunc, None, self_cls=self_cls)
            sends_itself = bool(body) and all(len(found.hops) == 1 for found in body)
            resolver.memo[key] = found = (BodyCodes(tmod, body, settings), leaves(body), sends_itself)
            if tmod.foreign:
                _BODIES[stored] = found
    body_codes, left, sends_itself = resolver.memo[key]
    if sends_itself and forwards(info, resolver.wrappers, ctx.path, called_here):
        return []  # inside the wrapper layer: its callers here are the sites, expanded through it
    bindings = bind(here.ev, info.node, cctx, tmod.ev, tfunc, bound_self=tfunc.class_name is not None)
    passing_on = passes_own_parameters(info, resolver.wrappers, ctx.path)
    out = []
    for found in expander.expand(tmod, tfunc, bindings, self_cls=self_cls):
        hops = _one_of(found.hops, nth, total, unchecked)
        site = relocate(found.site, ctx, info, hops)
        site.leaves = left
        if not passing_on:  # inside the wrapper layer the task is chosen further up: PL201 is not asked
            site_requests[id(site)] = found.request
        out.append((site, info, hops, body_codes))
    return out


def forwards(info: CallInfo, wrappers: set, path: str, called_here) -> bool:
    """A call that only passes the request on: made in a function that is itself one of the
    project's wrappers, handing its own parameters to the next layer (`messages=messages`,
    `**kwargs`), when that function is called elsewhere in this module. The user decides at
    those calls, whose expansion goes through this one; a call there is no site of its own.
    Asked only when the called wrapper sends the request itself, so that the expansion from
    those callers reaches it within MAX_CHAIN. A wrapper called only from other modules (or
    not at all) keeps its forwarding call as a site: nothing here would show the request otherwise.
    `called_here()`: _called_names of this module."""
    func = info.func
    if not passes_own_parameters(info, wrappers, path):
        return False
    return any(caller is not func for caller in called_here().get(func.name, ()))


def passes_own_parameters(info: CallInfo, wrappers: set, path: str) -> bool:
    """A call made in one of the project's wrappers that hands on that wrapper's own parameters
    (`self._handle_completion(params, available_functions)` in a provider's `call`)."""
    func = info.func
    if func is None or (path, func.qualname) not in wrappers:
        return False
    params = set(func.params) - {"self", "cls"}
    return any(isinstance(arg.value, cst.Name) and arg.value.value in params for arg in info.node.args)


def _called_names(index: ModuleIndex) -> dict[str, list]:
    """The last name of every call in the module -> the functions the calls are made in."""
    out: dict[str, list] = {}
    for info in index.calls:
        name = last_name(info.node.func)
        if name is not None:
            out.setdefault(name, []).append(info.func)
    return out


def _self_module(ctx, settings) -> Module | None:
    """The checked file as a wrapper module: its own evaluator, so positions stay its own."""
    from promptlint.analysis.callsites import CallSiteFinder

    if "self-module" not in ctx.memo:  # once per file, not once per call of a wrapper defined in it
        finder = CallSiteFinder(ctx.evaluator, ctx.index, ctx.path, settings)
        ctx.memo["self-module"] = Module(ctx.path, ctx.text, ctx.index, ctx.evaluator, finder, foreign=False)
    return ctx.memo["self-module"]


def _body_context(mod: Module, body: list[Expanded], settings):
    """The wrapper's own requests, parameters left unbound, as the analysis of its module sees
    them: a context to run the rules on."""
    from promptlint.analysis.context import FileContext

    fake = _Where(mod)
    sites, infos, requests = [], {}, {}
    for found in body:
        if any(h.unchecked for h in found.hops):
            continue  # no rule is run through one of too many implementations, here either
        site = relocate(found.site, fake, found.first, found.hops) if len(found.hops) > 1 else found.site
        sites.append(site)
        infos[id(site)] = found.first
        if len(found.hops) > 1 and found.request is not None:
            requests[id(site)] = found.request
    fctx = FileContext(mod.path, mod.text, settings, sites, [], index=mod.index, evaluator=mod.ev, infos=infos)
    fctx.memo["wrapper-sites"] = True
    fctx.memo["wrapper-requests"] = requests
    return fctx


def _raises(fctx, code: str, settings) -> bool:
    """Does rule `code` report anything on the wrapper's own requests?"""
    from promptlint.checks import load_check

    try:
        return any(True for _ in load_check(code)(settings).run(fctx))
    except Exception:  # noqa: BLE001 - a rule failing here only costs the de-duplication
        return False


def leaves(body: list[Expanded]) -> list[str]:
    """What a wrapper leaves to its callers, read from its requests with the parameters unbound:
    the output cap (not set, but `**kwargs` or a parameter may carry one), the model, prompt text."""
    out = set()
    for found in body:
        site = found.site
        if site.cap_keyword is None and (site.kwargs_opaque or site.cap_unknown):
            out.add("cap")
        elif site.cap_keyword is not None and site.cap_value is None:
            out.add("cap")
        if site.model is None:
            out.add("model")
        if any(seg.kind in ("dynamic", "unknown") for part in site.parts for seg in part.segments):
            out.add("prompt")
    return sorted(out)


class BodyCodes:
    """The codes the rules report on a wrapper's own requests, each worked out when first asked:
    a rule is asked only where it fires at a wrapper site, so most rules never run on a body
    (and most wrapper sites raise no finding, so most bodies never need a rule run on them)."""

    def __init__(self, mod: Module, body: list[Expanded], settings) -> None:
        self.mod, self.body, self.settings = mod, body, settings
        self.fctx = None
        self.codes: dict[str, bool] = {}

    def __contains__(self, code: str) -> bool:
        if code in FILE_LEVEL:
            return True
        if code not in self.codes:
            if not self.body:
                return False
            from promptlint.prefilter import rule_codes

            if self.fctx is None:
                self.fctx = _body_context(self.mod, self.body, self.settings)
            self.codes[code] = code in rule_codes(self.settings) and _raises(self.fctx, code, self.settings)
        return self.codes[code]


class _Where:
    """A module seen as the checked file, for relocate()."""

    def __init__(self, mod: Module) -> None:
        self.path, self.evaluator = mod.path, mod.ev


def relocate(site: CallSite, ctx, info: CallInfo, hops: list[Hop]) -> CallSite:
    """The wrapper's request as a site at the caller: the caller's position and scope; prompt
    text written in another module keeps that file; other positions there are dropped."""
    ev = ctx.evaluator
    parts = [PromptPart(p.role, [_home(seg, ctx.path) for seg in p.segments],
                        None if _foreign(p.span, ctx.path) else p.span, p.opaque, p.cache_marker)
             for p in site.parts]
    return replace(
        site, path=ctx.path, span=ev.span(info.node.func), call_span=ev.span(info.node),
        callee=ev.code(info.node.func).strip(), in_function=info.func.qualname if info.func else None,
        via="wrapper", parts=parts,
        model_span=None if _foreign(site.model_span, ctx.path) else site.model_span,
        cap_span=None if _foreign(site.cap_span, ctx.path) else site.cap_span,
        wrapper=hops[0].name, through=[h.shown() for h in hops] + [site.callee],
        through_at=_sure_layers(hops),
    )


def _sure_layers(hops: list[Hop]) -> list[tuple[str, int, int]]:
    """Where each layer makes its call, up to the first that is one of several implementations
    the call may reach: from there on the request may go through another one instead."""
    out = []
    for hop in hops:
        if hop.others or hop.unchecked:
            break
        out.append((hop.path, hop.line, hop.column))
    return out


def _foreign(span, here: str) -> bool:
    return isinstance(span, ForeignSpan) and span.origin != here


def _home(seg, here: str):
    if not _foreign(seg.span, here):
        return seg
    if seg.kind == "static":
        pieces = seg.pieces and tuple((o, sp, og or seg.span.origin) for o, sp, og in seg.pieces)
        return replace(seg, origin=seg.origin or seg.span.origin, pieces=pieces)
    return replace(seg, span=None, source=f"{seg.source} ({seg.span.origin}:{seg.span.line})" if seg.source else None)


def check_wrapper_sites(ctx, codes, result) -> None:
    """Run every selected rule on the wrapper sites of the checked file; add sites and findings.
    Sites that go through the same layers are checked together (one rule run per wrapper, not per
    call); a finding the direct analysis of this file already made is not repeated."""
    from promptlint.analysis.context import FileContext
    from promptlint.checks import load_check

    groups: dict[tuple, list] = {}
    found_sites = wrapper_sites(ctx, ctx.settings)
    if ctx.memo.get("wrapper-sites-left-out"):
        result.warnings.append(f"{ctx.path}: {ctx.memo['wrapper-sites-left-out']} calls of the project's wrappers "
                               f"past the first {MAX_SITES} were not analysed")
    for site, info, hops, body_codes in found_sites:
        if not any(h.nth for h in hops):  # one row per call, however many implementations it may reach
            result.callsites.append(site)
        key = (tuple((h.name, h.path, h.line) for h in hops), site.through[-1])
        groups.setdefault(key, []).append((site, info, hops, body_codes))
    seen = {(f.code, f.path, f.span.line, f.span.column) for f in result.findings}
    for members in groups.values():
        sites = [m[0] for m in members]
        hops, body_codes = members[0][2], members[0][3]
        if any(h.unchecked for h in hops):
            continue  # one implementation of too many (MAX_IMPLEMENTATIONS): a call site only
        wctx = FileContext(ctx.path, ctx.text, ctx.settings, sites, [], index=ctx.index,
                           evaluator=ctx.evaluator, infos={id(m[0]): m[1] for m in members},
                           module_memo=ctx.module_memo)
        wctx.memo["wrapper-sites"] = True  # rules skip their file-level parts (PL701 frameworks)
        wctx.memo["wrapper-requests"] = ctx.memo.get("wrapper-requests", {})
        for code in codes:
            if code in FILE_LEVEL:
                continue
            try:
                found = list(load_check(code)(ctx.settings).run(wctx))
            except Exception as exc:  # noqa: BLE001 - one rule failing must not stop the run
                result.errors.append(f"{ctx.path}: internal error in {code} at a wrapper site: "
                                     f"{type(exc).__name__}: {exc}")
                continue
            if found and code in body_codes:
                continue  # the wrapper's body decides this one: reported there, once
            for finding in found:
                key = (finding.code, finding.path, finding.span.line, finding.span.column)
                if key in seen:
                    continue
                seen.add(key)
                result.findings.append(_name_path(finding, sites[0], hops))


def _name_path(finding: Finding, site: CallSite, hops: list[Hop]) -> Finding:
    """Name both ends: the wrapper(s) the request goes through and the SDK call it reaches."""
    chain = " -> ".join(f"`{h.name}` ({h.path}:{h.line})"
                        + (f" (one of {h.others + 1} implementations picked at run time; this finding holds for"
                           " this one)" if h.others else "")
                        for h in hops)
    finding.message += f" [sent through {chain}, which calls `{site.through[-1]}`]"
    from promptlint.model import WRAPPER_LAYER, Location

    layers = [Location(h.path, h.line, 1, f"{WRAPPER_LAYER}`{h.name}` passes the request on to `{nxt.name}`")
              for h, nxt in zip(hops, hops[1:])]
    last = hops[-1]
    layers.append(Location(last.path, last.line, 1, f"{WRAPPER_LAYER}`{last.name}` calls `{site.through[-1]}`"))
    finding.related = (*finding.related, *layers)
    return finding
