"""Prompt text that the code loads from files, resolved without running the code.

The evaluator (values.py) asks this module about calls, methods and attributes it
does not know: `open(path).read()`, `Path(__file__).parent / "prompts" / name`,
`yaml.safe_load(fh)`, `tomllib.load(fh)`, `jinja2.Template(text).render(...)`,
`Environment(loader=FileSystemLoader(dir)).get_template(name).render(...)`,
LangChain's `PromptTemplate.from_file(path)` and `load_prompt(path)`. A path is
followed only when it can be computed from literals, `__file__` and module
constants; anything else keeps the evaluator's old answer (unknown text).

Text read from a file is a static segment whose `origin` is the file and whose
`pieces` place every line in it; a placeholder filled from the code becomes a
segment at the placeholder's position (model.TemplateSpan), so the rules report
inside the template. Files read are recorded as dependencies of the checked file
(its cache entry is stale once they change); problems (missing, invalid, binary,
outside the project) are collected as warnings naming the file.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, replace

import libcst as cst

from promptlint.analysis import reads, templates
from promptlint.analysis.segments import alt_segments, is_static, join_static, merge, segments, sub_segment
from promptlint.analysis.templates import TemplateError, template_span
from promptlint.analysis.values import Alt, Det, Dyn, Map, Num, Seq, Text, Unk, Val, Vol, static_text
from promptlint.model import Segment, Span, TemplateSpan

MAX_FILES = 200  # a folder loaded into a dict: files read at most
MAX_INCLUDE_DEPTH = 8
# Problems with template files met while analysing the current file (engine.py reports them),
# and the files and folders read: the file's cached result depends on them.
PROBLEMS: list[str] = []
FILES_READ: set[str] = set()


# -- values ------------------------------------------------------------------------
@dataclass(slots=True)
class PathVal(Val):
    """A file-system path the analysis computed (absolute)."""

    path: str


@dataclass(slots=True)
class FileHandle(Val):
    """`open(path)`: reading it gives the file's text."""

    path: str


@dataclass(slots=True)
class Files(Val):
    """The files of a folder (`folder.glob("*.yaml")`, `os.listdir(folder)`): PathVal or names."""

    items: list[Val]


@dataclass(slots=True)
class JinjaEnv(Val):
    folders: tuple[str, ...]


@dataclass(slots=True)
class JinjaTemplate(Val):
    source: Text  # the template's text, placed in its file
    folders: tuple[str, ...]  # where `{% include %}` looks


def problem(message: str) -> None:
    if message not in PROBLEMS:
        PROBLEMS.append(message)


def take_problems() -> list[str]:
    out = list(PROBLEMS)
    PROBLEMS.clear()
    return out


def note_read(ev, path: str) -> None:
    """The checked file depends on template file or folder `path`, and so does the module whose
    value read it (a sibling module answers later files from its memo without reading it again)."""
    FILES_READ.add(path)
    reads.note(ev.importer, path)


def take_files_read() -> set[str]:
    out = set(FILES_READ)
    FILES_READ.clear()
    return out


is_template_origin = templates.is_template_path


# -- paths -------------------------------------------------------------------------
def as_path(val: Val, ev) -> str | None:
    """The absolute path a value names, when it is computable."""
    if isinstance(val, PathVal):
        return val.path
    text = static_text(val) if isinstance(val, Text) else None
    if not text or "\n" in text or len(text) > 4096:
        return None
    if os.path.isabs(text):
        return os.path.normpath(text)
    # A relative literal is relative to the working directory of the running app:
    # the project's root, or else the module's own folder.
    root = templates.project_root()
    candidates = [os.path.join(root, text)]
    if ev.importer:  # or of a folder above the module (scripts run from the repository's root)
        folder = os.path.dirname(os.path.abspath(ev.importer))
        for _ in range(8):
            candidates.append(os.path.join(folder, text))
            if folder == root or os.path.dirname(folder) == folder:
                break
            folder = os.path.dirname(folder)
    for candidate in candidates:
        if os.path.exists(candidate):
            return os.path.normpath(candidate)
    return os.path.normpath(candidates[0])


