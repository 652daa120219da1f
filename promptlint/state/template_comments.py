"""Suppression comments inside prompt template files, in the template's own syntax.

Jinja `{# promptlint: disable=PL101 #}`; YAML and TOML `# promptlint: disable=PL104`.
A comment alone on its line covers the next line (in YAML/TOML: the whole value of the
key there); a trailing comment covers its own line (YAML/TOML: the value of that key).
`disable-file=` covers the file. Plain text and Markdown have no comment syntax of
their own: `per-file-ignores` covers them.
"""

from __future__ import annotations

import bisect
import os
import re

from promptlint.state.suppress import Directive, Directives

MAX_BYTES = 1_000_000


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _position(starts: list[int], offset: int) -> tuple[int, int]:
    line = bisect.bisect_right(starts, offset) - 1
    return line + 1, offset - starts[line] + 1


def _jinja_comments(text: str) -> list[tuple[int, str]]:
    """(offset of `{#`, comment text) of every Jinja comment, from jinja2's own lexer."""
    from jinja2 import Environment

    out, cursor = [], 0
    try:
        for _line, kind, value in Environment().lexer.tokeniter(text, None):
            if not isinstance(value, str) or not value:
                continue
            found = text.find(value, cursor)
            if found < 0:
                continue
            if kind == "comment":
                out.append((max(found - 2, 0), value))
            cursor = found + len(value)
    except Exception:  # noqa: BLE001 - an invalid template is reported where it is loaded
        return []
    return out


_DIRECTIVE = re.compile(r"promptlint\s*:\s*(?P<kind>disable(?:-file)?)\s*=\s*(?P<codes>PL\d{0,3}(?:\s*,\s*PL\d{0,3})*)",
                        re.I)


def template_directives(path: str, text: str):
    """suppress.Directives for a template, in its own comment syntax:
    Jinja `{# promptlint: disable=PL101 #}`, YAML/TOML `# promptlint: disable=PL104`.
    A comment alone on its line covers the next line (for YAML/TOML: the whole value
    of the key there); a trailing comment covers its own line (YAML/TOML: the value
    of that key). `disable-file=` covers the file."""
    out = Directives()
    lower = path.lower()
    starts = _line_starts(text)
    lines = text.split("\n")
    found: list[tuple[int, bool, str]] = []  # (line, alone on its line, comment)
    if lower.endswith((".yaml", ".yml", ".toml")):
        skip = _string_lines(text, lower)
        for number, line in enumerate(lines, 1):
            if number in skip:
                continue
            at = _comment_start(line)
            if at is not None:
                found.append((number, not line[:at].strip(), line[at:]))
        extents = _value_extents(text, lower)
    else:
        comments = _jinja_comments(text) if "{#" in text else []
        for offset, comment in comments:
            number, _col = _position(starts, offset)
            before = lines[number - 1][: offset - starts[number - 1]]
            found.append((number, not before.strip(), comment))
        extents = {}
    for number, alone, comment in found:
        match = _DIRECTIVE.search(comment)
        if match is None:
            continue
        codes = tuple(c.strip().upper() for c in match["codes"].split(","))
        directive = Directive(number, codes, match["kind"].lower() == "disable-file", comment.strip())
        if directive.file_level:
            out.file_level.append(directive)
            continue
        target = number + 1 if alone else number
        first, last = extents.get(target, (target, target))
        for covered in range(first, last + 1):
            out.by_line.setdefault(covered, []).append(directive)
    return out


def _comment_start(line: str) -> int | None:
    """Where a `#` comment starts on a YAML/TOML line, outside quotes (roughly)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
    return None


def _string_lines(text: str, lower: str) -> set[int]:
    """Lines inside multi-line strings (their `#` is text, not a comment)."""
    inside_lines: set[int] = set()
    if lower.endswith(".toml"):
        for m in re.finditer(r'("""|\'\'\')(.*?)\1', text, re.S):
            first = text.count("\n", 0, m.start()) + 1
            last = text.count("\n", 0, m.end()) + 1
            inside_lines.update(range(first + 1, last + 1))
        return inside_lines
    for first, last, block in _yaml_values(text):
        if block:
            inside_lines.update(range(first + 1, last + 1))
    return inside_lines


def _value_extents(text: str, lower: str) -> dict[int, tuple[int, int]]:
    """key line -> (first line, last line) of the value that starts there."""
    out: dict[int, tuple[int, int]] = {}
    if lower.endswith(".toml"):
        for m in re.finditer(r'^[ \t]*[\w"\'.-]+[ \t]*=[ \t]*("""|\'\'\')(.*?)\1', text, re.S | re.M):
            first = text.count("\n", 0, m.start()) + 1
            out[first] = (first, text.count("\n", 0, m.end()) + 1)
        return out
    for first, last, _block in _yaml_values(text):
        out.setdefault(first, (first, last))
    return out


def _yaml_values(text: str) -> list[tuple[int, int, bool]]:
    """(key line, last line, is a block scalar) for every string value of a YAML file."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except Exception:  # noqa: BLE001 - invalid YAML is reported where it is loaded
        return []
    out = []
    todo = [root] if root is not None else []
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(value, yaml.ScalarNode):
                    end = value.end_mark.line + (0 if value.end_mark.column else -1)
                    out.append((key.start_mark.line + 1, max(end + 1, key.start_mark.line + 1),
                                value.style in ("|", ">")))
                else:
                    todo.append(value)
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
    return out


def suppresses_in_template(finding) -> bool:
    """Whether a comment in the template file that holds `finding` silences it."""
    try:
        if os.path.getsize(finding.path) > MAX_BYTES:
            return False
        with open(finding.path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return False
    return template_directives(finding.path, text).suppresses(finding)


def directives_for(path: str, text: str) -> Directives:
    """The suppression comments of a Python module, or of a prompt template in its own syntax."""
    from promptlint.state.suppress import directives

    return template_directives(path, text) if is_template_path(path) else directives(text)


def is_template_path(path: str | None) -> bool:
    """A file the code reads prompt text from, as opposed to a Python module."""
    return bool(path) and not path.endswith((".py", ".pyi", ".ipynb"))
