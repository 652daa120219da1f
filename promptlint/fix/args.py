"""Editing a call's arguments with libcst, keeping the call's own layout."""

from __future__ import annotations

import libcst as cst

from promptlint.model import Edit


def _separator(items: list, opening) -> cst.Comma:
    """The comma to put after the last of `items` when one more is appended: the comma
    between the items already there; for a lone item with a trailing comma, the line
    break after the opening bracket (`opening`), so the new item gets a line of its own."""
    if len(items) > 1 and isinstance(items[-2].comma, cst.Comma):
        return items[-2].comma
    if len(items) == 1 and isinstance(items[-1].comma, cst.Comma) and isinstance(opening, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=opening)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def with_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """`call` with `name=value` appended, laid out like its other arguments: on its own
    line in a call written one argument per line, after `, ` otherwise."""
    arg = cst.Arg(value=value, keyword=cst.Name(name),
                  equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                        whitespace_after=cst.SimpleWhitespace("")))
    args = list(call.args)
    if not args:
        return call.with_changes(args=[arg])
    last = args[-1]
    separator = _separator(args, call.whitespace_before_args)
    # A trailing comma stays trailing; without one, the line break before `)` (held by the
    # last argument) moves to the new last argument.
    arg = arg.with_changes(comma=last.comma, whitespace_after_arg=last.whitespace_after_arg)
    last = last.with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace(""))
    return call.with_changes(args=[*args[:-1], last, arg])


def add_keyword(source, call: cst.Call, name: str, value: cst.BaseExpression) -> tuple[Edit, ...] | None:
    if any(a.keyword is not None and a.keyword.value == name for a in call.args):
        return None
    return (source.replace(call, with_keyword(call, name, value)),)


def add_path_value(source, call: cst.Call, path: str, value: cst.BaseExpression) -> tuple[Edit, ...] | None:
    """Set `path` (`max_tokens`, or `config.max_output_tokens` one level down) on the call.
    One level down works when the container is absent (a new dict is passed), a dict
    literal, or a call (`types.GenerateContentConfig(...)`) taking keywords; else None."""
    head, _, key = path.partition(".")
    if not key:
        return add_keyword(source, call, head, value)
    if "." in key:
        return None
    arg = next((a for a in call.args if a.keyword is not None and a.keyword.value == head), None)
    if arg is None:
        entry = cst.Dict([cst.DictElement(cst.SimpleString(f'"{key}"'), value)])
        return add_keyword(source, call, head, entry)
    container = arg.value
    if isinstance(container, cst.Dict):
        if any(isinstance(e, cst.StarredDictElement) for e in container.elements):
            return None
        keys = [e.key for e in container.elements if isinstance(e, cst.DictElement)]
        if any(isinstance(k, cst.SimpleString) and k.evaluated_value == key for k in keys):
            return None
        return (source.replace(container, with_entry(container, key, value)),)
    if isinstance(container, cst.Call) and not any(a.star for a in container.args):
        return add_keyword(source, container, key, value)
    return None


def with_entry(node: cst.Dict, key: str, value: cst.BaseExpression) -> cst.Dict:
    """`node` with `"key": value` appended, laid out like its other entries."""
    elements = list(node.elements)
    quote = next((e.key.quote for e in elements if isinstance(e, cst.DictElement)
                  and isinstance(e.key, cst.SimpleString) and e.key.quote in ('"', "'")), '"')
    element = cst.DictElement(quoted(key, quote), restyle(value, quote))
    if not elements:
        return node.with_changes(elements=[element])
    last = elements[-1]
    separator = _separator(elements, node.lbrace.whitespace_after)
    element = element.with_changes(comma=last.comma)
    return node.with_changes(elements=[*elements[:-1], last.with_changes(comma=separator), element])


def quoted(text: str, quote: str = '"') -> cst.SimpleString:
    """A string literal of `text` in the file's quote style (`"` or `'`)."""
    escaped = text.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return cst.SimpleString(quote + escaped + quote)


def restyle(value: cst.BaseExpression, quote: str) -> cst.BaseExpression:
    """A plain string literal made by a fixer, in the given quote style; anything else as is."""
    if isinstance(value, cst.SimpleString) and value.prefix == "" and value.quote in ('"', "'") \
            and value.quote != quote:
        return quoted(value.evaluated_value, quote)
    return value
