"""Prompt template files: read as text, never executed.

The code of an application often keeps its prompts in files (`prompts/answer.txt`,
a YAML or TOML file of prompts, Jinja templates). This module reads such a file
and says where each piece of text and each placeholder is in it, so that rules can
report inside the template. It knows nothing of the evaluator (loading.py joins
the two).

- Text is read with a size limit, inside the project root, and refused when binary.
- YAML is composed with PyYAML's SafeLoader (positions of every scalar); TOML is
  read with tomllib; neither can run code.
- Jinja is lexed and parsed with jinja2 itself (the reference parser); its nodes
  carry lines only, so columns come from the lexer's tokens, found in the source
  in order.
- Placeholders: `{name}` (str.format, LangChain f-strings), `$name` / `${name}`
  (string.Template), `{{ expr }}` and `{% for %}` (Jinja).
"""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass
from functools import lru_cache

from promptlint.model import Span, TemplateSpan

MAX_TEMPLATE_BYTES = 1_000_000  # a prompt file larger than this is not a prompt
TEMPLATE_SUFFIXES = (".txt", ".md", ".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".prompt", ".yaml", ".yml",
                     ".toml", ".json", ".html", ".xml")


class TemplateError(Exception):
    """A template file that cannot be used; the message names the file and the reason."""


def is_template_path(path: str | None) -> bool:
    """A file the code reads prompt text from, as opposed to a Python module."""
    return bool(path) and not path.endswith((".py", ".pyi", ".ipynb"))


# -- reading ---------------------------------------------------------------------
def project_root() -> str:
    """Paths the engine reports are relative to the working directory: the project's root."""
    return os.path.abspath(os.getcwd())


def display(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        rel = path
    return rel.replace(os.sep, "/")


def inside(path: str, root: str) -> bool:
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def read_template(path: str, root: str | None = None) -> str:
    """The text of a template file. TemplateError: missing, outside the project,
    a directory, too large, binary or not UTF-8."""
    root = root or project_root()
    shown = display(path)
    if not inside(path, root):
        raise TemplateError(f"{shown}: not read: the path is outside the project ({display(root)})")
    try:
        size = os.path.getsize(path)
    except OSError:
        raise TemplateError(f"{shown}: the template file does not exist") from None
    if os.path.isdir(path):
        raise TemplateError(f"{shown}: is a directory, not a template file")
    if size > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"{shown}: not read: {size:,} bytes is over the {MAX_TEMPLATE_BYTES:,}-byte "
                            "limit for a template")
    return _read_at(os.path.abspath(path), file_stamp(path))


def file_stamp(path: str) -> tuple:
    """(mtime, size) of a file, () if it is gone: the key that lets per-run caches see an edit."""
    try:
        st = os.stat(path)
        return (st.st_mtime_ns, st.st_size)
    except OSError:
        return ()


