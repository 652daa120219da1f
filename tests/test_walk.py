"""promptlint.analysis.walk.visit must call a visitor's hooks exactly as libcst's own visit does."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest

from promptlint.analysis._cst_order import CHILD_FIELDS
from promptlint.analysis.walk import TRIVIA, visit, visit_order

ROOT = Path(__file__).resolve().parent.parent


def _parses(path: Path) -> bool:
    try:
        ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return False  # some fixtures are broken on purpose
    return True


SOURCES = sorted(p for p in [*(ROOT / "fixtures").rglob("*.py"), *(ROOT / "promptlint").rglob("*.py")]
                 if _parses(p))


def test_table_matches_installed_libcst():
    stale = {name: (fields, visit_order(getattr(cst, name))) for name, fields in CHILD_FIELDS.items()
             if hasattr(cst, name) and visit_order(getattr(cst, name)) != fields}
    assert not stale, "run scripts/gen_cst_order.py"


class Logging(cst.CSTVisitor):
    """A visitor that logs its hook calls (the subclasses say which hooks)."""

    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []


def both_logs(visitor_class, path, skip_trivia: bool = True):
    """(our walk's log, libcst's) of one file, libcst's without the whitespace and punctuation
    nodes our walk skips (unless `skip_trivia` is False)."""
    module = cst.parse_module(path.read_bytes())
    theirs, ours = visitor_class(), visitor_class()
    module.visit(theirs)
    visit(module, ours)
    trivia = _trivia(module) if skip_trivia else set()
    return ours.log, [entry for entry in theirs.log if entry[1] not in trivia]


class Recorder(Logging):
    """Records every hook call; refuses to enter `if` bodies, to test pruning."""

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.log.append(("visit", id(node)))
        return not isinstance(node, cst.If)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.log.append(("leave", id(original_node)))


def _trivia(module: cst.Module) -> set[int]:
    """Ids of nodes that sit in a whitespace or punctuation field (walk skips them and their subtrees)."""
    skipped: set[int] = set()

    def mark(node: cst.CSTNode) -> None:
        skipped.add(id(node))
        for child in node.children:
            mark(child)

    class Finder(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            for name in node.__dataclass_fields__:
                if TRIVIA.match(name):
                    value = getattr(node, name)
                    for item in value if isinstance(value, (tuple, list)) else [value]:
                        if isinstance(item, cst.CSTNode):
                            mark(item)
            return True

    module.visit(Finder())
    return skipped


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_hooks_in_same_order_as_libcst(path):
    ours, expected = both_logs(Recorder, path)
    assert ours == expected
    assert len(ours) >= 2


def test_deep_nesting_costs_no_python_stack():
    source = "x = " + " + ".join(["a"] * 5000) + "\n"
    module = cst.parse_module(source)
    recorder = Recorder()
    visit(module, recorder)
    assert sum(1 for kind, _ in recorder.log if kind == "visit") > 10000


class Hooks(Logging):
    """Uses libcst's own dispatch (no on_visit override): visit_X / leave_X hooks."""

    def visit_Call(self, node: cst.Call) -> bool:
        self.log.append(("call", id(node)))
        return len(node.args) < 2  # prune calls with two or more arguments

    def leave_Call(self, original_node: cst.Call) -> None:
        self.log.append(("left call", id(original_node)))

    def visit_Name(self, node: cst.Name) -> None:
        self.log.append(("name", id(node)))


@pytest.mark.parametrize("path", SOURCES[:30], ids=lambda p: str(p.relative_to(ROOT)))
def test_cached_hook_dispatch_matches_libcst(path):
    ours, theirs = both_logs(Hooks, path, skip_trivia=False)
    assert ours == theirs


class OwnVisitLeaveHooks(Logging):
    """Its own on_visit (as the module index has), leave_X hooks by libcst's dispatch: walk
    queues a node a second time only for the classes that have a leave hook."""

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.log.append(("visit", id(node)))
        return not isinstance(node, cst.Lambda)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.log.append(("left def", id(original_node)))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.log.append(("left lambda", id(original_node)))


@pytest.mark.parametrize("path", SOURCES[:30], ids=lambda p: str(p.relative_to(ROOT)))
def test_own_visit_with_leave_hooks_matches_libcst(path):
    ours, expected = both_logs(OwnVisitLeaveHooks, path)
    assert ours == expected
