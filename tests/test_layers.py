"""Imports run one way: every import in promptlint/ (top-level or inside a function,
absolute or relative) points to a lower layer or stays in its own, and no modules
import each other in a circle.

Layers, lowest first (a layer may import the layers of lower rank, never one of the
same rank or above):

  0 base      promptlint/__init__, errors, settings, model, ruledocs, catalog_check, money, sources, notebook,
              trees
  1 analysis  analysis/   what the code does (index, evaluator, call sites, prompts, catalog)
  1 state     state/      cache, baseline, suppression comments, noqa, fingerprints
  2 cost      cost/       tokens, prefixes, prices, the facts memo (reads analysis and state)
  3 checks    checks/     the rules (read analysis, cost and state)
  3.5 fix     fix/        autofix: builds fixes for findings (read checks' helpers), applies them
  4 engine    engine, prefilter, timer, pool, project_index, wholeprogram, outline
  5 report    report/     renderers and inventory
  6 cli       cli, __main__, config, discovery
  7 server    server/     the language server (cli imports it only inside the `server` command)

The one import against the layers: the `server` command in cli.py starts the server
(ENTRY_POINTS). It sits inside that command, so no other command loads pygls.

Imports under `if TYPE_CHECKING:` never run: they must point downward or sideways
like any other, but they do not make a cycle (two modules naming each other's types).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "promptlint"

RANK = {"base": 0, "analysis": 1, "state": 1, "cost": 2, "checks": 3, "fix": 3.5, "engine": 4, "report": 5, "cli": 6,
        "server": 7}
PACKAGES = {"analysis", "state", "cost", "checks", "fix", "report", "server"}  # a sub-package is one layer
# (importer, imported): the command line's `server` command runs the top layer.
ENTRY_POINTS = {("promptlint.cli", "promptlint.server")}
TOP_LEVEL = {
    "errors": "base", "settings": "base", "model": "base", "ruledocs": "base", "money": "base",
    "sources": "base", "notebook": "base", "catalog_check": "base", "trees": "base",
    "engine": "engine", "prefilter": "engine", "timer": "engine", "pool": "engine",
    "project_index": "engine", "wholeprogram": "engine", "outline": "engine",
    "cli": "cli", "__main__": "cli", "config": "cli", "discovery": "cli",
}


def layer_of(module: str) -> str:
    parts = module.split(".")[1:]
    if not parts:
        return "base"  # the package itself: __version__, tune_gc
    if parts[0] in PACKAGES:
        return parts[0]
    if parts[0] not in TOP_LEVEL:
        raise KeyError(f"{module} is in no layer: add it to TOP_LEVEL in tests/test_layers.py "
                       "(and to the Layers section of CONTRIBUTING.md)")
    return TOP_LEVEL[parts[0]]


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes under `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for stmt in node.body:
                found |= {id(n) for n in ast.walk(stmt)}
    return found


def imports_of(module: str, source: str, is_package: bool, modules: set[str]):
    """(target module, line, type_only) for every promptlint import in `source`."""
    tree = ast.parse(source)
    typing_only = _type_checking_nodes(tree)
    here = module.split(".") if is_package else module.split(".")[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            # `from promptlint import engine` imports a module; `from promptlint import X` a name.
            targets = [f"{name}.{a.name}" if f"{name}.{a.name}" in modules else name for a in node.names]
        else:
            continue
        for target in targets:
            if target == "promptlint" or target.startswith("promptlint."):
                out.append((target, node.lineno, id(node) in typing_only))
    return out


def read_package(root: Path = PACKAGE) -> dict[str, tuple[str, bool]]:
    """module name -> (source, is_package) for every .py file under promptlint/."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path.read_text(encoding="utf-8"), is_package)
    return found


def problems(package: dict[str, tuple[str, bool]]) -> list[str]:
    """Every upward or sideways import, and every import cycle, as readable lines."""
    modules = set(package)
    out = []
    graph: dict[str, dict[str, int]] = {m: {} for m in modules}  # module -> {imported module: line}
    for module, (source, is_package) in sorted(package.items()):
        for target, line, type_only in imports_of(module, source, is_package, modules):
            while target not in modules and "." in target:  # `promptlint.model.Span` -> the module
                target = target.rsplit(".", 1)[0]
            src, dst = layer_of(module), layer_of(target)
            if src != dst and RANK[dst] >= RANK[src] and (module, target) not in ENTRY_POINTS:
                out.append(f"upward: {module}:{line} ({src}) imports {target} ({dst})")
            if not type_only and target != module:
                graph[module].setdefault(target, line)
    for cycle, group in cycles(graph):
        steps = [f"{m}:{graph[m][n]}" for m, n in zip(cycle, cycle[1:] + cycle[:1])]
        where = f" (one of {len(group)} modules that import each other)" if len(group) > len(cycle) else ""
        out.append("cycle: " + " -> ".join(steps + [cycle[0]]) + where)
    return out


def cycles(graph: dict[str, dict[str, int]]) -> list[tuple[list[str], set[str]]]:
    """(a cycle, its group) for each group of modules that import each other (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(set(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [(_path_through(graph, group), group) for group in groups]


def _path_through(graph: dict[str, dict[str, int]], group: set[str]) -> list[str]:
    """A cycle inside `group`, from its first module back to it (breadth-first)."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(set(graph[node]) & group):
            if nxt == start:
                return paths[node]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    return sorted(group)


def test_imports_point_down_and_make_no_cycle():
    found = problems(read_package())
    assert not found, "imports against the layers (tests/test_layers.py):\n" + "\n".join(found)


def test_every_module_has_a_layer():
    for module in read_package():
        assert layer_of(module) in RANK


def test_the_checker_finds_a_planted_upward_import():
    package = {
        "promptlint": ("", True),
        "promptlint.model": ("def f():\n    from promptlint.engine import lint_source\n", False),
        "promptlint.engine": ("from promptlint.model import Finding\n", False),
        "promptlint.analysis": ("", True),
        "promptlint.analysis.values": ("from ..checks import base\n", False),  # relative, upward
        "promptlint.checks": ("", True),
        "promptlint.checks.base": ("import promptlint.model\n", False),
        "promptlint.state": ("", True),
        "promptlint.state.cache": ("from promptlint.analysis import values\n", False),  # sideways
    }
    found = problems(package)
    assert "upward: promptlint.model:2 (base) imports promptlint.engine (engine)" in found
    assert "upward: promptlint.analysis.values:1 (analysis) imports promptlint.checks.base (checks)" in found
    assert "upward: promptlint.state.cache:1 (state) imports promptlint.analysis.values (analysis)" in found
    assert "cycle: promptlint.engine:1 -> promptlint.model:2 -> promptlint.engine" in found
    assert len(found) == 4  # downward imports (checks.base, engine) are fine


def test_the_checker_finds_a_planted_cycle_but_not_a_typing_one():
    package = {
        "promptlint": ("", True),
        "promptlint.analysis": ("", True),
        "promptlint.analysis.a": ("from promptlint.analysis.b import x\n", False),
        "promptlint.analysis.b": ("def f():\n    from promptlint.analysis.c import y\n", False),
        "promptlint.analysis.c": ("from . import a\n", False),
        "promptlint.analysis.d": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                  "    from promptlint.analysis.e import T\n", False),
        "promptlint.analysis.e": ("from promptlint.analysis.d import U\n", False),
    }
    assert problems(package) == ["cycle: promptlint.analysis.a:1 -> promptlint.analysis.b:2 -> "
                                 "promptlint.analysis.c:1 -> promptlint.analysis.a"]
