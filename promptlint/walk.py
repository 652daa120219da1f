"""A read-only walk over a libcst tree, calling a CSTVisitor's hooks in libcst's order.

`node.visit(visitor)` rebuilds every node it passes through (libcst's visitors
and transformers share one code path), and that was most of the cost of
analysing a file. `visit` calls the same `on_visit` / `on_leave` hooks in the same
order, but only reads the tree, and it skips whitespace, comments and
punctuation, which no visitor here looks at. Attribute hooks such as
`visit_Call_func` are not called.
"""

from __future__ import annotations

import re

import libcst as cst

from promptlint._cst_order import CHILD_FIELDS

# Whitespace, comments and punctuation fields (scripts/gen_cst_order.py leaves them out).
TRIVIA = re.compile(r"^(whitespace_\w+|leading_lines|lines_after_decorators|trailing_whitespace|"
                    r"leading_whitespace|lpar|rpar|lbracket|rbracket|lbrace|rbrace|comma|semicolon|"
                    r"dot|colon|equal|header|footer|first_colon|second_colon|asynchronous|"
                    r"trailing_comma|operator|relative)$")

_fields: dict[type, tuple[str, ...]] = {}


def visit_order(cls: type) -> tuple[str, ...]:
    """Read the child order from `_visit_and_replace_children`'s source (slow: the
    table in _cst_order.py holds it for every class libcst had when it was generated)."""
    import inspect

    for klass in cls.__mro__:
        if "_visit_and_replace_children" in vars(klass):
            source = inspect.getsource(klass._visit_and_replace_children)
            names = dict.fromkeys(re.findall(r'visit_\w+\(\s*self,\s*"(\w+)"', source))
            return tuple(n for n in names if not TRIVIA.match(n))
    return ()


def child_fields(cls: type) -> tuple[str, ...]:
    found = _fields.get(cls)
    if found is None:
        found = CHILD_FIELDS.get(cls.__name__) if cls.__module__.startswith("libcst.") else None
        if found is None:
            found = visit_order(cls)
        _fields[cls] = found
    return found


def visit(root: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Like `root.visit(visitor)` for a visitor that only reads. Iterative, so deep
    trees cost no Python stack."""
    node_type = cst.CSTNode
    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    pop, push = stack.pop, stack.append
    while stack:
        node, leaving = pop()
        if leaving:
            visitor.on_leave(node)
            continue
        push((node, True))
        if not visitor.on_visit(node):
            continue
        children = []
        for name in child_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, node_type):
                children.append(value)
            elif isinstance(value, (tuple, list)):
                children.extend(v for v in value if isinstance(v, node_type))
        for child in reversed(children):
            push((child, False))
