"""One file's text re-parsed with libcst, for building fixes.

Fixes are made by re-parsing the file a finding came from and locating its
nodes by position (the analysis may have parsed a slice of the file, and its
tree never leaves the worker). An edit replaces the exact text range of a node
with libcst's rendering of the changed node, so every byte the fix does not
touch (comments, formatting) stays as it was.
"""

from __future__ import annotations

import re
from bisect import bisect_right

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from promptlint.model import Edit, Span

_NEWLINE = re.compile(r"\r\n|\r|\n")  # the line breaks libcst counts


def line_starts(text: str) -> list[int]:
    """Offset of the first character of each line (index 0 is line 1)."""
    return [0, *(m.end() for m in _NEWLINE.finditer(text))]


def offset(starts: list[int], line: int, column: int) -> int:
    """The offset of a 1-based line and column."""
    return starts[line - 1] + column - 1


class Source:
    """The text of one file and, parsed on first use, its libcst tree with positions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)
        self._module: cst.Module | None = None
        self._by_span: dict[tuple, list[cst.CSTNode]] | None = None
        self._parents: dict | None = None
        self._positions: dict | None = None

    # -- the tree ---------------------------------------------------------
    def _parse(self) -> None:
        module = cst.parse_module(self.text)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self._positions = wrapper.resolve(PositionProvider)
        self._parents = wrapper.resolve(ParentNodeProvider)
        self._module = module
        by_span: dict[tuple, list[cst.CSTNode]] = {}
        for node, rng in self._positions.items():
            key = (rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)
            by_span.setdefault(key, []).append(node)
        self._by_span = by_span

    @property
    def module(self) -> cst.Module:
        if self._module is None:
            self._parse()
        return self._module

    def nodes_at(self, span: Span, kind: type | tuple = cst.CSTNode) -> list[cst.CSTNode]:
        """The nodes of exactly this range (outermost first) that are instances of `kind`."""
        if self._by_span is None:
            self._parse()
        key = (span.line, span.column, span.end_line, span.end_column)
        return [n for n in self._by_span.get(key, []) if isinstance(n, kind)]

    def node_at(self, span: Span, kind: type | tuple = cst.CSTNode):
        found = self.nodes_at(span, kind)
        return found[0] if found else None

    def parent(self, node: cst.CSTNode):
        if self._parents is None:
            self._parse()
        return self._parents.get(node)

    def span_of(self, node: cst.CSTNode) -> Span:
        if self._positions is None:
            self._parse()
        rng = self._positions[node]
        return Span(rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # -- text and edits ---------------------------------------------------
    def text_of(self, span: Span) -> str:
        return self.text[offset(self.starts, span.line, span.column):offset(self.starts, span.end_line, span.end_column)]

    def replace(self, node: cst.CSTNode, new: cst.CSTNode | str) -> Edit:
        """An edit that puts `new` where `node` is: text as given, or a node as libcst renders
        it in place (the whole module is rendered with the node swapped, so continuation
        lines take the indentation of their block). The edit is the smallest range that
        changed, so fixes of neighbouring nodes rarely overlap."""
        span = self.span_of(node)
        if isinstance(new, str):
            return Edit(span, new, self.text_of(span))
        old = self.text
        rendered = self.module.deep_replace(node, new).code
        begin = offset(self.starts, span.line, span.column)
        end_old = offset(self.starts, span.end_line, span.end_column)
        end_new = end_old + len(rendered) - len(old)
        while begin < end_old and begin < end_new and old[begin] == rendered[begin]:
            begin += 1
        while end_old > begin and end_new > begin and old[end_old - 1] == rendered[end_new - 1]:
            end_old -= 1
            end_new -= 1
        where = Span(*self.position(begin), *self.position(end_old))
        return Edit(where, rendered[begin:end_new], old[begin:end_old])

    def position(self, at: int) -> tuple[int, int]:
        """The 1-based line and column of an offset."""
        line = bisect_right(self.starts, at)
        return line, at - self.starts[line - 1] + 1

    def insert(self, line: int, column: int, content: str) -> Edit:
        return Edit(Span(line, column, line, column), content, "")
