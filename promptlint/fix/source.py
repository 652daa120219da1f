"""One file's text re-parsed with libcst, for building fixes.

Fixes are made by re-parsing the file a finding came from and locating its
nodes by position (the analysis may have parsed a slice of the file, and its
tree never leaves the worker). An edit replaces the exact text range of a node
with libcst's rendering of the changed node, so every byte the fix does not
touch (comments, formatting) stays as it was.

Positions, parents and renderings are computed per top-level statement (the
"chunk" that holds the finding), never for the whole module: libcst's position
provider over a large file costs about twice its parse, and a file with a
finding usually has a fix in one or two of its statements. Of a class, the
positions of the one member that holds the range asked for are resolved first,
alone; the whole class only when a node outside its members is asked for.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from promptlint.model import Edit, Span

_NEWLINE = re.compile(r"\r\n|\r|\n")  # the line breaks libcst counts


def line_starts(text: str) -> list[int]:
    """Offset of the first character of each line (index 0 is line 1)."""
    return [0, *(m.end() for m in _NEWLINE.finditer(text))]


def offset(starts: list[int], line: int, column: int) -> int:
    """The offset of a 1-based line and column."""
    return starts[line - 1] + column - 1


class _Parents(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: dict[cst.CSTNode, cst.CSTNode] = {}
        self.stack: list[cst.CSTNode] = []

    def on_visit(self, node) -> bool:
        if self.stack:
            self.found[node] = self.stack[-1]
        self.stack.append(node)
        return True

    def on_leave(self, original_node) -> None:
        self.stack.pop()


def parents(root: cst.CSTNode) -> dict[cst.CSTNode, cst.CSTNode]:
    """Each node's parent, like libcst's ParentNodeProvider but by analysis/walk.py's walk,
    which reads the tree without rebuilding it (a third of the cost) and steps over
    whitespace and punctuation: no fixer asks for their parents."""
    from promptlint.analysis.walk import visit

    visitor = _Parents()
    visit(root, visitor)
    return visitor.found


class _Chunk:
    """One top-level statement: where its text starts and ends, and (once asked) the
    positions and parents of its nodes."""

    __slots__ = ("start", "end", "stmt", "code", "by_span", "parents", "members", "member_spans")

    def __init__(self, start: int, end: int, stmt, code: str) -> None:
        self.start, self.end, self.stmt = start, end, stmt
        self.code = code  # libcst's rendering of the statement, kept: each edit in it compares it with the text
        self.by_span: dict[tuple, list[cst.CSTNode]] | None = None
        self.parents: dict | None = None
        # Of a class: each member's text range in the statement's, and the positions of the
        # members resolved alone (`Source._member_spans`).
        self.members: list[tuple[int, int, cst.CSTNode]] | None = None
        self.member_spans: dict[int, dict[tuple, list[cst.CSTNode]] | None] = {}


class Source:
    """The text of one file and, parsed on first use, its libcst tree."""

    def __init__(self, text: str, starts: list[int] | None = None, tree: cst.Module | None = None) -> None:
        self.text = text
        # `starts`: of a large file, `text` holds its kept statements with long runs of empty
        # lines made one (analysis/textslice.py), and `starts` says where each line of the file is.
        self.starts = line_starts(text) if starts is None else starts
        self._module: cst.Module | None = tree  # `text`'s own tree, when the analysis has it
        self._chunks: list[_Chunk] | None = None
        self._spans: dict[int, Span] = {}  # id(node) -> span, for nodes of resolved chunks
        self._chunk_of: dict[int, _Chunk] = {}  # id(node) -> its chunk

    # -- the tree ---------------------------------------------------------
    @property
    def module(self) -> cst.Module:
        if self._module is None:
            self._module = cst.parse_module(self.text)
        return self._module

    def _all_chunks(self) -> list[_Chunk]:
        if self._chunks is None:
            module = self.module
            at = sum(len(module.code_for_node(line)) for line in module.header)
            chunks = []
            for stmt in module.body:
                code = module.code_for_node(stmt)
                chunks.append(_Chunk(at, at + len(code), stmt, code))
                at += len(code)
            self._chunks = chunks
        return self._chunks

    def _chunk_at(self, at: int) -> _Chunk | None:
        chunks = self._all_chunks()
        k = bisect_right([c.start for c in chunks], at) - 1
        return chunks[k] if 0 <= k < len(chunks) and at < chunks[k].end else None

    def _resolve(self, chunk: _Chunk) -> None:
        """Positions and parents of one statement's nodes, in file coordinates."""
        if chunk.by_span is not None:
            return
        alone = self.module.with_changes(header=[], body=[chunk.stmt], footer=[])
        positions = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
        chunk.parents = parents(alone)
        first_line = bisect_right(self.starts, chunk.start)  # the line the statement's text starts on
        by_span: dict[tuple, list[cst.CSTNode]] = {}
        for node, rng in positions.items():
            span = Span(rng.start.line + first_line - 1, rng.start.column + 1,
                        rng.end.line + first_line - 1, rng.end.column + 1)
            self._spans[id(node)] = span
            self._chunk_of[id(node)] = chunk
            by_span.setdefault((span.line, span.column, span.end_line, span.end_column), []).append(node)
        chunk.by_span = by_span

    def nodes_at(self, span: Span, kind: type | tuple = cst.CSTNode) -> list[cst.CSTNode]:
        """The nodes of exactly this range (outermost first) that are instances of `kind`."""
        try:
            chunk = self._chunk_at(offset(self.starts, span.line, span.column))
        except IndexError:
            return []
        if chunk is None:
            return []
        by_span = chunk.by_span
        if by_span is None:
            by_span = self._member_spans(chunk, span)
        if by_span is None:
            self._resolve(chunk)
            by_span = chunk.by_span
        key = (span.line, span.column, span.end_line, span.end_column)
        return [n for n in by_span.get(key, []) if isinstance(n, kind)]

    def _member_spans(self, chunk: _Chunk, span: Span) -> dict | None:
        """Of a class of two members or more, the positions of the one member whose text
        holds `span` (a method of a 2,000-line class), resolved alone: rendered in a stand-in
        block with the class body's indentation, so columns are the file's and lines move by
        a constant. None (resolve the whole statement) when `span` is not inside one member
        or the member does not render as its text reads."""
        stmt = chunk.stmt
        if type(stmt) is not cst.ClassDef or type(stmt.body) is not cst.IndentedBlock or len(stmt.body.body) < 2:
            return None  # one member: the block's range is the member's, so the block is an answer too
        try:
            begin = offset(self.starts, span.line, span.column) - chunk.start
            end = offset(self.starts, span.end_line, span.end_column) - chunk.start
        except IndexError:
            return None
        if chunk.members is None:
            chunk.members = _member_ranges(self.module, stmt, chunk.code)
        found = next(((a, b, m) for a, b, m in chunk.members if a <= begin and end <= b), None)
        if found is None or begin == end:  # an empty range can be a neighbour's whitespace too
            return None
        start, stop, member = found
        if id(member) in chunk.member_spans:
            return chunk.member_spans[id(member)]
        chunk.member_spans[id(member)] = None  # stays if it cannot be resolved alone
        text = self.text[chunk.start + start:chunk.start + stop]
        if start and self.text[chunk.start + start - 1] not in "\r\n":
            return None
        head = cst.If(test=cst.Name("_"), body=cst.IndentedBlock(body=[member], indent=stmt.body.indent))
        mini = self.module.with_changes(header=[], body=[head], footer=[])
        if mini.code != "if _:" + self.module.default_newline + text:
            return None
        positions = MetadataWrapper(mini, unsafe_skip_copy=True).resolve(PositionProvider)
        if chunk.parents is None:
            chunk.parents = parents(self.module.with_changes(header=[], body=[stmt], footer=[]))
        # The member's first line is the stand-in's second one.
        first_line = bisect_right(self.starts, chunk.start + start) - 1
        wrapper = _wrapper_nodes(mini, member)
        by_span: dict[tuple, list[cst.CSTNode]] = {}
        for node, rng in positions.items():
            if id(node) in wrapper:
                continue
            found_span = Span(rng.start.line + first_line - 1, rng.start.column + 1,
                              rng.end.line + first_line - 1, rng.end.column + 1)
            self._spans[id(node)] = found_span
            self._chunk_of[id(node)] = chunk
            by_span.setdefault((found_span.line, found_span.column, found_span.end_line, found_span.end_column),
                               []).append(node)
        chunk.member_spans[id(member)] = by_span
        return by_span

    def node_at(self, span: Span, kind: type | tuple = cst.CSTNode):
        found = self.nodes_at(span, kind)
        return found[0] if found else None

    def statement_at(self, span: Span):
        """The top-level statement that holds `span` (to search inside it), or None."""
        try:
            chunk = self._chunk_at(offset(self.starts, span.line, span.column))
        except IndexError:
            return None
        if chunk is None:
            return None
        self._resolve(chunk)  # its nodes' positions are asked next
        return chunk.stmt

    def parent(self, node: cst.CSTNode):
        chunk = self._chunk_for(node)
        parent = chunk.parents.get(node) if chunk is not None else None
        return self.module if isinstance(parent, cst.Module) else parent

    def _chunk_for(self, node: cst.CSTNode) -> _Chunk | None:
        chunk = self._chunk_of.get(id(node))
        if chunk is None:  # a top-level statement not resolved yet
            chunk = next((c for c in self._all_chunks() if c.stmt is node), None)
            if chunk is not None:
                self._resolve(chunk)
        if chunk is None:  # in a class resolved member by member, outside those members
            for c in self._all_chunks():
                if c.by_span is None and c.member_spans:
                    self._resolve(c)
            chunk = self._chunk_of.get(id(node))
        return chunk

    def span_of(self, node: cst.CSTNode) -> Span:
        if id(node) not in self._spans and self._chunk_for(node) is None:
            raise KeyError("the node is not in a statement of this file")
        return self._spans[id(node)]

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # -- text and edits ---------------------------------------------------
    def text_of(self, span: Span) -> str:
        return self.text[offset(self.starts, span.line, span.column):offset(self.starts, span.end_line, span.end_column)]

    def replace(self, node: cst.CSTNode, new: cst.CSTNode | str) -> Edit:
        """An edit that puts `new` where `node` is: text as given, or a node as libcst renders
        it in place (its top-level statement is rendered with the node swapped, so continuation
        lines take the indentation of their block). The edit is the smallest range that
        changed, so fixes of neighbouring nodes rarely overlap."""
        span = self.span_of(node)
        if isinstance(new, str):
            return Edit(span, new, self.text_of(span))
        chunk = self._chunk_for(node)
        old = self.text[chunk.start:chunk.end]
        if chunk.code != old:
            raise ValueError("the statement does not render as written")  # never expected: libcst round-trips
        stmt = new if chunk.stmt is node else _swapped(chunk, node, new)
        rendered = self.module.code_for_node(stmt)
        begin = offset(self.starts, span.line, span.column) - chunk.start
        end_old = offset(self.starts, span.end_line, span.end_column) - chunk.start
        end_new = end_old + len(rendered) - len(old)
        while begin < end_old and begin < end_new and old[begin] == rendered[begin]:
            begin += 1
        while end_old > begin and end_new > begin and old[end_old - 1] == rendered[end_new - 1]:
            end_old -= 1
            end_new -= 1
        where = Span(*self.position(chunk.start + begin), *self.position(chunk.start + end_old))
        return Edit(where, rendered[begin:end_new], old[begin:end_old])

    def position(self, at: int) -> tuple[int, int]:
        """The 1-based line and column of an offset."""
        line = bisect_right(self.starts, at)
        return line, at - self.starts[line - 1] + 1


