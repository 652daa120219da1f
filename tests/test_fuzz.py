"""Property-based fuzzing of the engine (issue 7).

Two sources of input: valid Python generated from the grammar (hypothesmith),
and the fixture projects' own files mangled line by line and byte by byte, with
SDK calls carrying f-strings and clocks injected so the deep analysis runs, not
only the byte pre-check. For every input `lint_source` must return (never raise,
no rule crashing), give the same answer twice, keep every location inside the
file, and every report format must render the result.

CI runs a small, derandomized number of examples. A longer hunt:

    PROMPTLINT_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import tokenize
import warnings
from dataclasses import asdict
from pathlib import Path

from promptlint.model import TemplateSpan

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptlint.cost.prices import price_findings, waste_summary
from promptlint.engine import FileResult, RunResult, lint_paths, lint_source, project_findings
from promptlint.model import Finding
from promptlint.report import ReportOptions, render
from promptlint.settings import Settings

REPO = Path(__file__).resolve().parent.parent
BIG = int(os.environ.get("PROMPTLINT_FUZZ_EXAMPLES", "0"))


def fuzz(examples: int):
    """CI: a fixed, derandomized sample. PROMPTLINT_FUZZ_EXAMPLES: a random hunt of that size."""
    return settings(max_examples=BIG or examples, derandomize=not BIG, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# tests/data/whole_program is left out: its modules are mostly callers of the project's own
# wrappers and package files, with no SDK call a single file shows.
SOURCES = {str(p): p.read_bytes() for root in (REPO / "fixtures", REPO / "tests" / "data")
           for p in sorted(root.rglob("*.py")) if "whole_program" not in p.parts}

HEADER = b"import openai\nimport uuid\nfrom datetime import datetime\nclient = openai.OpenAI()\n"
# One-line statements (some with continuation lines inside brackets) that reach an SDK.
CALLS = [
    b'client.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": '
    b'f"Today is {datetime.now():%Y-%m-%d}. {SYSTEM}"}, {"role": "user", "content": question}])',
    b'r = client.chat.completions.create(model="gpt-4o", max_tokens=50000,\n'
    b'    messages=[{"role": "user", "content": f"{uuid.uuid4()} " + "Be concise. " * 40 + text}])',
    b'openai.OpenAI().responses.create(model="gpt-4o-mini", input=f"{x!r:>{width}} at {datetime.utcnow()}",'
    b' **options)',
    b'import anthropic; anthropic.Anthropic().messages.create(model="claude-3-5-sonnet-latest", max_tokens=1024,'
    b' system=[{"type": "text", "text": PROMPT, "cache_control": {"type": "ephemeral"}}],'
    b' messages=history + [{"role": "user", "content": q}])',
    b'import litellm; litellm.completion(model=MODEL, messages=[{"role": "system", "content": "\\n".join(RULES)},'
    b' *msgs], n=1)',
    b'for item in items: client.chat.completions.create(model="gpt-4o", '
    b'messages=[{"role": "user", "content": f"Classify: {item}"}], tools=[t for t in TOOLS])',
    b"SYSTEM = f'''You are {name}.\n{datetime.now()}\n'''",
    b"from datetime import datetime; import openai; client = openai.OpenAI()",
]


# ---------------------------------------------------------------- invariants


def text_lines(source: bytes) -> list[str]:
    """The file's lines as the engine counts positions: decoded like libcst, split like the tokenizer."""
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(source).readline)[0]
        text = source.decode(encoding, errors="replace")
    except (SyntaxError, LookupError):
        text = source.decode("utf-8", errors="replace")
    return re.split(r"\r\n|\r|\n", text.removeprefix("\ufeff"))


def snapshot(result: FileResult) -> tuple:
    return ([f.to_dict() for f in result.findings], [asdict(c) for c in result.callsites],
            result.warnings, result.errors, result.skipped, result.prefiltered, result.timed_out)


