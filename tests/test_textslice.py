"""The large-file path (analysis/textslice.py): statements found in the text must be the
ones CPython finds, and analysing a large file through the split must give exactly the
findings of the whole-file path while parsing only a small part of it."""

from __future__ import annotations

import ast
import importlib.util
import json
import textwrap
import warnings
from pathlib import Path

import libcst
import pytest

from promptlint import engine, project_index
from promptlint.analysis import instrumentation, textscan, textslice
from promptlint.config import load_settings

ROOT = Path(__file__).resolve().parent.parent


def ranges(source: bytes) -> list[tuple[int, int]]:
    """(first line, last line) of each top-level statement as CPython sees them;
    statements sharing a line (`a = 1; b = 2`) are one."""
    out: list[tuple[int, int]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # generated sources: "'int' object is not callable"
        tree = ast.parse(source)
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        last = node.end_lineno or node.lineno
        if out and first <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out


def split_ranges(source: bytes) -> list[tuple[int, int]]:
    return [(s.first, s.last) for s in textscan.split(textscan.decode(source)).statements]


TRICKY = {
    "strings with brackets": 'a = "(["\nb = \'}\'\nc = """)\n]"""\nd = 1\n',
    "a string line that looks like code": 'PROMPT = """\ndef not_a_function():\nclass Nope:\n"""\nx = 1\n',
    "string prefixes": "a = rb'\\x00(['\nb = Rb\"[\"\nc = f'{a!r:>{10}}('\nd = br'\\\\'\ne = r'\\''\nx = 1\n",
    "f-string with other quotes": "name = 'x'\ns = f\"{name + ')'}\" \"[\"\nt = f'{{({name}'\nz = 2\n",
    "continuation lines": "total = 1 + \\\n2 + \\\n    3\nnext_one = [\n1,\n]\nafter = (\n)\n",
    "decorators": "@decorator(\n    arg=')',\n)\n@other\ndef f():\n    pass\n\n\n@cls_deco\nclass C:\n    pass\n",
    "nested defs": "def outer():\n    def inner():\n        return 1\n    return inner\n\n\ndef g(): return 2\n",
    "main block": "import sys\n\nif __name__ == '__main__':\n    sys.exit(0)\nelse:\n    pass\n",
    "compound continuations": "try:\n    x = 1\nexcept ValueError:\n    x = 2\nelse:\n    x = 3\nfinally:\n    y = 4\n"
                              "for i in range(2):\n    pass\nelse:\n    pass\nwhile False:\n    pass\n",
    "class bodies": "class A(Base, metaclass=M):\n    x: int = 1\n\n    def m(self):\n        self.y = 2\n\n\n"
                    "    # a comment at the body's indentation\n\nclass B: pass\n",
    "semicolons": "a = 1; b = 2\nimport os; import sys\nc = 3\n",
    "comments at column 0 inside brackets": "items = [\n# one\n1,\n# two\n]\n# between\nz = 0\n",
    "async and match": "async def f():\n    await g()\n\n\nmatch command:\n    case 'go':\n        pass\n",
    "a file without a final newline": "x = 1\ny = (2,\n3)",
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_the_split_finds_the_statements_cpython_finds(name):
    source = TRICKY[name].encode()
    assert split_ranges(source) == ranges(source)


def test_line_endings_bom_and_a_coding_declaration():
    source = "x = '(é'\ny = [\n1]\nz = 3\n"
    expected = ranges(source.encode())
    for data in (source.replace("\n", "\r\n").encode(), source.replace("\n", "\r").encode(),
                 b"\xef\xbb\xbf" + source.encode(),
                 ("# -*- coding: latin-1 -*-\n" + source).encode("latin-1")):
        shift = 1 if data.startswith(b"# -*-") else 0
        assert split_ranges(data) == [(a + shift, b + shift) for a, b in expected]


@pytest.mark.parametrize("source, why", [
    (b"x = '''never closed\ny = 1\n", "unterminated"),
    (b"x = (1,\ny = 2\n", "unbalanced"),
    (b"x = 1)\n", "unbalanced"),
    (b"def f():\n    pass\n\x0cdef g():\n    pass\n", "form feed"),
    (b"x = 1\x00\n", "NUL"),
    (b"x = '\xff'\n", "not UTF-8"),
    (b"@decorator\nx = 1\n", "decorator"),
    (b"    x = 1\n", "indented first line"),
])
def test_text_it_cannot_split_with_certainty_is_refused(source, why):
    with pytest.raises(textscan.Unsafe):
        textscan.split(textscan.decode(source))


def test_the_projects_own_modules_split_as_cpython_parses_them():
    """A few thousand statements of ordinary code, none written for this test."""
    files = sorted((ROOT / "promptlint").rglob("*.py")) + sorted((ROOT / "fixtures").rglob("*.py"))
    checked = 0
    for path in files:
        data = path.read_bytes()
        try:
            expected = ranges(data)
        except SyntaxError:
            continue  # a fixture written to fail parsing
        assert split_ranges(data) == expected, path
        checked += len(expected)
    assert checked > 2000


# ---------------------------------------------------------------- the large-file path


def generated_module(lines: int) -> bytes:
    path = ROOT / "bench" / "gen_large_file.py"
    spec = importlib.util.spec_from_file_location("gen_large_file", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate(lines).encode()


@pytest.fixture(scope="module")
def large() -> bytes:
    data = generated_module(20_000)
    assert len(data) > textslice.LARGE_FILE_BYTES  # else the path under test is not taken
    return data


def outcome(result) -> str:
    return json.dumps({"findings": [f.to_dict() for f in result.findings],
                       "sites": [[c.span, c.call_span, c.callee, c.api, c.model, c.task] for c in result.callsites],
                       "warnings": result.warnings, "errors": result.errors,
                       "skipped": result.skipped, "prefiltered": result.prefiltered}, default=str, sort_keys=True)


def whole_file(monkeypatch, path: str, data: bytes, settings) -> str:
    with monkeypatch.context() as m:
        m.setattr(textslice, "LARGE_FILE_BYTES", 10**12)
        return outcome(engine.lint_source(path, data, settings))


def code_size(source) -> int:
    return len(source) - sum(source.count(c) for c in (("\n", " ") if isinstance(source, str) else (b"\n", b" ")))


class Parses:
    """Every `ast.parse` and libcst parse made: its size, blank lines and spaces left out."""

    def __init__(self, monkeypatch) -> None:
        self.ast: list[int] = []
        self.cst: list[int] = []
        real_ast, real_cst = ast.parse, libcst.parse_module

        def spy_ast(source, *args, **kwargs):
            self.ast.append(code_size(source))
            return real_ast(source, *args, **kwargs)

        def spy_cst(source, *args, **kwargs):
            self.cst.append(code_size(source))
            return real_cst(source, *args, **kwargs)

        monkeypatch.setattr(ast, "parse", spy_ast)
        monkeypatch.setattr(libcst, "parse_module", spy_cst)


def test_a_large_file_gives_the_whole_file_findings_from_a_small_part(monkeypatch, large):
    settings = load_settings(isolated=True)
    expected = whole_file(monkeypatch, "gen.py", large, settings)
    parses = Parses(monkeypatch)
    got = engine.lint_source("gen.py", large, settings)
    assert outcome(got) == expected
    assert {f.code for f in got.findings} >= {"PL301", "PL201"}  # the call in the middle is analysed
    assert [c.span.line for c in got.callsites] == [large.decode().split("\n").index(
        "    response = client.chat.completions.create(") + 1]
    # What was parsed: a few statements, never the file (20,000 lines, 650 KB).
    assert parses.ast and max(parses.ast) < len(large) // 100, parses.ast
    assert parses.cst and max(parses.cst) < len(large) // 100, parses.cst
    assert sum(parses.ast) < len(large) // 20


def test_a_syntax_error_in_a_dropped_statement_is_the_whole_file_result(monkeypatch, large):
    lines = large.decode().split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("def convert_") and i > 100)
    lines[at + 2] = "    if value in (:"  # far from the LLM call, in a function nothing reads
    broken = "\n".join(lines).encode()
    settings = load_settings(isolated=True)
    got = engine.lint_source("gen.py", broken, settings)
    assert outcome(got) == whole_file(monkeypatch, "gen.py", broken, settings)
    assert [(f.code, f.span.line, f.span.column) for f in got.findings] == [("PL000", at + 3, 18)]  # CPython: at the `:`


def test_a_large_file_the_scan_refuses_takes_the_whole_file_path(monkeypatch, large):
    odd = large.replace(b"\ndef convert_000003", b"\n\x0cdef convert_000003", 1)  # a form feed before code
    assert odd != large
    settings = load_settings(isolated=True)
    assert engine._large_file_slice(odd, settings) is None
    assert outcome(engine.lint_source("gen.py", odd, settings)) == whole_file(monkeypatch, "gen.py", odd, settings)


@pytest.mark.parametrize("project", ["rag_service", "agent_loop", "batch_job", "clean_app"])
def test_every_fixture_through_the_split_gives_the_same_findings(project, monkeypatch):
    """The fixtures are small: the threshold is lowered so that every file takes the path."""
    settings = load_settings(isolated=True)
    paths = sorted((ROOT / "fixtures" / project).rglob("*.py"))
    expected = [whole_file(monkeypatch, str(p.relative_to(ROOT)), p.read_bytes(), settings) for p in paths]
    monkeypatch.setattr(textslice, "LARGE_FILE_BYTES", 0)
    used = sum(engine._large_file_slice(p.read_bytes(), settings) is not None for p in paths)
    got = [outcome(engine.lint_source(str(p.relative_to(ROOT)), p.read_bytes(), settings)) for p in paths]
    assert got == expected
    assert used >= len(paths) // 2  # else this compared the whole-file path with itself


def test_the_project_index_of_a_large_file_is_the_same(monkeypatch, large):
    expected = project_index.index_file("app/gen.py", large)
    with monkeypatch.context() as m:
        m.setattr(textslice, "LARGE_FILE_BYTES", 10**12)
        assert project_index.index_file("app/gen.py", large) == expected
    assert any(f["name"] == "summarize_row" for f in expected["functions"])


def test_instrumentation_in_a_large_file_is_found_through_an_import_alias(monkeypatch, large):
    marked = large.replace(b"from openai import OpenAI\n",
                           b"from openai import OpenAI\nfrom langsmith.wrappers import wrap_openai as traced\n", 1)
    marked = marked.replace(b"\nclient = OpenAI()\n", b"\nclient = traced(OpenAI())\n", 1)
    found = instrumentation.scan_markers(marked)
    assert [m[0] for m in found] == ["langsmith wrap_openai"]
    with monkeypatch.context() as m:
        m.setattr(textslice, "LARGE_FILE_BYTES", 10**12)
        assert instrumentation.scan_markers(marked) == found


# ---------------------------------------------------------------- what libcst reads


def test_collapsed_blank_runs_map_back_to_the_file_lines():
    source = textwrap.dedent("""\
        import os
    """).encode() + b"\n" * 40 + b"def f():\n" + b"\n" * 30 + b"    return os.sep\n" + b"\n" * 25 + b"x = 1\n"
    tree = ast.parse(source)
    out, line_of = textslice.collapse(source, tree)
    assert out.count(b"\n") < source.count(b"\n") - 40  # the run between statements is one line
    assert b"def f():\n" + b"\n" * 30 + b"    return" in out  # a statement's own lines are never touched
    original = source.decode().split("\n")
    for number, line in zip(line_of, out.decode().split("\n")):
        assert original[number - 1] == line
    starts = textslice.line_starts(out.decode(), line_of)
    text = out.decode()
    for number in (1, 43, 74, 100):  # `import os`, `def f():`, `return`, `x = 1`
        assert text[starts[number - 1]:].split("\n")[0] == original[number - 1]


# ---------------------------------------------------------------- generated sources

hypothesmith = pytest.importorskip("hypothesmith")
from hypothesis import HealthCheck, given, settings  # noqa: E402


@settings(max_examples=200, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(hypothesmith.from_grammar())
def test_generated_sources_split_as_cpython_parses_them_or_are_refused(code):
    """Whatever the grammar allows: the statements CPython finds, or Unsafe (never others)."""
    source = code.encode("utf-8", "surrogatepass")
    try:
        expected = ranges(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    try:
        got = split_ranges(source)
    except textscan.Unsafe:
        return
    assert got == expected
