"""The byte pre-check: is a file worth parsing at all?

Most files in most repositories never import an SDK. Plain substring tests, then one
regular expression per line holding `import`, rule them out before any parser runs.
This module must stay cheap to import: no libcst, no rule modules.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import cache

from promptlint.checks import ENGINE_CODES, selected_codes
from promptlint.model import RESOLVE_ONLY, TEST_FILE
from promptlint.settings import Settings


@cache
def _import_line() -> re.Pattern[bytes]:
    """One line that imports an SDK: `import openai`, `from openai import X`, or a
    re-export such as `from app.llm import litellm`."""
    from promptlint.analysis.catalog import sdk_data

    packages = "|".join(sdk_data()["prefilter"]["packages"])  # regular expressions (langchain_\w+)
    return re.compile(rf"^[ \t]*(?:from|import)[ \t]+(?:{packages})\b|"
                      rf"\bimport[ \t]+(?:[^\n]*[ \t,(])?(?:{packages})\b".encode())


@cache
def _markers(extra: tuple[str, ...]) -> tuple[bytes, ...]:
    """Request-method chains (`chat.completions`) and configured markers, as plain bytes."""
    from promptlint.analysis.catalog import precheck_chains

    return tuple(m.encode() for m in (*precheck_chains(), *extra))


def may_hold_callsite(source: bytes, settings: Settings, read_words: bool = False, path: str | None = None,
                      hints: bool = True) -> bool:
    """Cheap byte check before parsing: most files in most repositories never import an SDK.
    `read_words`: read (and keep) the words of a file the SDK markers must decide (file_words),
    for the project index, which asks for them next. `path` (display path): where the file is,
    for a framework whose own repository this is (uses_framework). `hints`: also accept a file
    for the markers of the selected rules (check_hints: `max_iter=` for PL701, a vector store for
    PL402), which need it parsed without any LLM call in it; the project index asks without them."""
    extra = tuple(settings.extra_markers) + tuple(w.name.split(".")[-1] for w in settings.wrappers)
    # The SDK pre-check first: the project index has run it on every file already (memoised), so
    # only the files it rejects are looked at for a rule's marker or a wrapper's call.
    if _sdk_precheck(source, extra, read_words) or (path is not None and uses_framework(source, path)):
        return True
    if hints and any(anchor in source and any(marker in source for marker in markers)
                     for anchor, markers in _hint_markers(check_hints(rule_codes(settings))[0])):
        return True
    return bool(settings.project_wrappers) and (calls_wrapper(source, settings.project_wrappers)
                                                or builds_reexported(source, settings.project_wrappers))


@cache
def _hint_markers(markers: tuple[str, ...]) -> tuple[tuple[bytes, tuple[bytes, ...]], ...]:
    """The markers grouped under a substring they hold (`max_iter` for `"max_iter"`, `max_iter=` and
    `max_iterations=`): a file without it holds none of them. Fifty markers are a few dozen look-ups
    in the many files that hold none (crewAI, camel: ~0.05 s)."""
    encoded = [m.encode() for m in markers]
    # a marker's longest run of word characters (or the marker), then the shortest such run within that
    runs = {m: max(_WORD.findall(m), key=len, default=m) for m in encoded}
    groups: dict[bytes, list[bytes]] = {}
    for marker, run in runs.items():
        anchor = min((other for other in runs.values() if other in run), key=lambda o: (len(o), o))
        groups.setdefault(anchor, []).append(marker)
    return tuple((anchor, tuple(found)) for anchor, found in sorted(groups.items()))


# The SDK pre-check of bytes already checked in this process: a run checks every file twice, once
# to find the seeds of the project index (project_index.py) and once before analysing it. Keyed by
# a digest of the bytes, not the bytes, so that the memo holds no file.
_PRECHECKED: dict[tuple[bytes, tuple[str, ...]], bool] = {}
_PRECHECKED_MAX = 100_000


def _sdk_precheck(source: bytes, extra: tuple[str, ...], read_words: bool = False) -> bool:
    key = (hashlib.blake2b(source, digest_size=16).digest(), extra)
    found = _PRECHECKED.get(key)
    if found is None:
        found = _sdk_markers_or_import(source, extra, read_words)
        if len(_PRECHECKED) >= _PRECHECKED_MAX:
            _PRECHECKED.clear()
        _PRECHECKED[key] = found
    return found


def _sdk_markers_or_import(source: bytes, extra: tuple[str, ...], read_words: bool = False) -> bool:
    if not _names_a_package(source, extra):
        return False  # substring tests first: far cheaper than any regular expression
    # The import lines before the markers: a few lines to match, where the markers are a
    # hundred scans of the whole file. With the file's words (read for the project index, which
    # needs them next), a marker holding a whole word (`chat` in `.chat.complete(`) is looked
    # for only in a file holding that word.
    if _imports_sdk(source):
        return True
    if not read_words:
        return any(marker in source for marker in _markers(extra))
    words = file_words(source)
    return any(marker in source for marker, whole in _marker_words(extra) if all(w in words for w in whole))


# The package word found in the last file that named one: files of one project mostly name the
# same package (`crewai` in crewAI, past thirty other words), so it is tried first.
_last_package: dict[tuple[str, ...], bytes] = {}


def _names_a_package(source: bytes, extra: tuple[str, ...]) -> bool:
    last = _last_package.get(extra)
    if last is not None and last in source:
        return True
    for word in _words(extra):
        if word in source:
            _last_package[extra] = word
            return True
    return False


@cache
def _marker_words(extra: tuple[str, ...]) -> tuple[tuple[bytes, tuple[bytes, ...]], ...]:
    """Each marker with the words it holds whole, between two other characters within it: a
    file holding the marker holds those as words."""
    return tuple((marker, tuple(m.group() for m in _WORD.finditer(marker) if 0 < m.start() and m.end() < len(marker)))
                 for marker in _markers(extra))


def _imports_sdk(source: bytes) -> bool:
    # Only a line holding `import` can import an SDK; one regular expression over the
    # whole file would be tried at every position.
    line_pattern = _import_line()
    at = source.find(b"import")
    while at >= 0:
        start = source.rfind(b"\n", 0, at) + 1
        end = source.find(b"\n", at)
        end = len(source) if end < 0 else end
        if line_pattern.search(source[start:end]):
            return True
        at = source.find(b"import", end)
    return False


def uses_framework(source: bytes, path: str) -> bool:
    """A module that imports a submodule of an agent framework (`from crewai.crew import Crew`),
    from outside that framework's package, and calls one of its request methods by name
    (`.akickoff(`): the framework is a dependency there (the CLI or tools beside it in its own
    repository), not the project's code. The SDK pre-check counts only top-level imports of these
    frameworks (sdks.yaml), since inside their own package every module imports submodules."""
    named = [name for name, calls in _frameworks() if name in source and any(call in source for call in calls)]
    if not named:
        return False
    from promptlint.analysis.project import sees_package

    imported = set(_framework_import().findall(source))
    # sees_package looks at the disk through module_file, whose answers a run keeps per folder
    return any(name in imported and not sees_package(path, name.decode()) for name in named)


@cache
def _frameworks() -> tuple[tuple[bytes, tuple[bytes, ...]], ...]:
    """(framework, the `.<request>(` of its own request methods) of sdks.yaml `shadowed_by_project`."""
    from promptlint.analysis.catalog import sdk_data, shadowed_requests

    return tuple((name.encode(), tuple(f".{call}(".encode() for call in sorted(shadowed_requests(frozenset([name])))))
                 for name in sdk_data().get("shadowed_by_project", ()))


@cache
def _framework_import() -> re.Pattern[bytes]:
    names = b"|".join(re.escape(name) for name, _calls in _frameworks())
    return re.compile(rb"^[ \t]*(?:from|import)[ \t]+(" + names + rb")\.", re.M)


def without_wrappers(settings: Settings) -> Settings:
    """The settings as the SDK pre-check alone sees them (no inferred wrappers)."""
    from dataclasses import replace

    return replace(settings, project_wrappers=()) if settings.project_wrappers else settings


def calls_wrapper(source: bytes, table: tuple, words: frozenset[bytes] | None = None) -> bool:
    """A call of one of the project's own wrappers (project_index.py), written `name(`, in a
    file that names the wrapper's module (an import of it, or the module itself). The file's
    words (`words`, else file_words) answer for the module stems and the names: only a name
    present as a word costs a regular expression. A stem counts as a word only: `core` is not
    named by `crewai_core`."""
    for stem, word, names in _wrapper_names(table):
        if words is None:
            words = file_words(source)
        if has_word(source, words, stem, word):
            for name, pattern in names:
                if (name in words if is_word(name) else name in source) and pattern.search(source):
                    return True
    return False


# The words of files seen in this process (maximal runs of ASCII letters, digits and `_`), by a
# digest of their bytes (never the bytes): the project index asks, round after round, whether
# each file it has not read names a wrapper found so far, and the engine asks again with the
# whole table. Set look-ups instead of a scan of the bytes per name. Only the project index
# (and calls_wrapper, with its table) read them: a language server linting one buffer after
# another keeps none. Bounded by the size of the files (their words take about twice as much).
_WORDS: dict[bytes, frozenset[bytes]] = {}
_WORDS_BYTES = 24_000_000
_words_held = 0
_WORD = re.compile(rb"\w+")


def file_words(source: bytes) -> frozenset[bytes]:
    """The words of `source`: `\\bname\\b` matches in it exactly when `name` (all word
    characters) is one of them."""
    global _words_held
    key = hashlib.blake2b(source, digest_size=16).digest()
    found = _WORDS.get(key)
    if found is None:
        found = frozenset(_WORD.findall(source))
        if _words_held + len(source) > _WORDS_BYTES:
            _WORDS.clear()
            _words_held = 0
        _WORDS[key] = found
        _words_held += len(source)
    return found


def has_word(source: bytes, words: frozenset[bytes], name: bytes, pattern: re.Pattern[bytes]) -> bool:
    """Does `source` hold `name` as a word (`pattern`: `\\bname\\b`)? A name that is not
    all ASCII word characters (a non-ASCII identifier) is looked for with the pattern."""
    return name in words if is_word(name) else (name in source and pattern.search(source) is not None)


@cache
def is_word(name: bytes) -> bool:
    """Is `name` all ASCII word characters (what `\\b` counts as a word in bytes)?"""
    return _WORD.fullmatch(name) is not None


def wrapper_names_here(source: bytes, path: str, table: tuple, called: set[str], named: frozenset[str],
                       roots: frozenset[str] = frozenset()) -> frozenset[str]:
    """Which of the project's wrapper names `called` (the names a file calls, from its `ast`) may
    reach one of the project's wrappers: all those of a module that defines (or re-exports)
    wrappers, for its own calls; elsewhere, those of a module the file names: its imports spell
    it (`named`, outline.modules_named), or an attribute chain from a plainly imported package
    (`roots`) reaches it (`app.llm.chat(...)`). The resolver (wholeprogram.py) reaches another
    module's wrapper only through a name this file imports: the wrapper itself, its class, its
    module, or a package re-exporting it. Private names count too (`self._send()` of a base
    class imported from the wrapper's module)."""
    out: set[str] = set()
    roots = roots & _path_parts(table)  # `import os` cannot lead to a module of the project
    for where, stem, names in _wrapper_names_by_module(table):
        hit = names & called
        if hit and (path in where or stem in named or (roots and _chained(source, roots, stem))):
            out |= hit
    for package, cls, names in _resolve_only(table):
        if names & called and cls in named and package in named and _builds(source, cls):
            out |= names & called
    return frozenset(out)


def builds_reexported(source: bytes, table: tuple) -> bool:
    """Does the file name a package that re-exports a class, build (or declare) an instance of
    that class, and call a generic method of it (`from app.agents import Formatter`,
    `self.formatter = Formatter()` ... `self.formatter.execute(text)`)? The RESOLVE_ONLY rows let
    a file in only so: naming the class and calling any `.execute(...)` is not enough (a job
    runner's `job.execute()`; browser-use's examples build its main `Agent` and call `.run()`,
    while only the `Agent` its `beta` package re-exports has a generic wrapper method)."""
    rows = _resolve_only(table)
    if not rows or not _generic_call(table).search(source):
        return False  # one search for the few generic names first: most files call none of them
    for package, cls, names in rows:
        if (cls.encode() in source and package.encode() in source and _builds(source, cls)
                and _word_of(package.encode()).search(source)
                and any(_call_of(n.encode()).search(source) for n in names)):
            return True
    return False


@cache
def _generic_call(table: tuple) -> re.Pattern[bytes]:
    """A call of any generic method name of the RESOLVE_ONLY rows."""
    names = sorted({n for _p, _c, found in _resolve_only(table) for n in found})
    return re.compile(rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in names) + rb")\s*\(")


