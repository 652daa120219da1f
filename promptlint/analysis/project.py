"""Module-level constants imported from sibling modules (`from .prompts import SYSTEM`).

Real applications keep their prompts in a `prompts.py`; without this the text
of those prompts would be of unknown size. Only constants are read, never
executed: the target module is parsed and its assignment evaluated like any
other expression. Results are cached per file for the life of the process.

Most questions asked of another module have no answer (a function that returns
nothing, a method name asked as a class attribute): an `ast` pass first
(ModuleFacts, several times cheaper than libcst) says so, and the module is parsed
with libcst only when it may hold the answer.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

from promptlint.analysis import reads
from promptlint.analysis.templates import file_stamp

# Files read while analysing the current file: its cached result depends on them.
DEPENDENCIES: set[str] = set()
MAX_HOPS = 3  # a constant that imports a constant that imports ...
MAX_BYTES = 1_000_000


# module_file's answers while a run keeps them (engine.lint_paths: the files do not change under
# it): most imports name a library, which takes twelve `stat` calls to find absent, again and again.
# Off by default, so a long-lived process (the language server) sees files created since.
_FOUND: dict[tuple[str, str], str | None] | None = None


def remember_modules(on: bool) -> None:
    """Keep module_file's answers from now on (True), or forget them and stop (False)."""
    global _FOUND
    _FOUND = {} if on else None


def module_file(importer: str, module: str) -> str | None:
    """The file that `module` (as written in an import in `importer`) names, if it is on disk."""
    here = os.path.dirname(os.path.abspath(importer))
    if _FOUND is None:
        return _module_file(here, module)
    key = (here, module)
    if key not in _FOUND:
        _FOUND[key] = _module_file(here, module)
    return _FOUND[key]


def sees_package(importer: str, package: str) -> bool:
    """Does the module at `importer` see the top-level `package` on disk: beside it, up the
    tree, or in a `src/` folder up the tree (a src layout: lib/crewai/tests import
    lib/crewai/src/crewai)? Then a framework of that name is the project's own code there."""
    return any(module_file(importer, name) is not None for name in (package, f"src.{package}"))


def _module_file(here: str, module: str) -> str | None:
    if module.startswith("."):
        dots = len(module) - len(module.lstrip("."))
        base = here
        for _ in range(dots - 1):
            base = os.path.dirname(base)
        parts = [p for p in module.lstrip(".").split(".") if p]
        return _existing(os.path.join(base, *parts)) if parts else _existing(base)
    parts = module.split(".")
    base = here
    for _ in range(6):  # walk up to the directory that holds the top-level package
        found = _existing(os.path.join(base, *parts))
        if found:
            return found
        parent = os.path.dirname(base)
        if parent == base:
            break
        base = parent
    return None


def _existing(stem: str) -> str | None:
    for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None


def module_text(path: str) -> str:
    """The text of a project module ("" when unreadable or over MAX_BYTES), read once per run."""
    return _text_at(path, file_stamp(path))


def _analysed(path: str):
    if not reads.still_fresh(path):
        _analysed_at.cache_clear()  # a file it read changed (a long-lived process: the server)
        reads.READS.clear()
    return _analysed_at(path, file_stamp(path))


def _depend(importer: str | None, path: str) -> None:
    """The file being checked depends on `path`, read on behalf of module `importer`."""
    DEPENDENCIES.add(path)
    reads.note(importer, path)


def dependencies() -> set[str]:
    """DEPENDENCIES with every file those were read from, however many modules away."""
    return DEPENDENCIES | reads.read_from(DEPENDENCIES)


@lru_cache(maxsize=128)
def _text_at(path: str, stamp: tuple) -> str:
    try:
        if os.path.getsize(path) > MAX_BYTES:
            return ""
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def _defines(path: str, name: str) -> bool:
    """Cheap text check before parsing: does the module assign or define `name` at top level
    (at the start of a line: `NAME = `, `NAME: str = `, `def NAME`)?"""
    return name in _defined_at(path, file_stamp(path))


_DEFINED = re.compile(r"^(?:(\w+)\s*(?::[^=\n]*)?=|(?:async\s+)?def\s+(\w+))", re.MULTILINE)


@lru_cache(maxsize=256)
def _defined_at(path: str, stamp: tuple) -> frozenset[str]:
    """Every name _defines finds in the module, read in one pass (one search per name cost more)."""
    return frozenset(assigned or defined for assigned, defined in _DEFINED.findall(_text_at(path, stamp)))


