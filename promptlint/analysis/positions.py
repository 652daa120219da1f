"""Line and column ranges of libcst nodes, computed only where asked for.

libcst's PositionProvider renders the whole module to find every node's range
and costs about twice the parse. A finding needs the ranges of a handful of
nodes, so a node's range is computed by rendering only the innermost statement
that holds it (a line of a 300-line method, not the method):

- the index walk (index.py) records, for every node, the innermost element of a
  statement list (Module or IndentedBlock body) that holds it, and each such
  statement's enclosing statement;
- `ast` (already parsed by the engine) says on which line that statement starts:
  libcst and `ast` statement lists are paired from the top-level statement
  down through the compound statements' bodies;
- the statement is rendered alone inside one stand-in block whose indentation is
  that of all its enclosing blocks, so columns and continuation lines are exact;
- a node in a compound statement's header (an `if` test, a `def`'s parameters)
  needs only the header: the body is replaced by `pass`, as nothing before the
  node changes.

Whenever the two trees disagree, the unit of an older, coarser scheme is rendered
instead (a top-level statement, or one statement of a top-level class body).
Without an `ast` tree (code that only libcst accepts), the whole-module provider
is used.
"""

from __future__ import annotations

import ast

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from promptlint.model import Span


TOO_DEEP = object()  # a rendering that overflowed the stack (a 500-term string concatenation)


class Tail:
    """Marks a node held by a compound statement outside its header: in an `else`,
    `except`, `finally` or `case` part, or in a one-line body (`if x: return y`).
    Such a node needs the whole statement rendered."""

    __slots__ = ("stmt",)

    def __init__(self, stmt: cst.CSTNode) -> None:
        self.stmt = stmt


def enter_statements(enter: dict, parent_of: dict, owner, body) -> None:
    """Register a statement list for the index walk: visiting a statement makes it
    the current one (`enter[id(stmt)] = stmt`), and visiting a part of a compound
    statement that follows its body makes that statement current again, as a Tail."""
    for stmt in body:
        key = id(stmt)
        enter[key] = stmt
        parent_of[key] = owner
        kind = type(stmt)
        if kind is cst.SimpleStatementLine:
            continue
        tail = None
        inline = getattr(stmt, "body", None)
        if type(inline) is cst.SimpleStatementSuite:
            tail = Tail(stmt)
            enter[id(inline)] = tail
        if kind is cst.If:
            part = stmt.orelse
            while part is not None:  # elif chains
                enter[id(part)] = tail = tail or Tail(stmt)
                part = part.orelse if type(part) is cst.If else None
        elif kind is cst.For or kind is cst.While:
            if stmt.orelse is not None:
                enter[id(stmt.orelse)] = tail or Tail(stmt)
        elif kind is cst.Try or kind is cst.TryStar:
            tail = tail or Tail(stmt)
            for part in (*stmt.handlers, stmt.orelse, stmt.finalbody):
                if part is not None:
                    enter[id(part)] = tail
        elif kind is cst.Match:
            tail = Tail(stmt)
            for part in stmt.cases:
                enter[id(part)] = tail


