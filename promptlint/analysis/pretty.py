"""Pretty-printed data dumps (`json.dumps(..., indent=2)`, `pprint.pformat`, block-style
`yaml.dump`): the evaluator marks their text with a note so PL406 can find it in a prompt.

Only literal data is rendered (with the stdlib / PyYAML, never the analysed code);
anything else keeps its kind (static of unknown size, or dynamic) and the note.
"""

from __future__ import annotations

import json

import libcst as cst

from promptlint.model import Segment

JSON_KWARGS = ("indent", "sort_keys", "ensure_ascii", "separators")
PFORMAT_KWARGS = ("indent", "width", "depth", "compact", "sort_dicts")
YAML_KWARGS = ("default_flow_style", "sort_keys", "indent", "width", "allow_unicode")


def pretty_dump(evaluator, qual: str, first, node: cst.Call, ctx):
    """A Text whose one segment carries the note, or None when the call does not pretty-print."""
    from promptlint.analysis.segments import is_static
    from promptlint.analysis.values import MISSING, Text, python_value

    kwargs = _literal_kwargs(evaluator, node, ctx)
    note = _note(evaluator, qual, node, kwargs)
    if note is None:
        return None
    span = evaluator.span(node)
    value = python_value(first)
    if value is not MISSING:
        text = render(qual, value, kwargs)
        if text is not None:
            if "\n" not in text.strip():
                return None  # short enough to stay on one line: nothing to report
            return Text([Segment("static", text, span=span, note=note)])
    if is_static(first):
        return Text([Segment("static", None, source=evaluator._short(node), span=span, note=note)])
    return Text([Segment("dynamic", source=evaluator._short(node), span=span, note=note)])


def _literal_kwargs(evaluator, node: cst.Call, ctx) -> dict:
    from promptlint.analysis.values import MISSING, python_value

    out = {}
    for a in node.args[1:]:
        if a.keyword is None:
            continue
        val = python_value(evaluator.evaluate(a.value, ctx))
        out[a.keyword.value] = _UNKNOWN if val is MISSING else val
    return out


_UNKNOWN = object()


def _note(evaluator, qual: str, node: cst.Call, kwargs: dict) -> str | None:
    if qual == "json.dumps":
        indent = kwargs.get("indent")
        if indent is None or indent is _UNKNOWN:
            return None  # no indent, or one the analysis cannot see: stay quiet
        return f"json.dumps(..., indent={indent!r})"
    if qual == "orjson.dumps":
        if any("OPT_INDENT_2" in evaluator.code(a.value) for a in node.args[1:]):
            return "orjson.dumps(..., option=OPT_INDENT_2)"
        return None
    if qual == "pprint.pformat":
        width = kwargs.get("width")
        if isinstance(width, int) and width >= 1000:
            return None  # a width that keeps everything on one line
        return "pprint.pformat(...)"
    if qual in ("yaml.dump", "yaml.safe_dump"):
        flow = kwargs.get("default_flow_style", False)
        if flow is False:
            return f"{qual}(...) in block style"
        return None
    return None


def render(qual: str, value, kwargs: dict) -> str | None:
    """The text a dump of literal `value` produces, or None if the options are not literal."""
    try:
        if qual == "json.dumps":
            opts = {k: v for k, v in kwargs.items() if k in JSON_KWARGS}
            if any(v is _UNKNOWN for v in opts.values()):
                return None
            if isinstance(opts.get("separators"), list):
                opts["separators"] = tuple(opts["separators"])
            return json.dumps(value, **opts)
        if qual == "pprint.pformat":
            import pprint

            opts = {k: v for k, v in kwargs.items() if k in PFORMAT_KWARGS}
            if any(v is _UNKNOWN for v in opts.values()):
                return None
            return pprint.pformat(value, **opts)
        if qual in ("yaml.dump", "yaml.safe_dump"):
            import yaml

            opts = {k: v for k, v in kwargs.items() if k in YAML_KWARGS}
            if any(v is _UNKNOWN for v in opts.values()):
                return None
            return yaml.safe_dump(value, **opts)
    except Exception:  # noqa: BLE001 - odd options in analysed code
        return None
    return None
