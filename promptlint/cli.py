"""Command line: a thin typer front end (conventions §6).

    promptlint check [PATHS]...        lint (default path ".")
    promptlint inventory [PATHS]...    list LLM call sites with size and cost by task
    promptlint rules                   list rules
    promptlint rule CODE               show one rule's document
    promptlint init                    write a starter [tool.promptlint] into ./pyproject.toml
    promptlint server                  language server for editors (LSP over stdio; the `server` extra)

Exit codes: 0 no unsuppressed findings, 1 findings, 2 usage / config /
internal error (one line on stderr; a traceback only with --debug).
`--exit-zero` turns 1 into 0 and never hides 2.

Start-up time matters (`promptlint --version` is budgeted), so this module
imports only typer and the stdlib; config, discovery, the engine and each
renderer are imported inside the command that needs them.
"""

from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from promptlint import __version__, tune_gc

app = typer.Typer(
    name="promptlint",
    help="Find what silently inflates the LLM bill in Python code.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,  # never print locals: they can hold prompts and keys
    rich_markup_mode=None,  # plain help; keeps rich out of start-up
)

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _error(message: str) -> None:
    """The one line a user sees for exit code 2."""
    sys.stderr.write(f"promptlint: error: {' '.join(str(message).split())}\n")


class _Guard:
    """Turn any exception inside a command into one stderr line and exit 2."""

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, (typer.Exit, typer.Abort, typer.TyperException)):
            return False
        from promptlint.errors import UsageError

        if isinstance(exc, BrokenPipeError):  # `promptlint check | head`: the reader left; stop quietly
            _silence_stdout()
            raise typer.Exit(EXIT_FINDINGS)
        if self.debug:
            import traceback

            traceback.print_exception(kind, exc, tb, file=sys.stderr)
        if isinstance(exc, UsageError):
            _error(str(exc))
        elif isinstance(exc, KeyboardInterrupt):
            _error("interrupted")
        else:
            hint = "" if self.debug else " (run with --debug for a traceback)"
            _error(f"internal error: {type(exc).__name__}: {exc}{hint}")
        raise typer.Exit(EXIT_ERROR)


