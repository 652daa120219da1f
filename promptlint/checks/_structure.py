"""Shared logic of PL402, PL601, PL701 and PL702: loops around call sites, offline entry
points, request handlers, the project function a call runs, and what one call costs."""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import libcst as cst

from promptlint.analysis.index import dotted
from promptlint.analysis.walk import visit
from promptlint.cost.estimate import count_tokens
from promptlint.model import CallSite

# Decorators of web request handlers: @app.get("/"), @router.post(...), @bp.route(...).
HANDLER_DECORATORS = {"get", "post", "put", "delete", "patch", "route", "api_route", "websocket", "head",
                      "options", "view", "endpoint"}
CLI_DECORATORS = {"command", "group", "callback"}


@dataclass(slots=True)
class Comprehension:
    func: cst.FunctionDef | None
    node: cst.CSTNode
    calls: set[int]  # ids of the calls run once per item (the outermost iterable runs once)


# The visitors are module-level classes: walk.py caches hooks per visitor class, so a
# class defined inside a function would be a new cache key, kept for ever, on every call.
class _Everything(cst.CSTVisitor):
    """Every node, not descending into nested functions, classes or lambdas."""

    def __init__(self) -> None:
        self.out: list[cst.CSTNode] = []

    def on_visit(self, n) -> bool:
        self.out.append(n)
        return not isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda))


class _CallIds(cst.CSTVisitor):
    def __init__(self, skip) -> None:
        self.skip = skip
        self.found: set[int] = set()

    def on_visit(self, n) -> bool:
        if n is self.skip:
            return False
        if isinstance(n, cst.Call):
            self.found.add(id(n))
        return True


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.Call] = []

    def visit_Call(self, call) -> None:
        self.found.append(call)


def walk(node) -> list[cst.CSTNode]:
    """Every node under `node`, not descending into nested functions or classes."""
    visitor = _Everything()
    visit(node, visitor)
    return visitor.out


def _call_ids(node, skip=None) -> set[int]:
    visitor = _CallIds(skip)
    visit(node, visitor)
    return visitor.found


@dataclass(slots=True)
class Structure:
    """Per-file facts, computed once per file and shared by the three rules."""

    comprehensions: list[Comprehension] = field(default_factory=list)
    main_blocks: list[cst.If] = field(default_factory=list)
    main_calls: set[int] = field(default_factory=set)


def structure(ctx) -> Structure:
    """Computed once per file; the three rules share it through `ctx.module_fact`."""
    return ctx.module_fact("structure", lambda: _structure(ctx.index))


def _structure(index) -> Structure:
    comprehensions = [Comprehension(func, node, _call_ids(node, skip=node.for_in.iter))
                      for node, func in index.comprehensions]
    main_calls = set()
    for block in index.main_blocks:
        main_calls |= _call_ids(block)
    return Structure(comprehensions, list(index.main_blocks), main_calls)


def enclosing_comprehensions(ctx, info) -> list[Comprehension]:
    """Comprehensions of the call's own function whose loop body holds the call, outermost first."""
    func_node = info.func.node if info.func else None
    return [c for c in structure(ctx).comprehensions if c.func is func_node and id(info.node) in c.calls]


def in_main_block(ctx, info) -> bool:
    return info.func is None and id(info.node) in structure(ctx).main_calls


# -- offline entry points ------------------------------------------------------------
def decorator_names(func) -> list[str]:
    out = []
    for d in func.decorators:
        node = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        out.append(dotted(node))
    return out


def is_request_handler(ctx, func) -> bool:
    if ctx.path.rsplit("/", 1)[-1] == "views.py":
        return True
    while func is not None:
        for name in decorator_names(func):
            parts = name.split(".")
            if len(parts) >= 2 and parts[-1] in HANDLER_DECORATORS:
                return True
        func = func.parent
    return False


def _calls_in(node) -> list[cst.Call]:
    visitor = _Calls()
    visit(node, visitor)
    return visitor.found


def _is_cli(func, argparse: bool = True) -> bool:
    for name in decorator_names(func):
        if name.split(".")[-1] in CLI_DECORATORS and "." in name:
            return True
    if not argparse:
        return False
    for call in _calls_in(func.node.body):
        last = dotted(call.func).split(".")[-1]
        if last in ("ArgumentParser", "parse_args"):
            return True
    return False


def offline_functions(ctx, configured: list[str]) -> dict[str, str]:
    """qualname -> why it runs offline: called from a `__main__` block, a CLI command,
    named in the configuration, or called (by name, in this module) from one of those.
    Once per file (each group of its wrapper sites asks again)."""
    return ctx.module_fact(("offline-functions", tuple(configured)), lambda: _offline_functions(ctx, configured))