@cache
def _resolve_only(table: tuple) -> tuple[tuple[str, str, frozenset[str]], ...]:
    """(stem of the re-exporting package, class, its generic wrapper methods) of the RESOLVE_ONLY
    rows: a file reaches them only through an import naming that package."""
    by_class: dict[tuple[str, str], set[str]] = {}
    for row in table:
        if row[5:6] == (RESOLVE_ONLY,):
            by_class.setdefault((_module_stem(row[1]), row[2].rpartition(".")[0]), set()).add(row[0])
    return tuple((package, cls, frozenset(names)) for (package, cls), names in sorted(by_class.items()))


def _builds(source: bytes, cls: str) -> bool:
    """`Cls(` or an annotation `: Cls` / `-> Cls` (also inside `Optional[...]`, quoted) in the bytes."""
    return _built_or_declared(cls).search(source) is not None


@cache
def _built_or_declared(cls: str) -> re.Pattern[bytes]:
    name = re.escape(cls.encode())
    return re.compile(rb"(?<![\w.])" + name + rb"\s*\(|(?::|->)\s*[\w.\[\"']*\b" + name + rb"\b")


@cache
def _path_parts(table: tuple) -> frozenset[str]:
    """Every directory and module name on the paths of the modules holding wrappers."""
    return frozenset(part.removesuffix(".py") for row in _admitting(table) for path in (row[1], row[3])
                     for part in path.split("/"))


