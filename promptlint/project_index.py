"""The project index: which of the project's own functions send an LLM request.

One cheap `ast` pass per Python file under the project root (not only the paths
given: a one-file pre-commit run must still know the project's wrappers),
cached by content hash (test modules are not indexed: the application imports no
helper of theirs, and only a few rules report in them, checks.REPORTED_IN_TESTS,
which their direct SDK calls still get; on crewAI they were a third of the
build's time). It records each module's imports (relative imports
resolved against its package), its functions and methods with their
parameters, and the calls each one makes. A function is a *wrapper* when its
body calls a catalog request name in a file the SDK pre-check accepts, or
calls another wrapper, resolved through imports (`from app.llm import chat`,
`llm.chat`, `self.generate`, or a method of a class the calling module
imports); layers are followed up to MAX_LAYERS. An SDK method handed to a helper (`self._call_client(
client.chat.completions.create, ...)`) is a request of the function handing it.

Classes' bases are resolved across modules (imports, package re-exports), so
`self.m()` in a base class reaches the overrides of `m` that subclasses in any
module define (not those of test files), when most of them send a request
(`dispatched`); a subclass inheriting a wrapper method gets an alias row. A
generic method (`run`) is followed where the receiver's class is written: a
`self` attribute given or annotated with a class, or a parameter annotated
with one (attribute_classes, `types`).

The result is only a list of candidates, by name and module. What a wrapper
actually sends, and what it leaves to its callers, is worked out by the
evaluator at each call (wholeprogram.py), which never trusts a name alone.
"""

from __future__ import annotations

import ast
import bisect
import functools
import hashlib
import json
import os
import re

from promptlint.model import RESOLVE_ONLY, TEST_FILE

INDEX_VERSION = 1
# Layers of wrappers: a wrapper of a wrapper of a wrapper (of the SDK call); deeper chains are not
# followed. The second layer found the held-out applications' sites (tree-of-thought's gpt -> chatgpt
# -> completions_with_backoff, graphiti's generate_response -> _generate_response_with_retry -> a
# provider's _generate_response, gpt-engineer's AI.start -> next -> backoff_inference: 4 of 30 labelled
# wrapper sites -> 26 of 30, no false one) and costs crewAI +20 %, camel +82 % of the run (generic
# second-layer names, `run`, `step`, let many files in). Letting a hop inside the object (a private
# helper, a subclass's override) cost no layer was tried and left out (+10 %).
MAX_LAYERS = 2
MAX_ANCESTRY = 10  # base classes followed from one class
MAX_SUBCLASSES = 200  # subclasses followed from one class
MAX_ROUNDS = MAX_LAYERS + 4  # rounds of reading more modules (layers, packages, base classes)
MAX_FILE_BYTES = 1_000_000
# A row of the wrapper table: (name called, path, qualname, path, qualname it stands for, kind, number).
# kind: CALLED on a wrapper's own row when another project function calls it (its parameters are
# then its callers' to fill: evaluator.callers_decide), OVERRIDE on an override row
# (hierarchy_rows), model.RESOLVE_ONLY on a re-export row of a generic method, else "". number: an
# override row holds how many implementations the method has in all, other rows 0.
CALLED = "called"
OVERRIDE = "override"
# Names too generic to follow through an unknown receiver (`obj.run(...)`): only a resolved
# import or `self.` call counts for these.
GENERIC = frozenset({"run", "__call__", "call", "invoke", "ainvoke", "execute", "process", "main", "get", "create"})


def called_wrappers(table, path: str) -> frozenset[str]:
    """The wrappers defined in module `path` (display path) that other project functions call."""
    return frozenset(row[2] for row in table if row[5] == CALLED and row[1] == path)


@functools.lru_cache(maxsize=65536)  # asked for every unread file in every round (hierarchy_files)
def module_name(rel_path: str) -> str:
    """`app/llm/client.py` -> `app.llm.client`; `app/llm/__init__.py` -> `app.llm`."""
    parts = rel_path.replace(os.sep, "/").removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(p for p in parts if p not in ("", "."))


# One line with its ending, as `ast` numbers lines: only "\n", "\r\n" and "\r" end one (str.splitlines
# also breaks at a form feed, a vertical tab, U+2028 ..., which would shift every later function's lines).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_OTHER_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # where the two differ (rare: splitlines is faster)
# The look-behind starts a match only at the start of a word: without it, every position inside
# every identifier was tried (and failed the same way), three times the cost of the scan.
_CALL = re.compile(r"(?<![A-Za-z_])((?:[A-Za-z_]\w*(?:\(\))?\.)*[A-Za-z_]\w*)[ \t]*\(")


# A function handed to one of these is called by it with the arguments that follow (`executor.submit(
# model.inference, name, prompt)`, `asyncio.to_thread(f, ...)`, `loop.run_in_executor(None, f, ...)`):
# the request it sends is this function's request. Name -> the position of the function handed over.
DEFERRED = {"submit": 0, "to_thread": 0, "run_sync": 0, "run_in_executor": 1}
_DEFERRED = [re.compile(r"(?<![A-Za-z_])(?:" + "|".join(n for n, at in DEFERRED.items() if at == pos)
                        + r")[ \t]*\(\s*(?:[^,()]*,\s*){%d}((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)\s*[,)]" % pos)
             for pos in sorted(set(DEFERRED.values()))]


def deferred_calls(text: str) -> set[str]:
    """The functions `text` hands to a later call (DEFERRED), written as calls are."""
    if not any(name in text for name in DEFERRED):
        return set()
    return {handed for pattern in _DEFERRED for handed in pattern.findall(text)}


# An SDK method handed as the first argument of a helper that calls it (`self._call_client(
# self._client.chat.completions.create, messages=...)`): the direct analysis reads it as the request
# (callsites: retry helpers), so the function holding it sends one.
def handed_requests(text: str) -> set[str]:
    """The SDK request methods `text` hands to a helper as its first argument."""
    return set(_handed_pattern().findall(text)) if "(" in text else set()


