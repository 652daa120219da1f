"""The project's usage instrumentation, and the field names PL203 looks for, both read
from rules/instrumentation.yaml. Kept apart from usage.py so that the engine's scan of
every file of a run (bytes first, `ast` only on a hit) never imports libcst."""

from __future__ import annotations

import ast
from functools import cache

from promptlint.model import CallSite
from promptlint.ruledocs import load_data


@cache
def usage_data() -> dict:
    data = load_data("instrumentation.yaml")
    return {
        **data,
        "usage": frozenset(data["usage_fields"]),
        "cached": frozenset(data["cached_fields"]),
        "counts": frozenset(data["count_fields"]),
        "rec_last": frozenset(data["recording_calls"]["last"]),
        "rec_first": frozenset(data["recording_calls"]["first"]),
        "final": frozenset(data["final_response_methods"]),
        "prefilter": tuple({*(k.encode() for k in data["prefilter"]),
                            *(m["needle"].encode() for m in data["markers"]
                              if not any(k in m["needle"] for k in data["prefilter"]))}),
        "final_attrs": frozenset(data["final_response_attributes"]),
    }


# ------------------------------------------------------------------ project markers


def scan_markers(source: bytes) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """The instrumentation markers a file holds: (style, providers, shapes). Plain byte
    tests first; the file is parsed (with `ast`) only when a needle is there."""
    data = usage_data()
    if not any(key in source for key in data["prefilter"]):
        return []
    hits = [m for m in data["markers"] if m["needle"].encode() in source]
    if not hits:
        return []
    from promptlint import trees

    tree = _large_module_tree(source, [m["needle"] for m in hits])
    try:
        if tree is None:
            tree = trees.peek(source) or ast.parse(source)  # the project index's tree, while the run keeps it
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    facts = _FileFacts(tree)
    found = []
    for m in hits:
        if facts.holds(m["kind"], m["name"]):
            found.append((m["style"], tuple(m["providers"]), tuple(m.get("shapes") or ())))
    return sorted(set(found))


def _large_module_tree(source: bytes, needles: list[str]):
    """Of a large file, the statements `_FileFacts` can learn a marker from, each parsed alone
    (textslice.py): those holding a needle, an import, or `instrument` (an instrumentor may be
    made and instrumented in two statements), then those naming what a needle's import binds
    (`from langsmith.wrappers import wrap_openai as wrap` ... `wrap(client)`). None: a smaller
    file, or one whose text cannot be split, which is parsed whole."""
    from promptlint.analysis.textslice import LARGE_FILE_BYTES, statements_tree

    if len(source) <= LARGE_FILE_BYTES:
        return None

    def holds_needle(found, s) -> bool:
        if "import" in s.words or "instrument" in s.words:
            return True
        text = found.source_of(s)
        return any(n in text for n in needles)

    first = statements_tree(source, holds_needle)
    if first is None:
        return None
    bound = {alias.asname or alias.name.split(".")[0] for node in ast.walk(first)
             if isinstance(node, (ast.Import, ast.ImportFrom)) and any(n in ast.unparse(node) for n in needles)
             for alias in node.names}
    if not bound:
        return first
    return statements_tree(source, lambda found, s: holds_needle(found, s) or bool(s.words & bound))


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """list(ast.walk(tree)), in the same order (breadth first, fields in order), without its two
    generators per node (the walk was most of the scan of a file that holds a needle)."""
    out = [tree]
    for node in out:  # grows while it is read: a queue
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                out.append(value)
            elif isinstance(value, list):
                out += [item for item in value if isinstance(item, ast.AST)]
    return out


class _FileFacts:
    """What the marker kinds ask of one parsed file, read in one walk."""

    def __init__(self, tree: ast.AST) -> None:
        self.calls: set[str] = set()  # dotted callee names, as written and through imports
        self.imports: set[str] = set()  # modules imported (from-imports too)
        self.assigned: set[str] = set()  # dotted assignment targets, and receivers of .append / .extend
        self.strings: list[str] = []
        self.instrumented: set[str] = set()  # classes whose instance is `.instrument()`-ed (or may be)
        aliases: dict[str, str] = {}
        any_instrument = False
        nodes = _nodes(tree)
        for node in nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.imports.add(a.name)
                    aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                self.imports.add(node.module)
                for a in node.names:
                    self.imports.add(f"{node.module}.{a.name}")
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        for node in nodes:
            if isinstance(node, ast.Call):
                name = _ast_dotted(node.func)
                if name:
                    self.calls.add(name)
                    head, _, rest = name.partition(".")
                    if head in aliases:
                        self.calls.add(aliases[head] + ("." + rest if rest else ""))
                if isinstance(node.func, ast.Attribute):
                    if node.func.attr == "instrument":
                        any_instrument = True
                        if isinstance(node.func.value, ast.Call):
                            self.instrumented.add(_ast_dotted(node.func.value.func).split(".")[-1])
                    if node.func.attr in ("append", "extend", "insert"):
                        self.assigned.add(_ast_dotted(node.func.value))
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    self.assigned.add(_ast_dotted(target))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                self.strings.append(node.value)
        if any_instrument:  # `instrumentor = OpenAIInstrumentor(); instrumentor.instrument()`
            self.instrumented |= {c.split(".")[-1] for c in self.calls if c.endswith("Instrumentor")}

    def holds(self, kind: str, name: str) -> bool:
        if kind == "call":
            return any(c == name or c.endswith("." + name) or
                       ("." not in name and c.split(".")[-1] == name) for c in self.calls)
        if kind == "import":
            return any(i == name or i.startswith(name + ".") for i in self.imports)
        if kind == "assign":
            return any(a == name or a.endswith("." + name) for a in self.assigned if a)
        if kind == "instrumentor":
            return name in self.instrumented
        if kind == "string":
            return any(name in s for s in self.strings)
        return False


def _ast_dotted(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _ast_dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def covering_marker(site: CallSite, markers) -> str | None:
    """The style of the first project marker that records this call site, if any."""
    for marker in markers or ():
        style, providers, shapes = marker[0], marker[1], marker[2] if len(marker) > 2 else ()
        if shapes and site.shape not in shapes:
            continue
        if "*" in providers or site.provider in providers or (
                site.provider.startswith("google") and any(p.startswith("google") for p in providers)):
            return style
    return None