def assert_inside(span, lines: list[str], what: str) -> None:
    assert 1 <= span.line <= span.end_line <= len(lines), (what, span, len(lines))
    assert 1 <= span.column <= len(lines[span.line - 1]) + 1, (what, span, lines[span.line - 1])
    assert 1 <= span.end_column <= len(lines[span.end_line - 1]) + 1, (what, span, lines[span.end_line - 1])
    assert span.line < span.end_line or span.column <= span.end_column, (what, span)


def span_text(span, lines: list[str]) -> str:
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1:span.end_column - 1]
    return "\n".join([lines[span.line - 1][span.column - 1:], *lines[span.line:span.end_line - 1],
                      lines[span.end_line - 1][:span.end_column - 1]])


def check(path: str, source: bytes, config: Settings | None = None) -> FileResult:
    """Lint twice and assert every invariant; returns the first result."""
    config = config or Settings()
    first = lint_source(path, source, config)
    assert isinstance(first, FileResult)
    assert not first.errors, first.errors  # a rule that raised
    assert snapshot(lint_source(path, source, config)) == snapshot(first), "two runs differ"
    lines = text_lines(source)
    for f in first.findings:
        if f.code == "PL000":  # an error at the end of a line: its one-character span ends past it
            assert 1 <= f.span.line <= len(lines) and 1 <= f.span.column <= len(lines[f.span.line - 1]) + 1, f
            continue
        where = lines
        if f.path != path:  # reported inside a prompt template the code reads (issue 14)
            where = text_lines(Path(f.path).read_bytes())
        assert_inside(f.span, where, f.code)
        if f.suppress_lines:
            assert 1 <= f.suppress_lines[0] <= f.suppress_lines[1] <= len(where), f
    for site in first.callsites:
        for name in ("span", "call_span", "model_span", "cap_span"):
            if getattr(site, name) is not None:
                assert_inside(getattr(site, name), lines, name)
        assert span_text(site.span, lines) == site.callee
        for part in site.parts:
            if part.span is not None:
                assert_inside(part.span, lines, f"{part.role} part")
            for seg in part.segments:
                if seg.span is not None and seg.origin is None and not isinstance(seg.span, TemplateSpan):
                    # origin: written in a sibling module; a TemplateSpan: a placeholder in a template file
                    assert_inside(seg.span, lines, f"{seg.kind} segment")
                for _offset, span, origin in seg.pieces or ():
                    if span is not None and origin is None:
                        assert_inside(span, lines, "piece")
    render_all(path, source, first, config)
    return first


def render_all(path: str, source: bytes, result: FileResult, config: Settings) -> None:
    """What `promptlint check` does after the analysis: project phase, prices, every format."""
    run = RunResult(findings=list(result.findings), callsites=list(result.callsites),
                    warnings=list(result.warnings), files_checked=1, lines=result.lines)
    run.findings += project_findings(run.callsites, config)
    run.findings.sort(key=Finding.sort_key)
    waste = None
    if any(f.waste_kind or f.waste_tokens_per_call is not None for f in run.findings):
        waste = waste_summary(run.findings, config, run.callsites, price_findings(run.findings, config, run.callsites))
    text = source.decode("utf-8", errors="replace")
    for fmt in ("concise", "json", "sarif"):
        stream = io.StringIO()
        render(fmt, run, config, stream, ReportOptions(sources={path: text}, estimates=True, waste=waste))
        if fmt in ("json", "sarif"):
            json.loads(stream.getvalue())


# ---------------------------------------------------------------- generated sources