def _swapped(chunk: _Chunk, node: cst.CSTNode, new: cst.CSTNode) -> cst.CSTNode:
    """The chunk's statement with `node` swapped for `new`, rebuilding only the nodes on the
    path between them (libcst's deep_replace rebuilds every node of the statement, a whole
    class for a method's call). A node off the parent map (whitespace or punctuation): by
    deep_replace."""
    child, built = node, new
    while child is not chunk.stmt:
        parent = chunk.parents.get(child)
        built = _with_child(parent, child, built) if parent is not None else None
        if built is None:
            return chunk.stmt.deep_replace(node, new)
        child = parent
    return built


def _with_child(parent: cst.CSTNode, child: cst.CSTNode, new: cst.CSTNode) -> cst.CSTNode | None:
    for f in dataclasses.fields(parent):
        value = getattr(parent, f.name)
        if value is child:
            return parent.with_changes(**{f.name: new})
        if isinstance(value, (tuple, list)):
            for i, item in enumerate(value):
                if item is child:
                    return parent.with_changes(**{f.name: (*value[:i], new, *value[i + 1:])})
    return None


def _member_ranges(module: cst.Module, stmt: cst.ClassDef, code: str) -> list[tuple[int, int, cst.CSTNode]]:
    """Where each member of the class's body starts and ends in the class's text, read from
    one rendering of it (empty if the rendering is not libcst's own, `code`)."""
    from libcst._nodes.internal import CodegenState

    members = {id(m) for m in stmt.body.body}
    marks: list[tuple[int, int, cst.CSTNode]] = []  # (token index at the start, at the end, member)
    opened: dict[int, int] = {}

    class Recording(CodegenState):
        __slots__ = ()

        def before_codegen(self, node) -> None:
            if id(node) in members:
                opened[id(node)] = len(self.tokens)

        def after_codegen(self, node) -> None:
            if id(node) in members:
                marks.append((opened[id(node)], len(self.tokens), node))

    state = Recording(default_indent=module.default_indent, default_newline=module.default_newline)
    stmt._codegen(state)
    if "".join(state.tokens) != code:
        return []
    at = [0]
    for token in state.tokens:
        at.append(at[-1] + len(token))
    return [(at[a], at[b], node) for a, b, node in marks]


def _wrapper_nodes(mini: cst.Module, member: cst.CSTNode) -> set[int]:
    """Ids of the stand-in's own nodes (everything of `mini` outside `member`)."""
    out: set[int] = set()
    stack: list[cst.CSTNode] = [mini]
    while stack:
        node = stack.pop()
        if node is member:
            continue
        out.add(id(node))
        stack.extend(node.children)
    return out