def _join(ev, base: Val, parts: list[Val]) -> Val | None:
    path = as_path(base, ev)
    if path is None:
        return None
    for part in parts:
        text = static_text(part) if isinstance(part, Text) else None
        if isinstance(part, PathVal):
            text = part.path
        if text is None:
            return None
        path = os.path.normpath(os.path.join(path, text))
    return PathVal(path)


def file_of_module(ev) -> Val | None:
    return PathVal(os.path.abspath(ev.importer)) if ev.importer else None


# -- reading -------------------------------------------------------------------------
def read_text(ev, path: str, quiet_missing: bool = False) -> Val | None:
    """The file's text as a located static segment; None (after a warning) if unusable."""
    note_read(ev, path)
    try:
        text = templates.read_template(path)
    except TemplateError as exc:
        if not (quiet_missing and not os.path.exists(path)):
            problem(str(exc))
        return None
    shown = templates.display(path)
    pieces = templates.whole_file_pieces(text, shown)
    return Text([Segment("static", text, span=pieces[0][1], origin=shown, pieces=pieces)]) if text else Text([])


def loaded_file(val: Val) -> tuple[str, str] | None:
    """(absolute path, text) when `val` is the whole text of one file read by the code."""
    if not isinstance(val, Text) or len(val.segs) != 1:
        return None
    seg = val.segs[0]
    if seg.kind != "static" or seg.text is None or not is_template_origin(seg.origin):
        return None
    return os.path.abspath(seg.origin), seg.text


def _contents(ev, val: Val) -> tuple[str, str] | None:
    """(path, text) of a file handle, a path or text read whole from a file. A data file that is
    not in the tree (`json.load(open("reviews.json"))`: rows supplied at run time) is no
    template problem worth a warning."""
    if isinstance(val, (FileHandle, PathVal)):
        read = read_text(ev, val.path, quiet_missing=True)
        return loaded_file(read) if read is not None else None
    return loaded_file(val)