@functools.cache
def _handed_pattern() -> re.Pattern:
    names = "|".join(re.escape(n) for n in sorted(request_names()))
    return re.compile(r"\(\s*((?:[A-Za-z_]\w*\.)+(?:" + names + r"))\s*,")


def index_file(rel_path: str, source: bytes) -> dict | None:
    """The index entry of one module (plain JSON data), or None if it does not parse. `ast`
    gives the definitions and their exact line ranges (strings included); the calls in each
    are read from its lines with a regular expression, which is several times cheaper than
    walking every expression node (a name in a string only costs a look by the evaluator)."""
    tree = _large_module_tree(source)
    whole = tree is None
    try:
        if tree is None:
            from promptlint import trees

            tree = trees.parse(source)  # kept for the engine, which lints the same file next (trees.py)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    module = module_name(rel_path)
    package = module if rel_path.endswith("__init__.py") else module.rpartition(".")[0]
    imports: dict[str, str] = {}
    functions: list[dict] = []
    classes: dict[str, list[str]] = {}
    text = source.decode("utf-8", errors="replace")
    lines = _LINE.findall(text) if _OTHER_BREAKS.search(text) else text.splitlines(keepends=True)

    # Functions handed over are looked for in a function only when the file has some at all.
    deferring = any(name in text for name in DEFERRED)
    handing = _handed_pattern().search(text) is not None

    def calls_of(node) -> list[str]:
        own = lines[node.lineno - 1:node.end_lineno or node.lineno]
        # Prose is no call: the docstring's lines are left out, and a comment is cut off its line
        # (`# the structured output stream (ChatCompletionStreamManager)` made camel's ChatAgent a
        # wrapper through `stream(`, and 285 files calling its `step` were parsed for nothing).
        doc = _docstring_lines(node)
        if doc is not None:
            first, last = doc
            own = [*own[:first - node.lineno], *own[last - node.lineno + 1:]]
        # A call `name(` never spans lines: only the lines holding "(" are worth the expression
        # (a third of the text, a third of the time); handed functions can (`submit(\n f,`).
        calls = set(_CALL.findall("".join([_code_of(line) for line in own if "(" in line])))
        if deferring or handing:
            text = "".join(own)
            calls |= (deferred_calls(text) if deferring else set()) | (handed_requests(text) if handing else set())
        return sorted(calls - {node.name})

    def add_function(node, prefix: str, cls: str | None) -> None:
        args = node.args
        every = (*args.posonlyargs, *args.args, *args.kwonlyargs)
        params = [a.arg for a in every]
        function = {"name": prefix + node.name, "line": node.lineno, "class": cls, "params": params,
                    "kwargs": args.kwarg.arg if args.kwarg else None, "calls": calls_of(node)}
        # The names a parameter's annotation holds that may be a class of the project (`llm:
        # BaseChatModel | None`): a call on it reaches that class's method (ProjectIndex.targets).
        types = {a.arg: names for a in every if a.annotation is not None
                 and (names := sorted(_annotation_names(a.annotation) - NOT_CLASSES))}
        if types:
            function["types"] = types
        functions.append(function)

    from promptlint.analysis.slicing import nested_blocks

    # The lines holding `import`: a compound statement with none among its lines holds no import
    # statement, and its blocks are not walked (most functions and classes). Only with the whole
    # file's tree, whose line numbers are those of `lines`.
    with_import = [n for n, line in enumerate(lines, 1) if "import" in line] if whole else None

    def may_import(node) -> bool:
        first = getattr(node, "lineno", None)  # a `case` of a `match` has no position of its own
        if with_import is None or first is None:
            return True
        at = bisect.bisect_left(with_import, first)
        return at < len(with_import) and with_import[at] <= (node.end_lineno or first)

    def statements(body):  # imports anywhere in statement bodies (lazy imports in functions too)
        for node in body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    imports[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".") if package else []
                    anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:
                    if alias.name != "*":
                        imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
            elif may_import(node):
                for inner in nested_blocks(node):
                    statements(inner)

    statements(tree.body)
    attrs: dict[str, dict[str, list[str]]] = {}
    for top in tree.body:
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
            add_function(top, "", None)
        elif isinstance(top, ast.ClassDef):
            classes[top.name] = [_dotted(b) for b in top.bases]
            for member in top.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    add_function(member, top.name + ".", top.name)
            found = _attribute_types(top, lines)
            if found:
                attrs[top.name] = found
    entry = {"module": module, "imports": imports, "functions": functions, "classes": classes}
    if attrs:
        entry["attrs"] = attrs
    return entry


# Names in annotations that are never a class of the project.
NOT_CLASSES = frozenset({"str", "int", "float", "bool", "bytes", "dict", "list", "tuple", "set", "frozenset", "None",
                         "object", "type", "Any", "Optional", "Union", "List", "Dict", "Tuple", "Set", "Type",
                         "Callable", "Iterable", "Iterator", "Sequence", "Mapping", "Literal", "Awaitable",
                         "AsyncIterator", "AsyncIterable", "Generator", "AsyncGenerator", "Coroutine", "Self"})

# `self.backend = Backend(...)`, `self.backend: Backend = ...`, `self.backend = backend` (a
# parameter), `self.current = self.backends[0]` (an item of another attribute): the attribute,
# its annotation, and what is assigned, as written.
_SELF_ASSIGN = re.compile(r"\bself\.(\w+)[ \t]*(?::[ \t]*([^=\n]+?))?[ \t]*=(?!=)[ \t]*([^\n]*)")
_TYPE_NAME = re.compile(r"[A-Za-z_][\w.]*")
_CONSTRUCTED = re.compile(r"([A-Za-z_][\w.]*)\(")
_PLAIN_NAME = re.compile(r"(\w+)[ \t]*(?:#.*)?$")
_ITEM_OF_SELF = re.compile(r"self\.(\w+)\[")