@dataclass(frozen=True, slots=True)
class ModuleFacts:
    """What a module's `ast` shows, enough to say that a question has no answer without
    libcst. Each set holds at least what the libcst index (index.py) would record."""

    top_classes: frozenset[str]  # classes defined at the top level
    class_attrs: frozenset[str]  # names assigned in a class body, or as `Cls.attr = ...` outside functions
    imported: frozenset[str]  # the first part of every module its imports name, anywhere in it
    functions: frozenset[str]  # module-level functions (outside any class and function)
    returning: frozenset[str]  # module-level functions with a `return <value>` in them
    lines: dict[str, tuple[tuple[int, int], ...]]  # module-level function -> its line ranges, decorators included
    factories: frozenset[str] = frozenset()  # "Class.method": top-level classmethods whose every return is cls(...)


def facts(path: str) -> ModuleFacts | None:
    """The `ast` facts of a module, or None when it cannot be read or parsed (nor, then, by libcst)."""
    return _facts_at(path, file_stamp(path))


def function_source(path: str, name: str) -> str | None:
    """The text of module-level function `name` of a module (every definition of it), or None."""
    if not _may_define_function(path, name):
        return None  # most names asked are classes or constants: no `ast` parse of the module for them
    found = facts(path)
    if found is None or name not in found.lines:
        return None
    lines = module_text(path).replace("\r\n", "\n").replace("\r", "\n").split("\n")  # the line breaks `ast` counts
    return "\n".join("\n".join(lines[first - 1:last]) for first, last in found.lines[name])


def _may_define_function(path: str, name: str) -> bool:
    """Can the module define a function `name` anywhere? Its text must hold `def name` (any
    indentation; a line continuation may sit between the two words)."""
    names = _def_names_at(path, file_stamp(path))
    return names is None or name in names


_DEF_NAME = re.compile(r"\bdef(?:\s|\\\r?\n)+([^\s(\[:]+)")


@lru_cache(maxsize=256)
def _def_names_at(path: str, stamp: tuple) -> frozenset[str] | None:
    """The names written after `def` in the module's text; None when one is not ASCII (Python
    normalises identifiers, so the text may spell a name differently from `ast`)."""
    names = frozenset(_DEF_NAME.findall(_text_at(path, stamp)))
    return names if all(name.isascii() for name in names) else None


@lru_cache(maxsize=4)  # the module is parsed with libcst right after, when it must be: one `ast` parse
def _tree_at(path: str, stamp: tuple):
    """(bytes, `ast` tree) of a module, or None."""
    try:
        if os.path.getsize(path) > MAX_BYTES:
            return None
        with open(path, "rb") as fh:
            source = fh.read()
        import ast
        import warnings

        from promptlint import trees

        kept = trees.peek(source)  # parsed by the project index already
        if kept is not None:
            return source, kept
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return source, ast.parse(source)
    except Exception:  # noqa: BLE001 - an unreadable sibling only costs precision
        return None


@lru_cache(maxsize=512)  # small: a few names per module
def _facts_at(path: str, stamp: tuple) -> ModuleFacts | None:
    import ast

    from promptlint.analysis.slicing import nested_blocks

    parsed = _tree_at(path, stamp)
    if parsed is None:
        return None
    tree = parsed[1]
    defs = (ast.FunctionDef, ast.AsyncFunctionDef)
    class_attrs: set[str] = set()
    imported: set[str] = set()
    functions: set[str] = set()
    returning: set[str] = set()
    lines: dict[str, list[tuple[int, int]]] = {}

    def statements(body, in_function: bool) -> None:
        for node in body:
            if isinstance(node, defs):
                statements(node.body, True)
                continue
            if isinstance(node, ast.ClassDef):
                for member in node.body:
                    if isinstance(member, ast.Assign):
                        class_attrs.update(t.id for t in member.targets if isinstance(t, ast.Name))
                    elif isinstance(member, ast.AnnAssign) and isinstance(member.target, ast.Name) and member.value:
                        class_attrs.add(member.target.id)
                statements(node.body, in_function)
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imported.update(_top_modules(node))
            elif not in_function and isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                class_attrs.update(t.attr for t in targets if isinstance(t, ast.Attribute))
            for inner in nested_blocks(node):
                statements(inner, in_function)

    def module_level(body) -> None:  # outside any class and function, as index.py counts them
        for node in body:
            if isinstance(node, defs):
                functions.add(node.name)
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines.setdefault(node.name, []).append((first, node.end_lineno or node.lineno))
                if any(isinstance(sub, ast.Return) and sub.value is not None for sub in ast.walk(node)):
                    returning.add(node.name)
            elif not isinstance(node, ast.ClassDef):
                for inner in nested_blocks(node):
                    module_level(inner)

    statements(tree.body, False)
    module_level(tree.body)
    top = frozenset(node.name for node in tree.body if isinstance(node, ast.ClassDef))
    factories = frozenset(f"{node.name}.{member.name}" for node in tree.body if isinstance(node, ast.ClassDef)
                          for member in node.body if isinstance(member, defs) and _builds_own_class(member, node.name))
    return ModuleFacts(top, frozenset(class_attrs), frozenset(imported), frozenset(functions), frozenset(returning),
                       {name: tuple(found) for name, found in lines.items()}, factories)