def _admitting(table: tuple) -> tuple:
    """The rows through which a file's bytes may let it in (not the resolver's RESOLVE_ONLY rows)."""
    return tuple(row for row in table if row[5:6] != (RESOLVE_ONLY,))


@cache
def _wrapper_names_by_module(table: tuple) -> tuple[tuple[frozenset[str], str, frozenset[str]], ...]:
    """(the paths the module's rows name, its stem, its wrapper names) per display path that
    defines or re-exports wrappers."""
    by_path: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for row in _admitting(table):
        stem = _row_stem(row)
        where, names = by_path.setdefault((row[1], stem), (set(), set()))
        where.update((row[1], row[3]))
        names.update(_row_names(row))
    return tuple((frozenset(where), stem, frozenset(names))
                 for (_path, stem), (where, names) in sorted(by_path.items()))


def _row_stem(row) -> str:
    """The word a file must spell to reach a wrapper row: its module's stem; for a package
    re-exporting a class whose methods are wrappers (`from .llm import LLM`), the class: a
    file reaches those methods only through the class, and many files name the package."""
    if row[1] != row[3] and "." in row[2]:
        return row[2].rpartition(".")[0]
    return _module_stem(row[1])


def _module_stem(path: str) -> str:
    """The name a module is imported by: `app/llm.py` -> llm, `app/llm/__init__.py` -> llm."""
    return os.path.basename(os.path.dirname(path) if path.endswith("__init__.py") else path[:-3])