def statement_starts(code: str) -> list[tuple[int, str]]:
    """(line index, indentation) of each statement that starts its line: a call inserted
    there with the same indentation keeps the code valid."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return []
    lines = code.split("\n")
    starts = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            line = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
            if line >= len(lines):
                continue
            text = lines[line].lstrip(" \t")
            if text and not re.match(r"(elif|else|except|finally)\b", text):
                starts.add((line, lines[line][:len(lines[line]) - len(text)]))
    return sorted(starts)


@st.composite
def generated(draw, code=hypothesmith.from_grammar()):
    """Generated valid Python with SDK calls inserted at statement starts and appended at the end."""
    body = draw(code)
    starts = statement_starts(body)
    lines = body.split("\n")
    for _ in range(draw(st.integers(0, 3)) if starts else 0):
        line, indent = draw(st.sampled_from(starts))
        call = draw(st.sampled_from(CALLS)).decode()
        lines.insert(line, indent + call.replace("\n", "\n" + indent))
        starts = [(i + (i >= line) * (call.count("\n") + 1), ind) for i, ind in starts]
    tail = draw(st.sampled_from(CALLS))
    return HEADER + "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n" + tail + b"\n"


def run_generated(strategy, examples: int) -> tuple[int, int]:
    seen = [0, 0]

    @fuzz(examples)
    @given(strategy)
    def one(source):
        result = check("generated.py", source)
        seen[0] += 1
        seen[1] += bool(result.callsites)

    one()
    print(f"{seen[0]} examples, {seen[1]} with call sites")  # shown with `pytest -s`
    return seen[0], seen[1]


def test_generated_sources_from_the_grammar():
    total, deep = run_generated(generated(), 100)
    # The inserted calls make the analysis run on most examples; were the libcst
    # path never reached (say the pre-check refused everything) this would fail.
    assert deep >= total * 0.6, (deep, total)


def test_generated_sources_from_libcst_nodes():
    total, deep = run_generated(generated(hypothesmith.from_node()), 30)
    # 24 of 30 reach the analysis when this runs alone, 15 of 30 in some full-suite runs on a
    # loaded machine (not yet explained; see the session note): 0.4 still fails if the pre-check
    # or the parser refuses everything, which is what this guards.
    assert deep >= total * 0.4, (deep, total)


# ---------------------------------------------------------------- mutated fixtures

WITH_CALLS = sorted(p for p, data in SOURCES.items() if lint_source(p, data, Settings()).callsites)


@st.composite
def mutated(draw):
    path = draw(st.one_of(st.sampled_from(WITH_CALLS), st.sampled_from(sorted(SOURCES))))
    data = SOURCES[path]
    for _ in range(draw(st.integers(1, 5))):
        lines = data.split(b"\n")
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["inject", "inject", "inject", "inject", "delete", "duplicate", "swap",
                                   "indent", "dedent", "bytes", "truncate"]))
        if op == "inject":  # at a statement's start while the file still parses, else anywhere
            starts = statement_starts(data.decode("utf-8", "replace")) or [(i, "")]
            i, _ = draw(st.sampled_from(starts))
            indent = re.match(rb"[ \t]*", lines[i]).group()
            lines.insert(i, indent + draw(st.sampled_from(CALLS)).replace(b"\n", b"\n" + indent))
            if draw(st.booleans()):  # the file may import no SDK
                lines.insert(i, indent + CALLS[-1])
        elif op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[j])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = draw(st.sampled_from([b" ", b"    ", b"\t"])) + lines[i]
        elif op == "dedent":
            lines[i] = lines[i][draw(st.integers(1, 8)):]
        data = b"\n".join(lines)
        if op == "bytes":
            at = draw(st.integers(0, len(data)))
            noise = draw(st.one_of(st.binary(min_size=1, max_size=6),
                                   st.sampled_from([b"(", b")", b"]", b"'", b'"""', b"\\", b"#", b"\r", b"\x00",
                                                    b"\xef\xbb\xbf", b"\xff", "é€𝔘".encode(), b"f'{", b"lambda:"])))
            data = data[:at] + noise + data[at:]
        elif op == "truncate":
            data = data[:draw(st.integers(0, len(data)))]
    return path, data


def test_mutated_fixture_sources():
    seen = [0, 0]

    @fuzz(100)
    @given(mutated())
    def one(case):
        path, source = case
        result = check(path, source)
        seen[0] += 1
        seen[1] += bool(result.callsites)

    one()
    print(f"{seen[0]} examples, {seen[1]} with call sites")
    assert seen[1] >= seen[0] * 0.3, seen


