"""PL406: send data in compact form instead of pretty-printed. Unsafe: the model
sees the same data laid out differently, which a person should review.

- `json.dumps(x, indent=N)` -> `json.dumps(x, separators=(",", ":"))` (the indent
  removed; compact separators unless the call names its own);
- `model.model_dump_json(indent=N)` / `model.json(indent=N)` -> the indent removed;
- `pprint.pformat(x)` -> `json.dumps(x)` when `x` is a literal (or a module constant
  bound once to a literal) whose value JSON keeps as is (dicts with str keys, lists,
  str, int, float, bool, None); `import json` is added when the module lacks it.
Left unfixed: YAML dumps, `orjson` options, `pformat` of data the analysis cannot
read (it may hold tuples, sets or objects that `json.dumps` would change or refuse).
"""

from __future__ import annotations

import ast

import libcst as cst

from promptlint.fix.ordering import dotted
from promptlint.model import Edit, Fix, Span

COMPACT = cst.Tuple([cst.Element(cst.SimpleString('","'), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                     cst.Element(cst.SimpleString('":"'))])


def fix_verbose_serialization(finding, source, env) -> Fix | None:
    for call in source.nodes_at(finding.span, cst.Call):
        name = dotted(call.func)
        last = name.split(".")[-1]
        if last == "dumps" and not name.startswith("orjson"):
            return _json_dumps(source, call)
        if last in ("model_dump_json", "json"):
            edits = _drop_keyword(source, call, "indent")
            return Fix("unsafe", f"drop `indent` from `{last}(...)`", edits) if edits else None
        if last == "pformat":
            return _pformat(source, call, name)
    return None


def _keyword(call: cst.Call, name: str):
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def _without(call: cst.Call, name: str) -> list[cst.Arg]:
    """The call's arguments without keyword `name`; the trailing comma kept as written."""
    args = list(call.args)
    at = next(i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == name)
    removed = args.pop(at)
    if at == len(args) and args:  # it was the last: the new last argument takes its comma
        args[-1] = args[-1].with_changes(comma=removed.comma)
    return args


def _drop_keyword(source, call: cst.Call, name: str):
    if _keyword(call, name) is None or any(a.star for a in call.args):
        return None
    return (source.replace(call, call.with_changes(args=_without(call, name))),)


def _json_dumps(source, call: cst.Call) -> Fix | None:
    indent = _keyword(call, "indent")
    if indent is None or any(a.star for a in call.args):
        return None
    args = _without(call, "indent")
    if _keyword(call, "separators") is None:
        keyword = cst.Arg(value=COMPACT, keyword=cst.Name("separators"),
                          equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                whitespace_after=cst.SimpleWhitespace("")),
                          comma=indent.comma)
        at = next(i for i, a in enumerate(call.args) if a is indent)
        args.insert(at, keyword)
        if at == len(args) - 1 and at > 0:  # indent was last: keep the comma layout as written
            args[at - 1] = args[at - 1].with_changes(comma=call.args[at - 1].comma)
        message = "drop `indent` and use compact separators: `separators=(\",\", \":\")`"
    else:
        message = "drop `indent` (the call keeps its own separators)"
    return Fix("unsafe", message, (source.replace(call, call.with_changes(args=args)),))


def _pformat(source, call: cst.Call, name: str) -> Fix | None:
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return None  # width=, indent=, ...: pformat options have no JSON meaning
    value = _literal(source, call.args[0].value)
    if value is None or not _json_keeps(value):
        return None
    edits = [source.replace(call.func, cst.parse_expression("json.dumps"))]
    if not _imports_json(source.module):
        edits.append(_import_json(source))
    func = "pformat" if "." not in name else name
    return Fix("unsafe", f"send the data as JSON: `json.dumps(...)` instead of `{func}(...)`", tuple(edits))


def _literal(source, node):
    """The value of a literal, or of a module-level name bound once to a literal."""
    try:
        return ast.literal_eval(source.code(node).strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    if not isinstance(node, cst.Name):
        return None
    bound = []
    for stmt in source.module.body:
        for small in getattr(stmt, "body", []) if isinstance(stmt, cst.SimpleStatementLine) else []:
            if isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == node.value for t in small.targets):
                bound.append(small.value)
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) \
                    and small.target.value == node.value and small.value is not None:
                bound.append(small.value)
    if len(bound) != 1:
        return None
    try:
        return ast.literal_eval(source.code(bound[0]).strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _json_keeps(value) -> bool:
    """Does JSON carry this value unchanged (no tuples, sets, bytes or non-str keys)?"""
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_json_keeps(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_keeps(v) for k, v in value.items())
    return False


def _imports_json(module: cst.Module) -> bool:
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import) and any(
                        isinstance(a.name, cst.Name) and a.name.value == "json" and a.asname is None
                        for a in small.names):
                    return True
    return False


def _import_json(source) -> Edit:
    """`import json` before the module's first statement that is not a docstring or a
    `from __future__` import."""
    body = source.module.body
    at = 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and (
                (i == 0 and isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, cst.SimpleString))
                or (isinstance(stmt.body[0], cst.ImportFrom) and isinstance(stmt.body[0].module, cst.Name)
                    and stmt.body[0].module.value == "__future__")):
            at = i + 1
            continue
        break
    if at < len(body):
        span = source.span_of(body[at])
        line = span.line - len(body[at].leading_lines)  # above its comments and blank lines
        return Edit(Span(line, 1, line, 1), "import json\n", "")
    end = len(source.starts)
    return Edit(Span(end, 1, end, 1), "\nimport json\n" if not source.text.endswith("\n") else "import json\n", "")
