"""Blank the parts of a module that no LLM call can depend on, before libcst parses it.

libcst parses about ten times slower than `ast`, and the engine already holds the
`ast` tree. From it, this module keeps:

- every module-level statement that is neither a definition nor an assignment
  (imports, `__main__` blocks, bare calls), and the non-definition lines of kept classes;
- module-level assignments (constants, clients, tables) that kept code reads, by name;
- the functions, methods and classes that mention a catalog name (the seeds);
- the definitions that lead to a seed: callers, callers of callers (the batch,
  loop and history rules follow calls back to an entry point);
- every definition those use, found by name (helpers, `self.x` assignments,
  base classes), transitively.

Everything else becomes blank lines, so each kept line keeps its number and its
columns and every location stays exact. Names are matched without scope, so the
kept set is a superset of what the analysis reads.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class Unit:
    node: ast.stmt
    first: int  # first line, decorators included
    last: int  # last line (of a class: of its header)
    refs: set[str]  # names and attributes it reads
    names: set[str]  # names it binds that others call or read: a definition's own name
    provides: set[str]  # what a reader may find here: `names`, plus attributes it assigns (`self.x = ...`)
    always: bool  # kept whatever is reached: module statements, class attributes
    operators: int = 0  # binary operators in it (libcst's parser is quadratic in a long chain)
    owner: int | None = None  # the class unit of a member
    members: list[int] = field(default_factory=list)


@dataclass
class Outline:
    """A module's top-level statements and class members, read in one walk."""

    tree: ast.Module
    units: list[Unit] = field(default_factory=list)
    called: set[str] = field(default_factory=set)  # last names of callees (and of first arguments)
    aliases: set[str] = field(default_factory=set)  # local names for catalog names
    # (name or attribute bound, the name it is bound from): `send = partial(create, ...)`,
    # `self._raw = self._send`; an alias when what it is bound from is one (outline)
    bound_from: list[tuple[str, str]] = field(default_factory=list)
    modules: set[str] = field(default_factory=set)  # top-level packages it imports (anywhere in the module)
    candidates: set[str] = field(default_factory=set)  # names that may reach an LLM; empty: no call does
    kept_operators: int = 0  # the most binary operators in one unit libcst will parse (set by relevant_source)


def outline(tree: ast.Module, catalog: frozenset[str],
            by_import: dict[str, frozenset[str]] | None = None) -> Outline:
    """`catalog`: the last names of every request method, function and model class;
    `by_import`: more names, each counted only if the module imports one of its libraries."""
    out = Outline(tree)
    units = out.units
    for top in tree.body:
        if isinstance(top, ast.ClassDef):
            refs: set[str] = set()
            for part in (*top.bases, *top.keywords, *top.decorator_list):
                refs |= _scan(part, catalog, out)[0]
            owner = len(units)
            header_end = max(top.lineno, first_line(top.body[0]) - 1)  # up to the first member
            units.append(Unit(top, first_line(top), header_end, refs, {top.name}, {top.name}, always=False))
            for member in top.body:
                units[owner].members.append(len(units))
                units.append(_unit(member, owner, catalog, out))
        else:
            units.append(_unit(top, None, catalog, out))
    grown = True
    while grown:  # aliases of aliases, in any order of assignment
        grown = False
        for target, source in out.bound_from:
            if target not in out.aliases and (source in catalog or source in out.aliases):
                out.aliases.add(target)
                grown = True
    names = catalog | out.aliases
    if by_import:
        names |= {name for name, modules in by_import.items() if modules & out.modules}
    out.candidates = set(names) if out.called & names else set()
    return out


def _unit(node: ast.stmt, owner: int | None, catalog: frozenset[str], out: Outline) -> Unit:
    if owner is None and type(node) is ast.Assign and type(node.value) is ast.Constant \
            and all(type(t) is ast.Name for t in node.targets):
        # `NAME = "literal"`: nothing to walk (generated modules hold hundreds of thousands).
        names = {t.id for t in node.targets}
        return Unit(node, node.lineno, node.end_lineno or node.lineno, set(), names, names, always=False, owner=None)
    refs, binds, attrs, operators = _scan(node, catalog, out)
    if isinstance(node, DEFINITIONS):
        binds = {node.name}  # its locals are nobody else's business
    # A module-level assignment is data: kept only when kept code reads what it binds (a
    # generated 200,000-line table that no call uses never reaches libcst). Other module
    # statements (imports, `if __name__ == ...` blocks, bare calls) are always kept.
    data = owner is None and isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and bool(binds | attrs)
    return Unit(node, first_line(node), node.end_lineno or node.lineno, refs, binds, binds | attrs,
                always=not isinstance(node, DEFINITIONS) and not data, operators=operators, owner=owner)