class LazyPositions:
    """A read-only mapping node -> CodeRange, like `wrapper.resolve(PositionProvider)`."""

    def __init__(self, module: cst.Module, tree: ast.Module | None, lines: list[int] | None = None) -> None:
        self.module = module
        self.lines = lines  # the file's line for each line of the module's text, when they differ (textslice.collapse)
        self.top_of: dict[int, object] = {}  # id(node) -> innermost statement, or Tail (filled by the index)
        self.parent_of: dict[int, object] = {}  # id(statement) -> enclosing statement, None at the top
        self.unit_ids: dict[int, int] = {}  # id(top-level statement or class member) -> unit index
        self._units: list[tuple[cst.CSTNode, bool, object, int]] | None = None
        self._places: dict[int, tuple[ast.stmt, str]] = {}  # id(statement) -> (ast statement, indentation)
        if tree is not None:
            self._units = _units(module, tree, self.unit_ids, self._places)
        self._paired: set[int] = set()  # compound statements whose bodies were paired
        self._rendered: dict[tuple[int, bool], object] = {}
        self._full = None

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        held = self.top_of.get(id(node))
        if self._units is None or held is None:
            return self._whole(node)
        whole = type(held) is Tail
        stmt = held.stmt if whole else held
        rng = None
        if self._place(stmt) is None:  # the trees disagree below the unit: render the unit
            stmt = self._unit_of(stmt)
            if stmt is None:
                return self._whole(node)
        elif not whole and node is not stmt and type(stmt) in HEADERS:
            rng = self._get(stmt, True, node)
        if rng is None:
            rng = self._get(stmt, False, node)
        if rng is None:  # whitespace owned by an enclosing node
            return self._whole(node)
        return rng

    def first_line(self, node: cst.CSTNode) -> int:
        """The first line of the top-level statement or class member holding `node` (1 when unknown)."""
        held = self.top_of.get(id(node))
        stmt = self._unit_of(held.stmt if type(held) is Tail else held) if self._units is not None else None
        return self._units[self.unit_ids[id(stmt)]][3] if stmt is not None else 1

    def _get(self, stmt, header: bool, node) -> CodeRange | None:
        ranges, offset = self._unit(stmt, header)
        rng = ranges.get(node)
        if rng is None or not offset:
            return rng
        return CodeRange((rng.start.line + offset, rng.start.column), (rng.end.line + offset, rng.end.column))

    def _unit(self, stmt, header: bool = False) -> tuple[dict, int]:
        """Render `stmt` (placed, see `_place`) alone, or only its header."""
        key = (id(stmt), header)
        found = self._rendered.get(key)
        if found is None:
            tree_stmt, indent = self._places[id(stmt)]
            shown = _header(stmt) if header else stmt
            body = [shown]
            if indent:  # reproduce the enclosing blocks' indentation so columns match the file
                body = [cst.If(test=cst.Name("_"), body=cst.IndentedBlock(body=[shown], indent=indent))]
            mini = cst.Module(body=body, default_indent=self.module.default_indent,
                              default_newline=self.module.default_newline)
            self._rendered[key] = TOO_DEEP  # stays if rendering fails: never retried
            ranges = _resolve(mini)
            found = self._rendered[key] = (ranges, tree_stmt.lineno - ranges[shown].start.line)
        if found is TOO_DEEP:
            raise RecursionError("expressions nest too deeply to render")
        return found

    def _unit_of(self, stmt):
        """The top-level statement or class member holding `stmt`, or None."""
        while stmt is not None and id(stmt) not in self.unit_ids:
            stmt = self.parent_of.get(id(stmt))
        return stmt

    def _place(self, stmt) -> tuple[ast.stmt, str] | None:
        """`stmt`'s ast statement and its indentation, pairing the statement lists on
        the way down from its unit; None where the trees disagree."""
        place = self._places.get(id(stmt))
        if place is None:
            parent = self.parent_of.get(id(stmt))
            if parent is None or id(parent) in self._paired:
                return None
            self._paired.add(id(parent))
            outer = self._place(parent)
            if outer is None:
                return None
            default = self.module.default_indent
            base = outer[1]
            if type(parent) is cst.Match:  # `case` lines are indented under `match`
                base += default if parent.indent is None else parent.indent
            for block, statements in _bodies(parent, outer[0]):
                if not isinstance(block, cst.IndentedBlock):  # `if x: return y` holds no statement list
                    continue
                indent = base + (default if block.indent is None else block.indent)
                for sub, sub_node in _match(block.body, statements) or ():
                    if _agree(sub, sub_node) and sub_node.col_offset == len(indent):
                        self._places[id(sub)] = (sub_node, indent)
            place = self._places.get(id(stmt))
        return place

    def _whole(self, node: cst.CSTNode) -> CodeRange:
        if self._full is None:
            self._full = TOO_DEEP
            self._full = _resolve(self.module)
        if self._full is TOO_DEEP:
            raise RecursionError("expressions nest too deeply to render")
        rng = self._full[node]
        if self.lines is None:
            return rng
        return CodeRange((self.lines[rng.start.line - 1], rng.start.column),
                         (self.lines[rng.end.line - 1], rng.end.column))


