"""The large-file path: find a module's top-level statements in its text and keep only
those an LLM call can depend on, before the module is parsed.

CPython's own parser needs seconds and hundreds of megabytes for a 200,000-line
generated module (`ast.parse` alone: 3 s, 800 MB), although slicing.py then keeps a few
dozen lines of it. Here the statements are found by a scan of the text that knows
strings, comments, brackets and line continuations (textscan.py). What is kept is a superset of what slicing.py keeps
on the whole file, so slicing the kept text gives the same slice, the same tree and so
the same findings:

- statements that are neither definitions nor assignments (imports, `if __name__`
  blocks, bare calls), which slicing.py always keeps;
- statements that mention a catalog name or `import` (the aliases and imported
  modules that decide which names are candidates), and the first definition or
  assignment (a fix that adds an import places it before that statement);
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

A text that cannot be split with certainty is not split (`None`): what textscan.py
refuses, or a kept part that does not parse as the statements found.

libcst then reads the kept text with each long run of blank lines made one
(`collapse`): it spends a node on every empty line. Positions stay the file's, since
they come from `ast` line numbers (analysis/positions.py maps the rest back), and the
fixers get where each line of the file starts in the collapsed text.
"""


from __future__ import annotations

import ast
import re
import warnings
from bisect import bisect_right
from dataclasses import dataclass

from promptlint.analysis import slicing
from promptlint.analysis.textscan import AUG, WORD, Split, Statement, Unsafe, decode, normal, split

LARGE_FILE_BYTES = 500_000  # smaller files are parsed whole: the split pays off above this size
CHECK_CHUNK_LINES = 1_000  # lines per `symtable` syntax check of dropped statements (larger chunks run slower)

# Where Python may store to a name or attribute (a superset: it only decides what is
# parsed alone): before `=`, an augmented operator or `:` (annotations, `:=`); in a
# target list (`a, b = `, `(a, b) = `); starred; after `def` or `class`; and, read
# separately, the targets of `for ... in`, of `as` and the names an import binds.
_TARGET_LIST = rf"\s*[,)\]](?=[\w\s.,*()\[\]]*(?:{AUG}))"
_STORE_LIKE = re.compile(rf"([^\W\d]\w*)(?:\s*(?:{AUG}|:)|{_TARGET_LIST})"
                         r"|\*\s*([^\W\d]\w*)|\b(?:def|class)\s+([^\W\d]\w*)")
_ASSIGNED = re.compile(r"([^\W\d]\w*)\s*:?=(?!=)")  # in an assignment's value: chained targets, `:=`
_ATTR_STORE = re.compile(rf"\.\s*([^\W\d]\w*)(?:\s*(?:{AUG}|:)|{_TARGET_LIST})")  # what a function assigns
_ATTR = re.compile(r"\.\s*([^\W\d]\w*)")
_FOR_TARGETS = re.compile(r"\bfor\b([\s\S]*?)\bin\b")
_AS_TARGETS = re.compile(r"\bas\b([^:\n;]*)")
_IMPORT_WORDS = re.compile(r"\bimport\b\s*(?:\([^)]*\)|[^\n;]*)")


@dataclass(slots=True)
class Facts:
    """What one statement reads, binds and provides, from its own `ast` (slicing.outline)."""

    refs: set[str]
    names: set[str]
    provides: set[str]
    aliases: set[str]
    modules: set[str]
    called: set[str]



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
            found += WORD.findall(part)
    else:
        for groups in _STORE_LIKE.findall(code):
            found += [g for g in groups if g]
        for part in (*loops, *_AS_TARGETS.findall(code), *_IMPORT_WORDS.findall(code)):
            found += WORD.findall(part)
    return {normal(w) for w in found}


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
        if node is None or slicing.first_line(node) != s.first:
            raise Unsafe(f"line {s.first}: not the start of a statement")
        while node is not None and slicing.first_line(node) <= s.last:
            if (node.end_lineno or node.lineno) > s.last:
                raise Unsafe(f"line {s.first}: the statement ends after line {s.last}")
            node = next(nodes, None)
    if node is not None:
        raise Unsafe(f"line {node.lineno}: a statement the scan did not find")


# ---------------------------------------------------------------- what libcst reads

MIN_RUN = 20  # shorter runs of empty lines are left alone


def collapse(source: bytes, tree: ast.Module) -> tuple[bytes, list[int]]:
    """The kept source with each long run of empty lines between top-level statements
    made one empty line, and the line of the file each of its lines stands for (a
    collapsed run: its last line). libcst spends a node and ~5 µs on every empty line:
    200,000 blank lines cost it a second, the kept statements a few milliseconds.
    Lines inside a statement are never touched, so a statement rendered alone keeps
    its shape; lines 1-2 neither (where a coding declaration counts)."""
    held = [(slicing.first_line(node), node.end_lineno or node.lineno) for node in tree.body]
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