def _builds_own_class(method, cls: str) -> bool:
    """A classmethod whose every `return` (one at least) is `cls(...)` or `<cls>(...)`."""
    import ast

    if not any(isinstance(d, ast.Name) and d.id == "classmethod" for d in method.decorator_list):
        return False
    returns = [sub.value for sub in ast.walk(method) if isinstance(sub, ast.Return)]
    return bool(returns) and all(isinstance(r, ast.Call) and isinstance(r.func, ast.Name) and r.func.id in ("cls", cls)
                                 for r in returns)


def factory_class(importer: str, qual: str, hops: int) -> str | None:
    """`qual` (`pkg.llm.Provider.from_name`, as imported from `importer`) when it names a
    classmethod of a project class that builds an instance of it: that class's qual, or None.
    Read from the module's `ast` facts, without libcst."""
    owner, _, method = qual.rpartition(".")
    path, cls = _class_module(importer, owner, hops)
    known = facts(path) if path is not None else None
    if known is None or f"{cls}.{method}" not in known.factories:
        return None
    _depend(importer, path)
    return owner


def _top_modules(node) -> set[str]:
    """The first part of what an import statement names, as index.py records it (`from . import x`: x)."""
    import ast

    if isinstance(node, ast.Import):
        return {alias.name.split(".")[0] for alias in node.names}
    if any(alias.name == "*" for alias in node.names):
        return set()
    if node.module:
        return {node.module.split(".")[0]}
    return {alias.name.split(".")[0] for alias in node.names}


@lru_cache(maxsize=48)  # parsed modules are large (constants only, methods blanked): a worker keeps the
# recent ones; wrapper sites read the same template, settings and client modules from many files (crewAI
# with -j 1: 29 parses of 29 modules, once ModuleFacts turned away the questions without an answer)
def _analysed_at(path: str, stamp: tuple, whole: bool = False):
    """Parse a module once and return (index, evaluator), or None."""
    parsed = _tree_at(path, stamp)
    if parsed is None:
        return None
    source, tree = parsed
    try:
        from promptlint.analysis.evaluator import Evaluator
        from promptlint.analysis.index import ModuleIndex
        from promptlint.analysis.positions import LazyPositions
        from promptlint.analysis.slicing import constants_source
        from promptlint.analysis.walk import visit
        from promptlint.trees import cst_module

        if not whole:
            source, tree = constants_source(source, tree)  # methods blanked: libcst parses less
        module = cst_module(source)
        index = ModuleIndex(LazyPositions(module, tree))
        visit(module, index)
        return Evaluator(index, module, importer=path, read_import=imported_constant, read_helper=reader_helper,
                         read_member=class_member, read_method=class_method, read_factory=factory_class)
    except Exception:  # noqa: BLE001 - an unreadable sibling only costs precision
        return None


