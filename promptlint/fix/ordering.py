"""PL103: give an unordered source a fixed order by wrapping it in `sorted(...)`.

Applicability:
- safe for a directory listing that is iterated or already a list (`os.listdir`,
  `glob.glob`, or `glob.iglob` / `Path.iterdir` / `Path.glob` / `Path.rglob` read
  by a loop or comprehension): the items are str or Path, which always compare,
  and the order was arbitrary by contract, so no correct program relied on it;
- unsafe for iterating a set (or anything else the rule reports): its items may
  not compare (`sorted` would raise TypeError), and the prompt the model sees
  changes from one order to another;
- `random.shuffle(x)` on its own line is removed, unsafe: the shuffle may be
  deliberate (to spread position bias), a person decides.
`random.sample`, `os.scandir` and `os.walk` are left unfixed (no drop-in order).
"""

from __future__ import annotations

import libcst as cst

from promptlint.model import Edit, Fix, Span

LISTS = ("os.listdir", "listdir", "glob.glob")  # return lists
ITERATORS = ("glob.iglob", "iglob", "iterdir", "glob", "rglob")  # return iterators: wrap only where iterated


def dotted(node) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else node.attr.value
    if isinstance(node, cst.Call):
        return dotted(node.func) + "()"
    return ""


def _sorted(node: cst.BaseExpression) -> cst.Call:
    return cst.Call(func=cst.Name("sorted"), args=[cst.Arg(value=node)])


def _iterated(source, node) -> bool:
    """Is `node` read only by iteration: a `for` loop or a comprehension's `in`?"""
    parent = source.parent(node)
    return isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node


def fix_unstable_order(finding, source, env) -> Fix | None:
    for node in source.nodes_at(finding.span, cst.BaseExpression):
        if isinstance(node, cst.Call):
            name = dotted(node.func)
            last = name.split(".")[-1]
            if name in ("random.shuffle", "shuffle"):
                return _remove_shuffle(source, node)
            if name in LISTS or (name.endswith(".listdir") and name.startswith("os")):
                return Fix("safe", f"sort the `{last}` result: `sorted({source.code(node)})`",
                           (source.replace(node, _sorted(node)),))
            if (name in ITERATORS or last in ("iterdir", "rglob") or name.endswith(".glob")) and _iterated(source, node):
                return Fix("safe", f"sort the `{last}` result: `sorted({source.code(node)})`",
                           (source.replace(node, _sorted(node)),))
            if name.split(".")[-1] in ("sorted",):
                return None
        if _iterated(source, node) and not isinstance(node, cst.Call):
            what = source.code(node)
            if len(what) > 40 or "\n" in what:
                what = "the collection"
            return Fix("unsafe", f"iterate `sorted({what})` for a fixed order",
                       (source.replace(node, _sorted(node)),))
    return None


def _remove_shuffle(source, call: cst.Call) -> Fix | None:
    """Delete `random.shuffle(x)` when it is a statement of its own line in a block with others."""
    expr = source.parent(call)
    line = source.parent(expr) if isinstance(expr, cst.Expr) else None
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    block = source.parent(line)
    body = getattr(block, "body", None)
    if not isinstance(body, (list, tuple)) or len(body) < 2:
        return Fix("unsafe", f"replace `{source.code(call)}` with `pass` (keep the examples' written order)",
                   (source.replace(call, cst.Name("pass")),))
    span = source.span_of(line)
    if span.end_line >= len(source.starts):
        return None  # the last line of a file without a final line break
    start = Span(span.line, 1, span.end_line + 1, 1)  # the whole line, its comment and its line break
    if source.text_of(Span(span.line, 1, span.line, span.column)).strip():
        return None  # something else on the line before it
    return Fix("unsafe", f"remove `{source.code(call)}` (keep the examples' written order)",
               (Edit(start, "", source.text_of(start)),))