@lru_cache(maxsize=64)
def _read_at(path: str, stamp: tuple) -> str:
    shown = display(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise TemplateError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    if b"\0" in data:
        raise TemplateError(f"{shown}: a binary file, not a text template")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateError(f"{shown}: not UTF-8 text (byte {exc.start})") from None


# -- where text sits in its file ---------------------------------------------------
def line_starts(text: str) -> list[int]:
    starts = [0]
    at = text.find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def position(starts: list[int], offset: int) -> tuple[int, int]:
    """(line, column), both 1-based, of a character offset."""
    import bisect

    line = bisect.bisect_right(starts, offset) - 1
    return line + 1, offset - starts[line] + 1


def whole_file_pieces(text: str, origin: str) -> tuple:
    """((offset, span, origin), ...) with one piece per line: a file read whole."""
    out = []
    for number, start in enumerate(line_starts(text), 1):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        out.append((start, Span(number, 1, number, end - start + 1), origin))
    return tuple(out)


def value_pieces(value: str, file_text: str, origin: str, start: int = 0, end: int | None = None) -> tuple:
    """Pieces for a string value read out of a structured file (YAML, TOML): each line of
    the value is looked up in the file in order, from `start`. Lines the file spells
    otherwise (escapes, folding) keep the previous piece: a nearby line, never a crash."""
    end = len(file_text) if end is None else end
    starts = line_starts(file_text)
    out = []
    cursor = start
    offset = 0
    for line in value.split("\n"):
        content = line.strip()
        if content:
            lead = len(line) - len(line.lstrip())
            found = file_text.find(content, cursor, end)
            if found < 0 and len(content) > 20:
                found = file_text.find(content[:20], cursor, end)
            if found >= 0:
                ln, col = position(starts, found)
                out.append((offset + lead, Span(ln, col, ln, col + len(content)), origin))
                cursor = found + min(len(content), 20)
        offset += len(line) + 1
    if not out:
        ln, col = position(starts, min(start, len(file_text)))
        out.append((0, Span(ln, col, ln, col + 1), origin))
    elif out[0][0] != 0:
        out[0] = (0, *out[0][1:])
    return tuple(out)


def locate(pieces: tuple, offset: int) -> Span | None:
    """The file position of a character offset of the text the pieces describe: exact
    on lines the file spells as the value does."""
    found = None
    for piece in pieces:
        if piece[0] <= offset:
            found = piece
        else:
            break
    if found is None or found[1] is None:
        return None
    start, span = found[0], found[1]
    column = span.column + (offset - start)
    return Span(span.line, column, span.line, column + 1)


def template_span(seg, offset: int, length: int = 1):
    """The position in its template file of a character offset of a loaded segment."""
    if seg.kind != "static" or seg.text is None:
        return None
    pieces = seg.pieces or ((0, seg.span, seg.origin),)
    found = None
    for piece in pieces:
        if piece[0] <= offset:
            found = piece
        else:
            break
    if found is None or found[1] is None or not is_template_path(found[2]):
        return None
    span = locate((found,), offset)
    return TemplateSpan(span.line, span.column, span.line, span.column + max(length, 1), found[2])



# -- placeholders --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str  # the variable it reads (`user` for `{user.name}`, `docs` for `{% for d in docs %}`)
    style: str  # format | dollar | jinja | jinja-for
    offset: int  # where it starts in the text
    raw: str  # as written


def format_placeholders(text: str) -> list[Placeholder]:
    """`{name}` fields of str.format / LangChain f-string templates; [] if the text is not one."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return []
    out, offset = [], 0
    for literal, name, spec, conv in parsed:
        offset += len(literal) + literal.count("{") + literal.count("}")
        if name is None:
            continue
        raw = "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
        head = re.split(r"[.\[]", name, maxsplit=1)[0]
        out.append(Placeholder(head, "format", offset, raw))
        offset += len(raw)
    return out


_DOLLAR = re.compile(r"\$(?:(\$)|(?P<named>[_a-z][_a-z0-9]*)|\{(?P<braced>[_a-z][_a-z0-9]*)\})", re.I)


def dollar_placeholders(text: str) -> list[Placeholder]:
    """`$name` and `${name}` of string.Template (`$$` is a literal dollar)."""
    return [Placeholder(m["named"] or m["braced"], "dollar", m.start(), m.group(0))
            for m in _DOLLAR.finditer(text) if m["named"] or m["braced"]]


# -- Jinja -------------------------------------------------------------------------
@dataclass(slots=True)
class JinjaDoc:
    """A parsed Jinja template and the offsets of its tags, in source order."""

    tree: object  # jinja2.nodes.Template
    variables: list[int]  # offsets of every `{{`
    blocks: list[tuple[int, str]]  # (offset of `{%`, its keyword)
    comments: list[tuple[int, str]]  # (offset of `{#`, its text)


@lru_cache(maxsize=64)
def parse_jinja(text: str) -> JinjaDoc:
    """TemplateError with the line for a template jinja2 refuses."""
    from jinja2 import Environment, TemplateSyntaxError

    env = Environment()
    try:
        tree = env.parse(text)
        tokens = list(env.lexer.tokeniter(text, None))
    except TemplateSyntaxError as exc:
        raise TemplateError(f"line {exc.lineno}: {exc.message}") from None
    except Exception as exc:  # noqa: BLE001 - jinja2 raises others on odd input
        raise TemplateError(f"{type(exc).__name__}: {exc}".splitlines()[0]) from None
    variables, blocks, comments = [], [], []
    cursor = 0
    previous = None
    for _line, kind, value in tokens:
        if not isinstance(value, str) or not value:
            previous = (kind, value)
            continue
        found = text.find(value, cursor)
        if found < 0:
            previous = (kind, value)
            continue
        if kind == "variable_begin":
            variables.append(found)
        elif kind == "comment":
            comments.append((max(found - 2, 0), value))
        elif kind == "name" and previous and previous[0] == "block_begin":
            blocks.append((text.rfind("{%", 0, found), value))
        cursor = found + len(value)
        if kind != "whitespace":
            previous = (kind, value)
    return JinjaDoc(tree, variables, blocks, comments)


def jinja_placeholders(text: str) -> list[Placeholder]:
    """`{{ name }}` outputs and `{% for x in name %}` loops, with their offsets."""
    from jinja2 import nodes

    doc = parse_jinja(text)
    out = []
    variables = iter(doc.variables)
    fors = iter(off for off, kw in doc.blocks if kw == "for")

    def name_of(expr) -> str:
        found = next(iter(expr.find_all(nodes.Name)), None) if not isinstance(expr, nodes.Name) else expr
        return found.name if found is not None else ""

    for node in _source_order(doc.tree):
        if isinstance(node, nodes.For):
            out.append(Placeholder(name_of(node.iter), "jinja-for", next(fors, 0), "{% for %}"))
        elif isinstance(node, nodes.Expr) and not isinstance(node, nodes.TemplateData):
            out.append(Placeholder(name_of(node), "jinja", next(variables, 0), "{{ }}"))
    return out


def _source_order(tree):
    """Output expressions and loops in source order (the order of their tags)."""
    from jinja2 import nodes

    def walk(node):
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                yield child
            return
        if isinstance(node, nodes.For):
            yield node
            for child in [*node.body, *node.else_]:
                yield from walk(child)
            return
        for child in node.iter_child_nodes():
            if isinstance(child, nodes.Stmt) or isinstance(child, nodes.Output):
                yield from walk(child)

    yield from walk(tree)


# -- structured files ----------------------------------------------------------------
def compose_yaml(text: str, shown: str):
    """The YAML node tree (positions kept) through the safe loader, or TemplateError."""
    import yaml

    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TemplateError(f"{shown}{where}: invalid YAML: {problem}") from None
    except Exception as exc:  # noqa: BLE001 - composer errors on odd bytes
        raise TemplateError(f"{shown}: invalid YAML: {type(exc).__name__}") from None


def scalar_value(node):
    """The Python value of a non-string YAML scalar (int, float, bool, null), safely."""
    import yaml

    try:
        return yaml.SafeLoader("").construct_object(node, deep=True)
    except Exception:  # noqa: BLE001
        return node.value


def load_toml(text: str, shown: str) -> dict:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{shown}: invalid TOML: {exc}") from None


