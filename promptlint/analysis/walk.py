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

from promptlint.analysis._cst_order import CHILD_FIELDS

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


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """A node's child nodes in source order (`visit` inlines the same loop: it runs per node)."""
    out = []
    for name in child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            out.append(value)
        elif isinstance(value, (tuple, list)):
            out.extend(v for v in value if isinstance(v, cst.CSTNode))
    return out


_hooks: dict[tuple[type, type], tuple] = {}


def hooks(visitor_type: type, node_type: type) -> tuple:
    """(visit_X, leave_X) of a visitor class for a node class, looked up once: libcst
    formats the method name and looks it up again for every node."""
    found = _hooks.get((visitor_type, node_type))
    if found is None:
        name = node_type.__name__
        found = _hooks[(visitor_type, node_type)] = (getattr(visitor_type, "visit_" + name, None),
                                                     getattr(visitor_type, "leave_" + name, None))
    return found


def dispatch_visit(visitor: cst.CSTVisitor, node: cst.CSTNode) -> bool:
    """CSTVisitor.on_visit, with the hook cached."""
    hook = hooks(type(visitor), type(node))[0]
    return hook is None or hook(visitor, node) is not False


def dispatch_leave(visitor: cst.CSTVisitor, node: cst.CSTNode) -> None:
    """CSTVisitor.on_leave, with the hook cached."""
    hook = hooks(type(visitor), type(node))[1]
    if hook is not None:
        hook(visitor, node)


def visit(root: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Like `root.visit(visitor)` for a visitor that only reads. Iterative, so deep
    trees cost no Python stack."""
    node_type = cst.CSTNode
    kind = type(visitor)
    on_visit = visitor.on_visit if kind.on_visit is not cst.CSTVisitor.on_visit else (
        lambda node: dispatch_visit(visitor, node))
    on_leave = visitor.on_leave if kind.on_leave is not cst.CSTVisitor.on_leave else (
        lambda node: dispatch_leave(visitor, node))
    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    pop, push = stack.pop, stack.append
    while stack:
        node, leaving = pop()
        if leaving:
            on_leave(node)
            continue
        push((node, True))
        if not on_visit(node):
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