def _silence_stdout() -> None:
    # Point stdout at /dev/null so the interpreter's final flush does not fail again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _version(value: bool) -> None:
    if value:
        # The distribution's name too: `promptlint-cli` and `llm-promptlint` also install a `promptlint`.
        typer.echo(f"promptlint {__version__} (promptlint-cost)")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Find what silently inflates the LLM bill in Python code."""


# ---------------------------------------------------------------- check


def _selected(code: str, settings) -> bool:
    from promptlint.checks import is_selected

    return is_selected(code, settings.select, settings.ignore)


def _finalize(result, settings):
    """Apply selection and per-file-ignores (idempotent if the engine did too); sort."""
    from promptlint.state.suppress import per_file_ignored

    result.findings = sorted(
        (f for f in result.findings
         if _selected(f.code, settings) and not per_file_ignored(f, settings.per_file_ignores, settings.root)),
        key=lambda f: f.sort_key(),
    )
    return result


def _lint_stdin(display: str, settings, sources: dict):
    from promptlint import engine

    data = sys.stdin.buffer.read()
    sources[display] = data.decode("utf-8", errors="replace")
    file_result = engine.lint_source(display, data, settings)
    return engine.RunResult(
        findings=list(file_result.findings),
        files_checked=0 if file_result.skipped else 1,
        files_skipped=1 if file_result.skipped else 0,
        callsites=list(file_result.callsites),
        warnings=list(file_result.warnings),
    )


def _write_statistics(findings, path: str | None) -> None:
    """A count per code, most frequent first, then by code."""
    counts: dict[str, list] = {}
    for f in findings:
        if not f.suppressed:
            counts.setdefault(f.code, [0, f.name])[0] += 1
    rows = sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))
    text = "".join(f"{count:>5}  {code}  {name}\n" for code, (count, name) in rows)
    if path is None:
        sys.stdout.write(text)
    else:
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)


def _settings_json(settings) -> str:
    import dataclasses
    import json

    return json.dumps(dataclasses.asdict(settings), indent=2, sort_keys=True, ensure_ascii=False)


def _resolve_tokenizer(settings) -> None:
    """An encoding that is not bundled falls back to the default once, here, not in every worker."""
    from promptlint.cost.estimate import DEFAULT_ENCODING, resolve_tokenizer

    if settings.tokenizer != DEFAULT_ENCODING:
        settings.tokenizer = resolve_tokenizer(settings.tokenizer)


def _open_facts(settings) -> None:
    """Token counts and prices from earlier runs (facts.py): with the cache on, a warm run
    loads neither tiktoken nor genai-prices."""
    from promptlint.cost import facts

    if settings.cache_dir:
        facts.open_facts(settings.cache_dir)
    else:
        facts.close()


def _save_facts() -> None:
    from promptlint.cost import facts

    facts.save()


def _price(result, settings) -> dict | None:
    """Dollar figures and run totals; prices and encodings load only when a finding has an estimate."""
    if not any(f.waste_kind or f.waste_tokens_per_call is not None for f in result.findings):
        return None
    from promptlint.cost.prices import price_findings, waste_summary

    book = price_findings(result.findings, settings, result.callsites)
    return waste_summary(result.findings, settings, result.callsites, book)


def _write(fmt: str, result, settings, path: str | None, options) -> None:
    from promptlint.report import render

    if path is None:
        render(fmt, result, settings, sys.stdout, options)
        sys.stdout.flush()
        return
    try:
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            render(fmt, result, settings, fh, options)
    except OSError as exc:
        from promptlint.errors import UsageError

        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


@app.command()
def check(
    paths: Optional[List[str]] = typer.Argument(None, metavar="[PATHS]...", help="Files or directories (default: .); '-' reads stdin."),
    output_format: Optional[str] = typer.Option(
        None, "--output-format", metavar="FORMAT", help="concise | full | json | json-lines | github | sarif | gitlab | junit"),
    output_file: Optional[str] = typer.Option(None, "--output-file", metavar="FILE", help="Write the output to FILE."),
    sarif_file: Optional[str] = typer.Option(None, "--sarif-file", metavar="FILE", help="Also write SARIF to FILE."),
    select: Optional[List[str]] = typer.Option(None, "--select", metavar="CODES", help="Rule codes or prefixes (comma list)."),
    extend_select: Optional[List[str]] = typer.Option(None, "--extend-select", metavar="CODES", help="Add to the selection."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", metavar="CODES", help="Rule codes or prefixes to ignore."),
    exclude: Optional[List[str]] = typer.Option(None, "--exclude", metavar="GLOBS", help="Extra exclude globs (comma list)."),
    config_file: Optional[str] = typer.Option(None, "--config", metavar="FILE", help="Use this config file."),
    isolated: bool = typer.Option(False, "--isolated", help="Ignore all configuration files."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when there are findings."),
    statistics: bool = typer.Option(False, "--statistics", help="Print a count per rule instead of findings."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print findings only."),
    color: str = typer.Option("auto", "--color", metavar="WHEN",
                              help="auto | always | never. auto: colour on a terminal, off with NO_COLOR, "
                                   "on with FORCE_COLOR."),
    show_settings: bool = typer.Option(False, "--show-settings", help="Print the resolved settings and exit."),
    show_files: bool = typer.Option(False, "--show-files", help="Print the files that would be checked and exit."),
    no_force_exclude: bool = typer.Option(False, "--no-force-exclude",
                                          help="Lint explicitly passed files even if excluded."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the cache."),
    cache_dir: Optional[str] = typer.Option(None, "--cache-dir", metavar="DIR", help="Cache directory."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", metavar="N", help="Worker processes."),
    show_suppressed: bool = typer.Option(False, "--show-suppressed", help="Include suppressed findings."),
    sarif_no_root: bool = typer.Option(False, "--sarif-no-root",
                                       help="Omit the absolute project root from SARIF (stable snapshots)."),
    stdin_filename: Optional[str] = typer.Option(None, "--stdin-filename", metavar="PATH",
                                                 help="Path to report for source read from stdin."),
    add_noqa: bool = typer.Option(False, "--add-noqa", help="Add '# noqa: CODE' comments for every finding."),
    baseline: Optional[str] = typer.Option(None, "--baseline", metavar="FILE",
                                           help="Report only findings not recorded in this baseline file."),
    write_baseline: Optional[str] = typer.Option(None, "--write-baseline", metavar="FILE",
                                                 help="Record the current findings in a baseline file."),
    fix: bool = typer.Option(False, "--fix", help="Apply the safe fixes (and the unsafe ones with --unsafe-fixes)."),
    unsafe_fixes: bool = typer.Option(False, "--unsafe-fixes",
                                      help="Also apply (with --fix / --diff) or mark fixes that change what "
                                           "the model sees or what a request costs."),
    diff: bool = typer.Option(False, "--diff", help="Print the unified diff of what --fix would change; "
                                                    "write nothing. Exit 1 if there is a diff."),
    show_fixes: bool = typer.Option(False, "--show-fixes", help="With --fix: list each fix applied."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for internal errors."),
) -> None:
    """Lint Python files for LLM cost problems."""
    with _Guard(debug):
        code = _check(
            paths=list(paths or []), output_format=output_format, output_file=output_file,
            sarif_file=sarif_file, select=select, extend_select=extend_select, ignore=ignore,
            exclude=exclude, config_file=config_file, isolated=isolated, exit_zero=exit_zero,
            statistics=statistics, quiet=quiet, color=color, show_settings=show_settings,
            show_files=show_files, no_force_exclude=no_force_exclude, no_cache=no_cache, cache_dir=cache_dir, jobs=jobs,
            show_suppressed=show_suppressed, sarif_no_root=sarif_no_root,
            stdin_filename=stdin_filename, add_noqa=add_noqa,
            baseline=baseline, write_baseline=write_baseline,
            fix=fix, unsafe_fixes=unsafe_fixes, diff=diff, show_fixes=show_fixes,
        )
    raise typer.Exit(code)


def _check(**o) -> int:
    from promptlint import config
    from promptlint.discovery import discover, display_path
    from promptlint.errors import UsageError

    paths = o["paths"]
    if o["color"] not in COLOR_CHOICES:
        raise UsageError(f"--color must be one of {', '.join(COLOR_CHOICES)}, got '{o['color']}'")
    use_stdin = paths == ["-"] or (not paths and o["stdin_filename"] is not None)
    if "-" in paths and not use_stdin:
        raise UsageError("'-' (stdin) cannot be combined with other paths")
    if use_stdin and o["add_noqa"]:
        raise UsageError("--add-noqa edits files; it cannot be used with stdin")
    if use_stdin and (o.get("fix") or o.get("diff")):
        raise UsageError("--fix and --diff edit files; they cannot be used with stdin")
    if (o.get("fix") or o.get("diff")) and (o["add_noqa"] or o.get("write_baseline")):
        raise UsageError("--fix / --diff cannot be combined with --add-noqa or --write-baseline: "
                         "fix first, then record what remains")
    if use_stdin and o.get("write_baseline"):
        raise UsageError("--write-baseline needs files to lint; it cannot be used with stdin")
    paths = paths or ["."]

    overrides = config.Overrides(
        select=config.parse_code_list(o["select"]) if o["select"] else None,
        extend_select=config.parse_code_list(o["extend_select"]),
        ignore=config.parse_code_list(o["ignore"]),
        exclude=[p.strip() for v in o["exclude"] or [] for p in v.split(",") if p.strip()],
        force_exclude=False if o["no_force_exclude"] else None,
        no_cache=o["no_cache"],
        cache_dir=o["cache_dir"],
        jobs=o["jobs"],
        output_format=o["output_format"],
        baseline=o.get("baseline"),
    )
    start = o["stdin_filename"] if use_stdin else paths[0]
    start = start if start and os.path.exists(start) else None
    settings = config.load_settings(config_file=o["config_file"], isolated=o["isolated"],
                                    start=start, overrides=overrides)
    if o["show_settings"]:
        sys.stdout.write(_settings_json(settings) + "\n")
        return EXIT_OK
    _resolve_tokenizer(settings)
    _open_facts(settings)

    from promptlint import engine
    from promptlint.report import ReportOptions, visible

    quiet = o["quiet"]
    notices: list[str] = []
    sources: dict[str, str] = {}
    if use_stdin:
        display = display_path(o["stdin_filename"]) if o["stdin_filename"] else "-"
        if o["stdin_filename"] and settings.force_exclude:
            from promptlint.discovery import Excluder

            if Excluder(settings).excluded_with_parents(os.path.abspath(o["stdin_filename"]), False):
                sys.stdin.buffer.read()  # an excluded file: nothing to report, like Ruff
                return EXIT_OK
        result = _lint_stdin(display, settings, sources)
    else:
        files = discover(paths, settings, notices)
        if o.get("show_files"):
            sys.stdout.write("".join(f"{display_path(f)}\n" for f in files))
            return EXIT_OK
        if not files:
            notices.append(f"no Python files to check under {', '.join(paths)} (none found, or all excluded)")
        progress = _Progress() if files and not quiet and sys.stderr.isatty() else None
        try:  # the keyword only when there is a bar, so stand-in engines in tests keep working
            result = (engine.lint_paths(files, settings, **({"progress": progress} if progress else {}),
                                        **_project(files, settings, paths))
                      if files else engine.RunResult())
        finally:
            if progress:
                progress.close()
    result = _finalize(result, settings)
    baseline_notes = _baseline(result, settings, [display] if use_stdin else files, o.get("write_baseline"))
    fixed_lines: list[str] = []
    if o.get("diff"):
        return _diff(result, settings, o, quiet)
    if o.get("fix"):
        result, baseline_notes, fixed_lines = _fix(result, settings, files, o, baseline_notes)

    options = ReportOptions(show_suppressed=o["show_suppressed"], sarif_root_uri=not o["sarif_no_root"],
                            sources=sources, unsafe_fixes=bool(o.get("unsafe_fixes")))
    options.estimates, options.waste = True, _price(result, settings)
    fmt = settings.output_format
    # At a terminal (or with colour forced) concise / full become the grouped colour report;
    # rich is imported only then, and only when there is a finding to show.
    color = _use_color(o["color"], sys.stdout)
    shown = [f for f in visible(result.findings, options) if not (o["statistics"] and f.suppressed)]
    pretty = (bool(shown) and o["output_file"] is None and fmt in ("concise", "full")
              and (color or sys.stdout.isatty()))
    if pretty:
        from promptlint.report import terminal

        options.color = color
        if o["statistics"]:
            terminal.statistics(result, sys.stdout, options, summary=not quiet)
        else:
            terminal.render(result, sys.stdout, options, full=fmt == "full", summary=not quiet)
        sys.stdout.flush()
        options.color = False
    elif o["statistics"]:
        _write_statistics(result.findings, o["output_file"])
    else:
        _write(fmt, result, settings, o["output_file"], options)
    if o["sarif_file"]:
        _write("sarif", result, settings, o["sarif_file"], options)
    _save_facts()

    if o["add_noqa"]:
        from promptlint.state.noqa import add_noqa

        added = add_noqa([f for f in result.findings if not f.suppressed])
        if not quiet:
            sys.stderr.write(f"Added {added} noqa directive{'s' if added != 1 else ''}.\n")

    active = [f for f in result.findings if not f.suppressed]
    if not quiet:
        for line in [*notices, *result.warnings]:
            sys.stderr.write(f"warning: {line}\n")
        if options.waste and fmt in ("concise", "full") and not o["statistics"] and not pretty:
            from promptlint.cost.prices import summary_lines

            sys.stderr.write("".join(f"{line}\n" for line in summary_lines(options.waste)))
        sys.stderr.write("".join(f"{line}\n" for line in baseline_notes))
        sys.stderr.write("".join(fixed_lines))
        sys.stderr.write(files_line(result) + "\n")
        if fmt in ("concise", "full") and not o["statistics"]:
            sys.stderr.write(_fix_hint(active, o))
        if not pretty:  # the terminal report ends with its own count line
            sys.stderr.write(verdict(result, len(active), _fixable_note(active, options)) + "\n")
    errors = list(getattr(result, "errors", None) or [])
    for line in errors:  # e.g. a rule that crashed on one file: the run went on, but exit 2
        _error(line)
    if errors:
        return EXIT_ERROR
    if o["add_noqa"] or o["exit_zero"]:
        return EXIT_OK
    # A file that may hold LLM calls but was not checked fails the run, as an unreadable file does in ruff.
    return EXIT_FINDINGS if active or unchecked_calls(result) else EXIT_OK


def unchecked_calls(result) -> list:
    return [n for n in getattr(result, "not_checked", None) or () if n.may_hold_llm_calls]


def files_line(result) -> str:
    """What was checked and what was not: `3 files checked, 1 skipped: over the size limit`."""
    checked = result.files_checked + result.files_skipped  # files ruled out by the byte pre-check were checked
    text = f"{checked:,} file{'s' if checked != 1 else ''} checked"
    skipped = getattr(result, "not_checked", None) or []
    if skipped:
        reasons: dict[str, int] = {}
        for item in skipped:
            reasons[item.reason] = reasons.get(item.reason, 0) + 1
        text += f", {len(skipped):,} skipped: " + ", ".join(
            reason if n == 1 else f"{n} {reason}" for reason, n in sorted(reasons.items()))
    return text + "."


def verdict(result, active: int, fixable_note: str = "") -> str:
    """The last line: never "All checks passed." when nothing was checked or a file that may hold
    LLM calls was skipped."""
    if active:
        return f"Found {active} finding{'s' if active != 1 else ''}{fixable_note}."
    missed = unchecked_calls(result)
    if missed:
        return (f"No findings in the files checked, but {len(missed)} file{'s' if len(missed) != 1 else ''} "
                f"that may hold LLM calls {'were' if len(missed) != 1 else 'was'} not checked.")
    if result.files_checked + result.files_skipped == 0:
        return "No files were checked."
    return "All checks passed."


def _fixable_note(active, options) -> str:
    """` (2 fixable)` for `Found 5 findings (2 fixable).`: what --fix would fix with the current flags."""
    from promptlint.report import fix_mark

    fixable = sum(1 for f in active if fix_mark(f, options))
    return f" ({fixable} fixable)" if fixable else ""


def _fix_hint(active, o) -> str:
    """Ruff's hint: how many more fixes --unsafe-fixes would enable."""
    if o.get("unsafe_fixes"):
        return ""
    hidden = sum(1 for f in active if f.fix is not None and f.fix.applicability == "unsafe")
    if not hidden:
        return ""
    return (f"{hidden} unsafe fix{'es' if hidden != 1 else ''} can be applied with --fix --unsafe-fixes "
            f"(review them first: --diff --unsafe-fixes).\n")


