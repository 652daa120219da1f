"""One pass over a module that records what name resolution needs.

libcst's QualifiedNameProvider is slow and does not follow instances
(`client = OpenAI(); client.chat...`), so we record imports, functions,
classes and every binding event ourselves, and resolve names on demand in
`evaluator.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from promptlint.analysis.positions import Tail, enter_statements
from promptlint.analysis.walk import dispatch_visit

Pos = tuple[int, int]
END: Pos = (1 << 60, 0)  # "after everything": closures and functions see final module values

# Statement-level calls that mutate the object named by their receiver.
MUTATING_METHODS = {"append", "extend", "insert", "update", "setdefault", "sort", "reverse", "clear"}


@dataclass(slots=True)
class Event:
    """A binding or mutation of a name, in source order."""

    name: str
    pos: Pos
    kind: str  # assign | augassign | param | loop | with | append | extend | insert | update | setitem | setattr | sort | shuffle | clear
    node: cst.CSTNode | None  # the value (or the whole call for mutations)
    path: tuple[int, ...]  # ids of the enclosing conditional blocks
    in_loop: bool = False
    key: object = None  # setitem key, for `d["k"] = v`
    iter_node: cst.CSTNode | None = None  # the iterable, for loop targets
    loop_iter: cst.CSTNode | None = None  # the innermost enclosing `for` loop's iterable


@dataclass(slots=True)
class FunctionInfo:
    name: str
    qualname: str
    node: cst.FunctionDef
    class_name: str | None
    parent: "FunctionInfo | None"
    params: dict[str, cst.Param] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    returns: list[cst.BaseExpression] = field(default_factory=list)
    decorators: list[cst.Decorator] = field(default_factory=list)


@dataclass(slots=True)
class ClassInfo:
    name: str
    attrs: dict[str, cst.BaseExpression] = field(default_factory=dict)
    self_attrs: dict[str, list[tuple[cst.BaseExpression, "FunctionInfo"]]] = field(default_factory=dict)
    self_annotations: dict[str, cst.BaseExpression] = field(default_factory=dict)
    # Annotations of the fields the class body gives a value (`llm: Optional[BaseLLM] = None`);
    # those without one are in self_annotations (see declared_type).
    valued_annotations: dict[str, cst.BaseExpression] = field(default_factory=dict)
    shared_attrs: set[str] = field(default_factory=set)  # `Cls.attr = ...` in a method (also in self_attrs)
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    bases: list[cst.BaseExpression] = field(default_factory=list)

    def declared_type(self, attr: str) -> cst.BaseExpression | None:
        """The annotation declaring attribute `attr` (a field of the class body, with or without a
        value, or `self.attr: T` in a method): a receiver's class when its value does not show it
        (wholeprogram.Resolver.declared)."""
        return self.valued_annotations.get(attr) or self.self_annotations.get(attr)


@dataclass(slots=True)
class CallInfo:
    node: cst.Call
    func: FunctionInfo | None
    path: tuple[int, ...]
    pos: Pos
    loops: tuple[cst.CSTNode, ...] = ()  # enclosing loops inside the same function, outermost first


class ModuleIndex(cst.CSTVisitor):
    def __init__(self, positions) -> None:
        # Line/column ranges, computed lazily (positions.LazyPositions): only the
        # statements holding a reported node ever pay for them.
        self.positions = positions
        self.order: dict[int, Pos] = {}  # id(node) -> visit order, for value and return nodes
        self._n = 0  # visit counter: source order, cheaper than line/column positions
        # The innermost statement holding each node, for positions.LazyPositions.
        held = getattr(positions, "top_of", None)
        self._held: dict[int, object] = held if held is not None else {}  # id(node) -> statement
        parents = getattr(positions, "parent_of", None)
        self._parents: dict[int, object] = parents if parents is not None else {}  # id(stmt) -> stmt
        self._enter: dict[int, object] = {}  # id(node) -> statement it makes current (enter_statements)
        self._stmt: object = None
        # Collected in the same pass for the rules that need them (PL401, PL601, PL701):
        # a second walk over the tree costs as much as this one.
        self.comprehensions: list[tuple[cst.CSTNode, cst.FunctionDef | None]] = []
        self.main_blocks: list[cst.If] = []
        self.imports: dict[str, str] = {}
        self.star_imports: list[str] = []  # `from app.prompts import *`: modules whose names this one takes
        self.functions: dict[str, FunctionInfo] = {}  # module-level functions by name
        self.all_functions: list[FunctionInfo] = []
        self.classes: dict[str, ClassInfo] = {}
        self.module_events: list[Event] = []
        self.calls: list[CallInfo] = []
        # Annotations of plain names (`clients: dict[str, Anthropic] = {}`), by
        # (id of the enclosing FunctionDef or 0 at module level, name): a client
        # type the value alone does not show.
        self.annotations: dict[tuple[int, str], cst.BaseExpression] = {}
        self.func_of: dict[int, FunctionInfo] = {}  # id(FunctionDef) -> info
        self._func_stack: list[FunctionInfo] = []
        self._class_stack: list[ClassInfo] = []
        self._path: list[int] = []
        self._loops: list[cst.CSTNode] = []
        self._loop_base: list[int] = [0]  # loop depth at function entry
        self._block_counter = 0

    # -- helpers ---------------------------------------------------------
    def pos(self, node: cst.CSTNode | None = None) -> Pos:
        """The current point in source order. Bindings are recorded when their
        statement is left, so `x = f(x)` reads the previous `x`."""
        return (self._n, 0)

    def statements_around(self, node: cst.CSTNode) -> list | None:
        """The statements that hold `node`, innermost first (a compound statement holds its
        header and its bodies), or None for a node the walk did not see."""
        held = self._held.get(id(node))
        if held is None:
            return None
        stmt = held.stmt if type(held) is Tail else held
        out = []
        while stmt is not None:
            out.append(stmt)
            stmt = self._parents.get(id(stmt))
        return out

    def on_visit(self, node: cst.CSTNode) -> bool:
        self._n += 1
        key = id(node)
        stmt = self._enter.get(key)
        if stmt is not None:
            self._stmt = stmt
        self._held[key] = self._stmt
        return dispatch_visit(self, node)

    def visit_Module(self, node: cst.Module) -> None:
        enter_statements(self._enter, self._parents, None, node.body)

    @property
    def func(self) -> FunctionInfo | None:
        return self._func_stack[-1] if self._func_stack else None

    def _in_loop(self) -> bool:
        return len(self._loops) > self._loop_base[-1]

    def _event(self, name: str, pos: Pos, kind: str, node, **extra) -> None:
        loop = self._loops[-1] if self._in_loop() else None
        loop_iter = loop.iter if isinstance(loop, cst.For) else None
        event = Event(name, pos, kind, node, tuple(self._path), self._in_loop(), loop_iter=loop_iter, **extra)
        if node is not None:
            self.order[id(node)] = pos
        (self.func.events if self.func else self.module_events).append(event)

    # -- blocks ----------------------------------------------------------
    def _push_block(self) -> None:
        self._block_counter += 1
        self._path.append(self._block_counter)

    def visit_IndentedBlock(self, node) -> None:
        self._push_block()
        owner = self._stmt
        enter_statements(self._enter, self._parents, owner.stmt if type(owner) is Tail else owner, node.body)

    def leave_IndentedBlock(self, node) -> None:
        self._path.pop()

    def visit_SimpleStatementSuite(self, node) -> None:
        self._push_block()

    def leave_SimpleStatementSuite(self, node) -> None:
        self._path.pop()

    def visit_For(self, node: cst.For) -> None:
        for name in _target_names(node.target):
            self._event(name, self.pos(node), "loop", node.target, iter_node=node.iter)
        self._loops.append(node)

    def leave_For(self, node) -> None:
        self._loops.pop()

    def visit_While(self, node) -> None:
        self._loops.append(node)

    def leave_While(self, node) -> None:
        self._loops.pop()

    # -- definitions -----------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        info = ClassInfo(node.name.value, bases=[a.value for a in node.bases])
        self.classes.setdefault(info.name, info)
        self._class_stack.append(info)
        for stmt in node.body.body if isinstance(node.body, cst.IndentedBlock) else []:
            for small in getattr(stmt, "body", []) if isinstance(stmt, cst.SimpleStatementLine) else []:
                if isinstance(small, cst.Assign):
                    for t in small.targets:
                        if isinstance(t.target, cst.Name):
                            info.attrs[t.target.value] = small.value
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    if small.value is not None:
                        info.attrs[small.target.value] = small.value
                        info.valued_annotations.setdefault(small.target.value, small.annotation.annotation)
                    else:
                        info.self_annotations[small.target.value] = small.annotation.annotation

    def leave_ClassDef(self, node) -> None:
        self._class_stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        parent = self.func
        cls = self._class_stack[-1] if self._class_stack and (not parent or parent.class_name) else None
        if parent and parent.class_name and cls and parent.node in ():  # pragma: no cover
            cls = None
        prefix = parent.qualname + "." if parent else (cls.name + "." if cls else "")
        info = FunctionInfo(node.name.value, prefix + node.name.value, node,
                            cls.name if cls and not parent else None, parent,
                            decorators=list(node.decorators))
        params = node.params
        for p in [*params.posonly_params, *params.params, *params.kwonly_params]:
            info.params[p.name.value] = p
        for p in (params.star_arg, params.star_kwarg):
            if isinstance(p, cst.Param):
                info.params[p.name.value] = p
        self.func_of[id(node)] = info
        self.all_functions.append(info)
        if parent is None:
            if cls is not None:
                if replaces(cls.methods.get(info.name), info):
                    cls.methods[info.name] = info
            else:
                self.functions[info.name] = info
        self._func_stack.append(info)
        self._saved_path = getattr(self, "_saved_path", [])
        self._saved_path.append(self._path)
        self._path = []
        self._loop_base.append(len(self._loops))

    def leave_FunctionDef(self, node) -> None:
        self._func_stack.pop()
        self._path = self._saved_path.pop()
        self._loop_base.pop()

    # -- imports ---------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _dotted(alias.name)
            if alias.asname is not None:
                self.imports[alias.asname.name.value] = full
            else:
                top = full.split(".")[0]
                self.imports.setdefault(top, top)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = _dotted(node.module) if node.module is not None else ""
        module = "." * len(node.relative) + module
        if isinstance(node.names, cst.ImportStar):
            self.star_imports.append(module)
            return
        for alias in node.names:
            name = _dotted(alias.name)
            local = alias.asname.name.value if alias.asname is not None else name
            self.imports[local] = f"{module}.{name}" if module and not module.endswith(".") else module + name

    # -- bindings --------------------------------------------------------
    def leave_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self._bind_target(t.target, node.value, node)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind_target(node.target, node.value, node)
        if isinstance(node.target, cst.Attribute) and _is_self(node.target.value) and self._class_stack:
            self._class_stack[-1].self_annotations.setdefault(node.target.attr.value, node.annotation.annotation)
        elif isinstance(node.target, cst.Name):
            key = (id(self.func.node) if self.func else 0, node.target.value)
            self.annotations.setdefault(key, node.annotation.annotation)

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self._event(node.target.value, self.pos(node), "augassign", node)

    def leave_NamedExpr(self, node: cst.NamedExpr) -> None:
        if isinstance(node.target, cst.Name):
            self._event(node.target.value, self.pos(node), "assign", node.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            for name in _target_names(node.asname.name):
                self._event(name, self.pos(node), "with", node.item)

    def _bind_target(self, target, value, stmt) -> None:
        pos = self.pos(stmt)
        if isinstance(target, cst.Name):
            self._event(target.value, pos, "assign", value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            values = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
            for i, el in enumerate(target.elements):
                sub = values[i].value if values and i < len(values) else None
                if isinstance(el.value, cst.Name):
                    self._event(el.value.value, pos, "assign", sub)
        elif isinstance(target, cst.Attribute) and _is_self(target.value):
            cls = self._class_stack[-1] if self._class_stack else None
            if cls is not None and self.func is not None:
                cls.self_attrs.setdefault(target.attr.value, []).append((value, self.func))
                self.order[id(value)] = pos
        elif (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and self.func is None
              and target.value.value in self.classes):
            # `Service.client = Anthropic()` after the class body: a class attribute like any other.
            attrs = self.classes[target.value.value].attrs
            held = attrs.get(target.attr.value)
            if held is None or (isinstance(held, cst.Name) and held.value == "None"):  # `client = None` in the body
                attrs[target.attr.value] = value
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value in self.classes:
            # `Service.client = Anthropic(...)` in a method (the first instance builds the client every
            # instance shares): read like `self.client = ...` there, through `self` or the class.
            cls = self.classes[target.value.value]
            cls.self_attrs.setdefault(target.attr.value, []).append((value, self.func))
            cls.shared_attrs.add(target.attr.value)
            self.order[id(value)] = pos
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            key = _literal_key(target)
            self._event(target.value.value, pos, "setitem", value, key=key)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and self.func is not None:
            # `chunks.system = [...]` on an instance built in this function (a message container)
            self._event(target.value.value, pos, "setattr", value, key=target.attr.value)

    def leave_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if isinstance(call, cst.Await):
            call = call.expression
        if not isinstance(call, cst.Call):
            return
        fn = call.func
        # receiver.append(x) / receiver.update(...) ...
        if isinstance(fn, cst.Attribute) and fn.attr.value in MUTATING_METHODS and isinstance(fn.value, cst.Name):
            self._event(fn.value.value, self.pos(node), fn.attr.value, call)
        # random.shuffle(x): reorders x in place
        elif call.args and isinstance(call.args[0].value, cst.Name):
            name = _dotted(fn) if isinstance(fn, (cst.Name, cst.Attribute)) else ""
            if name.split(".")[-1] == "shuffle":
                self._event(call.args[0].value.value, self.pos(node), "shuffle", call)

    def visit_Return(self, node: cst.Return) -> None:
        if self.func is not None and node.value is not None:
            self.func.returns.append(node.value)
            self.order[id(node.value)] = self.pos()

    def _comprehension(self, node) -> None:
        self.comprehensions.append((node, self.func.node if self.func else None))

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_If(self, node: cst.If) -> None:
        if self.func is None and is_main_test(node.test):
            self.main_blocks.append(node)

    def visit_Call(self, node: cst.Call) -> None:
        base = self._loop_base[-1]
        self.calls.append(CallInfo(node, self.func, tuple(self._path), self.pos(node), tuple(self._loops[base:])))


def is_overload(info: FunctionInfo) -> bool:
    """A `@typing.overload` signature: its body (`...`) is not what a call runs."""
    return any(dotted(d.decorator).split(".")[-1] == "overload" for d in info.decorators)


def replaces(known: FunctionInfo | None, info: FunctionInfo) -> bool:
    """Does `info` stand for its name instead of `known`, defined before it under the same name?
    The first definition does, unless it is an `@overload` signature and `info` the implementation."""
    return known is None or (is_overload(known) and not is_overload(info))


def is_main_test(test) -> bool:
    """`__name__ == "__main__"`, either way round."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = [test.left, test.comparisons[0].comparator]
    names = {s.value for s in sides if isinstance(s, cst.Name)}
    strings = {s.evaluated_value for s in sides if isinstance(s, cst.SimpleString)}
    return names == {"__name__"} and strings == {"__main__"}


def _is_self(node) -> bool:
    return isinstance(node, cst.Name) and node.value in ("self", "cls")


def _dotted(node) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner else ""
    return ""


def last_name(node) -> str | None:
    """The name a callee ends with: `chat` of `chat`, `create` of `client.chat.completions.create`."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def dotted(node) -> str:
    """`a.b.c` for a Name/Attribute chain, else ''."""
    return _dotted(node)


def _target_names(target) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        out = []
        for el in target.elements:
            out += _target_names(el.value)
        return out
    return []


def _literal_key(sub: cst.Subscript):
    if len(sub.slice) != 1 or not isinstance(sub.slice[0].slice, cst.Index):
        return None
    key = sub.slice[0].slice.value
    if isinstance(key, cst.SimpleString):
        try:
            return key.evaluated_value
        except Exception:  # noqa: BLE001 - odd literal, treat as unknown key
            return None
    if isinstance(key, cst.Integer):
        return int(key.value, 0)
    return None
