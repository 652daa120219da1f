"""The large-file path: find a module's top-level statements in its text and keep only
those an LLM call can depend on, before the module is parsed.

CPython's own parser needs seconds and hundreds of megabytes for a 200,000-line
generated module (`ast.parse` alone: 3 s, 800 MB), although slicing.py then keeps a few
dozen lines of it. Here the statements are found by a scan of the text that knows
strings, comments, brackets and line continuations: a statement starts on a line that
begins at column 0 outside any string or bracket (decorators, `else`, `elif`, `except`
and `finally` lines continue one). What is kept is a superset of what slicing.py keeps
on the whole file, so slicing the kept text gives the same slice, the same tree and so
the same findings:

- statements that are neither definitions nor assignments (imports, `if __name__`
  blocks, bare calls), which slicing.py always keeps;
- statements that mention a catalog name or `import` (the aliases and imported
  modules that decide which names are candidates), and the first statement (a fix
  that adds an import places it relative to the first statements);
- statements that mention a candidate, and the statements reading what those bind,
  transitively (callers);
- the statements that define or assign what kept statements read, transitively.

Names are matched as words of the code (outside plain strings and comments), which
finds every statement that may read or bind a name. A statement whose role a word
cannot settle is parsed alone (`ast`, one statement), and so is every kept statement,
whose exact names then drive the next step. Everything else becomes blank lines, so
lines and columns stay exact. The statements dropped are never built into a tree:
they are checked for syntax errors with `symtable` (CPython's parser without Python
objects), in chunks, so that a syntax error anywhere sends the file back to the
whole-file path, which reports it as PL000 with CPython's position.

A text that cannot be split with certainty is not split (`None`): an unterminated
string, unbalanced brackets, a form feed before code, NUL bytes, an encoding that is
not ASCII-compatible, or a kept part that does not parse as the statements found.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import unicodedata
import warnings
from bisect import bisect_right
from dataclasses import dataclass, field

from promptlint.analysis import slicing

LARGE_FILE_BYTES = 500_000  # smaller files are parsed whole: the split pays off above this size
CHECK_CHUNK_LINES = 1_000  # lines per `symtable` syntax check of dropped statements (larger chunks run slower)

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
_WORD = re.compile(r"[^\W\d]\w*+(?!\$)")
_DEF = re.compile(r"^(?:async[ \t]+def|def|class)[ \t]+([^\W\d]\w*)", re.M)
_NAME = r"[^\W\d]\w*(?:[ \t]*\.[ \t]*[^\W\d]\w*)*"
_AUG = r"=(?!=)|[-+*/%@&|^]=|//=|\*\*=|>>=|<<="
_TARGETS = re.compile(rf"{_NAME}(?:[ \t]*,[ \t]*{_NAME})*[ \t]*,?[ \t]*(?:{_AUG}|:(?!=))")
# Where Python may store to a name or attribute (a superset: it only decides what is
# parsed alone): before `=`, an augmented operator or `:` (annotations, `:=`); in a
# target list (`a, b = `, `(a, b) = `); starred; after `def` or `class`; and, read
# separately, the targets of `for ... in`, of `as` and the names an import binds.
_TARGET_LIST = rf"\s*[,)\]](?=[\w\s.,*()\[\]]*(?:{_AUG}))"
_STORE_LIKE = re.compile(rf"([^\W\d]\w*)(?:\s*(?:{_AUG}|:)|{_TARGET_LIST})"
                         r"|\*\s*([^\W\d]\w*)|\b(?:def|class)\s+([^\W\d]\w*)")
_ASSIGNED = re.compile(r"([^\W\d]\w*)\s*:?=(?!=)")  # in an assignment's value: chained targets, `:=`
_ATTR_STORE = re.compile(rf"\.\s*([^\W\d]\w*)(?:\s*(?:{_AUG}|:)|{_TARGET_LIST})")  # what a function assigns
_ATTR = re.compile(r"\.\s*([^\W\d]\w*)")
_FOR_TARGETS = re.compile(r"\bfor\b([\s\S]*?)\bin\b")
_AS_TARGETS = re.compile(r"\bas\b([^:\n;]*)")
_IMPORT_WORDS = re.compile(r"\bimport\b\s*(?:\([^)]*\)|[^\n;]*)")
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


@dataclass(slots=True)
class Facts:
    """What one statement reads, binds and provides, from its own `ast` (slicing.outline)."""

    refs: set[str]
    names: set[str]
    provides: set[str]
    aliases: set[str]
    modules: set[str]
    called: set[str]


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


# ---------------------------------------------------------------- finding the statements


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
        return "$" + "\n $".join(" ".join(w + "=" for w in _WORD.findall(part)) for part in s.split("\n")) + "$"
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
    words = frozenset(_WORD.findall(body))
    if not body.isascii():
        words = frozenset(_normal(w) for w in words)
    found = _DEF.search(body) if body.startswith("@") else _DEF.match(body)
    if found:
        kind = "class" if found.group().startswith("class") else "def"
        return Statement(first, last, start, start + len(body), kind, _normal(found.group(1)), words)
    if ";" not in body:  # one statement
        target = _TARGETS.match(body)
        if target:
            names = tuple(_normal(w) for w in _WORD.findall(target.group()))
            if names[0] not in _KEYWORDS:  # `try:`, `else:` are not annotations
                value = target.end()
                if body[value - 1] == ":":  # an annotation: the value is after its `=`
                    value = body.find("=", value) + 1 or len(body)
                return Statement(first, last, start, start + len(body), "data", None, words, names, start + value)
    return Statement(first, last, start, start + len(body), "other", None, words)


def _normal(name: str) -> str:
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


# ---------------------------------------------------------------- choosing what to keep


class _Chooser:
    """The closure described in the module docstring, over one Split."""

    def __init__(self, found: Split, catalog: frozenset[str], by_import: dict[str, frozenset[str]]) -> None:
        self.found = found
        self.statements = found.statements
        self.lines = found.text.split("\n")
        self.catalog = catalog
        self.by_import = by_import
        self.facts: dict[int, Facts] = {}
        self._mentions: tuple[frozenset[str] | None, set[int]] = (None, set())

    def parsed(self, i: int) -> Facts:
        """The statement's own facts, from parsing it alone."""
        known = self.facts.get(i)
        if known is not None:
            return known
        s = self.statements[i]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse("\n".join(self.lines[s.first - 1:s.last]) + "\n")
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            raise Unsafe(f"line {s.first}: {exc}") from None
        plan = slicing.outline(tree, self.catalog, self.by_import)
        facts = Facts(set(), set(), set(), plan.aliases, plan.modules, plan.called)
        for unit in plan.units:
            facts.refs |= unit.refs
            facts.names |= unit.names
            facts.provides |= unit.provides
        self.facts[i] = facts
        return facts

    def choose(self) -> set[int]:
        """The statements to keep."""
        statements = self.statements
        contributing = self.catalog | {"import"}
        kept = {i for i, s in enumerate(statements) if s.kind == "other" or s.words & contributing}
        # The first definition or assignment, and all before it: a fix adding an import puts
        # it before the first statement that is not a docstring or `from __future__` import.
        kept.add(next((i for i, s in enumerate(statements) if s.kind != "other"), 0))
        aliases: set[str] = set()
        modules: set[str] = set()
        for i in sorted(kept):
            if statements[i].words & contributing:
                facts = self.parsed(i)
                aliases |= facts.aliases
                modules |= facts.modules
        names = self.catalog | aliases | {n for n, needs in self.by_import.items() if needs & modules}
        mentioning = [i for i, s in enumerate(statements) if s.words & names]
        if not any(self.parsed(i).called & names for i in mentioning):
            return kept  # no call can reach an LLM: slicing.py finds no candidate either
        seeds = {i for i in mentioning if self.parsed(i).refs & names}
        leading = self._grow(seeds, lambda i: self.parsed(i).names, lambda j, wanted: bool(self.parsed(j).refs & wanted))
        return kept | self._grow(leading, lambda i: self.parsed(i).refs, self._provides)

    def _grow(self, start: set[int], wanted_by, accept) -> set[int]:
        """`start`, and every statement that mentions a name the newly added ones want
        (`wanted_by`) and that `accept` confirms, until nothing is added."""
        grown, frontier = set(start), sorted(start)
        while frontier:
            wanted: set[str] = set()
            for i in frontier:
                wanted |= wanted_by(i)
            frontier = [j for j, s in enumerate(self.statements)
                        if j not in grown and s.words & wanted and accept(j, wanted)]
            grown.update(frontier)
        return grown

    def _provides(self, j: int, wanted: set[str]) -> bool:
        """Does statement `j` define or assign a name in `wanted` (as slicing.py counts it)?
        The text says where it may store to one; parsing it alone says whether it does."""
        s = self.statements[j]
        if s.name in wanted:
            return True
        code = self.found.code
        if s.kind == "def":  # it provides its name and the attributes it assigns: `.name` must be there
            if j not in self._attribute_mentions(wanted):
                return False
        elif s.kind == "data" and not set(s.targets) & wanted and "for" not in s.words \
                and code.find("=", s.value, s.end) < 0:
            return False  # no other target, no loop or `:=` target in its value
        if not _stored(code, s) & wanted:
            return False
        return bool(self.parsed(j).provides & wanted)


    def _attribute_mentions(self, wanted: set[str]) -> set[int]:
        """The statements that hold `.name` for a name in `wanted`: one scan of the code per
        round of `_grow` (asking each candidate costs more when a common name is wanted)."""
        key = frozenset(wanted)
        if self._mentions[0] != key:
            pattern = re.compile(r"\.\s*(?:" + "|".join(sorted(map(re.escape, key))) + r")(?!\w)")
            starts = [s.start for s in self.statements]
            found = {bisect_right(starts, m.start()) - 1 for m in pattern.finditer(self.found.code)}
            self._mentions = (key, found)
        return self._mentions[1]