def imported_constant(importer: str, qual: str, hops: int):
    """The value of `pkg.module.NAME` as imported from `importer`, or None."""
    if hops >= MAX_HOPS or "." not in qual:
        return None
    module, _, name = qual.rpartition(".")
    path = module_file(importer, module)
    if path is None:
        return None
    _depend(importer, path)
    if not _defines(path, name):
        return None
    known = facts(path)
    if known is None:
        return None
    from promptlint.analysis.values import Client, Factory, Map, Returns

    if name in known.functions and name not in known.returning:
        return Returns(None)  # it returns nothing: no text, no client (and no libcst parse)
    evaluator = _analysed(path)
    if evaluator is None:
        return None

    if name in evaluator.index.functions:
        found = evaluator.function_result(name, hops + 1)
        if isinstance(found, Client):
            return Factory(_foreign(found))
        return Returns(_far(with_origin(found, _relative(path)), _relative(path)))
    if not any(event.name == name for event in evaluator.index.module_events):
        return None
    val = evaluator.module_value(name, hops + 1)
    if isinstance(val, Map) and val.obj in evaluator.index.classes:  # `settings = Settings()`: its class, absolutely
        val = Map(val.items, val.opaque, f"{_dotted_module(path)}.{val.obj}", None, dict(val.spans))
    return _foreign(val) if isinstance(val, Client) else with_origin(val, _relative(path))


def _dotted_module(path: str) -> str:
    """The module a file is, named from the working directory (module_file finds it again)."""
    rel = shown_path(path).removesuffix(".py").removesuffix("/__init__")
    return rel.replace("/", ".")


_SDK_IMPORT = re.compile(r"^\s*(?:from|import)\s+(?:openai|anthropic|langchain\w*|litellm|google|boto3|mistralai|"
                         r"cohere|groq|together|ollama|llama_index|vertexai|dspy)\b", re.MULTILINE)


def _class_module(importer: str, qual: str, hops: int) -> tuple[str | None, str]:
    """(the file of the project module defining class `qual` (`app.llm.Gateway`), the class
    name), or (None, name) when it is out of reach or the module defines no such class."""
    module, _, cls = qual.rpartition(".")
    if hops >= MAX_HOPS or not module:
        return None, cls
    path = module_file(importer, module)
    if path is None or not re.search(rf"^\s*class\s+{re.escape(cls)}\b", module_text(path), re.MULTILINE):
        return None, cls
    return path, cls


def class_member(importer: str, qual: str, attr: str, hops: int, defaults: bool = True):
    """`Class.attr` of a class defined in a project module, for an instance of it: a class-level
    default (`top_k: int = 20`, pydantic and dataclass fields) when `defaults`, or the SDK client
    or chat model its methods assign to `self.attr` (`self.chat_model = ChatOpenAI(...)`)."""
    from promptlint.analysis.values import Alt, client_options

    path, cls = _class_module(importer, qual, hops)
    if path is None:
        return None
    _depend(importer, path)
    known = facts(path)
    if known is None:
        return None
    # No class of the module assigns `attr` in its body (a method's name, a field without a
    # default): there is no class default to read, and no need to parse the module for one.
    if attr in known.class_attrs or cls not in known.top_classes:
        evaluator = _analysed(path)
        if evaluator is None or cls not in evaluator.index.classes:
            return None
        found = evaluator.class_default(cls, attr, hops + 1)
        if found is not None:
            return with_origin(found, _relative(path)) if defaults else None
    text = module_text(path)
    if not (re.search(rf"self\.{re.escape(attr)}\s*(?::[^=\n]*)?=[^=]", text) and _SDK_IMPORT.search(text)):
        return None  # no `self.attr = ...` in a module importing an SDK: no client to find (and no parse)
    whole = _analysed_whole(path)  # `self.x = ...` sits in methods, which the constants pass blanks
    if whole is None or cls not in whole.index.classes:
        return None
    found = [_foreign(client) for client in client_options(whole.assigned_client(cls, attr, hops + 1))]
    return (found[0] if len(found) == 1 else Alt(found)) if found else None


def class_method(importer: str, qual: str, method: str, hops: int):
    """(evaluator of its module, the method, the class name) for a method of a class defined in
    another project module (`app.chunks.MessageChunks.all_messages`), or None."""
    path, cls = _class_module(importer, qual, hops)
    if path is None:
        return None
    whole = _analysed_whole(path)  # methods are blanked in the constants pass
    if whole is None or cls not in whole.index.classes:
        return None
    _depend(importer, path)
    info = whole.method_of(cls, method)
    return (whole, info, cls) if info is not None else None


def _analysed_whole(path: str):
    """A module parsed with its methods (the `self.x = ...` they assign), or None."""
    return _analysed_at(path, file_stamp(path), True)


