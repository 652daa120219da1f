"""Top-level statements found in a module's text, before anything parses it (the scan
behind the large-file path, textslice.py).

A statement starts on a line that begins at column 0 outside any string, bracket or
line continuation; decorator lines and `else`, `elif`, `except` and `finally` lines
continue one. Strings are matched whole (any prefix, raw or not, triple-quoted or
not) and replaced by `$` in a "code text" with the comments removed, so brackets,
`#` and quotes inside them are never read as code, and names are read from the code
text only (an f-string keeps its names: it may read them). Each statement gets its
kind (function, class, assignment, other), a definition's name, an assignment's
targets and every name it mentions; deciding what a name means is left to `ast`,
statement by statement (textslice.py).

A text that cannot be split with certainty raises Unsafe: an unterminated string,
unbalanced brackets, a form feed before code (CPython resets the column there), NUL
bytes, an encoding that is not ASCII-compatible, a decorator without a definition,
an f-string whose replacement field is cut by a quote (Python 3.12 nesting).
"""

from __future__ import annotations

import io
import keyword
import re
import unicodedata
from dataclasses import dataclass, field

# Strings (any prefix, raw or not: a backslash always keeps the quote from closing it),
# comments, and a quote that opens no string (an unterminated string: not split).
_OPAQUE = re.compile(
    r"'''[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*'''"
    r'|"""[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*"""'
    r"|'[^'\\\n]*(?:\\[\s\S][^'\\\n]*)*'"
    r'|"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*"'
    r"|#[^\n]*"
    r"|['\"]")
_PIECES = re.compile(f"({_OPAQUE.pattern})")
_PLAIN_BEFORE = frozenset(" \t\n([{,:=+-*/%<>!&|^~@;.$\\") | {""}  # no string prefix ends in these
_START = re.compile(r"^(?![\s)\]}]|(?:else|elif|except|finally)\b)", re.M)  # a line that may start a statement
# A name, not a string prefix left before a string's stand-in (`f$`).
WORD = re.compile(r"[^\W\d]\w*+(?!\$)")
_DEF = re.compile(r"^(?:async[ \t]+def|def|class)[ \t]+([^\W\d]\w*)", re.M)
_NAME = r"[^\W\d]\w*(?:[ \t]*\.[ \t]*[^\W\d]\w*)*"
AUG = r"=(?!=)|[-+*/%@&|^]=|//=|\*\*=|>>=|<<="
_TARGETS = re.compile(rf"{_NAME}(?:[ \t]*,[ \t]*{_NAME})*[ \t]*,?[ \t]*(?:{AUG}|:(?!=))")
_F_PREFIX = re.compile(r"(?<!\w)(?:[fF]|[rRbBuU][fF]|[fF][rRbBuU])$")  # the prefix of an f-string
_FORM_FEED = re.compile(r"^[ \t\x0c]*\x0c[ \t\x0c]*[^\s]", re.M)  # CPython resets the column at a form feed
_KEYWORDS = frozenset(keyword.kwlist)


class Unsafe(Exception):
    """The text cannot be split with certainty."""


@dataclass(slots=True)
class Statement:
    """One top-level statement (or several on one line, `a = 1; b = 2`)."""

    first: int  # first line (decorators included), 1-based
    last: int  # last line holding its code
    start: int  # its range in the code text (strings and comments replaced)
    end: int
    kind: str  # "def" (functions), "class", "data" (assignments), "other"
    name: str | None  # a definition's name
    words: frozenset[str]  # every name it mentions outside plain strings and comments
    targets: tuple[str, ...] = ()  # an assignment's: the names before its `=`
    value: int = 0  # an assignment's: where its value starts in the code text



@dataclass
class Split:
    text: str  # the decoded text, line breaks as "\n"
    code: str  # the same lines with strings replaced by `$` and comments removed
    statements: list[Statement] = field(default_factory=list)
    _starts: list[int] | None = None  # offset of each line in `text`, once asked

    def source_of(self, s: Statement) -> str:
        """The text of one statement (strings and comments included)."""
        if self._starts is None:
            self._starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        end = self._starts[s.last] if s.last < len(self._starts) else len(self.text)
        return self.text[self._starts[s.first - 1]:end]



def decode(source: bytes) -> str:
    """The text as CPython reads it (BOM, coding cookie), line breaks as "\\n"."""
    from tokenize import detect_encoding

    if b"\0" in source:
        raise Unsafe("NUL byte")
    try:
        encoding, _ = detect_encoding(io.BytesIO(source).readline)
        if "\n\r".encode(encoding)[-2:] != b"\n\r":  # (utf-8-sig puts its BOM first)
            raise Unsafe("not an ASCII-compatible encoding")
        text = source.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise Unsafe(str(exc)) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x0c" in text and _FORM_FEED.search(text):
        raise Unsafe("a form feed before code")
    return text