# -- structured files -------------------------------------------------------------
def yaml_value(path: str, text: str) -> Val | None:
    import yaml

    shown = templates.display(path)
    try:
        root = templates.compose_yaml(text, shown)
    except TemplateError as exc:
        problem(str(exc))
        return None

    def convert(node, depth=0) -> Val:
        if depth > 30:
            return Unk("deep yaml")
        if isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:str":
                pieces = templates.value_pieces(node.value, text, shown, node.start_mark.index, node.end_mark.index)
                return Text([Segment("static", node.value, span=pieces[0][1], origin=shown, pieces=pieces)]) \
                    if node.value else Text([])
            value = templates.scalar_value(node)
            return Num(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else Det(shown)
        if isinstance(node, yaml.SequenceNode):
            return Seq([convert(n, depth + 1) for n in node.value])
        if isinstance(node, yaml.MappingNode):
            out = Map({})
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    out.items[str(templates.scalar_value(key))] = convert(value, depth + 1)
                else:
                    out.opaque = True
            return out
        return Unk("yaml")

    return convert(root) if root is not None else Num(None)


def toml_value(path: str, text: str) -> Val | None:
    shown = templates.display(path)
    try:
        data = templates.load_toml(text, shown)
    except TemplateError as exc:
        problem(str(exc))
        return None
    # TOML values come in file order, so each search for a value's place starts after the last one
    return _data_value(data, text, shown, in_file_order=True)


def json_value(path: str, text: str) -> Val | None:
    import json

    shown = templates.display(path)
    try:
        data = json.loads(text)
    except ValueError as exc:
        problem(f"{shown}: invalid JSON: {exc}")
        return None
    return _data_value(data, text, shown, in_file_order=False)


def _data_value(data, text: str, shown: str, in_file_order: bool) -> Val:
    """Loaded TOML/JSON data as values; strings become static text placed where they stand in the file."""
    cursor = [0]

    def convert(value, depth=0) -> Val:
        if isinstance(value, str):
            pieces = templates.value_pieces(value, text, shown, cursor[0])
            if in_file_order:
                cursor[0] = max(cursor[0], _piece_end(pieces, text))
            return Text([Segment("static", value, span=pieces[0][1], origin=shown, pieces=pieces)]) if value \
                else Text([])
        if isinstance(value, dict) and depth < 30:
            return Map({str(k): convert(v, depth + 1) for k, v in value.items()})
        if isinstance(value, list) and depth < 30:
            return Seq([convert(v, depth + 1) for v in value])
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return Num(value)
        return Det(shown)

    return convert(data)


def _piece_end(pieces, text: str) -> int:
    """The offset in the file just after the first line a value was found on (values come in file order)."""
    span = pieces[0][1]
    starts = templates.line_starts(text)
    return starts[span.line - 1] + span.column - 1 if span.line - 1 < len(starts) else 0


# -- the evaluator's questions ------------------------------------------------------
_LOADERS = {
    "yaml.safe_load": yaml_value, "yaml.load": yaml_value, "yaml.full_load": yaml_value,
    "yaml.unsafe_load": yaml_value,  # read with the safe loader all the same: nothing is constructed
    "tomllib.load": toml_value, "tomllib.loads": toml_value, "tomli.load": toml_value, "tomli.loads": toml_value,
    "toml.load": toml_value, "toml.loads": toml_value, "json.load": json_value,
}
_PATH_CLASSES = ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath")


def call(ev, qual: str, node: cst.Call, ctx) -> Val | None:
    """A call the evaluator resolves to a path, a file or loaded text; None: not ours."""
    args = node.args
    positional = [a.value for a in args if a.keyword is None and not a.star]
    first = ev.evaluate(positional[0], ctx) if positional else None
    if qual == "builtins.open" and first is not None:
        mode = _keyword(node, "mode", 1)
        mode_text = static_text(ev.evaluate(mode, ctx)) if mode is not None else "r"
        path = as_path(first, ev)
        if path is None or mode_text is None or any(c in mode_text for c in "wax+"):
            return None
        return FileHandle(path)
    if qual in _PATH_CLASSES:
        if first is None:
            return PathVal(templates.project_root())
        return _join(ev, first, [ev.evaluate(p, ctx) for p in positional[1:]])
    if qual == "os.path.join" and first is not None:
        return _join(ev, first, [ev.evaluate(p, ctx) for p in positional[1:]])
    if qual in ("os.path.dirname", "os.path.abspath", "os.path.realpath", "os.path.normpath",
                "os.path.expanduser") and first is not None:
        path = as_path(first, ev) if isinstance(first, PathVal) else None
        if path is None:
            return None
        return PathVal(os.path.dirname(path) if qual.endswith("dirname") else path)
    if qual in _LOADERS and first is not None:
        found = _contents(ev, first)
        return _LOADERS[qual](*found) if found is not None else None
    if qual == "json.loads" and first is not None:
        found = loaded_file(first)
        return json_value(*found) if found is not None else None
    last = qual.split(".")[-1]
    if qual in ("jinja2.Template", "jinja2.environment.Template") and first is not None:
        return _template(first)
    if qual in ("jinja2.Environment", "jinja2.environment.Environment"):
        loader = _keyword(node, "loader", None)
        folders = _loader_folders(ev, ev.evaluate(loader, ctx), ctx) if loader is not None else ()
        return JinjaEnv(folders or ())
    if qual in ("jinja2.FileSystemLoader", "jinja2.loaders.FileSystemLoader") and first is not None:
        folders = [first] if not isinstance(first, Seq) else first.items
        paths = tuple(p for p in (as_path(f, ev) for f in folders) if p)
        return JinjaEnv(paths) if paths else None
    if qual.endswith("PromptTemplate.from_file") and first is not None:
        path = as_path(first, ev)
        return read_text(ev, path) if path else None
    if last == "load_prompt" and ("langchain" in qual) and first is not None:
        return _langchain_prompt(ev, first)
    helper = getattr(ev, "read_helper", None)  # a reader helper of another module (project.py)
    if helper is not None and "." in qual and not qual.startswith("builtins.") and positional:
        found = helper(ev, qual, node, ctx)
        return found if found is not None and is_loaded(found) else None
    return None


def is_loaded(val: Val) -> bool:
    if isinstance(val, Text):
        return any(is_template_origin(s.origin) for s in val.segs)
    return isinstance(val, (JinjaTemplate, Map)) and not isinstance(val, Map) or (
        isinstance(val, Map) and any(is_loaded(v) for v in val.items.values()))


def _keyword(node: cst.Call, name: str, index: int | None):
    for a in node.args:
        if a.keyword is not None and a.keyword.value == name:
            return a.value
    positional = [a.value for a in node.args if a.keyword is None and not a.star]
    return positional[index] if index is not None and index < len(positional) else None


def _folder(ev, folder: str, names: bool) -> Val | None:
    try:
        entries = sorted(os.listdir(folder))[:MAX_FILES]
    except OSError:
        return None
    if not templates.inside(folder, templates.project_root()):
        return None
    note_read(ev, folder)
    return Files([Text([Segment("static", e)]) if names else PathVal(os.path.join(folder, e)) for e in entries])


def _glob(ev, folder: str, pattern: str) -> Val | None:
    found = _folder(ev, folder, names=False)
    if found is None:
        return None
    return Files([p for p in found.items if fnmatch.fnmatchcase(os.path.basename(p.path), pattern)])


def _template(source: Val, folders: tuple[str, ...] = ()) -> Val | None:
    if isinstance(source, Text) and all(s.kind == "static" and s.text is not None for s in source.segs):
        return JinjaTemplate(source, folders)
    return None


def _loader_folders(ev, loader: Val, ctx) -> tuple[str, ...] | None:
    return loader.folders if isinstance(loader, JinjaEnv) else None


def _langchain_prompt(ev, first: Val) -> Val | None:
    """`load_prompt(path)`: a serialized prompt (YAML or JSON) whose `template` is the text."""
    path = as_path(first, ev)
    if path is None:
        return None
    found = _contents(ev, PathVal(path))
    if found is None:
        return None
    value = json_value(*found) if path.endswith(".json") else yaml_value(*found)
    if not isinstance(value, Map):
        return None
    if "template" in value.items:
        return value.items["template"]
    inner = value.items.get("template_path")
    inner_path = static_text(inner) if inner is not None else None
    if inner_path:
        return read_text(ev, os.path.join(os.path.dirname(path), inner_path))
    return None


def method(ev, recv: Val, name: str, node: cst.Call, ctx) -> Val | None:
    args = [ev.evaluate(a.value, ctx) for a in node.args if a.keyword is None and not a.star]
    if isinstance(recv, FileHandle) and name in ("read", "__enter__"):
        # A file that cannot be read here is still the same text on every call.
        return (read_text(ev, recv.path) or Det(f"contents of {templates.display(recv.path)}")) \
            if name == "read" else recv
    if isinstance(recv, PathVal):
        if name == "read_text":
            return read_text(ev, recv.path) or Det(f"contents of {templates.display(recv.path)}")
        if name == "open":
            return FileHandle(recv.path)
        if name == "joinpath":
            return _join(ev, recv, args)
        if name in ("resolve", "absolute", "expanduser"):
            return recv
        # glob/iterdir: in an order the file system picks (PL103); only a dict comprehension
        # keyed by file name reads them as files (below).
        return None
    if isinstance(recv, JinjaEnv):
        if name == "get_template" and args:
            template_name = static_text(args[0])
            if template_name is None:
                return None
            return _env_template(ev, recv.folders, template_name)
        if name == "from_string" and args:
            return _template(args[0], recv.folders)
        return None
    if isinstance(recv, JinjaTemplate) and name == "render":
        return render(ev, recv, node, ctx)
    return None


def _env_template(ev, folders: tuple[str, ...], name: str) -> Val | None:
    for folder in folders:
        path = os.path.normpath(os.path.join(folder, name))
        if os.path.isfile(path):
            text = read_text(ev, path)
            return JinjaTemplate(text, folders) if isinstance(text, Text) else None
    if folders:
        read_text(ev, os.path.normpath(os.path.join(folders[0], name)))  # reports the missing file
    return None


def attribute(ev, base: Val, attr: str, node) -> Val | None:
    if isinstance(base, PathVal):
        if attr == "parent":
            return PathVal(os.path.dirname(base.path))
        if attr in ("name", "stem", "suffix"):
            name = os.path.basename(base.path)
            value = {"name": name, "stem": os.path.splitext(name)[0], "suffix": os.path.splitext(name)[1]}[attr]
            return Text([Segment("static", value)])
        if attr == "parents":
            return None
    return None


def divide(ev, left: Val, right: Val) -> Val | None:
    """`path / "prompts" / name`."""
    if isinstance(left, PathVal):
        return _join(ev, left, [right])
    return None


def comprehension(ev, node: cst.DictComp, ctx) -> Val | None:
    """`{p.stem: yaml.safe_load(p.read_text()) for p in folder.glob("*.yaml")}`: one entry per file."""
    comp = node.for_in
    if comp.inner_for_in is not None or not isinstance(comp.target, cst.Name):
        return None
    files = _listing(ev, comp.iter, ctx)
    if files is None:
        return None
    out = Map({}, node=node)
    name = comp.target.value
    for item in files.items:
        bindings = {**(ctx.bindings or {}), name: item}
        sub = replace(ctx, bindings=bindings, depth=ctx.depth + 1)
        if any(not _passes(ev, cond, sub) for cond in comp.ifs):
            continue
        key = static_text(ev.evaluate(node.key, sub))
        if key is None:
            out.opaque = True
            continue
        out.items[key] = ev.evaluate(node.value, sub)
    return out


def _listing(ev, node, ctx) -> Files | None:
    """The files a folder listing names: `folder.glob("*.yaml")`, `folder.iterdir()`,
    `os.listdir(folder)`, `glob.glob(pattern)`, also inside `sorted(...)`. Their order
    does not matter to a dict keyed by file name."""
    if not isinstance(node, cst.Call):
        return None
    func = node.func
    args = [a.value for a in node.args if a.keyword is None and not a.star]
    if isinstance(func, cst.Name) and func.value == "sorted" and args:
        return _listing(ev, args[0], ctx)
    if isinstance(func, cst.Attribute) and func.attr.value in ("glob", "iterdir", "rglob"):
        base = ev.evaluate(func.value, ctx)
        if isinstance(base, PathVal):
            if func.attr.value == "iterdir":
                return _folder(ev, base.path, names=False)
            pattern = static_text(ev.evaluate(args[0], ctx)) if args else None
            return _glob(ev, base.path, pattern) if pattern and "/" not in pattern else None
    qual = ev.code(func)
    if qual in ("os.listdir", "listdir") and args:
        folder = as_path(ev.evaluate(args[0], ctx), ev)
        return _folder(ev, folder, names=True) if folder else None
    if qual in ("glob.glob", "glob.iglob") and args:
        pattern = as_path(ev.evaluate(args[0], ctx), ev)
        return _glob(ev, os.path.dirname(pattern), os.path.basename(pattern)) if pattern else None
    return None


def _passes(ev, cond: cst.CompIf, ctx) -> bool:
    """`if name.endswith(".yaml")` on a known file name; anything else keeps the file."""
    test = cond.test
    if (isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute)
            and test.func.attr.value in ("endswith", "startswith") and test.args):
        recv = static_text(ev.evaluate(test.func.value, ctx))
        arg = static_text(ev.evaluate(test.args[0].value, ctx))
        if recv is not None and arg is not None:
            return getattr(recv, test.func.attr.value)(arg)
    return True