# ---------------------------------------------------------------- time budget


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # hypothesis's gc hook
def test_time_budget_of_a_pathological_file_is_reported_by_the_run(tmp_path, monkeypatch):
    """The run reports the file that ran out of time, finishes the other files, and does not cache it."""
    from promptlint import engine

    monkeypatch.setattr(engine, "FILE_SECONDS", 0.3)
    # A generated prompt built line by line: cheap to parse, seconds to evaluate.
    (tmp_path / "slow.py").write_text("import openai\nX = ''\n" + "".join(f"X += f'{{a{i}}} rule {i}'\n" for i in range(5000))
                                      + "openai.chat.completions.create(model='gpt-4o', messages=[{'role': 'user', "
                                      "'content': X}])\n")
    (tmp_path / "fine.py").write_bytes(HEADER + CALLS[0] + b"\n")
    files = [str(tmp_path / "slow.py"), str(tmp_path / "fine.py")]
    config = Settings(cache_dir=str(tmp_path / "cache"), jobs=1)
    for _ in range(2):  # the second run must not find the timed-out file in the cache
        run = lint_paths(files, config)
        assert [w for w in run.warnings if "per-file time budget" in w] == [
            f"{engine.display_path(files[0])}: skipped: analysis took over 0.3 s, the per-file time budget"]
        # The timed-out file was not checked: it is not counted as checked, and the run says why.
        assert run.files_checked == 1 and not run.errors
        assert [(n.path, n.reason, n.may_hold_llm_calls) for n in run.not_checked] == [
            (engine.display_path(files[0]), "over the time budget", True)]
        assert {f.path for f in run.findings} == {engine.display_path(files[1])}


# ---------------------------------------------------------------- regressions found by the fuzzing

CALL_X = b"openai.chat.completions.create(model='gpt-4o', messages=[{'role': 'user', 'content': X}])\n"


@pytest.mark.parametrize("expression", [
    # 400 implicitly joined strings: the evaluator recursed once per string and libcst's
    # renderer turned the RecursionError into a KeyError that escaped lint_source.
    b"(" + b"\n".join(b"    'line %d {x} '" % i for i in range(400)) + b")",
    # The same for a 500-term `+` chain (the overflow came from rendering positions).
    b" + ".join(b"'a%d '" % i for i in range(500)),
    # 500 implicitly joined f-strings: each part's position re-rendered the whole
    # statement only to overflow again (over 60 s); a failed rendering is now remembered.
    b"(" + b"\n".join(b"  f'{a%d} '" % i for i in range(500)) + b")",
])
def test_long_concatenations_are_analysed(expression):
    result = check("long.py", b"import openai\nX = " + expression + b"\n" + CALL_X)
    assert len(result.callsites) == 1 and not result.timed_out and not result.warnings


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_time_budget_holds_when_the_interrupt_is_swallowed_or_converted(monkeypatch):
    """Found while fuzzing: the timer's exception was swallowed by a gc callback (the run
    went on unbounded), or came out of `ast.parse` as a SystemError (lint_source raised)."""
    import time

    from promptlint import engine

    def parse(source):
        try:
            time.sleep(2)  # the timer fires here...
        except BaseException:
            pass  # ...and a gc callback swallows the exception
        try:
            time.sleep(2)  # it fires again
        except BaseException as exc:
            raise SystemError("AST constructor recursion depth mismatch") from exc

    monkeypatch.setattr(engine, "FILE_SECONDS", 0.05)
    monkeypatch.setattr(engine, "_ast_parse", parse)
    result = engine.lint_source("x.py", HEADER + CALLS[0], Settings())
    assert result.timed_out and "per-file time budget" in result.warnings[0]


@pytest.mark.parametrize("source, column", [
    (b"import openai\n\xc3\xa9\xc3\xa9 = 1 1\n", 8),  # the second `1`: CPython said 10, its byte offset
    (b"import openai\nx = '\xc3\xa9\xc3\xa9' $ 1\n", 10),
    (b"import openai\ndef f():\n    x = 1\n \xc2\x80   y = 2\n", 11),  # past the end of the line
])
def test_syntax_error_columns_count_characters(source, column):
    (finding,) = check("bad.py", source).findings
    assert finding.code == "PL000" and finding.span.column == column