def _attribute_types(cls: ast.ClassDef, lines: list[str]) -> dict[str, list[str]]:
    """The names that may give each `self` attribute of `cls` its class, as written (resolved by
    ProjectIndex.attribute_classes): the class body's annotations (`llm: ChatBackend`), and in its
    methods `self.x: T = ...`, `self.x = T(...)`, `self.x = param` (the parameter's annotation),
    `self.x = self.y[...]` (y's names: an item of a typed collection). A call on such an attribute
    (`self.model_backend.run(...)`) can then reach that class's method whatever its name."""
    found: dict[str, set[str]] = {}
    for member in cls.body:
        if isinstance(member, ast.AnnAssign) and isinstance(member.target, ast.Name):
            found.setdefault(member.target.id, set()).update(_annotation_names(member.annotation))
        if not isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        args = member.args
        annotated = {a.arg: a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
                     if a.annotation is not None}
        for line in lines[member.lineno - 1:member.end_lineno or member.lineno]:
            if "self." not in line or "=" not in line:
                continue
            for attr, annotation, value in _SELF_ASSIGN.findall(line):
                names = found.setdefault(attr, set())
                if annotation:
                    names.update(_TYPE_NAME.findall(annotation))
                value = value.strip()
                if (built := _CONSTRUCTED.match(value)) is not None:
                    if not built.group(1).startswith("self."):  # a method's result: its class is not written
                        names.add(built.group(1))
                elif (plain := _PLAIN_NAME.match(value)) is not None and plain.group(1) in annotated:
                    names.update(_annotation_names(annotated[plain.group(1)]))
                elif (item := _ITEM_OF_SELF.match(value)) is not None:
                    names.add("self." + item.group(1))
    return {attr: sorted(names) for attr, names in sorted(found.items()) if names}


def _annotation_names(node) -> set[str]:
    """The dotted names an annotation holds (`Optional[List[app.Backend]]`, a string annotation):
    of every node under it, as ast.walk would give them, the names and attributes as written and
    the names in strings. The nodes annotations are made of are stepped into directly (ast.walk's
    generic descent was most of the project index's own work after parsing)."""
    out = set()
    todo = [node]
    while todo:
        inner = todo.pop()
        if isinstance(inner, ast.Name):
            out.add(inner.id)
        elif isinstance(inner, ast.Attribute):
            written = _dotted(inner)
            if written and not written.startswith("?"):
                out.add(written)
            todo.append(inner.value)
        elif isinstance(inner, ast.Subscript):
            todo += (inner.value, inner.slice)
        elif isinstance(inner, (ast.Tuple, ast.List)):
            todo += inner.elts
        elif isinstance(inner, ast.BinOp):  # `A | None`
            todo += (inner.left, inner.right)
        elif isinstance(inner, ast.Constant):
            if isinstance(inner.value, str):
                out.update(_TYPE_NAME.findall(inner.value))
        else:
            todo += ast.iter_child_nodes(inner)
    return out


def _docstring_lines(node) -> tuple[int, int] | None:
    """The first and last line of a function's docstring, if it has one."""
    first = node.body[0] if node.body else None
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        return first.lineno, first.end_lineno or first.lineno
    return None


def _code_of(line: str) -> str:
    """The line without its comment, when no quote before the `#` could make it part of a string."""
    at = line.find("#")
    if at < 0 or "'" in line[:at] or '"' in line[:at]:
        return line
    return line[:at] + "\n"


def _large_module_tree(source: bytes):
    """Of a large file, the statements the index reads: functions, classes and whatever
    holds an import, each parsed alone (analysis/textslice.py; the rest, generated tables
    most often, is only checked for syntax errors). None: a smaller file, or one whose text
    cannot be split, which is parsed whole."""
    from promptlint.analysis.textslice import LARGE_FILE_BYTES, statements_tree

    if len(source) <= LARGE_FILE_BYTES:
        return None
    return statements_tree(source, lambda _found, s: s.kind in ("def", "class") or "import" in s.words)