def with_item(ev, item_val: Val) -> Val | None:
    return item_val if isinstance(item_val, FileHandle) else None


# -- placeholders filled in by the code -------------------------------------------------
def anchored(segs: list[Segment], at: TemplateSpan, raw: str | None = None) -> list[Segment]:
    """The segments a placeholder is filled with, placed at the placeholder; static ones
    keep their own place (a constant's text is written where the constant is)."""
    out = []
    for seg in segs:
        if seg.kind == "static":
            out.append(seg)
            continue
        filled = seg.span
        span = TemplateSpan(at.line, at.column, at.end_line, at.end_column, at.path,
                            filled if filled is None or isinstance(filled, Span) else None)
        out.append(Segment(seg.kind, seg.text, seg.source, seg.volatile_kind, span, note=seg.note))
    return out


# -- Jinja ---------------------------------------------------------------------------
def render(ev, tpl: JinjaTemplate, node: cst.Call, ctx) -> Val:
    scope: dict[str, Val] = {}
    opaque = False
    for a in node.args:
        if a.keyword is not None:
            scope[a.keyword.value] = ev.evaluate(a.value, ctx)
        else:
            val = ev.evaluate(a.value, ctx)
            if isinstance(val, Map):
                scope.update(val.items)
                opaque = opaque or val.opaque
            else:
                opaque = True
    return Text(merge(_render(ev, tpl, scope, opaque, 0)))


