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
        if is_node(value):
            out.append(value)
        elif isinstance(value, (tuple, list)):
            out.extend(v for v in value if is_node(v))
    return out


def is_node(value) -> bool:
    """`isinstance(value, cst.CSTNode)`, by a table of classes (the check against the ABC is slow)."""
    flag = _is_node.get(type(value))
    return _node_kind(type(value)) if flag is None else flag


# Per visitor class, per node class: (visit_X, leave_X, child fields). libcst formats the
# method name and looks it up again for every node; this looks it up once.
_plans: dict[type, dict[type, tuple]] = {}
# Per class of a field's value: is it a CSTNode? (`isinstance` against the ABC is slow.)
_is_node: dict[type, bool] = {}


def _plan(visitor_type: type, node_type: type) -> tuple:
    plans = _plans.get(visitor_type)
    if plans is None:
        plans = _plans[visitor_type] = {}
    found = plans.get(node_type)
    if found is None:
        name = node_type.__name__
        found = plans[node_type] = (getattr(visitor_type, "visit_" + name, None),
                                    getattr(visitor_type, "leave_" + name, None), child_fields(node_type))
    return found


def hooks(visitor_type: type, node_type: type) -> tuple:
    """(visit_X, leave_X) of a visitor class for a node class, looked up once."""
    return _plan(visitor_type, node_type)[:2]


def dispatch_visit(visitor: cst.CSTVisitor, node: cst.CSTNode) -> bool:
    """CSTVisitor.on_visit, with the hook cached."""
    plans = _plans.get(type(visitor))
    plan = plans.get(type(node)) if plans is not None else None
    hook = (plan or _plan(type(visitor), type(node)))[0]
    return hook is None or hook(visitor, node) is not False


def dispatch_leave(visitor: cst.CSTVisitor, node: cst.CSTNode) -> None:
    """CSTVisitor.on_leave, with the hook cached."""
    hook = _plan(type(visitor), type(node))[1]
    if hook is not None:
        hook(visitor, node)


def _node_kind(kind: type) -> bool:
    found = _is_node[kind] = issubclass(kind, cst.CSTNode)
    return found


def visit(root: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Like `root.visit(visitor)` for a visitor that only reads. Iterative, so deep
    trees cost no Python stack. A node whose class has no leave hook (and a visitor
    without its own `on_leave`) is not queued a second time."""
    kind = type(visitor)
    own_visit = visitor.on_visit if kind.on_visit is not cst.CSTVisitor.on_visit else None
    own_leave = visitor.on_leave if kind.on_leave is not cst.CSTVisitor.on_leave else None
    plans = _plans.get(kind)
    if plans is None:
        plans = _plans[kind] = {}
    is_node, seq = _is_node, (tuple, list)
    stack: list = [root]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        node_type = type(node)
        if node_type is tuple:  # (node,): leaving it
            node = node[0]
            if own_leave is not None:
                own_leave(node)
            else:
                plans[type(node)][1](visitor, node)
            continue
        plan = plans.get(node_type) or _plan(kind, node_type)
        if own_leave is not None or plan[1] is not None:
            push((node,))
        if own_visit is not None:
            if not own_visit(node):
                continue
        elif plan[0] is not None and plan[0](visitor, node) is False:
            continue
        children = []
        for name in plan[2]:
            value = getattr(node, name)
            value_type = type(value)
            flag = is_node.get(value_type)
            if flag is None:
                flag = _node_kind(value_type)
            if flag:
                children.append(value)
            elif isinstance(value, seq):
                for v in value:
                    flag = is_node.get(type(v))
                    if flag is None:
                        flag = _node_kind(type(v))
                    if flag:
                        children.append(v)
        if children:
            children.reverse()
            stack.extend(children)