def _row_names(row) -> set[str]:
    """The names a wrapper row is called by: the wrapper's, and the last part of its qualname."""
    return {row[0], row[2].split(".")[-1]}


def _chained(source: bytes, roots: frozenset[str], stem: str) -> bool:
    """Is `stem` an attribute in a chain from one of `roots` (`app.llm` after `import app`)?"""
    word = stem.encode()
    if b"." + word not in source and b". " + word not in source:
        return False
    return any(re.search(rb"\b" + re.escape(root.encode()) + rb"(?:\s*\.\s*\w+)*?\s*\.\s*" + re.escape(word) + rb"\b",
                         source) for root in sorted(roots))


@cache
def _wrapper_names(table: tuple) -> tuple[tuple[bytes, re.Pattern[bytes], tuple[tuple[bytes, re.Pattern[bytes]], ...]], ...]:
    """(stem of a module defining wrappers, the pattern of it as a word, ((name, the pattern of a
    call of it), ...)) per stem."""
    by_stem: dict[bytes, set[bytes]] = {}
    for row in _admitting(table):
        if row[0].startswith("_"):
            continue  # a private function or method is called from its own module, which is parsed anyway
        by_stem.setdefault(_row_stem(row).encode(), set()).update(n.encode() for n in _row_names(row))
    return tuple((stem, _word_of(stem), tuple((n, _call_of(n)) for n in sorted(names)))
                 for stem, names in sorted(by_stem.items()))