def _far(val, path: str):
    """A value computed in another module: a clock reading there is reported at the use, naming it."""
    from dataclasses import replace

    from promptlint.analysis.values import Text

    if not isinstance(val, Text):
        return val if is_plain(val) else None
    from promptlint.model import TemplateSpan

    segs = []
    for seg in val.segs:
        if isinstance(seg.span, TemplateSpan):  # a placeholder of a template file keeps its place there
            filled = seg.span.filled_at
            where = f" ({path}:{filled.line})" if filled is not None else ""
            span = TemplateSpan(seg.span.line, seg.span.column, seg.span.end_line, seg.span.end_column, seg.span.path)
            seg = replace(seg, source=f"{seg.source}{where}", span=span)
        elif seg.kind != "static" and seg.span is not None:
            seg = replace(seg, source=f"{seg.source} ({path}:{seg.span.line})", span=None)
        segs.append(seg)
    return Text(segs)


def is_plain(val) -> bool:
    from promptlint.analysis.segments import is_static

    return is_static(val)


def _relative(path: str) -> str:
    """Relative to the working directory, like every path the engine reports and caches."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path


def shown_path(path: str) -> str:
    """A module's path as findings show it: relative to the working directory, with `/`."""
    return _relative(path).replace(os.sep, "/")


def module_function(path: str, name: str):
    """(evaluator of the module at `path`, its module-level function `name`), or None; the
    module becomes a dependency of the file being checked."""
    if not _defines(path, name):
        return None
    evaluator = _analysed(path)
    info = evaluator.index.functions.get(name) if evaluator is not None else None
    if info is None or info.class_name is not None:
        return None
    DEPENDENCIES.add(path)
    return evaluator, info


def with_origin(val, path: str, depth: int = 0):
    """A constant read from `path`: its text segments remember that file, so rules that
    report inside prompt text (PL403-PL405) point at the constant, not the importer."""
    from dataclasses import replace

    from promptlint.analysis.values import Text, map_items

    if depth > 20:
        return val
    if isinstance(val, Text):
        segs = []
        for seg in val.segs:
            if seg.origin is None and seg.kind == "static":
                pieces = seg.pieces and tuple((o, sp, og or path) for o, sp, og in seg.pieces)
                seg = replace(seg, origin=path, pieces=pieces)
            segs.append(seg)
        return Text(segs)
    return map_items(val, lambda item: with_origin(item, path, depth + 1), into_many=True)


def _foreign(client):
    """A client built in another module: its constructor's nodes belong to that module."""
    from promptlint.analysis.values import Client

    return Client(client.kind, client.cls, client.path)


def reader_helper(evaluator, qual: str, node, ctx):
    """A reader helper of the project in another module (`load_prompt_file(__file__, "x.txt")`):
    its body is evaluated in its own module with the caller's arguments (a local summary of
    the function; loading.py keeps the answer only when it is text read from a file)."""
    from promptlint.analysis.evaluator import EvalContext
    from promptlint.analysis.index import END
    from promptlint.analysis.values import Dyn

    module, _, name = qual.rpartition(".")
    if module.split(".")[0] in ("os", "sys", "json", "yaml", "jinja2", "pathlib", "typing", "re", "time"):
        return None
    path = module_file(evaluator.importer, module) if evaluator.importer else None
    if path is None or not _defines(path, name):
        return None
    known = facts(path)
    if known is None or name not in known.returning:
        return None  # not a module-level function that returns something
    other = _analysed(path)
    info = other.index.functions.get(name) if other is not None else None
    if info is None or not info.returns or info.class_name:
        return None
    params = [p.name.value for p in (*info.node.params.posonly_params, *info.node.params.params)]
    bindings = {}
    positional = [a for a in node.args if a.keyword is None and not a.star]
    for param, arg in zip(params, positional):
        bindings[param] = evaluator.evaluate(arg.value, ctx)
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value in params:
            bindings[arg.keyword.value] = evaluator.evaluate(arg.value, ctx)
    for param in info.node.params.params:
        if param.name.value not in bindings:
            bindings[param.name.value] = (other.evaluate(param.default, EvalContext(None, END, ()))
                                          if param.default is not None else Dyn(param.name.value))
    _depend(evaluator.importer, path)
    # The evaluator's memo keys on id(bindings): a dict of an earlier call, freed since, may have
    # had this one's id, so its answers are forgotten first (a helper's module is small).
    other._memo.clear()
    other._def_memo.clear()
    found = [other.evaluate(ret, EvalContext(info, other.pos(ret), (), bindings, ctx.depth + 1))
             for ret in info.returns]
    return found[0] if len(found) == 1 else None