def _scan(node: ast.AST, catalog: frozenset[str], out: Outline) -> tuple[set[str], set[str], set[str], int]:
    """(names and attributes read, names bound, attributes assigned, binary operators) under
    `node`; calls and aliases of catalog names go to `out`. The walk is inlined (it runs over
    every node of every module), in no particular order, and steps over literals: a generated
    table of 200,000 tuples is mostly constants."""
    refs: set[str] = set()
    binds: set[str] = set()
    attrs: set[str] = set()
    operators = 0
    called, aliases = out.called, out.aliases
    fields = _FIELDS
    stack = [node]
    pop, push, append = stack.pop, stack.extend, stack.append
    while stack:
        sub = pop()
        kind = type(sub)
        if kind is ast.Name:  # no child but its context
            (binds if type(sub.ctx) is ast.Store else refs).add(sub.id)
            continue
        if kind is ast.Constant:
            continue
        if kind is ast.Tuple or kind is ast.List or kind is ast.Set:
            push([e for e in sub.elts if type(e) is not ast.Constant])
            continue
        if kind is ast.Dict:
            push([e for e in sub.keys if e is not None and type(e) is not ast.Constant])
            push([e for e in sub.values if type(e) is not ast.Constant])
            continue
        if kind is ast.BinOp:
            operators += 1
        elif kind is ast.Attribute:
            (attrs if type(sub.ctx) is ast.Store else refs).add(sub.attr)
        elif kind is ast.Call:
            called.add(_last(sub.func))
            if sub.args:  # retry(client.chat.completions.create, ...)
                called.add(_last(sub.args[0]))
        elif kind is ast.Import or kind is ast.ImportFrom:
            if kind is ast.ImportFrom:
                out.modules.add((sub.module or "").split(".")[0])
            else:
                out.modules.update(alias.name.split(".")[0] for alias in sub.names)
            for alias in sub.names:
                local = alias.asname or alias.name.split(".")[0]
                binds.add(local)
                if alias.name.split(".")[-1] in catalog:
                    aliases.add(local)
        elif kind is ast.Assign:
            if _last(sub.value) in catalog:  # create = client.chat.completions.create
                aliases.update(t.id for t in sub.targets if type(t) is ast.Name)
            source = _bound_source(sub.value)
            if source:  # send = partial(create, ...), self._raw = self._send
                out.bound_from += [(_last(t), source) for t in sub.targets if _last(t)]
        elif kind in DEFINITIONS:
            binds.add(sub.name)
        names = fields.get(kind)
        if names is None:
            names = _fields_of(kind)
        for name in names:
            value = getattr(sub, name, None)
            if type(value) is list:
                push(value)
            elif value is not None:
                append(value)
    return refs, binds, attrs, operators


# Per class met in the walk, the fields that may hold nodes: not contexts, operators or plain
# values (`ast.iter_child_nodes` tests every field of every node, which was most of the scan).
# A value that is no node (a name in `global a, b`, the True of a `case True:`) has none.
_FIELDS: dict[type, tuple[str, ...]] = {}
_NOT_NODES = {"ctx", "op", "ops", "id", "attr", "arg", "module", "level", "asname", "kind", "type_comment",
              "is_async", "conversion", "simple", "tag"}


def _fields_of(kind: type) -> tuple[str, ...]:
    found = _FIELDS[kind] = (tuple(f for f in kind._fields if f not in _NOT_NODES)
                             if issubclass(kind, ast.AST) else ())
    return found


def _bound_source(value: ast.AST) -> str:
    """The name a value binds a callable from: `partial(create, ...)` -> create, `self._send` ->
    _send (another attribute holding one); "" for any other value."""
    if type(value) is ast.Call and _last(value.func) == "partial" and value.args:
        return _last(value.args[0])
    return value.attr if type(value) is ast.Attribute and type(value.value) is ast.Name and value.value.id == "self" \
        else ""


def _last(node: ast.AST) -> str:
    kind = type(node)
    return node.id if kind is ast.Name else node.attr if kind is ast.Attribute else ""


