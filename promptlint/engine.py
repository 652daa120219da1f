"""Lint one file or many: the pipeline. Read, pre-check (prefilter.py), look up the cache,
parse, analyse (analysis/), run the checks (checks/), apply suppressions, then the
project-wide phase. The time budget is in timer.py, the worker processes in pool.py."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from promptlint.checks import all_codes, codes_for_path, is_selected, load_check, outside_tests, selected_codes
from promptlint.errors import UsageError
from promptlint.model import TEST_FILE, CallSite, FileResult, Finding, NotChecked, Span
from promptlint.pool import Workers
from promptlint.outline import module_outline, outline_names
from promptlint.prefilter import is_mocked_test, may_hold_callsite, rule_codes, without_wrappers
from promptlint.settings import Settings


@dataclass(slots=True)
class RunResult:
    findings: list[Finding] = field(default_factory=list)  # sorted by Finding.sort_key
    files_checked: int = 0
    files_skipped: int = 0  # the byte pre-check ruled them out
    files_prefiltered: int = 0  # parsed with `ast` only: no candidate call
    callsites: list[CallSite] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lines: int = 0
    baselined: list[Finding] | None = None  # with --baseline: the findings it holds (SARIF: "unchanged")
    not_checked: list[NotChecked] = field(default_factory=list)  # files named or found but not checked


FILE_SECONDS = 60.0  # one pathological file must not stall the run: it is reported, not dropped


def lint_source(path: str, source: bytes, settings: Settings, prechecked: bool = False) -> FileResult:
    """Analyse one file's bytes. `path` is the display path (relative, POSIX)."""
    from promptlint.timer import within

    def over_time() -> FileResult:
        result = FileResult(path, lines=source.count(b"\n") + 1, timed_out=True,
                            not_checked="over the time budget", needs_check=True)
        result.warnings.append(f"{path}: skipped: analysis took over {FILE_SECONDS:g} s, the per-file time budget")
        return result

    return within(FILE_SECONDS, over_time, _lint_source, path, source, settings, prechecked)


def _lint_source(path: str, source: bytes, settings: Settings, prechecked: bool) -> FileResult:
    if path.endswith(".ipynb"):  # its code cells joined into one module; spans stay in it (notebook.py)
        return _lint_notebook(path, source, settings)
    return _lint_python(path, source, settings, prechecked)


