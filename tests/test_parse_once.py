"""Each file is parsed with `ast` once per run (issue 13, cold speed): the project index's
trees wait in promptlint/trees.py for the engine, and for other modules reading them."""

from __future__ import annotations

import ast
import sys
import textwrap
from collections import Counter

from promptlint import trees
from promptlint.analysis import project
from promptlint.engine import lint_paths
from promptlint.settings import Settings

FILES = {
    "app/__init__.py": "",
    "app/prompts.py": 'SYSTEM = "You are a careful assistant."\n',
    "app/llm.py": """
        from openai import OpenAI

        from app.prompts import SYSTEM

        client = OpenAI()


        def chat(question):
            return client.chat.completions.create(
                model="gpt-4.1-mini",
                messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}])
    """,
    "app/main.py": """
        from app.llm import chat


        def handle(question):
            return chat(question)
    """,
}


def _project(tmp_path, monkeypatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    return sorted(FILES)


def test_the_engine_lints_with_the_tree_the_index_parsed(tmp_path, monkeypatch):
    files = _project(tmp_path, monkeypatch)
    parsed: Counter = Counter()
    real = ast.parse

    def counting(source, *args, **kwargs):
        caller = sys._getframe(1).f_code.co_filename
        if caller.endswith(("project_index.py", "trees.py", "engine.py")):  # not another module reading it
            parsed[source if isinstance(source, bytes) else source.encode()] += 1
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    result = lint_paths(files, Settings(jobs=1, select=["PL3"]))
    assert [(f.path, f.code) for f in result.findings] == [("app/llm.py", "PL301")]
    sources = {name: (tmp_path / name).read_bytes() for name in files}
    assert parsed[sources["app/llm.py"]] == 1 and parsed[sources["app/main.py"]] == 1
    assert max(parsed.values()) == 1
    assert trees._kept == {} and trees._budget == 0  # nothing outlives the run
    assert project._FOUND is None  # nor where imports led (analysis/project.py)


def test_trees_are_kept_within_their_budget_and_taken_once():
    small, large = b"x = 1\n", b"y = 2\n" * 100
    try:
        trees.keep(len(small) + 10)
        first = trees.parse(small)
        trees.parse(large)  # over what is left of the budget: not kept
        assert trees.peek(small) is first  # a reader leaves it for the engine
        assert trees.take(small) is first and trees.take(small) is None
        assert trees.take(large) is None
    finally:
        trees.release()
    trees.parse(small)  # no run keeps them: nothing is kept
    assert trees.take(small) is None


def test_the_analysis_parse_skips_libcst_validation_only_while_it_parses():
    """trees.cst_module builds the tree libcst.parse_module builds, without validating each
    node meanwhile; afterwards (and after a syntax error) a node built by hand is checked again."""
    import libcst as cst
    import pytest

    source = textwrap.dedent(FILES["app/llm.py"]).encode()
    parsed = trees.cst_module(source)
    assert parsed.code == cst.parse_module(source).code
    assert parsed.deep_equals(cst.parse_module(source))
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")
    with pytest.raises(cst.ParserSyntaxError):
        trees.cst_module(b"def broken(:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")


def test_a_wrapper_module_is_parsed_by_libcst_once_per_process(tmp_path, monkeypatch):
    """app/llm.py is a checked file and the module app/main.py's wrapper site reads: one libcst
    parse (and one walk) serves both (wholeprogram.parsed). (analysis/project.py reads the
    constants of sibling modules from a parse of its own, of other bytes: not counted.)"""
    from promptlint import wholeprogram

    files = _project(tmp_path, monkeypatch)
    parsed: Counter = Counter()
    real = trees.cst_module

    def counting(source):
        if sys._getframe(1).f_code.co_filename.endswith(("engine.py", "wholeprogram.py")):
            parsed[source if isinstance(source, bytes) else source.encode()] += 1
        return real(source)

    monkeypatch.setattr(trees, "cst_module", counting)
    monkeypatch.setattr(wholeprogram, "_PARSED", {})
    monkeypatch.setattr(wholeprogram, "_MODULES", {})
    result = lint_paths(files, Settings(jobs=1, select=["PL3"]))
    assert [(site.path, site.via) for site in result.callsites] == [("app/llm.py", None), ("app/main.py", "wrapper")]
    assert parsed[(tmp_path / "app/llm.py").read_bytes()] == 1
    assert max(parsed.values()) == 1