def _stored(code: str, s: Statement) -> set[str]:
    """The names and attributes statement `s` may store to, read from its code text: a
    superset of what slicing.py counts as provided. A function provides its name and the
    attributes it assigns (its locals are its own); a class, its members' names and what
    they assign; an assignment, its targets (and `:=` or loop targets in its value)."""
    code = code[s.start:s.end]
    found: list[str] = []
    loops = _FOR_TARGETS.findall(code) if "for" in s.words else []
    if s.kind == "def":
        found += _ATTR_STORE.findall(code)
        for part in (*loops, *(_AS_TARGETS.findall(code) if "as" in s.words else ())):
            found += _ATTR.findall(part)
    elif s.kind == "data":
        found += s.targets
        found += _ASSIGNED.findall(code)
        for part in loops:
            found += _WORD.findall(part)
    else:
        for groups in _STORE_LIKE.findall(code):
            found += [g for g in groups if g]
        for part in (*loops, *_AS_TARGETS.findall(code), *_IMPORT_WORDS.findall(code)):
            found += _WORD.findall(part)
    return {_normal(w) for w in found}


# ---------------------------------------------------------------- the kept source


def relevant_text(source: bytes, catalog: frozenset[str],
                  by_import: dict[str, frozenset[str]]) -> tuple[bytes, ast.Module] | None:
    """The source with the statements no LLM call can depend on blanked, and its `ast`
    tree; None when the text cannot be split with certainty or the file does not parse
    (the caller then takes the whole-file path, which reports syntax errors)."""
    try:
        found = split(decode(source))
        if not found.statements:
            return None
        chooser = _Chooser(found, catalog, by_import)
        kept = chooser.choose()
        _check_dropped(found, kept, chooser.facts)
        reduced = _blank(source, found.statements, kept)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(reduced)
        _check_tree(tree, [found.statements[i] for i in sorted(kept)])
        return reduced, tree
    except (Unsafe, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def statements_tree(source: bytes, wanted) -> ast.Module | None:
    """An `ast` module of only the top-level statements `wanted(split, statement)` picks,
    each parsed alone (with its own line numbers), the others checked for syntax errors
    only; None when the text cannot be split or does not parse (the caller parses the
    whole file, which decides). For the project index and the instrumentation scan,
    which read a few kinds of statement of every file."""
    try:
        found = split(decode(source))
        lines = found.text.split("\n")
        kept = [i for i, s in enumerate(found.statements) if wanted(found, s)]
        _check_dropped(found, set(kept), {})
        body: list[ast.stmt] = []
        for group in _runs(found.statements, kept):
            first, last = group[0].first, group[-1].last
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse("\n".join(lines[first - 1:last]) + "\n")
            ast.increment_lineno(tree, first - 1)
            body += tree.body
        return ast.Module(body=body, type_ignores=[])
    except (Unsafe, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _runs(statements: list[Statement], kept: list[int]):
    """The kept statements in runs of consecutive ones (parsed together)."""
    run: list[Statement] = []
    previous = None
    for i in kept:
        if run and (i != previous + 1 or statements[i].last - run[0].first > CHECK_CHUNK_LINES):
            yield run
            run = []
        run.append(statements[i])
        previous = i
    if run:
        yield run


def _check_dropped(found: Split, kept: set[int], parsed: dict) -> None:
    """Dropped statements never parsed alone must still be valid Python: `symtable`
    runs CPython's parser without building Python objects (a third of `ast.parse`)."""
    import symtable

    lines = found.text.split("\n")
    chunk: list[Statement] = []

    def check() -> None:
        if chunk:
            text = "\n".join(lines[chunk[0].first - 1:chunk[-1].last]) + "\n"
            try:
                symtable.symtable(text, "<chunk>", "exec")
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                raise Unsafe(f"lines {chunk[0].first}-{chunk[-1].last}: {exc}") from None
            chunk.clear()

    for i, s in enumerate(found.statements):
        if i in kept or i in parsed:
            check()  # a chunk is a run of consecutive statements
            continue
        chunk.append(s)
        if s.last - chunk[0].first >= CHECK_CHUNK_LINES:
            check()
    check()


def _blank(source: bytes, statements: list[Statement], kept: set[int]) -> bytes:
    """The source with the lines of the statements not kept emptied (their line breaks stay)."""
    if b"\r" in source:
        lines = source.splitlines(keepends=True)
        for i, s in enumerate(statements):
            if i not in kept:
                for number in range(s.first - 1, s.last):
                    line = lines[number]
                    lines[number] = line[len(line.rstrip(b"\r\n")):]
        return b"".join(lines)
    lines = source.split(b"\n")
    for i, s in enumerate(statements):
        if i not in kept:
            lines[s.first - 1:s.last] = [b""] * (s.last - s.first + 1)
    return b"\n".join(lines)


def _check_tree(tree: ast.Module, kept: list[Statement]) -> None:
    """Each kept statement must be what the parser found there: its statements start on
    its first line and end within it (else the scan misread the text)."""
    nodes = iter(tree.body)
    node = next(nodes, None)
    for s in kept:
        if node is None or _first_line(node) != s.first:
            raise Unsafe(f"line {s.first}: not the start of a statement")
        while node is not None and _first_line(node) <= s.last:
            if (node.end_lineno or node.lineno) > s.last:
                raise Unsafe(f"line {s.first}: the statement ends after line {s.last}")
            node = next(nodes, None)
    if node is not None:
        raise Unsafe(f"line {node.lineno}: a statement the scan did not find")


def _first_line(node: ast.stmt) -> int:
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])