def _lint_python(path: str, source: bytes, settings: Settings, prechecked: bool, whole: bool = False) -> FileResult:
    settings = _for_module(settings, path)
    result = FileResult(path, lines=source.count(b"\n") + 1)
    codes = codes_for_path(rule_codes(settings), path)  # test modules: checks/__init__.py REPORTED_IN_TESTS
    if not prechecked and not may_hold_callsite(source, settings, path=path):
        result.skipped = True
        return result
    # A large file is split by its text first, and only what an LLM call can depend on is
    # parsed (analysis/textslice.py); `whole`, or a file it cannot split: parsed whole.
    reduced = None if whole else _large_file_slice(source, settings)
    tree, syntax_error = (reduced[1], None) if reduced is not None else _ast_parse(source)
    if tree is None and settings.project_wrappers and not may_hold_callsite(source, without_wrappers(settings),
                                                                            path=path):
        result.skipped = True  # let in only for a wrapper's name: a file that does not parse calls none
        return result
    if tree is not None and is_mocked_test(path, source):
        result.prefiltered = True  # a test that mocks the SDK: its calls are never billed
        return result
    plan = module_outline(tree, settings, source, path) if tree is not None else None
    if plan is not None and not plan.candidates:
        result.prefiltered = True  # parsed with `ast` only: no call could reach an LLM
        return result
    if tree is None and syntax_error is None:  # not a syntax error: CPython ran out of stack building it
        result.warnings.append(f"{path}: skipped: expressions nest too deeply for Python's own parser "
                               "(it cannot compile this file either)")
        result.not_checked, result.needs_check = "nests too deeply", True
        return result
    if tree is None and bracket_depth(source) > MAX_BRACKET_DEPTH:
        # CPython refused it, and libcst's native parser can overflow its stack on it.
        line, col, message = syntax_error or (1, 1, "the file nests too deeply for the parser")
        _parse_error(result, settings, f"cannot parse: {message}", line, col)
        return result
    import libcst as cst

    module = lines = index = None
    if plan is not None:  # libcst sees only what an LLM call can depend on (slicing.py)
        from promptlint.analysis.slicing import relevant_source

        sliced, pruned = relevant_source(reduced[0] if reduced is not None else source, plan)
        if plan.kept_operators > MAX_OPERATORS:  # native code: the time budget could not stop it
            result.warnings.append(f"{path}: skipped: {plan.kept_operators:,} binary operators in one definition; "
                                   f"libcst's parser takes minutes on such chains")
            result.not_checked, result.needs_check = "too many operators", True
            return result
        if sliced is not source:
            if reduced is not None:  # not its long runs of blank lines either (positions map them back)
                from promptlint.analysis.textslice import collapse

                sliced, lines = collapse(sliced, pruned)
            try:
                module, index = _parse(path, sliced, pruned, settings, lines)
                tree = pruned
            except Exception:  # noqa: BLE001 - never trust the slice over the file: parse it whole
                if reduced is not None:
                    return _lint_python(path, source, settings, prechecked, whole=True)
    parsed_whole = module is None  # the tree of the whole file, which the fixers can use as is
    try:
        if module is None:
            module, index = _parse(path, source, tree, settings, None)
    except cst.ParserSyntaxError as exc:
        line, col, message = syntax_error or (exc.raw_line, exc.raw_column + 1,
                                              exc.message.removeprefix("parser error: "))
        _parse_error(result, settings, f"cannot parse: {message}", line, col)
        return result
    except (RecursionError, MemoryError):
        line, col, message = syntax_error or (1, 1, "the file nests too deeply for the parser")
        _parse_error(result, settings, f"cannot parse: {message}", line, col)
        return result
    except Exception as exc:  # noqa: BLE001 - libcst raises odd errors on odd bytes
        line, col, message = syntax_error or (1, 1, f"{type(exc).__name__}: {exc}".splitlines()[0])
        _parse_error(result, settings, f"cannot parse: {message}", line, col)
        return result
    text = source.decode(module.encoding, errors="replace").removeprefix("\ufeff")
    from promptlint.analysis import loading

    loading.take_problems()
    try:
        ctx = analyse(path, module, text, settings, tree, lines, index)
    except RecursionError:
        result.warnings.append(f"{path}: skipped: expressions nest too deeply to analyse")
        result.not_checked, result.needs_check = "nests too deeply", True
        return result
    result.callsites = ctx.callsites
    if ctx.exhausted:
        result.warnings.append(f"{path}: analysis budget exhausted; some prompts are reported as unknown")
    for code in codes:
        check = load_check(code)(settings)
        try:
            result.findings += list(check.run(ctx))
        except UsageError:
            raise  # a bad rules/ data file (CatalogError): exit 2 naming it, not a rule's internal error
        except Exception as exc:  # noqa: BLE001 - one rule failing must not stop the run
            result.errors.append(f"{path}: internal error in {code}: {type(exc).__name__}: {exc}")
    whole_tree = module if parsed_whole and reduced is None and not source.startswith(b"\xef\xbb\xbf") else None
    _attach_fixes(path, text, result, ctx, settings, reduced, module.encoding, whole_tree)
    # Task tags feed the waste totals by task (only files with an estimate need them) and
    # `inventory` (which asks for all; "_task-tags" is part of the settings hash, so of the cache key).
    if settings.project_wrappers:  # calls of the project's own wrappers (wholeprogram.py)
        from promptlint.wholeprogram import check_wrapper_sites

        try:
            check_wrapper_sites(ctx, [c for c in codes], result)
        except RecursionError:
            result.warnings.append(f"{path}: wrapper calls nest too deeply to analyse")
    if settings.rule_options.get("_task-tags") == "all" or any(
            f.waste_kind is not None or f.waste_tokens_per_call is not None for f in result.findings):
        attach_task_tags(ctx, settings)
    attach_usage(ctx, settings)
    result.warnings += [f"{path}: prompt template {w}" for w in loading.take_problems()]
    _suppress(result, text)
    return result


