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


TOO_DEEP = object()  # a unit whose rendering overflowed the stack (a 500-term string concatenation)


class LazyPositions:
    """A read-only mapping node -> CodeRange, like `wrapper.resolve(PositionProvider)`.

    The unit of rendering is a top-level statement, or one statement of a top-level
    class body (a method of a 2,000-line class is rendered alone, inside a stand-in
    block with the class body's indentation, so its columns are exact)."""

    def __init__(self, module: cst.Module, tree: ast.Module | None) -> None:
        self.module = module
        self.top_of: dict[int, int] = {}  # id(node) -> unit index (filled by the index)
        self.unit_ids: dict[int, int] = {}  # id(statement) -> unit index
        self._units: list[tuple[cst.CSTNode, bool, object, int]] | None = None
        if tree is not None:
            self._units = _units(module, tree, self.unit_ids)
        self._by_unit: dict[int, tuple[dict, int]] = {}
        self._full = None

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        unit = self.top_of.get(id(node), -1)
        if self._units is None or unit < 0:
            return self._whole()[node]
        ranges, offset = self._unit(unit)
        rng = ranges.get(node)
        if rng is None:  # whitespace owned by an enclosing node
            return self._whole()[node]
        if not offset:
            return rng
        return CodeRange((rng.start.line + offset, rng.start.column), (rng.end.line + offset, rng.end.column))

    def first_line(self, node: cst.CSTNode) -> int:
        """The first line of the statement holding `node` (1 when unknown)."""
        unit = self.top_of.get(id(node), -1)
        return self._units[unit][3] if self._units is not None and unit >= 0 else 1

    def _unit(self, unit: int) -> tuple[dict, int]:
        found = self._by_unit.get(unit)
        if found is None:
            stmt, member, indent, first_line = self._units[unit]
            body = [stmt]
            if member:  # reproduce the class body's indentation so columns match the file
                body = [cst.If(test=cst.Name("_"), body=cst.IndentedBlock(body=[stmt], indent=indent))]
            mini = cst.Module(body=body, default_indent=self.module.default_indent,
                              default_newline=self.module.default_newline)
            self._by_unit[unit] = TOO_DEEP  # stays if rendering fails: never retried
            ranges = _resolve(mini)
            found = self._by_unit[unit] = (ranges, first_line - ranges[stmt].start.line)
        if found is TOO_DEEP:
            raise RecursionError("expressions nest too deeply to render")
        return found

    def _whole(self):
        if self._full is None:
            self._full = TOO_DEEP
            self._full = _resolve(self.module)
        if self._full is TOO_DEEP:
            raise RecursionError("expressions nest too deeply to render")
        return self._full


def _resolve(module: cst.Module):
    try:
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    except KeyError as exc:  # libcst's renderer turns a RecursionError into a KeyError on its way out
        if isinstance(exc.__context__, RecursionError):
            raise RecursionError("expressions nest too deeply to render") from None
        raise


def _units(module: cst.Module, tree: ast.Module, unit_ids: dict[int, int]):
    units = []
    tops = _match(module.body, tree.body)
    if tops is None:
        return None
    for stmt, node in tops:
        unit_ids[id(stmt)] = len(units)
        units.append((stmt, False, None, node.lineno))
        if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            members = _match(stmt.body.body, node.body)
            for sub, sub_node in members or ():
                unit_ids[id(sub)] = len(units)
                units.append((sub, True, stmt.body.indent, sub_node.lineno))
    return units


def _match(statements, nodes) -> list[tuple[cst.CSTNode, ast.stmt]] | None:
    """Pair libcst statements with the ast statement each starts with; None if they disagree."""
    pairs = []
    i = 0
    for stmt in statements:
        if i >= len(nodes):
            return None
        # Both put a decorated definition on its `def` / `class` line.
        pairs.append((stmt, nodes[i]))
        # `a = 1; b = 2` is one libcst line but two ast statements.
        i += len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
    return pairs if i == len(nodes) else None