def _relint(settings):
    """Analyse a fixed file's text in memory (fix/apply.py's later rounds)."""
    from promptlint import engine
    from promptlint.state.suppress import per_file_ignored

    def relint(path: str, text: str):
        found = engine.lint_source(path, text.encode("utf-8"), settings).findings
        return [f for f in found if _selected(f.code, settings)
                and not per_file_ignored(f, settings.per_file_ignores, settings.root)]

    return relint


def _diff(result, settings, o, quiet: bool) -> int:
    """--diff: the unified diff of what --fix would change, on stdout; nothing written."""
    from promptlint.fix.apply import fix_run, unified_diff

    fixes = fix_run(result.findings, settings, bool(o.get("unsafe_fixes")), _relint(settings))
    text = unified_diff(fixes)
    sys.stdout.write(text)
    sys.stdout.flush()
    if not quiet:
        for item in fixes:
            for line in item.messages:
                sys.stderr.write(f"warning: {line}\n")
        count = sum(len(item.applied) for item in fixes)
        files = sum(1 for item in fixes if item.changed)
        sys.stderr.write(f"Would fix {count} finding{'s' if count != 1 else ''} in "
                         f"{files} file{'s' if files != 1 else ''}.\n" if count else "No fixes to apply.\n")
    return EXIT_FINDINGS if text else EXIT_OK