def nested_blocks(node: ast.AST):
    """The statement lists a compound statement holds (`if`/`for`/`while`/`with` bodies and
    their `else`, `try` handlers and `finally`, `match` cases), for walks over statements."""
    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
        inner = getattr(node, field, None)
        if isinstance(inner, list):
            yield inner


def first_line(node: ast.stmt) -> int:
    """A statement's first line, its decorators included."""
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])


def _reached(units: list[Unit], candidates: set[str]) -> set[int]:
    definers: dict[str, list[int]] = {}
    readers: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        for name in unit.provides:
            definers.setdefault(name, []).append(i)
        for name in unit.refs:
            readers.setdefault(name, []).append(i)

    # Seeds, then everything that leads to them (callers, transitively).
    leading = {i for i, unit in enumerate(units) if unit.refs & candidates}
    stack = list(leading)
    while stack:
        unit = units[stack.pop()]
        for name in unit.names:
            for j in readers.get(name, ()):
                if j not in leading:
                    leading.add(j)
                    stack.append(j)

    # Then everything those use, and the classes their members belong to.
    kept = set(leading)
    stack = list(leading)
    while stack:
        unit = units[stack.pop()]
        more = [j for name in unit.refs for j in definers.get(name, ())]
        if unit.owner is not None:
            more.append(unit.owner)
        for j in more:
            if j not in kept:
                kept.add(j)
                stack.append(j)
    return kept


def relevant_source(source: bytes, plan: Outline) -> tuple[bytes, ast.Module]:
    """The source with unreached definitions blanked, and an `ast` tree holding just
    the kept statements (positions.py pairs it with libcst's statements)."""
    units = plan.units
    kept = _reached(units, plan.candidates)
    for i, unit in enumerate(units):
        if unit.owner is not None and unit.owner in kept and unit.always:
            kept.add(i)  # class attributes and docstrings of a kept class
        elif unit.owner is None and unit.always:
            kept.add(i)
    plan.kept_operators = max((units[i].operators for i in kept), default=0)
    return _blank(source, plan, kept)


def constants_source(source: bytes, tree: ast.Module) -> tuple[bytes, ast.Module]:
    """A sibling module as project.py reads it: its constants, module-level functions
    (client factories) and class attributes; methods are blanked (nothing reads them)."""
    plan = outline(tree, frozenset())
    kept = {i for i, unit in enumerate(plan.units)
            if unit.owner is None or not isinstance(unit.node, DEFINITIONS)}
    return _blank(source, plan, kept)


def _blank(source: bytes, plan: Outline, kept: set[int]) -> tuple[bytes, ast.Module]:
    units, tree = plan.units, plan.tree
    lines = source.splitlines(keepends=True)
    kept_lines = {line for i in kept for line in range(units[i].first, units[i].last + 1)}
    blank: set[int] = set()
    for i, unit in enumerate(units):
        if i in kept or (unit.owner is not None and unit.owner not in kept):
            continue
        span = range(unit.first, (unit.node.end_lineno or unit.last) + 1)
        if any(line in kept_lines for line in span):
            kept.add(i)  # shares a line with kept code (`class A: x = 1; def f(): ...` styles)
            kept_lines.update(span)
            continue
        blank.update(span)
    if not blank:
        return source, tree

    body: list[ast.stmt] = []
    stand_ins: dict[int, bytes] = {}
    for i, unit in enumerate(units):
        if unit.owner is not None or i not in kept:
            continue
        node = unit.node
        if isinstance(node, ast.ClassDef):
            members = [units[j].node for j in unit.members if j in kept]
            if not members:  # a kept class needs a body: `pass` where its first member was
                first = units[unit.members[0]]
                indent = first.node.col_offset  # whitespace only, so bytes and characters agree
                stand_in = ast.Pass(lineno=first.first, col_offset=indent, end_lineno=first.first,
                                    end_col_offset=indent + 4)
                stand_ins[first.first] = lines[first.first - 1][:indent] + b"pass"  # tabs stay tabs
                members = [stand_in]
            node = copy.copy(node)
            node.body = members
        body.append(node)

    out = []
    for number, line in enumerate(lines, start=1):
        if number in blank:
            ending = line[len(line.rstrip(b"\r\n")):]
            line = stand_ins.get(number, b"") + ending
        out.append(line)
    return b"".join(out), ast.Module(body=body, type_ignores=[])