def split(text: str) -> Split:
    """The top-level statements of a decoded text (see `decode`), or Unsafe."""
    code = _code_text(text)
    out = Split(text, code)
    statements = out.statements
    depth = 0
    at = line = 1  # code offset 0 is line 1; `at` is the line of `prev`
    prev = 0
    expecting_def = False
    head: int | None = None  # where the statement being read starts
    head_line = 0
    starts = [m.start() for m in _START.finditer(code) if m.start() < len(code)]
    for pos in [*starts, len(code)]:
        segment = code[prev:pos]
        depth += (segment.count("(") + segment.count("[") + segment.count("{")
                  - segment.count(")") - segment.count("]") - segment.count("}"))
        line = at + segment.count("\n")
        if depth < 0:
            raise Unsafe(f"unbalanced brackets before line {line}")
        boundary = pos == len(code) or (depth == 0 and not code.endswith("\\\n", 0, pos))
        if boundary and expecting_def and pos < len(code):
            if code.startswith("@", pos):
                boundary = False
            elif _DEF.match(code, pos):
                boundary, expecting_def = False, False
            else:
                raise Unsafe(f"a decorator without a definition before line {line}")
        if boundary:
            if head is None:
                if segment.strip():
                    raise Unsafe("code before the first statement")  # an indented first line
            else:
                statements.append(_statement(code, head, pos, head_line))
            if pos < len(code):
                head, head_line = pos, line
                expecting_def = code.startswith("@", pos)
        prev, at = pos, line
    if depth != 0:
        raise Unsafe("unbalanced brackets at the end of the file")
    if expecting_def:
        raise Unsafe("a decorator without a definition at the end of the file")
    return out


def _code_text(text: str) -> str:
    """The text with every string replaced by `$` and every comment removed. A multi-line
    string keeps its line breaks, each followed by ` $`, so that no line of a string looks
    like the start of a statement and a statement's last line stays its string's last line;
    an f-string keeps its names, each followed by `=` (it may read or even bind them).
    Most strings take the one-line test below; one function call per string costs more
    than the scan itself."""
    pieces = _PIECES.split(text)  # code, string or comment, code, ...
    plain = _PLAIN_BEFORE
    pieces[1::2] = ["" if p[0] == "#" else "$" if len(p) > 1 and "\n" not in p and c[-1:] in plain
                    else _stand_in(p, c) for p, c in zip(pieces[1::2], pieces[0::2])]
    return "".join(pieces)


def _stand_in(s: str, before: str) -> str:
    """`$` (and line breaks, or names) for a string `s` the code `before` leads to."""
    if len(s) == 1:
        raise Unsafe("an unterminated string")
    if before[-1:] in "fFrRbBuU" and before and _F_PREFIX.search(before[-3:]):
        if not _closed_fields(s):
            raise Unsafe("an f-string with nested quotes")  # Python 3.12 syntax this scan does not follow
        return "$" + "\n $".join(" ".join(w + "=" for w in WORD.findall(part)) for part in s.split("\n")) + "$"
    return "$" + "\n $" * s.count("\n")


def _closed_fields(s: str) -> bool:
    """Does every replacement field of an f-string close (`{{` and `}}` outside fields are
    literal braces)? One that does not was cut short by a quote nested inside it."""
    depth = 0
    braces = [m.start() for m in re.finditer(r"[{}]", s)]
    i = 0
    while i < len(braces):
        at = braces[i]
        doubled = i + 1 < len(braces) and braces[i + 1] == at + 1 and s[at + 1] == s[at]
        if depth == 0 and doubled:
            i += 2
            continue
        if s[at] == "{":
            depth += 1
        elif depth == 0:
            return False
        else:
            depth -= 1
        i += 1
    return depth == 0


def _statement(code: str, start: int, end: int, first: int) -> Statement:
    body = code[start:end].rstrip()
    last = first + body.count("\n")
    words = frozenset(WORD.findall(body))
    if not body.isascii():
        words = frozenset(normal(w) for w in words)
    found = _DEF.search(body) if body.startswith("@") else _DEF.match(body)
    if found:
        kind = "class" if found.group().startswith("class") else "def"
        return Statement(first, last, start, start + len(body), kind, normal(found.group(1)), words)
    if ";" not in body:  # one statement
        target = _TARGETS.match(body)
        if target:
            names = tuple(normal(w) for w in WORD.findall(target.group()))
            if names[0] not in _KEYWORDS:  # `try:`, `else:` are not annotations
                value = target.end()
                if body[value - 1] == ":":  # an annotation: the value is after its `=`
                    value = body.find("=", value) + 1 or len(body)
                return Statement(first, last, start, start + len(body), "data", None, words, names, start + value)
    return Statement(first, last, start, start + len(body), "other", None, words)


def normal(name: str) -> str:
    """A name as CPython reads it (NFKC)."""
    return name if name.isascii() else unicodedata.normalize("NFKC", name)