# ---------------------------------------------------------------- what libcst reads

MIN_RUN = 20  # shorter runs of empty lines are left alone


def collapse(source: bytes, tree: ast.Module) -> tuple[bytes, list[int]]:
    """The kept source with each long run of empty lines between top-level statements
    made one empty line, and the line of the file each of its lines stands for (a
    collapsed run: its last line). libcst spends a node and ~5 µs on every empty line:
    200,000 blank lines cost it a second, the kept statements a few milliseconds.
    Lines inside a statement are never touched, so a statement rendered alone keeps
    its shape; lines 1-2 neither (where a coding declaration counts)."""
    held = [(_first_line(node), node.end_lineno or node.lineno) for node in tree.body]
    out: list[bytes] = []
    line_of: list[int] = []
    done = 0  # bytes of `source` copied or replaced so far
    done_line = 1  # the line that starts at `done`
    line, counted = 1, 0  # the line of byte `counted`
    for run in _EMPTY_RUN.finditer(source):
        line += _endings(source, counted, run.start())
        counted = run.start()
        group = run.group(1)
        endings = _LINE_END.findall(group) if b"\r" in group else None  # None: each one byte, b"\n"
        count = len(group) if endings is None else len(endings)
        first = line + 1  # the run's empty lines: first .. first + count - 1
        for a, b in _outside(first, first + count - 1, held):
            if b - a + 1 < MIN_RUN:
                continue
            at = run.start(1) + (a - first if endings is None else sum(map(len, endings[:a - first])))
            out.append(source[done:at])
            line_of.extend(range(done_line, a))
            out.append(b"\n" if endings is None else endings[a - first])  # one empty line, ending as the run's first
            line_of.append(b)
            done = run.start(1) + (b - first + 1 if endings is None else sum(map(len, endings[:b - first + 1])))
            done_line = b + 1
    out.append(source[done:])
    line_of.extend(range(done_line, done_line + len(source[done:].splitlines())))
    return b"".join(out), line_of