def _whole(source: Text) -> Segment | None:
    segs = [s for s in source.segs if s.text]
    if not segs:
        return Segment("static", "")
    whole = segs[0]
    for seg in segs[1:]:
        whole = join_static(whole, seg)
    return whole


def _render(ev, tpl: JinjaTemplate, scope: dict, opaque: bool, depth: int) -> list[Segment]:
    from jinja2 import nodes

    seg = _whole(tpl.source)
    text = seg.text or ""
    shown = seg.origin or "template"
    try:
        doc = templates.parse_jinja(text)
    except TemplateError as exc:
        problem(f"{shown}: invalid Jinja template: {exc}")
        return [Segment("static", None, source=f"template {shown}")]
    state = {"cursor": 0, "vars": 0}

    def tag(keyword: str) -> int:
        for offset, kw in doc.blocks:
            if offset >= state["cursor"] and kw == keyword:
                state["cursor"] = offset + 2
                return offset
        return state["cursor"]

    def variable() -> int:
        found = [v for v in doc.variables if v >= state["cursor"]]
        offset = found[0] if found else state["cursor"]
        state["cursor"] = offset + 2
        return offset

    def value_of(expr, names: dict) -> Val:
        if isinstance(expr, nodes.Const):
            return Text([Segment("static", str(expr.value))]) if expr.value is not None else Text([])
        if isinstance(expr, nodes.Name):
            if expr.name in names:
                return names[expr.name]
            return Dyn(expr.name) if opaque else Text([])  # an undefined name renders as nothing
        used = [names.get(n.name, Dyn(n.name) if opaque else Text([])) for n in expr.find_all(nodes.Name)]
        for val in used:
            if isinstance(val, Vol):
                return val
        source = _source_text(text, expr)
        for val in used:
            if not is_static(val):
                return Dyn(source, getattr(val, "span", None))
        return Det(source)

    def placed(val: Val, offset: int, raw: str) -> list[Segment]:
        at = template_span(seg, offset, len(raw))
        segs = segments(val)
        return anchored(segs, at) if at is not None else segs

    def walk(body, names: dict) -> list[Segment]:
        out: list[Segment] = []
        for item in body:
            if isinstance(item, nodes.Output):
                for child in item.nodes:
                    if isinstance(child, nodes.TemplateData):
                        at = text.find(child.data, state["cursor"])
                        if at < 0:
                            out.append(Segment("static", child.data))
                        else:
                            out.append(sub_segment(seg, at, child.data))
                            state["cursor"] = at + len(child.data)
                    else:
                        offset = variable()
                        out += placed(value_of(child, names), offset, _raw_tag(text, offset, "}}"))
            elif isinstance(item, nodes.For):
                offset = tag("for")
                iterable = value_of(item.iter, names)
                raw = _raw_tag(text, offset, "%}")
                inner = dict(names)
                for target in item.target.find_all(nodes.Name):
                    inner[target.name] = Dyn(target.name) if not is_static(iterable) else Det(target.name)
                body_segs = walk(item.body, inner)
                walk(item.else_, names)
                if isinstance(iterable, Vol):
                    out += placed(iterable, offset, raw)
                elif not is_static(iterable):
                    dyn = Dyn(raw, getattr(iterable, "span", None))
                    out += placed(dyn, offset, raw)
                else:
                    volatile = [s for s in body_segs if s.kind != "static"]
                    out += volatile[:1] or [Segment("static", None, source="loop over constant data")]
            elif isinstance(item, nodes.If):
                tag("if")
                branches = [walk(item.body, names)]
                for elif_ in item.elif_:
                    branches.append(walk(elif_.body, names))
                branches.append(walk(item.else_, names))
                out += alt_segments(Alt([Text(b) for b in branches]))
            elif isinstance(item, nodes.Include):
                tag("include")
                out += _include(ev, tpl, item, names, opaque, depth, shown)
            elif isinstance(item, nodes.Assign) and isinstance(item.target, nodes.Name):
                tag("set")
                names[item.target.name] = value_of(item.node, names)
            elif isinstance(item, (nodes.Block, nodes.Scope, nodes.With)):
                out += walk(item.body, names)
            elif isinstance(item, (nodes.Macro, nodes.Import, nodes.FromImport)):
                continue
            elif isinstance(item, nodes.Extends):
                out.append(Segment("unknown", source=f"{{% extends %}} in {shown}"))
            else:
                out.append(Segment("unknown", source=f"{type(item).__name__} in {shown}"))
        return out

    return walk(doc.tree.body, dict(scope))