def _for_module(settings: Settings, path: str) -> Settings:
    """The settings a module is analysed with: a test module has no wrapper sites (it calls the
    project's wrappers to test them, its findings are only those of REPORTED_IN_TESTS, and the
    project index reads no test module either); its direct SDK calls are sites as before. In agno's
    repository its 374 test modules took a fifth of the run for wrapper sites no rule reports."""
    if settings.project_wrappers and TEST_FILE.search(path):
        return without_wrappers(settings)
    return settings


def _lint_notebook(path: str, data: bytes, settings: Settings) -> FileResult:
    """A notebook's joined code cells, analysed as one Python file (notebook.py): PL000 for
    a file that is not a notebook or a cell that does not parse, and `cell 2, line 3` where
    messages name a line of this notebook."""
    from promptlint.notebook import NOT_A_NOTEBOOK, NotebookError, parse

    try:
        notebook = parse(data)
    except NotebookError as exc:
        result = FileResult(path, lines=data.count(b"\n") + 1)
        _parse_error(result, settings, f"{NOT_A_NOTEBOOK}{exc}", exc.line, exc.column)
        return result
    source = notebook.source.encode("utf-8") if notebook.python else b""
    if len(source) > settings.max_file_bytes:
        return FileResult(path, lines=source.count(b"\n"), warnings=[
            f"{path}: skipped: its code cells are {len(source):,} bytes, over max-file-bytes "
            f"({settings.max_file_bytes:,})"], not_checked="over the size limit", needs_check=True)
    result = _lint_python(path, source, settings, False)
    for line, column, message in notebook.problems:
        _parse_error(result, settings, message, line, column)
    for finding in result.findings:
        finding.message = notebook.relabel(finding.message, path)
        if finding.assumptions:
            finding.assumptions = [notebook.relabel(a, path) for a in finding.assumptions]
    return result


def _attach_fixes(path: str, text: str, result: FileResult, ctx, settings: Settings,
                  reduced=None, encoding: str = "utf-8", whole_tree=None) -> None:
    """Findings that a fixer can fix get their `fix` (promptlint/fix/), made here, where the
    text and the call sites are at hand, so fixes reach the cache and every output format.
    Fixers use `whole_tree` (the analysis's own tree, when it is of the whole file) or parse
    the file again; of a large file (`reduced`, see _large_file_slice) only the statements
    kept, long runs of blank lines made one, with where each line of the file is."""
    from promptlint.fix import FIXERS

    if any(f.code in FIXERS for f in result.findings):
        from promptlint.fix import Env, attach

        starts = None
        if reduced is not None:
            from promptlint.analysis.textslice import collapse, line_starts

            kept, lines = collapse(*reduced)
            text = kept.decode(encoding, errors="replace").removeprefix("\ufeff")
            starts = line_starts(text, lines)
        result.warnings += attach(path, text, result.findings, Env(settings, ctx.callsites, ctx.constructors), starts,
                                  whole_tree)  # None for a reduced file (its text is not the whole file)


def _parse(path: str, data: bytes, tree, settings: Settings, lines):
    """(libcst's tree of `data`, its index or None). A module of the project's wrappers is parsed
    and walked once per process: other files' wrapper sites read it too (wholeprogram.parsed)."""
    from promptlint.trees import cst_module

    if settings.project_wrappers and lines is None and tree is not None:
        from promptlint.wholeprogram import holds_wrappers, parsed

        if holds_wrappers(settings, path):
            return parsed(data, tree)
    return cst_module(data), None