def _fix(result, settings, files, o, notes: list[str]):
    """--fix: apply, write, then lint again so the report shows what remains."""
    from promptlint import engine
    from promptlint.fix.apply import fix_run, show_fixes, write

    fixes = fix_run(result.findings, settings, bool(o.get("unsafe_fixes")), _relint(settings))
    problems = write(fixes)
    count = sum(len(item.applied) for item in fixes if item.changed)
    lines = [f"warning: {line}\n" for item in fixes for line in item.messages]
    lines += [f"warning: {line}\n" for line in problems]
    if o.get("show_fixes") and count:
        lines.append("Fixed:\n" + show_fixes(fixes))
    if count:
        changed = sum(1 for item in fixes if item.changed)
        lines.append(f"Fixed {count} finding{'s' if count != 1 else ''} in {changed} file{'s' if changed != 1 else ''}.\n")
        again = engine.lint_paths(files, settings) if files else engine.RunResult()
        result = _finalize(again, settings)
        notes = _baseline(result, settings, files, None)
    return result, notes, lines


COLOR_CHOICES = ("auto", "always", "never")


# What marks a directory as (part of) a project when no config file names the root.
PROJECT_MARKERS = (".git", ".hg", "pyproject.toml", "setup.py", "setup.cfg")


def _project(files: list[str], settings, paths: list[str] = ()) -> dict:
    """`project_files` for engine.lint_paths: every Python file under the project root, with the
    same excludes, so checking one file still sees the project's wrappers and templates.

    Without a config file the root is the current directory; it is walked only when it lies in
    a project (a marker in it or above it), so checking one file from a home directory or /tmp
    does not index everything below it."""
    from promptlint.discovery import DiscoveryError, discover

    if settings.config_file is None and not _in_a_project(settings.root):
        return {}
    root = os.path.abspath(settings.root)
    try:  # `check .` at the root has listed the project already
        everything = files if paths and all(os.path.abspath(p) == root for p in paths) else (
            discover([settings.root], settings))
    except (DiscoveryError, OSError):
        return {}
    # Regular files only: a FIFO named on the command line would block the reader.
    return {"project_files": sorted(f for f in set(everything) | set(files) if os.path.isfile(f))}