def _raw_tag(text: str, offset: int, close: str) -> str:
    end = text.find(close, offset)
    return text[offset:end + len(close)] if 0 <= end < offset + 200 else text[offset:offset + 2]


def _source_text(text: str, expr) -> str:
    from jinja2 import nodes

    name = next(iter(expr.find_all(nodes.Name)), None)
    return f"{{{{ {name.name} ... }}}}" if name is not None else "{{ ... }}"


def _include(ev, tpl: JinjaTemplate, item, names, opaque, depth, shown) -> list[Segment]:
    from jinja2 import nodes

    if depth >= MAX_INCLUDE_DEPTH or not isinstance(item.template, nodes.Const) \
            or not isinstance(item.template.value, str):
        return [Segment("unknown", source=f"{{% include %}} in {shown}")]
    name = item.template.value
    folders = tpl.folders or ((os.path.dirname(os.path.abspath(shown)),) if shown != "template" else ())
    for folder in folders:
        path = os.path.normpath(os.path.join(folder, name))
        if os.path.isfile(path):
            text = read_text(ev, path)
            if not isinstance(text, Text):
                break
            inner = JinjaTemplate(text, tpl.folders)
            return _render(ev, inner, names if item.with_context else {}, opaque, depth + 1)
    if not item.ignore_missing:
        problem(f"{shown}: {{% include \"{name}\" %}}: the template file does not exist")
    return [] if item.ignore_missing else [Segment("static", None, source=f"template {name}")]


def replace_marker(recv: Text, values: list[Val]) -> Val | None:
    """`text.replace(MARKER, value)` on text read from a template file: each occurrence of
    the literal marker is a placeholder, filled with `value` and placed at the marker."""
    if len(values) != 2 or not any(is_template_origin(s.origin) for s in recv.segs):
        return None
    marker = static_text(values[0])
    if not marker or is_static(values[1]) and static_text(values[1]) is not None:
        return None  # a literal replacement: plain string work (str_method)
    out: list[Segment] = []
    found = False
    for seg in recv.segs:
        if seg.kind != "static" or seg.text is None or marker not in seg.text:
            out.append(seg)
            continue
        start = 0
        while (at := seg.text.find(marker, start)) >= 0:
            found = True
            if at > start:
                out.append(sub_segment(seg, start, seg.text[start:at]))
            where = template_span(seg, at, len(marker))
            filled = segments(values[1])
            out += anchored(filled, where) if where is not None else filled
            start = at + len(marker)
        if start < len(seg.text):
            out.append(sub_segment(seg, start, seg.text[start:]))
    return Text(merge(out)) if found else None