def _dotted(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else "?." + node.attr
    if isinstance(node, ast.Call):  # get_client().responses.create
        inner = _dotted(node.func)
        return f"{inner}()" if inner else ""
    return ""


@functools.cache
def request_names() -> frozenset[str]:
    """The last names of the catalog's requests. A chat-model or agent class (`ChatOpenAI(...)`,
    `Agent(...)`) is left out: building one sends nothing, so a function that only builds one
    has no request to expand (its callers reach the request through a request method, which
    counts), and in a project with its own `Agent` class every test that builds one would
    otherwise be a wrapper."""
    from promptlint.analysis.catalog import candidate_names, sdk_data

    sdk = sdk_data()
    requests = {path.split(".")[-1] for table in (sdk["methods"], sdk["call_methods"])
                for entries in table.values() for path in entries}
    requests |= {qual.split(".")[-1] for qual in sdk["functions"]}
    return candidate_names(()) & frozenset(requests)


@functools.cache
def _requests_without(frameworks: frozenset[str]) -> frozenset[str]:
    """request_names less the names only those frameworks' catalog entries define."""
    from promptlint.analysis.catalog import shadowed_requests

    return request_names() - shadowed_requests(frameworks)


def shipped_frameworks(paths) -> frozenset[str]:
    """The frameworks of sdks.yaml `shadowed_by_project` whose package is one of `paths`
    (display paths): `lib/crewai/src/crewai/__init__.py` ships crewai."""
    from promptlint.analysis.catalog import sdk_data

    names = set(sdk_data().get("shadowed_by_project", ()))
    found = set()
    for path in paths:
        head, _, last = path.rpartition("/")
        if last == "__init__.py":
            package = head.rpartition("/")[2]
            if package in names:
                found.add(package)
    return frozenset(found)


class ProjectIndex:
    """The index of every module, and the wrappers found in it."""

    def __init__(self, entries: dict[str, dict], seeds: dict[str, bool],
                 shipped: frozenset[str] = frozenset()) -> None:
        self.entries = entries  # display path -> entry
        self.seeds = seeds  # display path -> the SDK pre-check accepts the file
        self.shipped = shipped  # frameworks whose package the project holds (shipped_frameworks)
        self._seen_in: dict[str, frozenset[str]] = {}  # folder -> shipped frameworks seen there (_seen)
        self.by_module: dict[str, str] = {}  # dotted module name (and its suffixes) -> path
        for path in sorted(entries, key=lambda p: (p.count("/"), p)):
            parts = entries[path]["module"].split(".")
            for i in range(len(parts)):  # `src.app.llm` is imported as `app.llm`
                self.by_module.setdefault(".".join(parts[i:]), path)
        self.wrappers: dict[tuple[str, str], int] = {}  # (path, qualname) -> layer (0: calls the SDK)
        self.called: set[tuple[str, str]] = set()  # wrappers another project function calls (_finish)
        self._imported: dict[str, set] = {}  # path -> what its imports resolve to
        self._bases: dict[tuple, list] = {}
        self._subclasses: dict[tuple, list] | None = None
        self._method_names: dict[tuple, set] = {}
        self._attr_classes: dict[tuple, list] = {}  # (path, class, attribute) -> classes (attribute_classes)
        self._by_import: dict[str, frozenset[str]] = {}  # path -> _requests_by_import
        self._by_method: dict[str, list] = {}  # _wrapper_methods
        self._by_method_size = -1
        self._functions: dict[tuple[str, str], dict] = {}  # (path, qualname) -> function, tests left out
        self._finished = False  # called (_finish)
        self._find_wrappers()

    def resolve(self, qual: str, depth: int = 0) -> tuple[str, str] | None:
        """`app.llm.chat` -> (path of app/llm.py or app/llm/__init__.py, "chat"), following
        `__init__` re-exports; `app.gateway.ModelGateway.generate` -> (path, "ModelGateway.generate")."""
        parts = qual.split(".")
        for i in range(len(parts) - 1, 0, -1):
            path = self.by_module.get(".".join(parts[:i]))
            if path is None:
                continue
            rest = parts[i:]
            entry = self.entries[path]
            if depth < 3 and rest[0] in entry["imports"] and rest[0] not in entry["classes"]:
                again = self.resolve(".".join([entry["imports"][rest[0]], *rest[1:]]), depth + 1)
                if again is not None:
                    return again
            return path, ".".join(rest)
        return None

    def _find_wrappers(self) -> None:
        # A pytest test (`test_*`) is run by the test runner, never called: as a wrapper it would
        # only add names to look for (hundreds in a project with many tests of its LLM client).
        functions = {(path, f["name"]): f for path, e in self.entries.items() for f in e["functions"]
                     if not f["name"].rpartition(".")[2].startswith("test_")}
        for (path, name), f in functions.items():
            if self.seeds.get(path) and self._sends(path, f):
                self.wrappers[(path, name)] = 0
        by_name: dict[str, list] = {}  # last name of a call -> the functions making it
        for key, f in functions.items():
            for call in f["calls"]:
                by_name.setdefault(call.split(".")[-1], []).append(key)
        for layer in range(1, MAX_LAYERS + 1):
            if not self._grow(functions, by_name, layer, self._names()):
                break
        self._functions = functions

    def _finish(self) -> None:
        """`called`, which only the wrapper table needs: the build's rounds, which only ask
        which files to read next, do without."""
        if self._finished:
            return
        self._finished = True
        names = self._names()
        for (path, name), f in self._functions.items():
            for call in f["calls"]:
                if call.split(".")[-1] in names:
                    self.called.update(t for t in self.targets(path, f.get("class"), call, f)
                                       if t in self.wrappers and t != (path, name))

    def _sends(self, path: str, f: dict | None) -> bool:
        """Does the function (of the module at `path`) call a catalog request by name?"""
        if f is None:
            return False
        names, by_import = self.requests_at(path), self._requests_by_import(path)
        return any((last := c.split(".")[-1]) in names or last in by_import for c in f["calls"])

    def _requests_by_import(self, path: str) -> frozenset[str]:
        """The request names too common to count alone (sdks.yaml `names_by_import`: `run`,
        `arun`) that count in the module at `path` because it imports one of their SDKs (`from
        agno.agent import Agent`), as the analysis counts them; not a framework's own name inside
        its package, and not a plain HTTP library's (`requests.post` is a request only to an LLM
        endpoint, which the analysis reads from the URL)."""
        if path not in self._by_import:
            from promptlint.analysis.catalog import http_roots, sdk_names_by_import

            roots = {qual.split(".")[0] for qual in self.entries[path]["imports"].values()} - self._seen(path)
            self._by_import[path] = frozenset(name for name, modules in sdk_names_by_import().items()
                                              if modules & roots and not modules <= http_roots())
        return self._by_import[path]

    def _seen(self, path: str) -> frozenset[str]:
        """The frameworks the project ships whose package the module at `path` sees (its own
        code there, analysis.project.sees_package), once per folder."""
        if not self.shipped:
            return frozenset()
        folder = path.rpartition("/")[0]
        if folder not in self._seen_in:
            from promptlint.analysis.project import sees_package

            self._seen_in[folder] = frozenset(p for p in self.shipped if sees_package(path, p))
        return self._seen_in[folder]

    def requests_at(self, path: str) -> frozenset[str]:
        """The catalog's request names in the module at `path`, less those of the frameworks the
        project ships whose package that module sees (its own code there, shadowed_requests), as
        the analysis decides it (callsites.CallSiteFinder._shadowed): lib/crewai/src/crewai/agent.py
        sees crewai, lib/cli/src/crewai_cli/run.py uses it as a dependency."""
        seen = self._seen(path)
        return _requests_without(seen) if seen else request_names()

    def _names(self) -> set[str]:
        return {n.rpartition(".")[2] for _, n in self.wrappers}

    def _grow(self, functions: dict, by_name: dict, layer: int, names: set[str]) -> dict:
        """Add the functions with a call (named one of `names`) that reaches a wrapper."""
        added = {}
        for name in sorted(names):
            for key in by_name.get(name, ()):
                if key in self.wrappers or key in added:
                    continue
                path, f = key[0], functions[key]
                for call in f["calls"]:
                    if call.split(".")[-1] == name and self._calls_wrapper(path, f, call):
                        added[key] = layer
                        break
        self.wrappers.update(added)
        return added

    def _calls_wrapper(self, path: str, f: dict, call: str) -> bool:
        """Does `call` (made in `f`) reach a wrapper?"""
        return any(target in self.wrappers for target in self.targets(path, f.get("class"), call, f))

    def targets(self, path: str, cls: str | None, call: str, func: dict | None = None) -> list[tuple[str, str]]:
        """The project functions a call written `call` in module `path` (in function `func`) may reach."""
        entry = self.entries[path]
        head, _, rest = call.partition(".")
        last = call.split(".")[-1]
        typed = func.get("types", {}).get(head) if func is not None and rest and "." not in rest else None
        if typed:
            # The method of the class a parameter is annotated with (`summary_llm: BaseChatModel`).
            out = self._methods_of([found for written in typed
                                    if (found := self._class_named(path, written)) is not None], rest)
            if out:
                return out
        if head in ("self", "cls") and cls and "." not in rest:
            return self._methods_of([(path, cls)], rest)
        if head == "self" and cls and rest.count(".") == 1:
            # The method of the class an attribute is given (`self.model_backend = ModelManager(...)`).
            attr, _, method = rest.partition(".")
            out = self._methods_of(self.attribute_classes(path, cls, attr), method)
            if out:
                return out
        if not rest:
            if head in entry["imports"]:
                found = self.resolve(entry["imports"][head])
                return [found] if found else []
            return [(path, head)]
        if head in entry["imports"]:  # module.function or Class.method
            found = self.resolve(entry["imports"][head] + "." + rest)
            if found:
                return [found]
        if last in GENERIC:
            return []
        # obj.method(...): a method of that name on a class this module defines or imports.
        out = []
        imported = self._imported.get(path)
        if imported is None:
            imported = self._imported[path] = {self.resolve(q) for q in entry["imports"].values()}
        for wpath, wname, owner in self._wrapper_methods(last):
            if (wpath, owner) in imported or wpath == path:
                out.append((wpath, wname))
        return out

    def _methods_of(self, owners: list[tuple[str, str]], method: str) -> list[tuple[str, str]]:
        """Method `method` of each class: its own or a base's (any module), then the overrides
        its subclasses define that send a request (dispatched), whatever the name."""
        out = [(p, f"{c}.{method}") for owner in owners for p, c in self.ancestry(owner)]
        return out + [impl for owner in owners for impl in self.dispatched(owner, method)]

    def attribute_classes(self, path: str, cls: str, attr: str) -> list[tuple[str, str]]:
        """The project classes `self.<attr>` of `cls` (in the module at `path`) may hold, as its
        class or a base assigns or annotates it (index_file's `attrs`)."""
        key = (path, cls, attr)
        if key not in self._attr_classes:
            self._attr_classes[key] = []  # a cycle (`self.a = self.b[0]`, `self.b = self.a[0]`) ends here
            out: list[tuple[str, str]] = []
            for owner_path, owner in self.ancestry((path, cls)):
                entry = self.entries[owner_path]
                for written in entry.get("attrs", {}).get(owner, {}).get(attr, ()):
                    if written.startswith("self."):
                        out += self.attribute_classes(owner_path, owner, written[5:])
                    elif (found := self._class_named(owner_path, written)) is not None:
                        out.append(found)
            self._attr_classes[key] = sorted(set(out))
        return self._attr_classes[key]

    def _class_named(self, path: str, written: str) -> tuple[str, str] | None:
        """The project class a name written in the module at `path` stands for, if it is one."""
        entry = self.entries[path]
        head, _, rest = written.partition(".")
        if not rest and head in entry["classes"]:
            return (path, head)
        if head not in entry["imports"]:
            return None
        found = self.resolve(".".join([entry["imports"][head], *([rest] if rest else [])]))
        if found is None or found[0] not in self.entries or found[1] not in self.entries[found[0]]["classes"]:
            return None
        return found

    def _wrapper_methods(self, method: str) -> list[tuple[str, str, str]]:
        """The wrappers that are methods named `method`, (path, qualname, class), in the order
        they were found. Wrappers are only ever added: the map is rebuilt when there are more."""
        if self._by_method_size != len(self.wrappers):
            self._by_method = {}
            for wpath, wname in self.wrappers:
                owner, _, meth = wname.rpartition(".")
                if owner:
                    self._by_method.setdefault(meth, []).append((wpath, wname, owner))
            self._by_method_size = len(self.wrappers)
        return self._by_method.get(method, [])

    # -- the class hierarchy, across modules ---------------------------------------
    def bases(self, cls: tuple[str, str]) -> list[tuple[str, str]]:
        """The project classes `cls` (path, name) derives from directly, resolved through its
        module's imports and package re-exports (`from .base import ChatBackend`)."""
        if cls not in self._bases:
            path, name = cls
            entry = self.entries[path]
            found = []
            for written in entry["classes"].get(name, ()):
                head, _, rest = written.partition(".")
                if not rest and head in entry["classes"] and head != name:
                    found.append((path, head))
                elif head in entry["imports"]:
                    target = self.resolve(".".join([entry["imports"][head], *([rest] if rest else [])]))
                    if target is not None and target[1] in self.entries[target[0]]["classes"]:
                        found.append(target)
            self._bases[cls] = found
        return self._bases[cls]

    def ancestry(self, cls: tuple[str, str]) -> list[tuple[str, str]]:
        """`cls` and its project base classes, nearest first (at most MAX_ANCESTRY)."""
        chain, todo = [], [cls]
        while todo and len(chain) < MAX_ANCESTRY:
            at = todo.pop(0)
            if at in chain or at[0] not in self.entries:
                continue
            chain.append(at)
            todo += self.bases(at)
        return chain

    def subclasses(self, cls: tuple[str, str]) -> list[tuple[str, str]]:
        """The project classes deriving from `cls`, at any depth, outside test files: a test's
        fake provider is no implementation the application runs."""
        if self._subclasses is None:
            self._subclasses = {}
            for path, entry in sorted(self.entries.items()):
                if TEST_FILE.search(path):
                    continue
                for name in entry["classes"]:
                    for base in self.bases((path, name)):
                        self._subclasses.setdefault(base, []).append((path, name))
        out, todo = [], list(self._subclasses.get(cls, ()))
        while todo and len(out) < MAX_SUBCLASSES:
            at = todo.pop(0)
            if at not in out and at != cls:
                out.append(at)
                todo += self._subclasses.get(at, ())
        return out

    def overrides(self, cls: tuple[str, str], method: str) -> list[tuple[str, str]]:
        """The methods named `method` that subclasses of `cls` define (path, qualname)."""
        return [(p, f"{c}.{method}") for p, c in self.subclasses(cls) if method in self._methods(p, c)]

    def dispatched(self, cls: tuple[str, str], method: str) -> list[tuple[str, str]]:
        """The overrides `self.method()` in `cls` may run, when most of them send a request: a
        `BaseTool._run` that three tools out of a hundred implement with an LLM call is no
        request of `BaseTool.run`, while a model backend's `_run` is one for every provider."""
        found = self.overrides(cls, method)
        requesting = [impl for impl in found if impl in self.wrappers]
        return requesting if requesting and 2 * len(requesting) >= len(found) else []

    def _methods(self, path: str, cls: str) -> set[str]:
        key = (path, cls)
        if key not in self._method_names:
            self._method_names[key] = {f["name"].rpartition(".")[2] for f in self.entries[path]["functions"]
                                       if f["class"] == cls}
        return self._method_names[key]

    def _self_calls(self, path: str, cls: str) -> set[str]:
        """The methods `cls`'s own methods call on `self`."""
        return {c[5:] for f in self.entries[path]["functions"] if f["class"] == cls
                for c in f["calls"] if c.startswith("self.") and "." not in c[5:]}

    def hierarchy_rows(self, wrappers) -> set[tuple]:
        """Rows of the wrapper table for method calls through a class hierarchy:
        - an inherited wrapper, as an alias (`OpenAIBackend.reply` stands for `ChatBackend.reply`
          of another module), so a call on an instance of the subclass reaches it and keeps the
          subclass as the class of `self`;
        - an override, `(method, base path, "Base.method", path, "Sub.method", OVERRIDE, N)`,
          for each implementation that is a wrapper in a subclass of a class whose code calls
          `self.method` or that defines it, when most of the N implementations are
          (`dispatched`): `self.method()` in the base reaches one of them (wholeprogram.Resolver)."""
        rows = set()
        for path, name in sorted(wrappers):
            owner, _, method = name.rpartition(".")
            if not owner or "." in owner or owner not in self.entries[path]["classes"]:
                continue
            for sub in self.subclasses((path, owner)):
                if method in self._methods(*sub):
                    continue
                # the nearest definition on the way down wins: only if `sub` inherits this one
                if self._inherited_from(sub, method) == (path, owner):
                    rows.add((method, sub[0], f"{sub[1]}.{method}", path, name, "", 0))
            for base in self.ancestry((path, owner))[1:]:
                if method in self._methods(*base) or method in self._self_calls(*base):
                    total = len(self.overrides(base, method))
                    for impl in self.dispatched(base, method):
                        if impl in wrappers:
                            rows.add((method, base[0], f"{base[1]}.{method}", *impl, OVERRIDE, total))
        return rows

    def _inherited_from(self, cls: tuple[str, str], method: str) -> tuple[str, str] | None:
        """The class (nearest first, depth-first as the index sees the bases) whose `method` `cls` uses."""
        return next((c for c in self.ancestry(cls) if method in self._methods(*c)), None)

    def base_modules_to_read(self) -> set[str]:
        """Dotted module names of the base classes that classes holding a wrapper method import
        but the index has not read yet (the module of `from app.llm.base import ChatBackend`)."""
        out = set()
        owners: dict[str, set] = {}
        for path, name in self.wrappers:
            if "." in name:
                owners.setdefault(path, set()).add(name.rpartition(".")[0])
        for path, names in owners.items():
            entry = self.entries[path]
            for written in (b for cls in names for b in entry["classes"].get(cls, ())):
                head, _, rest = written.partition(".")
                if head not in entry["imports"]:
                    continue
                qual = ".".join([entry["imports"][head], *([rest] if rest else [])])
                found = self.resolve(qual)
                if found is None:
                    out.add(qual.rpartition(".")[0])
                elif found[1] not in self.entries[found[0]]["classes"] and "." in found[1]:
                    # read so far up to a package: `from .base import ChatBackend` in its __init__
                    out.add(f'{self.entries[found[0]]["module"]}.{found[1].rpartition(".")[0]}'.lstrip("."))
        return out

    def hierarchy_files(self, unread: dict[str, bytes], scanned: _Scanned) -> set[str]:
        """Of the modules not indexed yet (path -> bytes), those the class hierarchy needs: the
        module of a base class an indexed class names, and a module declaring a subclass of a
        class that holds a wrapper method (`class EchoBackend(ChatBackend):`)."""
        from promptlint.prefilter import is_word

        wanted = self.base_modules_to_read()
        owners = sorted({name.rpartition(".")[0] for _p, name in self.wrappers if "." in name})
        declares = owners and re.compile(_DECLARATION + rb"[^)]*\b(?:"
                                         + b"|".join(re.escape(o.encode()) for o in owners) + rb")\b", re.M)
        # Names made of ASCII word characters are looked up among the words of the files' base
        # lists (_Scanned.bases, read once per file for all rounds); others with the expression.
        needed = frozenset(o.encode() for o in owners) if all(is_word(o.encode()) for o in owners) else None
        out = set()
        for path, source in unread.items():
            parts = module_name(path).split(".")
            if any(".".join(parts[i:]) in wanted for i in range(len(parts))):
                out.add(path)
            elif declares and b"class" in source:
                if needed is None:
                    if declares.search(source):
                        out.add(path)
                elif not needed.isdisjoint(scanned.words(path, source)) and (
                        not needed.isdisjoint(scanned.bases(path, source))):
                    out.add(path)
        return out

    def wrapper_table(self) -> tuple[tuple[str, ...], ...]:
        """What the workers receive, sorted: (last name, path, qualname) of every wrapper, and
        the names packages re-export one under (`app/llm/__init__.py: from .client import chat`),
        each with the (path, qualname) it stands for; the rows of the class hierarchy (hierarchy_rows)."""
        self._finish()
        wrappers = set(self.wrappers)
        rows = {(name.split(".")[-1], path, name, path, name, CALLED if (path, name) in self.called else "", 0)
                for path, name in wrappers}
        rows |= self.hierarchy_rows(wrappers)
        methods: dict[tuple[str, str], list[str]] = {}  # (path, class) -> its wrapper methods
        for path, name in wrappers:
            owner, _, method = name.rpartition(".")
            if owner and not method.startswith("_"):  # a private method is called from its own class
                methods.setdefault((path, owner), []).append(method)
        for path, entry in self.entries.items():
            if not path.endswith("__init__.py"):
                continue
            for local, qual in entry["imports"].items():
                found = self.resolve(qual)
                if found is None or found[0] == path:
                    continue
                if found in wrappers:
                    rows.add((local, path, local, *found, "", 0))
                for method in methods.get(found, ()):  # a re-exported class: `from .llm import LLM`
                    # A generic one (`execute`, `run`) is followed from a receiver the resolver
                    # knows (`self.formatter = Formatter()`), but lets no file in: every file naming
                    # the class and calling any `.run(...)` would be parsed.
                    kind = RESOLVE_ONLY if method in GENERIC else ""
                    rows.add((method, path, f"{local}.{method}", found[0], f"{found[1]}.{method}", kind, 0))
        return tuple(sorted(rows))


# -- building it, with the cache ----------------------------------------------
TABLE_KEY = "wrapper-table"  # the last run's wrapper table, with the hash of every file's digest


def build(files: list[str], settings) -> list[tuple]:
    """The wrapper table (ProjectIndex.wrapper_table) of `files` (display paths); index entries
    come from the cache when the bytes are known, and the whole table when no file changed.

    Only files that can matter are parsed: those the SDK pre-check accepts (where layer-0
    wrappers live), then, layer by layer, those that call a wrapper found so far by name
    (`name(`) and packages that re-export one. The rest of the project is read and hashed only;
    test modules are not read."""
    import re

    from promptlint.prefilter import may_hold_callsite

    fresh: dict[str, dict] = {}
    base = _base_settings(settings)
    sources: dict[str, tuple[str, bytes]] = {}  # path -> (digest, bytes)
    for path in files:
        if not path.endswith(".py") or TEST_FILE.search(path):
            continue  # a test module defines no wrapper the application calls (see the module's docstring)
        try:
            if not os.path.isfile(path) or os.path.getsize(path) > MAX_FILE_BYTES:
                continue  # a FIFO or device would block the read
            with open(path, "rb") as fh:
                source = fh.read()
        except OSError:
            continue
        sources[path] = (hashlib.sha256(source).hexdigest() + "|" + path, source)

    listed = "\0".join(sorted(digest for digest, _ in sources.values()))
    everything = hashlib.sha256(listed.encode(errors="surrogatepass")).hexdigest()  # a name may not be UTF-8
    known = _load(settings, TABLE_KEY)  # a small file of its own: a warm run reads no index entry
    if isinstance(known, dict) and known.get("key") == everything and isinstance(known.get("table"), list):
        return [tuple(row) for row in known["table"]]  # no file changed: the last table holds
    cached = _load(settings)
    for path, (digest, source) in sources.items():
        # A seed may hold an SDK request: the rules' own markers (`max_iter=`, a vector store) do
        # not make one (crewAI's Agent module, let in for `max_iter=`, made every method calling
        # `self.agent_executor.invoke(...)` a wrapper). read_words: a file the markers must decide
        # has its words read (and kept for the rounds).
        fresh[digest] = dict(cached.get(digest) or {
            "seed": may_hold_callsite(source, base, read_words=True, path=path, hints=False)})

    def index(path: str) -> None:
        entry = fresh[sources[path][0]]
        if "index" not in entry:
            entry["index"] = index_file(path, sources[path][1])

    for path, (digest, _source) in sources.items():
        if fresh[digest]["seed"]:
            index(path)
    shipped = shipped_frameworks(sources)
    found = _project(sources, fresh, shipped)
    scanned = _Scanned()
    for _round in range(MAX_ROUNDS):
        if not found.wrappers:
            break
        more = _to_index(sources, fresh, found, scanned)
        if not more:
            break
        for path in more:
            index(path)
        found = _project(sources, fresh, shipped)
    table = found.wrapper_table()
    if fresh != cached:
        _store(settings, fresh)
    _store(settings, {"key": everything, "table": [list(row) for row in table]}, TABLE_KEY)
    return list(table)


# The start of a class declaration with a base list; the base list runs to the first `)`.
_DECLARATION = rb"^[ \t]*class[ \t]+\w+[ \t]*\("


class _Scanned:
    """What the build's rounds ask of each file not indexed yet, read once for all rounds:
    its words (prefilter.file_words), and the words of the base lists of the classes it
    declares. A declaration `class Sub(... Base ...)` names `Base` as a word of the text from
    its `(` to the first `)`, exactly what `_DECLARATION [^)]* \\bBase\\b` matches."""

    def __init__(self) -> None:
        self._words: dict[str, frozenset[bytes]] = {}
        self._bases: dict[str, frozenset[bytes]] = {}

    def words(self, path: str, source: bytes) -> frozenset[bytes]:
        found = self._words.get(path)
        if found is None:
            from promptlint.prefilter import file_words

            found = self._words[path] = file_words(source)
        return found

    def bases(self, path: str, source: bytes) -> frozenset[bytes]:
        found = self._bases.get(path)
        if found is None:
            found = self._bases[path] = frozenset(
                word for m in _BASE_LIST.finditer(source) for word in _WORD.findall(m.group(1)))
        return found


_BASE_LIST = re.compile(_DECLARATION + rb"([^)]*)", re.M)
_WORD = re.compile(rb"\w+")


def _to_index(sources: dict, fresh: dict, found: ProjectIndex, scanned: _Scanned) -> list[str]:
    """The files not indexed yet that may hold the next layer: those calling by name a wrapper
    found so far below the last layer (callers of the last layer's wrappers are call sites, not
    wrappers), packages that re-export one (a name `_exports` matches), and the modules of the
    class hierarchy (ProjectIndex.hierarchy_files)."""
    from promptlint.prefilter import calls_wrapper

    # Only the wrappers themselves: with the packages' re-exports and the hierarchy's rows, every
    # file naming a re-exported class or a subclass is worth reading (crewAI: +10 % of the run).
    table = tuple((name.split(".")[-1], path, name, path, name, "", 0) for (path, name), layer in found.wrappers.items()
                  if layer < MAX_LAYERS)
    exported = _exports(found)
    unread = {path: source for path, (digest, source) in sources.items() if "index" not in fresh[digest]}
    hierarchy = found.hierarchy_files(unread, scanned)
    return [path for path, source in unread.items() if path in hierarchy or (
        (path.endswith("__init__.py") and _names_one(source, scanned.words(path, source), exported))
        or (table and calls_wrapper(source, table, scanned.words(path, source))))]


def _exports(found: ProjectIndex) -> tuple[frozenset[bytes], re.Pattern[bytes] | None]:
    """The names a package may re-export a wrapper under: the wrapper's own name, or its
    class's (`from .llm import LLM`, whose methods are wrappers). Those made of ASCII word
    characters are looked up among a file's words; a pattern for the others (`\\bname\\b`)."""
    from promptlint.prefilter import is_word

    names = {name.split(".")[-1] for _path, name in found.wrappers}
    owners = {name.rpartition(".")[0].split(".")[-1] for _path, name in found.wrappers} - {""}
    every = [n.encode() for n in sorted(names | owners)]
    others = [n for n in every if not is_word(n)]
    pattern = re.compile(rb"\b(?:" + b"|".join(re.escape(n) for n in others) + rb")\b") if others else None
    return frozenset(n for n in every if is_word(n)), pattern


def _names_one(source: bytes, words: frozenset[bytes], exported: tuple[frozenset[bytes], re.Pattern | None]) -> bool:
    """Does `source` (whose words are `words`) hold one of the names (_exports) as a word?"""
    names, others = exported
    return not names.isdisjoint(words) or (others is not None and others.search(source) is not None)


def _project(sources: dict, fresh: dict, shipped: frozenset[str]) -> ProjectIndex:
    entries, seeds = {}, {}
    for path, (digest, _source) in sources.items():
        entry = fresh[digest]
        if entry.get("index") is not None:
            entries[path] = entry["index"]
            seeds[path] = entry["seed"]
    return ProjectIndex(entries, seeds, shipped)


def _base_settings(settings):
    """The settings without inferred wrappers: the SDK pre-check alone decides what a seed file is."""
    from dataclasses import replace

    return replace(settings, project_wrappers=()) if getattr(settings, "project_wrappers", ()) else settings


def _index_file(settings, part: str = "") -> str | None:
    if not settings.cache_dir:
        return None
    from promptlint import __version__
    from promptlint.state.code_digest import code_and_data_digest

    # Per settings: what the SDK pre-check accepts (a seed file) depends on markers and wrappers.
    # Per code and data too: an edited catalog (rules/sdks.yaml) or pre-check changes which files
    # are seeds and which functions are wrappers, so an index built by other code is not read.
    key = f"{code_and_data_digest()}-{_base_settings(settings).analysis_hash()}"
    return os.path.join(settings.cache_dir, __version__,
                        f"index-v{INDEX_VERSION}-{key}{part and '-' + part}.json")


def _load(settings, part: str = "") -> dict:
    target = _index_file(settings, part)
    if target is None:
        return {}
    try:
        with open(target, encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _store(settings, data: dict, part: str = "") -> None:
    target = _index_file(settings, part)
    if target is not None:
        from promptlint.state.cache import write_atomically

        write_atomically(target, data)