@cache
def _word_of(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"\b" + re.escape(name) + rb"\b")


@cache
def _call_of(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"\b" + re.escape(name) + rb"\s*\(")


@cache
def _words(extra: tuple[str, ...]) -> tuple[bytes, ...]:
    """Plain substrings at least one of which every file the pre-check accepts contains."""
    from promptlint.analysis.catalog import precheck_chains, sdk_data

    data = sdk_data()["prefilter"]
    words = [re.sub(r"\\.*|[^\w.]", "", p) or p for p in data["packages"]]
    return tuple(w.encode() for w in (*words, *precheck_chains(), *extra))


def rule_codes(settings: Settings) -> tuple[str, ...]:
    """The selected codes of rules (not of engine findings)."""
    return _rule_codes(tuple(settings.select), tuple(settings.ignore))


@cache
def _rule_codes(select: tuple[str, ...], ignore: tuple[str, ...]) -> tuple[str, ...]:
    """The selected codes of rules (not of engine findings): asked once per file."""
    return tuple(c for c in selected_codes(list(select), list(ignore)) if c not in ENGINE_CODES)


@cache
def check_hints(codes: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[str]]:
    """Byte markers and call names that selected checks need parsed even without an
    LLM call (retrieval calls for PL402, agent frameworks for PL701); see analysis/catalog.py."""
    from promptlint.analysis.catalog import HINTS

    markers: list[str] = []
    names: set[str] = set()
    for code in codes:
        if code in HINTS:
            more_markers, more_names = HINTS[code]()
            markers += more_markers
            names |= set(more_names)
    return tuple(sorted(set(markers))), frozenset(names)


@cache
def names_by_import(codes: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Call names that selected checks, and the SDK catalog (`post`, `run`), need only in
    modules importing certain libraries."""
    from promptlint.analysis.catalog import NAMES_BY_IMPORT, sdk_names_by_import

    found: dict[str, frozenset[str]] = dict(sdk_names_by_import())
    for code in codes:
        if code in NAMES_BY_IMPORT:
            for name, modules in NAMES_BY_IMPORT[code]().items():
                found[name] = found.get(name, frozenset()) | modules
    return found


MOCK_MARKERS = (b"unittest.mock", b"MagicMock", b"AsyncMock", b"mocker", b"monkeypatch", b"respx", b"vcr", b"Mock(")


def is_mocked_test(path: str, source: bytes) -> bool:
    """Test modules that mock: calls in them are not billed, so they are not parsed at all."""
    return bool(TEST_FILE.search(path)) and any(m in source for m in MOCK_MARKERS)