def _in_a_project(directory: str) -> bool:
    from pathlib import Path

    here = Path(os.path.abspath(directory))
    return any(os.path.lexists(d / marker) for d in (here, *here.parents) for marker in PROJECT_MARKERS)


def _use_color(choice: str, stream) -> bool:
    """--color wins; for auto, NO_COLOR (no-color.org) beats FORCE_COLOR, which beats the TTY test."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


class _Progress:
    """`progress(done, total)` for engine.lint_paths: a bar on stderr once a run has lasted
    DELAY seconds. Until then it only reads the clock; rich is imported when the bar starts."""

    DELAY = 2.0

    def __init__(self) -> None:
        import time

        self.clock = time.monotonic
        self.start = self.clock()
        self.bar = None
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if done >= total or self.clock() - self.start < self.DELAY:
                return
            from promptlint.report.terminal import progress_bar

            self.bar, self.task = progress_bar(done, total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _baseline(result, settings, checked: list[str], write_path: str | None) -> list[str]:
    """Write and / or apply the baseline (conventions §8, docs/baseline.md): drop the
    findings it holds from `result`; return the summary lines for stderr."""
    if not settings.baseline and not write_path:
        return []
    from promptlint.errors import UsageError
    from promptlint.state import baseline as bl

    def selected(code: str) -> bool:
        return _selected(code, settings)

    target = os.path.abspath(write_path) if write_path else None
    active = None
    if settings.baseline and not (target == settings.baseline and not os.path.exists(target)):
        active = bl.load(settings.baseline)
    notes = []
    if target:
        ratchet = active is not None and active.path == target
        previous = active if ratchet else None
        if previous is None and os.path.exists(target):
            try:
                previous = bl.load(target)
            except UsageError:  # an unreadable old file is simply replaced
                previous = None
        count = bl.write(target, result.findings, previous, ratchet, checked, selected)
        how = "kept" if ratchet else "recorded"
        notes.append(f"Baseline {write_path}: {how} {count} finding{'s' if count != 1 else ''}.")
        active = bl.load(target)
    result.findings, outcome = bl.apply(active, result.findings, checked, selected)
    result.baselined = outcome.matched  # SARIF keeps them, marked "unchanged"
    if outcome.baselined:
        notes.append(f"{outcome.baselined} finding{'s' if outcome.baselined != 1 else ''} "
                     f"hidden by the baseline.")
    if outcome.stale:
        notes.append(f"{outcome.stale} baseline entr{'ies are' if outcome.stale != 1 else 'y is'} stale "
                     f"(fixed or gone); shrink the baseline with --write-baseline.")
    return notes


# ---------------------------------------------------------------- inventory


@app.command("inventory")
def inventory_command(
    paths: Optional[List[str]] = typer.Argument(None, metavar="[PATHS]...", help="Files or directories (default: .)."),
    output_format: str = typer.Option("table", "--output-format", metavar="FORMAT",
                                      help="table | json | csv | markdown"),
    output_file: Optional[str] = typer.Option(None, "--output-file", metavar="FILE", help="Write the output to FILE."),
    exclude: Optional[List[str]] = typer.Option(None, "--exclude", metavar="GLOBS", help="Extra exclude globs (comma list)."),
    config_file: Optional[str] = typer.Option(None, "--config", metavar="FILE", help="Use this config file."),
    isolated: bool = typer.Option(False, "--isolated", help="Ignore all configuration files."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the cache."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for internal errors."),
    wrappers: bool = typer.Option(False, "--wrappers",
                                  help="List the project's own functions that send LLM requests instead."),
) -> None:
    """List every LLM call site: task, model, static prompt size, output cap, cost per 1k calls, findings."""
    with _Guard(debug):
        from promptlint import config, engine
        from promptlint.cost.prices import PriceBook, prices_as_of
        from promptlint.discovery import discover
        from promptlint.errors import UsageError
        from promptlint.report.inventory import FORMATS, build_rows, render

        if output_format not in FORMATS:
            raise UsageError(f"--output-format must be one of {', '.join(FORMATS)}, got '{output_format}'")
        paths = list(paths or []) or ["."]
        overrides = config.Overrides(
            exclude=[p.strip() for v in exclude or [] for p in v.split(",") if p.strip()], no_cache=no_cache)
        start = paths[0] if os.path.exists(paths[0]) else None
        settings = config.load_settings(config_file=config_file, isolated=isolated, start=start, overrides=overrides)
        _resolve_tokenizer(settings)
        _open_facts(settings)
        settings.rule_options["_task-tags"] = "all"  # every row needs its task, not only calls with findings
        notices: list[str] = []
        files = discover(paths, settings, notices)
        result = _finalize(engine.lint_paths(files, settings, **_project(files, settings, paths)) if files
                           else engine.RunResult(), settings)
        if wrappers:
            from promptlint.report.inventory import render_wrappers, wrapper_rows

            if output_format not in ("table", "json"):
                raise UsageError("--wrappers supports --output-format table or json")
            stream = sys.stdout if output_file is None else open(output_file, "w", encoding="utf-8", newline="\n")
            try:
                render_wrappers(wrapper_rows(result), output_format, stream)
            finally:
                if output_file is not None:
                    stream.close()
            raise typer.Exit(EXIT_ERROR if result.errors else EXIT_OK)
        book = PriceBook(settings)
        rows = build_rows(result, settings, book)
        as_of = prices_as_of() if book.used_snapshot else None
        if output_file is None:
            render(rows, output_format, sys.stdout, as_of)
            sys.stdout.flush()
        else:
            with open(output_file, "w", encoding="utf-8", newline="\n") as fh:
                render(rows, output_format, fh, as_of)
        _save_facts()
        for line in [*notices, *result.warnings]:
            sys.stderr.write(f"warning: {line}\n")
        if as_of and output_format in ("table", "markdown"):
            from promptlint.cost.prices import genai_prices_version

            sys.stderr.write(f"Prices: genai-prices {genai_prices_version()} (bundled snapshot), "
                             f"in effect {as_of}; cost per 1k calls = static input + output at the cap.\n")
        for line in result.errors:  # a rule that crashed on a file: the rows are there, but exit 2
            _error(line)
    raise typer.Exit(EXIT_ERROR if result.errors else EXIT_OK)


# ---------------------------------------------------------------- init


@app.command("init")
def init_command(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for internal errors."),
) -> None:
    """Write a starter [tool.promptlint] section into ./pyproject.toml (created if missing)."""
    with _Guard(debug):
        import tomllib

        from promptlint.config import starter_config
        from promptlint.errors import UsageError

        path = "pyproject.toml"
        old = ""
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                old = fh.read()
            try:
                data = tomllib.loads(old)
            except tomllib.TOMLDecodeError as exc:
                raise UsageError(f"{path}: invalid TOML, not changed: {exc}") from None
            if "promptlint" in (data.get("tool") or {}):
                raise UsageError(f"{path} already has a [tool.promptlint] section; not changed")
        section = starter_config()
        text = old + ("\n" if old and not old.endswith("\n") else "") + ("\n" if old.strip() else "") + section
        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:  # e.g. `tool = {...}` inline: appending a table would break it
            raise UsageError(f"{path}: cannot append a [tool.promptlint] section ({exc}); not changed") from None
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        sys.stderr.write(f"{'Added [tool.promptlint] to' if old else 'Created'} {path}.\n")


# ---------------------------------------------------------------- server


@app.command("server")
def server_command(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for internal errors."),
) -> None:
    """Run the language server for editors (LSP over stdin/stdout); needs the `server` extra."""
    with _Guard(debug):
        from promptlint.server import serve  # pygls is imported here only: other commands never load it

        code = serve()
    raise typer.Exit(code)


# ---------------------------------------------------------------- rules / rule


def _rule_table() -> dict[str, dict]:
    """code -> {code, name, severity, summary, doc}, from the rule documents (rules/<CODE>.yaml,
    where every rule is declared; a missing or bad one is a CatalogError, exit 2)."""
    from promptlint.checks import all_codes
    from promptlint.ruledocs import load_all

    docs = load_all()
    table = {}
    for code in all_codes():
        if code not in docs:
            from promptlint.ruledocs import rule_meta

            rule_meta(code)  # raises CatalogError naming the missing document
        doc = docs[code]
        table[code] = {"code": code, "name": doc.name, "severity": doc.severity, "summary": doc.summary, "doc": doc}
    return table


def _check_text_or_json(fmt: str) -> None:
    from promptlint.errors import UsageError

    if fmt not in ("text", "json"):
        raise UsageError(f"--output-format must be 'text' or 'json', got '{fmt}'")


@app.command("rules")
def rules_command(
    output_format: str = typer.Option("text", "--output-format", metavar="FORMAT", help="text | json"),
) -> None:
    """List every rule: code, name, default severity, summary."""
    with _Guard():
        _check_text_or_json(output_format)
        table = _rule_table()
        if output_format == "json":
            import json

            rows = [{k: v for k, v in row.items() if k != "doc"} for row in table.values()]
            sys.stdout.write(json.dumps(rows, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        else:
            width = max((len(r["name"]) for r in table.values()), default=0)
            for row in table.values():
                line = f"{row['code']}  {row['name']:<{width}}  {row['severity']:<7}  {row['summary']}"
                sys.stdout.write(line.rstrip() + "\n")


@app.command("rule")
def rule_command(
    code: str = typer.Argument(..., metavar="CODE", help="A rule code, e.g. PL101."),
    output_format: str = typer.Option("text", "--output-format", metavar="FORMAT", help="text | json"),
) -> None:
    """Show one rule's documentation."""
    with _Guard():
        from promptlint.errors import UsageError

        _check_text_or_json(output_format)
        table = _rule_table()
        row = table.get(code.strip().upper())
        if row is None:
            import difflib

            close = difflib.get_close_matches(code.strip().upper(), list(table), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise UsageError(f"unknown rule code '{code}'{hint}")
        doc = row["doc"]
        if output_format == "json":
            import json

            data = {k: v for k, v in row.items() if k != "doc"}
            data.update(sections=dict(doc.sections) if doc else {}, examples=doc.examples if doc else {},
                        tags=list(doc.tags) if doc else [])
            from promptlint.report import RULE_URL

            data["url"] = RULE_URL.format(code=row["code"])
            sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        elif doc:
            sys.stdout.write(doc.text())
        else:
            sys.stdout.write(f"{row['code']} {row['name']} ({row['severity'] or 'unknown'})\n\n"
                             "No documentation is installed for this rule.\n")


# ---------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code (the script wrapper passes it to sys.exit)."""
    args = sys.argv[1:] if argv is None else list(argv)
    tune_gc()
    if not args:  # like Ruff: no command is a usage error, with the help as a hint
        app(args=["--help"], prog_name="promptlint", standalone_mode=False)
        return EXIT_ERROR
    try:
        code = app(args=args, prog_name="promptlint", standalone_mode=False)
        sys.stdout.flush()  # surface a closed pipe here, not in the interpreter's exit
    except typer.TyperException as exc:  # click usage errors: bad option, bad value
        _error(exc.format_message())
        return EXIT_ERROR
    except typer.Abort:
        _error("aborted")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_ERROR
    except BrokenPipeError:  # `promptlint rules | head`: stop quietly
        _silence_stdout()
        return EXIT_FINDINGS
    except Exception as exc:  # anything outside a command's guard
        if "--debug" in args:
            import traceback

            traceback.print_exc()
        _error(f"internal error: {type(exc).__name__}: {exc}")
        return EXIT_ERROR
    return code if isinstance(code, int) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
