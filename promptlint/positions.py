"""Line and column ranges of libcst nodes, computed only where asked for.

libcst's PositionProvider renders the whole module to find every node's range
and costs about twice the parse. A finding needs the ranges of a handful of
nodes, so ranges are computed one top-level statement at a time: the statement
is rendered on its own, and `ast` (already parsed by the engine) says on which
line it starts in the file. Without an `ast` tree (code that only libcst
accepts), the whole-module provider is used.
"""

from __future__ import annotations

import ast

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider


class LazyPositions:
    """A read-only mapping node -> CodeRange, like `wrapper.resolve(PositionProvider)`."""

    def __init__(self, module: cst.Module, tree: ast.Module | None) -> None:
        self.module = module
        self.top_of: dict[int, int] = {}  # id(node) -> index of its top-level statement (filled by the index)
        self._first_lines = _first_lines(module, tree) if tree is not None else None
        self._by_statement: dict[int, tuple[dict, int]] = {}
        self._full = None

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        top = self.top_of.get(id(node), -1)
        if self._first_lines is None or top < 0:
            return self._whole()[node]
        ranges, offset = self._statement(top)
        rng = ranges.get(node)
        if rng is None:  # whitespace owned by the module rather than the statement
            return self._whole()[node]
        if not offset:
            return rng
        return CodeRange((rng.start.line + offset, rng.start.column), (rng.end.line + offset, rng.end.column))

    def _statement(self, top: int) -> tuple[dict, int]:
        found = self._by_statement.get(top)
        if found is None:
            stmt = self.module.body[top]
            mini = cst.Module(body=[stmt])
            ranges = MetadataWrapper(mini, unsafe_skip_copy=True).resolve(PositionProvider)
            offset = self._first_lines[top] - ranges[stmt].start.line
            found = self._by_statement[top] = (ranges, offset)
        return found

    def _whole(self):
        if self._full is None:
            self._full = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)
        return self._full


def _first_lines(module: cst.Module, tree: ast.Module) -> list[int] | None:
    """The file line on which each libcst top-level statement's code starts."""
    lines = []
    i = 0
    for stmt in module.body:
        if i >= len(tree.body):
            return None
        node = tree.body[i]
        # libcst's range of a decorated def / class starts at `def`, like ast's lineno.
        lines.append(node.lineno)
        # `a = 1; b = 2` is one libcst line but two ast statements.
        i += len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
    return lines if i == len(tree.body) else None