_LINE_END = re.compile(rb"\r\n|\r|\n")
_EMPTY_RUN = re.compile(rb"(?:\r\n|\r|\n)((?:\r\n|\r|\n){%d,})" % MIN_RUN)


def _endings(source: bytes, start: int, end: int) -> int:
    """Line breaks in source[start:end] (CR LF counts once, as CPython and libcst count)."""
    return source.count(b"\n", start, end) + source.count(b"\r", start, end) - source.count(b"\r\n", start, end)


def _outside(a: int, b: int, held: list[tuple[int, int]]):
    """The parts of lines a..b outside every statement's lines and after line 2."""
    a = max(a, 3)
    for first, last in held[max(bisect_right(held, (a, 0)) - 1, 0):]:
        if first > b:
            break
        if last < a:
            continue
        if first > a:
            yield a, first - 1
        a = last + 1
    if a <= b:
        yield a, b


def line_starts(text: str, line_of: list[int]) -> list[int]:
    """For each line of the file, the offset in `text` (collapsed, see `collapse`) where
    the line that stands for it starts: what fix/source.py's `line_starts` gives for the
    file, on the collapsed text."""
    starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]
    out: list[int] = []
    previous = 0
    for start, line in zip(starts, line_of):
        out.extend([start] * (line - previous))
        previous = line
    out.extend(starts[len(line_of):])  # the empty line after a final line break
    return out