HEADERS = {cst.If, cst.For, cst.While, cst.With, cst.FunctionDef, cst.ClassDef, cst.Match}
_PASS = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Pass()])])


def _header(stmt):
    """`stmt` with `pass` for a body and nothing after it: the same text up to its body."""
    if type(stmt) is cst.Match:
        return stmt.with_changes(cases=[cst.MatchCase(pattern=cst.MatchAs(), body=_PASS)])
    if type(stmt) in (cst.If, cst.For, cst.While):
        return stmt.with_changes(body=_PASS, orelse=None)
    return stmt.with_changes(body=_PASS)


# The ast statements a libcst statement can stand for.
_KINDS = {
    cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef), cst.ClassDef: (ast.ClassDef,),
    cst.If: (ast.If,), cst.For: (ast.For, ast.AsyncFor), cst.While: (ast.While,),
    cst.With: (ast.With, ast.AsyncWith), cst.Try: (ast.Try,), cst.Match: (ast.Match,),
}
if hasattr(ast, "TryStar"):
    _KINDS[cst.TryStar] = (ast.TryStar,)
_COMPOUND = tuple({k for kinds in _KINDS.values() for k in kinds})


def _agree(stmt, node: ast.stmt) -> bool:
    kinds = _KINDS.get(type(stmt))
    return isinstance(node, kinds) if kinds is not None else not isinstance(node, _COMPOUND)


def _bodies(stmt, node: ast.stmt):
    """The (libcst block, ast statement list) pairs of a compound statement's bodies."""
    if not _agree(stmt, node) or type(stmt) is cst.SimpleStatementLine:
        return
    kind = type(stmt)
    if kind is cst.Match:
        if len(stmt.cases) == len(node.cases):
            for case, case_node in zip(stmt.cases, node.cases):
                yield case.body, case_node.body
        return
    yield stmt.body, node.body
    if kind is cst.If:
        part = stmt.orelse
        while type(part) is cst.If:  # `elif`: ast nests it as the only statement of `orelse`
            if len(node.orelse) != 1 or not isinstance(node.orelse[0], ast.If):
                return
            node = node.orelse[0]
            yield part.body, node.body
            part = part.orelse
        if part is not None:
            yield part.body, node.orelse
    elif kind in (cst.For, cst.While):
        if stmt.orelse is not None:
            yield stmt.orelse.body, node.orelse
    elif kind in (cst.Try, cst.TryStar):
        if len(stmt.handlers) == len(node.handlers):
            for handler, handler_node in zip(stmt.handlers, node.handlers):
                yield handler.body, handler_node.body
        if stmt.orelse is not None:
            yield stmt.orelse.body, node.orelse
        if stmt.finalbody is not None:
            yield stmt.finalbody.body, node.finalbody


def _resolve(module: cst.Module):
    try:
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    except KeyError as exc:  # libcst's renderer turns a RecursionError into a KeyError on its way out
        if isinstance(exc.__context__, RecursionError):
            raise RecursionError("expressions nest too deeply to render") from None
        raise


def _units(module: cst.Module, tree: ast.Module, unit_ids: dict[int, int], places: dict):
    units = []
    tops = _match(module.body, tree.body)
    if tops is None:
        return None
    for stmt, node in tops:
        unit_ids[id(stmt)] = len(units)
        units.append((stmt, False, None, node.lineno))
        places[id(stmt)] = (node, "")
        if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            members = _match(stmt.body.body, node.body)
            indent = module.default_indent if stmt.body.indent is None else stmt.body.indent
            for sub, sub_node in members or ():
                unit_ids[id(sub)] = len(units)
                units.append((sub, True, indent, sub_node.lineno))
                places[id(sub)] = (sub_node, indent)
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


def exact_span(positions, node: cst.CSTNode) -> Span:
    """The node's range (1-based columns, end exclusive) from LazyPositions."""
    try:
        rng = positions[node]
    except RecursionError:  # a statement too deep for libcst to render: point at its first line
        line = positions.first_line(node) if hasattr(positions, "first_line") else 1
        return Span(line, 1, line, 1)
    return Span(rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)