def analyse(path: str, module, text: str, settings: Settings, tree=None, lines=None, index=None):
    """`lines`: the file's line for each line of the module's text, when they differ (collapsed
    runs of blank lines, analysis/textslice.py); `index`: the module's index, when already built."""
    from promptlint.analysis.callsites import CallSiteFinder
    from promptlint.analysis.context import FileContext
    from promptlint.analysis.evaluator import Evaluator
    from promptlint.analysis.index import ModuleIndex
    from promptlint.analysis.positions import LazyPositions
    from promptlint.analysis.project import (
        class_member, class_method, factory_class, imported_constant, reader_helper,
    )
    from promptlint.analysis.walk import visit
    from promptlint.project_index import called_wrappers

    if index is None:
        index = ModuleIndex(LazyPositions(module, tree, lines))
        visit(module, index)
    evaluator = Evaluator(index, module, importer=path, read_import=imported_constant, read_helper=reader_helper,
                          read_member=class_member, read_method=class_method, read_factory=factory_class)
    evaluator.callers_decide = called_wrappers(settings.project_wrappers, path)
    finder = CallSiteFinder(evaluator, index, path, settings)
    sites, ctors = finder.run()
    ctx = FileContext(path, text, settings, sites, ctors, index=index, evaluator=evaluator, infos=finder.infos)
    ctx.exhausted = evaluator.exhausted
    return ctx


def attach_task_tags(ctx, settings: Settings) -> None:
    """Record each call's literal task tag on its CallSite (`inventory`, waste totals by task).

    The tag finder is the one PL201 uses. Attribution is extra information: if
    it fails on odd code, the call simply stays untagged and linting goes on."""
    if not ctx.callsites:
        return
    try:
        from promptlint.analysis.attribution import site_tags

        for site, tag in site_tags(ctx, settings):
            if tag.state == "tagged" and tag.task:
                site.task = tag.task
    except Exception:  # noqa: BLE001
        return


def attach_usage(ctx, settings: Settings) -> None:
    """Record where each call's usage goes on its CallSite (`inventory`'s usage column).
    PL203 has computed it already when it ran; like the task tags, it is extra
    information: odd code leaves it unknown and linting goes on."""
    if not ctx.callsites:
        return
    try:
        from promptlint.analysis.usage import site_usage

        site_usage(ctx, settings)
    except Exception:  # noqa: BLE001
        return


def with_project_markers(files: list[str], settings: Settings) -> Settings:
    """The settings with the project's usage instrumentation (`logfire.instrument_openai()`,
    a gateway URL ...) found in any file of the run, so PL203 and the inventory see it in
    every file; it is part of the settings hash, so of the cache key. Test files do not count."""
    from dataclasses import replace

    from promptlint.analysis.instrumentation import scan_markers

    memo = None
    if settings.cache_dir:  # a warm run hashes each file instead of scanning it again
        from promptlint.state.code_digest import code_and_data_digest
        from promptlint.state.memo import ContentMemo

        memo = ContentMemo(settings.cache_dir, "markers", code_and_data_digest())
    found = set()
    for path in files:
        if TEST_FILE.search(display_path(path)) or path.endswith(".ipynb"):
            continue
        source, _problem = _read(path, settings)
        if not source:
            continue
        if memo is None:
            found.update(scan_markers(source))
        else:
            for style, providers, shapes in memo.get(source, scan_markers, _markers_shape):
                found.add((style, tuple(providers), tuple(shapes)))
    if memo is not None:
        memo.save()
    if not found:
        return settings
    markers = [[style, list(providers), list(shapes)] for style, providers, shapes in sorted(found)]
    return replace(settings, rule_options={**settings.rule_options, "_instrumentation": markers})


def _markers_shape(value) -> bool:
    """A recorded scan_markers result: [[style, [provider, ...], [shape, ...]], ...]."""
    return isinstance(value, list) and all(
        isinstance(m, list) and len(m) == 3 and isinstance(m[0], str)
        and all(isinstance(part, list) and all(isinstance(x, str) for x in part) for part in m[1:])
        for m in value)


