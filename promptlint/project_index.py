"""The project index: which of the project's own functions send an LLM request.

One cheap `ast` pass per Python file under the project root (not only the paths
given: a one-file pre-commit run must still know the project's wrappers),
cached by content hash. It records each module's imports (relative imports
resolved against its package), its functions and methods with their
parameters, and the calls each one makes. A function is a *wrapper* when its
body calls a catalog request name in a file the SDK pre-check accepts, or
calls another wrapper, resolved through imports (`from app.llm import chat`,
`llm.chat`, `self.generate`, or a method of a class the calling module
imports); layers are followed up to MAX_LAYERS.

The result is only a list of candidates, by name and module. What a wrapper
actually sends, and what it leaves to its callers, is worked out by the
evaluator at each call (wholeprogram.py), which never trusts a name alone.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re

INDEX_VERSION = 1
MAX_LAYERS = 1  # a wrapper of a wrapper (of the SDK call): deeper chains are not followed
MAX_FILE_BYTES = 1_000_000
# The sixth field of a wrapper's own row when another project function calls it (its parameters
# are then its callers' to fill: evaluator.callers_decide).
CALLED = "called"
# Names too generic to follow through an unknown receiver (`obj.run(...)`): only a resolved
# import or `self.` call counts for these.
GENERIC = frozenset({"run", "__call__", "call", "invoke", "ainvoke", "execute", "process", "main", "get", "create"})


def called_wrappers(table, path: str) -> frozenset[str]:
    """The wrappers defined in module `path` (display path) that other project functions call."""
    return frozenset(row[2] for row in table if len(row) > 5 and row[5] == CALLED and row[1] == path)


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


def index_file(rel_path: str, source: bytes) -> dict | None:
    """The index entry of one module (plain JSON data), or None if it does not parse. `ast`
    gives the definitions and their exact line ranges (strings included); the calls in each
    are read from its lines with a regular expression, which is several times cheaper than
    walking every expression node (a name in a string only costs a look by the evaluator)."""
    tree = _large_module_tree(source)
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

    def calls_of(node) -> list[str]:
        text = "".join(lines[node.lineno - 1:node.end_lineno or node.lineno])
        return sorted((set(_CALL.findall(text)) | deferred_calls(text)) - {node.name})

    def add_function(node, prefix: str, cls: str | None) -> None:
        args = node.args
        params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        functions.append({"name": prefix + node.name, "line": node.lineno, "class": cls, "params": params,
                          "kwargs": args.kwarg.arg if args.kwarg else None, "calls": calls_of(node)})

    from promptlint.analysis.slicing import nested_blocks

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
            for inner in nested_blocks(node):
                statements(inner)

    statements(tree.body)
    for top in tree.body:
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
            add_function(top, "", None)
        elif isinstance(top, ast.ClassDef):
            classes[top.name] = [_dotted(b) for b in top.bases]
            for member in top.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    add_function(member, top.name + ".", top.name)
    return {"module": module, "imports": imports, "functions": functions, "classes": classes}


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


class ProjectIndex:
    """The index of every module, and the wrappers found in it."""

    def __init__(self, entries: dict[str, dict], seeds: dict[str, bool]) -> None:
        self.entries = entries  # display path -> entry
        self.seeds = seeds  # display path -> the SDK pre-check accepts the file
        self.by_module: dict[str, str] = {}  # dotted module name (and its suffixes) -> path
        for path in sorted(entries, key=lambda p: (p.count("/"), p)):
            parts = entries[path]["module"].split(".")
            for i in range(len(parts)):  # `src.app.llm` is imported as `app.llm`
                self.by_module.setdefault(".".join(parts[i:]), path)
        self.wrappers: dict[tuple[str, str], int] = {}  # (path, qualname) -> layer (0: calls the SDK)
        self.called: set[tuple[str, str]] = set()  # wrappers another project function calls
        self._imported: dict[str, set] = {}  # path -> what its imports resolve to
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
        catalog = request_names()
        # A pytest test (`test_*`) is run by the test runner, never called: as a wrapper it would
        # only add names to look for (hundreds in a project with many tests of its LLM client).
        functions = {(path, f["name"]): f for path, e in self.entries.items() for f in e["functions"]
                     if not f["name"].rpartition(".")[2].startswith("test_")}
        for (path, name), f in functions.items():
            if self.seeds.get(path) and any(c.split(".")[-1] in catalog for c in f["calls"]):
                self.wrappers[(path, name)] = 0
        for layer in range(1, MAX_LAYERS + 1):
            names = {n.split(".")[-1] for _, n in self.wrappers}
            added = {}
            for (path, name), f in functions.items():
                if (path, name) in self.wrappers:
                    continue
                for call in f["calls"]:
                    if call.split(".")[-1] in names and self._calls_wrapper(path, f, call):
                        added[(path, name)] = layer
                        break
            if not added:
                break
            self.wrappers.update(added)
        names = {n.split(".")[-1] for _, n in self.wrappers}
        for (path, name), f in functions.items():
            for call in f["calls"]:
                if call.split(".")[-1] in names:
                    self.called.update(t for t in self.targets(path, f.get("class"), call)
                                       if t in self.wrappers and t != (path, name))

    def _calls_wrapper(self, path: str, f: dict, call: str) -> bool:
        return any(target in self.wrappers for target in self.targets(path, f.get("class"), call))

    def targets(self, path: str, cls: str | None, call: str) -> list[tuple[str, str]]:
        """The project functions a call written `call` in module `path` may reach."""
        entry = self.entries[path]
        head, _, rest = call.partition(".")
        last = call.split(".")[-1]
        if head in ("self", "cls") and cls and "." not in rest:
            return [(path, f"{c}.{rest}") for c in self._class_chain(path, cls)]
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
        for (wpath, wname) in self.wrappers:
            owner, _, meth = wname.rpartition(".")
            if meth == last and owner and ((wpath, owner) in imported or wpath == path):
                out.append((wpath, wname))
        return out

    def _class_chain(self, path: str, cls: str) -> list[str]:
        chain, todo = [], [cls]
        while todo and len(chain) < 10:
            name = todo.pop(0)
            if name in chain:
                continue
            chain.append(name)
            todo += [b.split(".")[-1] for b in self.entries[path]["classes"].get(name, [])]
        return chain

    def wrapper_table(self) -> tuple[tuple[str, str, str, str, str], ...]:
        """What the workers receive, sorted: (last name, path, qualname) of every wrapper, and
        the names packages re-export one under (`app/llm/__init__.py: from .client import chat`),
        each with the (path, qualname) it stands for."""
        rows = {(name.split(".")[-1], path, name, path, name, CALLED if (path, name) in self.called else "")
                for path, name in self.wrappers}
        methods: dict[tuple[str, str], list[str]] = {}  # (path, class) -> its wrapper methods
        for path, name in self.wrappers:
            owner, _, method = name.rpartition(".")
            # A private method is called from its own class; a generic one (`call`, `run`) would make
            # every file importing the package and calling any `.call(...)` worth parsing.
            if owner and not method.startswith("_") and method not in GENERIC:
                methods.setdefault((path, owner), []).append(method)
        for path, entry in self.entries.items():
            if not path.endswith("__init__.py"):
                continue
            for local, qual in entry["imports"].items():
                found = self.resolve(qual)
                if found is None or found[0] == path:
                    continue
                if found in self.wrappers:
                    rows.add((local, path, local, *found, ""))
                for method in methods.get(found, ()):  # a re-exported class: `from .llm import LLM`
                    rows.add((method, path, f"{local}.{method}", found[0], f"{found[1]}.{method}", ""))
        return tuple(sorted(rows))


# -- building it, with the cache ----------------------------------------------
TABLE_KEY = "wrapper-table"  # the last run's wrapper table, with the hash of every file's digest


def build(files: list[str], settings) -> list[tuple]:
    """The wrapper table (ProjectIndex.wrapper_table) of `files` (display paths); index entries
    come from the cache when the bytes are known, and the whole table when no file changed.

    Only files that can matter are parsed: those the SDK pre-check accepts (where layer-0
    wrappers live), then, layer by layer, those that call a wrapper found so far by name
    (`name(`) and packages that re-export one. The rest of the project is read and hashed only."""
    import re

    from promptlint.prefilter import may_hold_callsite

    fresh: dict[str, dict] = {}
    base = _base_settings(settings)
    sources: dict[str, tuple[str, bytes]] = {}  # path -> (digest, bytes)
    for path in files:
        if not path.endswith(".py"):
            continue
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
    for digest, source in sources.values():
        fresh[digest] = dict(cached.get(digest) or {"seed": may_hold_callsite(source, base)})

    def index(path: str) -> None:
        entry = fresh[sources[path][0]]
        if "index" not in entry:
            entry["index"] = index_file(path, sources[path][1])

    for path, (digest, _source) in sources.items():
        if fresh[digest]["seed"]:
            index(path)
    found = _project(sources, fresh)
    for layer in range(MAX_LAYERS + 1):
        if not found.wrappers:
            break
        # Callers of the last layer's wrappers are call sites, not wrappers: only the packages
        # re-exporting those wrappers are still to read.
        more = _to_index(sources, fresh, found, packages_only=layer == MAX_LAYERS)
        if not more:
            break
        for path in more:
            index(path)
        found = _project(sources, fresh)
    table = found.wrapper_table()
    if fresh != cached:
        _store(settings, fresh)
    _store(settings, {"key": everything, "table": [list(row) for row in table]}, TABLE_KEY)
    return list(table)


def _to_index(sources: dict, fresh: dict, found: ProjectIndex, packages_only: bool) -> list[str]:
    """The files not indexed yet that may hold the next layer: those calling a wrapper found so
    far by name, and packages that re-export one (a name `_exports` matches)."""
    from promptlint.prefilter import calls_wrapper

    table = tuple((name.split(".")[-1], path, name, path, name) for path, name in found.wrappers)
    exported = _exports(found)
    return [path for path, (digest, source) in sources.items() if "index" not in fresh[digest] and (
        (path.endswith("__init__.py") and exported.search(source))
        or (not packages_only and calls_wrapper(source, table)))]


def _exports(found: ProjectIndex):
    """A pattern for the names a package may re-export a wrapper under: the wrapper's own
    name, or its class's (`from .llm import LLM`, whose methods are wrappers)."""
    names = {name.split(".")[-1] for _path, name in found.wrappers}
    owners = {name.rpartition(".")[0].split(".")[-1] for _path, name in found.wrappers} - {""}
    return re.compile(rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names | owners)) + rb")\b")


def _project(sources: dict, fresh: dict) -> ProjectIndex:
    entries, seeds = {}, {}
    for path, (digest, _source) in sources.items():
        entry = fresh[digest]
        if entry.get("index") is not None:
            entries[path] = entry["index"]
            seeds[path] = entry["seed"]
    return ProjectIndex(entries, seeds)


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