def _offline_functions(ctx, configured: list[str]) -> dict[str, str]:
    index = ctx.index
    reasons: dict[str, str] = {}
    roots: list[tuple[object, str]] = []
    # Text gates: walking every function body is a full pass over the module.
    argparse = "parse_args" in ctx.text or "ArgumentParser" in ctx.text
    main_blocks = structure(ctx).main_blocks if "__main__" in ctx.text else []
    for block in main_blocks:
        for call in _calls_in(block):
            name = dotted(call.func)
            if name in index.functions:
                roots.append((index.functions[name], "called from the `__main__` block"))
            for arg in call.args:  # sys.exit(main()), typer.run(main), fire.Fire(main)
                inner = dotted(arg.value)
                if inner in index.functions:
                    roots.append((index.functions[inner], "called from the `__main__` block"))
    for func in index.all_functions:
        if _is_cli(func, argparse):
            roots.append((func, "a command-line entry point"))
        if any(fnmatchcase(func.qualname, pattern) for pattern in configured):
            roots.append((func, "named in `offline-functions`"))
    queue = list(roots)
    while queue:
        func, why = queue.pop(0)
        if func.qualname in reasons or is_request_handler(ctx, func):
            continue
        reasons[func.qualname] = why
        for call in _calls_in(func.node.body):
            name = dotted(call.func)
            callee = None
            if name in index.functions:
                callee = index.functions[name]
            elif name.startswith("self.") and func.class_name:
                cls = index.classes.get(func.class_name)
                callee = cls.methods.get(name[5:]) if cls else None
            if callee is not None and callee.qualname not in reasons:
                queue.append((callee, f"called from `{func.qualname}` ({why})"))
    return reasons


def offline_path(path: str, dirs) -> str | None:
    parts = path.lower().split("/")
    for part in parts[:-1]:
        if part in dirs:
            return f"a module under `{part}/`"
    if "backfill" in path.lower():
        return "a backfill module"
    return None


# -- what one call costs ---------------------------------------------------------------
def static_input_tokens(site: CallSite, tokenizer: str) -> tuple[int, bool]:
    """Tokens of the static text the call sends, and whether that is all of it (False when
    some static block is of unknown size, e.g. tool definitions the analysis does not render)."""
    total, complete = 0, True
    for part in site.parts:
        for seg in part.segments:
            if seg.kind == "static":
                if seg.text is None:
                    complete = False
                else:
                    total += count_tokens(seg.text, tokenizer)
    return total, complete


def call_cost_tokens(site: CallSite, tokenizer: str) -> tuple[int, bool] | None:
    """Static input plus the output cap: what one call costs at least, in tokens, and whether
    the static part is complete. None without a cap (the output is unbounded)."""
    cap = site.cap_value if site.cap_value is not None else site.default_cap
    if cap is None:
        return None
    static, complete = static_input_tokens(site, tokenizer)
    return static + cap, complete


def called_project_function(ctx, info, call: cst.Call, worth_reading, own_methods: bool = False):
    """(evaluator of its module, FunctionInfo, path) of the project function a call in `info`'s
    function runs: a module-level function of this module, a method of the caller's own class
    (`self.listen()`, with `own_methods`), or a module-level function of another project module
    (`from app.audio import record`, `audio.record(...)`), which is parsed only when
    `worth_reading(path, name)` says its text may matter (a cheap text check). None otherwise,
    and for a call of the function itself."""
    func = call.func
    index = ctx.index
    if isinstance(func, cst.Name):
        local = index.functions.get(func.value)
        if local is not None and local.class_name is None and func.value not in index.imports:
            return (ctx.evaluator, local, ctx.path) if local is not info.func else None
        qual = index.imports.get(func.value)
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        head = func.value.value
        if own_methods and head in ("self", "cls") and info.func is not None and info.func.class_name in index.classes:
            method = index.classes[info.func.class_name].methods.get(func.attr.value)
            return (ctx.evaluator, method, ctx.path) if method is not None and method is not info.func else None
        qual = f"{index.imports[head]}.{func.attr.value}" if head in index.imports else None
    else:
        return None
    if not qual or "." not in qual:
        return None
    from promptlint.analysis import project

    module, _, name = qual.rpartition(".")
    path = project.module_file(ctx.path, module) if module.strip(".") else None
    if path is None or not worth_reading(path, name):
        return None
    found = project.module_function(path, name)
    return (*found, path) if found is not None else None