def _ast_parse(source: bytes):
    """Parse with `ast` first: ten times faster than libcst, and CPython's own
    position and wording for syntax errors. Returns (tree, error)."""
    import ast
    import warnings

    from promptlint import trees

    kept = trees.take(source)  # the project index parsed it already (trees.py)
    if kept is not None:
        return kept, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source), None
    except SyntaxError as err:
        column = err.offset or 1
        if err.text and column > 1:  # CPython counts the bytes of the line in UTF-8; columns count characters
            column = len(err.text.encode("utf-8", "surrogatepass")[:column - 1].decode("utf-8", "ignore")) + 1
        return None, (err.lineno or 1, column, err.msg)
    except ValueError as err:  # NUL bytes
        return None, (1, 1, str(err))
    except (RecursionError, MemoryError):
        return None, None


MAX_OPERATORS = 2000  # in one definition: libcst parses a chain of n operators in time ~n^2 (1,000: 1.7 s)
MAX_BRACKET_DEPTH = 150  # CPython's own parser stops at 200 nested brackets


def bracket_depth(source: bytes) -> int:
    """Deepest bracket nesting, ignoring strings and comments only roughly (a guard, not a parser)."""
    depth = deepest = 0
    for byte in source.translate(None, b"'\"#"):
        if byte in b"([{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b")]}":
            depth = max(depth - 1, 0)
    return deepest


def _large_file_slice(source: bytes, settings: Settings):
    """(the source with only what an LLM call can depend on, its `ast` tree) for a file
    over LARGE_FILE_BYTES, or None: a smaller file, or one the text split cannot take."""
    from promptlint.analysis.textslice import LARGE_FILE_BYTES, relevant_text

    if len(source) <= LARGE_FILE_BYTES:
        return None
    return relevant_text(source, *outline_names(settings))


def _parse_error(result: FileResult, settings: Settings, message: str, line: int, col: int) -> None:
    if not is_selected("PL000", settings.select, settings.ignore):
        return
    from promptlint.ruledocs import rule_meta

    meta = rule_meta("PL000")  # name and severity declared in rules/PL000.yaml
    result.findings.append(Finding("PL000", meta.name, message, meta.severity, result.path,
                                   Span(max(line, 1), max(col, 1), max(line, 1), max(col, 1) + 1)))


def _suppress(result: FileResult, text: str) -> None:
    from promptlint.state import suppress

    directives = suppress.directives(text, known_codes=all_codes())
    result.warnings += [f"{result.path}: {w}" for w in directives.warnings]
    for f in result.findings:
        if f.path != result.path:  # inside a prompt template: its own comment syntax
            from promptlint.state.template_comments import suppresses_in_template

            f.suppressed = suppresses_in_template(f)
        else:
            f.suppressed = directives.suppresses(f)


def _read(path: str, settings: Settings) -> tuple[bytes | None, FileResult | None]:
    """The file's bytes, or (None, a FileResult that says why it was not checked).

    Only regular files are opened (a FIFO named on the command line would block). A file
    over max-file-bytes is still scanned for SDK markers, so one that may hold an LLM call
    is reported as unchecked instead of passing silently."""
    import stat

    shown = display_path(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return None, FileResult(shown, warnings=[f"{shown}: skipped: not a regular file"],
                                    not_checked="not a regular file")
        limit = settings.max_file_bytes * (50 if path.endswith(".ipynb") else 1)  # notebooks: see notebook.py
        if info.st_size > limit:
            needs = _marked(path, settings)
            warning = f"{shown}: skipped: {info.st_size:,} bytes is over max-file-bytes ({limit:,})"
            if needs:
                warning += "; it may hold LLM calls (raise max-file-bytes to check it)"
            return None, FileResult(shown, warnings=[warning], not_checked="over the size limit", needs_check=needs)
        if info.st_size == 0 and path.endswith(".ipynb"):
            return None, FileResult(shown, warnings=[f"{shown}: skipped: an empty file, not a notebook"],
                                    not_checked="empty notebook")
        with open(path, "rb") as fh:
            return fh.read(), None
    except OSError as exc:
        return None, FileResult(shown, warnings=[f"{shown}: cannot read: {exc.strerror or exc}"],
                                not_checked="unreadable", needs_check=True)


def _marked(path: str, settings: Settings) -> bool:
    """Does a file too large to analyse reference an LLM SDK? Read in blocks, so memory stays flat."""
    block, tail = 1 << 22, b""
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            if may_hold_callsite(tail + chunk, settings):
                return True
            tail = chunk[-4096:]  # a marker split across two blocks
    return False


def display_path(path: str) -> str:
    rel = os.path.relpath(path) if os.path.isabs(path) else os.path.normpath(path)
    return rel.replace(os.sep, "/")


def lint_one(path: str, settings: Settings) -> FileResult:
    """Read, pre-check, look up the cache, analyse and store one file."""
    return lint_many([path], settings)[0]


def _compute(shown: str, source: bytes, settings: Settings) -> tuple[FileResult, list[str]]:
    """Analyse one file; also returns the sibling modules it read (worker entry point)."""
    from promptlint.analysis import loading, project

    project.DEPENDENCIES.clear()
    loading.take_files_read()
    result = lint_source(shown, source, settings, prechecked=True)
    # Sibling modules and template files read: the cached result is stale once one changes.
    return result, sorted(project.dependencies() | loading.take_files_read())


def _warm(settings: Settings) -> None:
    """Load what analysing files needs: libcst, the analysis, the selected rules, and the
    tokenizer (PL405 counts the tokens of every prompt: a project large enough for a pool of
    workers has some, and each process loaded it again, 0.1 s apiece). See pool.py."""
    import libcst  # noqa: F401

    from promptlint.analysis import callsites, evaluator  # noqa: F401
    from promptlint.cost.estimate import encoding

    for code in rule_codes(settings):
        load_check(code)
    if settings.project_wrappers:
        from promptlint import wholeprogram  # noqa: F401
    encoding()


def lint_many(files: list[str], settings: Settings, progress=None) -> list[FileResult]:
    """Reading, the byte pre-check and cache look-ups happen here; only files that
    need parsing go to worker processes, and only once there is enough of them.
    `progress(done, total)`, if given, is called here as files finish (the CLI's progress bar)."""
    cache = _cache(settings)
    results: list[FileResult | None] = []
    pending: list[tuple[int, str, bytes, str | None]] = []
    workers = Workers(settings, _compute, _warm)
    for path in files:
        shown = display_path(path)
        source, unread = _read(path, settings)
        if source is None:
            results.append(unread)
            continue
        key = hit = None
        if cache is not None:  # known bytes need no pre-check: skipped before, or analysed before
            key = cache.key(shown, source)
            if cache.known_skipped(key):
                results.append(FileResult(shown, skipped=True, lines=source.count(b"\n") + 1))
                continue
            hit = cache.load(key)
        if hit is None and not shown.endswith(".ipynb") and not may_hold_callsite(source, _for_module(settings, shown),
                                                                                  path=shown):
            results.append(FileResult(shown, skipped=True, lines=source.count(b"\n") + 1))
            if cache is not None:
                cache.note_skipped(key)
            continue
        results.append(hit)
        if hit is None:
            pending.append((len(results) - 1, shown, source, key))
            workers.offer(shown, source)
    tick = _ticker(progress, len(files), len(files) - len(pending))
    computed = [tick(r) for r in workers.results(pending)]
    from promptlint.state.cache import file_hash

    for (index, _shown, _source, key), (result, deps) in zip(pending, computed):
        results[index] = result
        if cache is not None:
            cache.store(key, result, {dep: file_hash(dep) for dep in deps})
    if cache is not None:
        cache.save_skipped()
    return results


def _ticker(progress, total: int, done: int):
    """Pass each result through, telling `progress(done, total)` that one more file is finished."""
    if progress is None:
        return lambda item: item
    progress(done, total)
    count = iter(range(done + 1, total + 1))

    def tick(item):
        progress(next(count), total)
        return item

    return tick


def _cache(settings: Settings):
    if not settings.cache_dir:
        return None
    from promptlint import __version__
    from promptlint.state.cache import Cache
    from promptlint.state.code_digest import code_and_data_digest

    codes = ",".join(selected_codes(settings.select, settings.ignore))
    # The digest of the package's code and rules/ data: an edited rule or catalog is a new key.
    return Cache(settings.cache_dir, f"{__version__}|{code_and_data_digest()}|{settings.analysis_hash()}|{codes}")


def lint_paths(files: list[str], settings: Settings, progress=None, project_files: list[str] | None = None) -> RunResult:
    """Analyse files (already discovered); results sorted and deterministic. `project_files`:
    every Python file of the project (the CLI discovers them under the project root), indexed
    for the project's own wrappers even when only `files` are checked; default `files`."""
    run = RunResult()
    project = project_files if project_files is not None else files
    from promptlint import trees
    from promptlint.analysis.project import remember_modules

    if _workers_inherit(settings):
        trees.keep()  # the index's trees, for lint_many to take
    remember_modules(True)  # where each import leads, found once (forked workers inherit the switch)
    try:
        settings = with_project_index(project, settings)
        settings = with_project_markers(project, settings)  # usage instrumentation anywhere in the project
        results = lint_many(files, settings, progress)
    finally:
        trees.release()
        remember_modules(False)
    for result in results:
        run.findings += result.findings
        run.callsites += result.callsites
        run.warnings += result.warnings
        run.errors += result.errors
        run.lines += result.lines
        if result.not_checked:
            run.not_checked.append(NotChecked(result.path, result.not_checked, result.needs_check))
        elif result.skipped:
            run.files_skipped += 1
        else:
            run.files_checked += 1
            run.files_prefiltered += result.prefiltered
    run.findings += _project_phase(run.callsites, settings)
    run.findings.sort(key=Finding.sort_key)
    run.callsites.sort(key=lambda c: (c.path, c.span.line, c.span.column))
    return run


def _workers_inherit(settings: Settings) -> bool:
    """Do the files get linted in this process or in forked copies of it (pool.py)?"""
    if (settings.jobs or os.cpu_count() or 1) == 1:
        return True
    from promptlint.pool import forks

    return forks()


def with_project_index(files: list[str], settings: Settings) -> Settings:
    """The settings with the project's inferred wrappers (project_index.py) found in `files`."""
    if not settings.whole_program or settings.project_wrappers:
        return settings
    from dataclasses import replace

    from promptlint.project_index import build

    table = tuple(build(sorted({display_path(f) for f in files if f.endswith(".py")}), settings))
    return replace(settings, project_wrappers=table) if table else settings


def _project_phase(callsites: list[CallSite], settings: Settings) -> list[Finding]:
    """project_findings, from the cache while its inputs are unchanged: the call sites and
    the bytes of every file they name (the rules read those for positions and noqa)."""
    cache = _cache(settings) if callsites else None
    if cache is None:
        return project_findings(callsites, settings)
    key = cache.project_key(callsites)
    found = cache.load_project(key)
    if found is None:
        found = project_findings(callsites, settings)
        cache.store_project(key, found)
    return found


def project_findings(callsites: list[CallSite], settings: Settings) -> list[Finding]:
    """The second, project-wide phase (duplicated prompts across files)."""
    if not callsites:
        return []  # nothing to compare, and no reason to import the rule modules
    from promptlint.checks import PROJECT_PHASE

    out = []
    callsites = outside_tests(callsites)
    for code in selected_codes(settings.select, settings.ignore):
        if code in PROJECT_PHASE:
            out += list(load_check(code)(settings).run_project(callsites))
    from promptlint.fix import FIXERS

    if any(f.code in FIXERS for f in out):
        from promptlint.fix import Env, attach_project

        attach_project(out, Env(settings, callsites))
    if any(site.path.endswith(".ipynb") for site in callsites):  # `nb.ipynb:263` -> `nb.ipynb:cell 14:58`
        from promptlint.notebook import relabel_findings

        relabel_findings(out)
    return out
