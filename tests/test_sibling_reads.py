"""Reading other modules of the project (analysis/project.py) at the cost of an `ast` parse
where the question has no answer: a method's name asked as a class default, a function that
returns nothing, a helper whose text names no retriever. Questions with an answer still get
it from the libcst parse, exactly as before (issue 13, cold speed)."""

from __future__ import annotations

import os
import textwrap

import libcst as cst
import pytest

from promptlint.analysis import project
from promptlint.analysis.values import Num, Returns
from promptlint.engine import lint_paths
from promptlint.settings import Settings

SETTINGS_MODULE = '''
import logging as log
from . import helpers
from .base import *


class Base:
    top_k: int = 20
    name: str
    Kind = Other = None

    def run(self):
        self.client = make()
        return 1


class Config(Base):
    @property
    def url(self):
        return "x"


Config.timeout = 30


def setup():
    log.info("no value returned")


if True:
    @decorated
    def build():
        def inner():
            return 2
        inner()


def _private(x):
    return x
'''


@pytest.fixture
def package(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "settings.py").write_text(SETTINGS_MODULE)
    (tmp_path / "app" / "main.py").write_text("from app.settings import Config, setup\n")
    project._analysed_at.cache_clear()
    yield tmp_path
    project._analysed_at.cache_clear()


@pytest.fixture
def parses(monkeypatch):
    """The sources libcst parses from here on."""
    seen: list[str] = []
    real = cst.parse_module

    def counting(source, *args, **kwargs):
        seen.append(source if isinstance(source, str) else source.decode())
        return real(source, *args, **kwargs)

    monkeypatch.setattr(cst, "parse_module", counting)
    return seen


def test_module_facts_hold_what_the_libcst_index_records(package):
    facts = project.facts("app/settings.py")
    assert facts.top_classes == {"Base", "Config"}
    # Body assignments and `Cls.attr = ...` at module level; not `name: str` (no value) nor `self.client`.
    assert facts.class_attrs == {"top_k", "Kind", "Other", "timeout"}
    assert facts.functions == {"setup", "build", "_private"}  # not the methods, not `inner`
    assert facts.returning == {"build", "_private"}  # `build` through `inner`: more is safe, less is not
    assert facts.imported == {"logging", "helpers"}  # a star import binds no name (index.py skips it)
    text = project.function_source("app/settings.py", "build")
    assert text.splitlines()[0].strip() == "@decorated" and text.rstrip().endswith("inner()")
    assert project.function_source("app/settings.py", "run") is None  # a method, not a module function


def test_facts_of_a_module_that_does_not_parse_are_none(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def broken(:\n")
    assert project.facts(str(bad)) is None


def test_questions_without_an_answer_parse_nothing_with_libcst(package, parses):
    importer = "app/main.py"
    assert project.class_member(importer, "app.settings.Config", "run", 0) is None  # a method
    assert project.class_member(importer, "app.settings.Config", "name", 0) is None  # no default
    assert project.imported_constant(importer, "app.settings.setup", 0) == Returns(None)  # returns nothing
    assert project.DEPENDENCIES >= {project.module_file(importer, "app.settings")}
    assert parses == []


def test_questions_with_an_answer_are_answered_from_libcst(package, parses):
    importer = "app/main.py"
    found = project.class_member(importer, "app.settings.Config", "top_k", 0)  # from its base class
    assert isinstance(found, Num) and found.value == 20
    found = project.class_member(importer, "app.settings.Config", "timeout", 0)  # `Config.timeout = 30`
    assert isinstance(found, Num) and found.value == 30
    assert len(parses) == 1  # one parse of the module, kept for the next question


# -- PL402 through a retrieval helper of another module ---------------------------------
CALLER = '''
from openai import OpenAI

from app.notes import lookup
from app.retrieval import search_docs
from app.audit import record

client = OpenAI()


def answer(question):
    docs = search_docs(question)
    lookup(question)  # results nobody reads: only PL402 looks into these helpers
    record(question)
    return client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=200,
        messages=[{"role": "user", "content": f"{question} {docs}"}])
'''

RETRIEVAL = '''
from app.store import vectorstore


def search_docs(query, k=12):
    return vectorstore.similarity_search(query, k=k)
'''

NOTES = '''
from app.store import table


def lookup(query, top_k=30):
    # `query` is Pinecone's only in a module that imports pinecone
    return table.query(vector=query, top_k=top_k)
'''

AUDIT = '''
def record(text):
    return print(text)
'''


def test_pl402_through_a_helper_of_another_module(tmp_path, monkeypatch, parses):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    for name, text in {"__init__": "", "store": "vectorstore = table = None\n", "retrieval": RETRIEVAL,
                       "audit": AUDIT, "notes": NOTES, "main": CALLER}.items():
        (tmp_path / "app" / f"{name}.py").write_text(textwrap.dedent(text))
    project._analysed_at.cache_clear()
    read = []  # modules whose function text PL402 asked for (an `ast` parse of the module)
    real_source = project.function_source
    monkeypatch.setattr(project, "function_source", lambda path, name: read.append(path) or real_source(path, name))
    result = lint_paths(["app/main.py"], Settings(jobs=1, select=["PL402"]))
    # `record`'s module names no retriever at all: turned away by its text alone.
    assert sorted(os.path.basename(path) for path in read) == ["notes.py", "retrieval.py"]
    [finding] = result.findings
    assert (finding.path, finding.span.line) == ("app/main.py", 12)
    assert "`search_docs()` (app/retrieval.py:6) keeps its default `k=12`" in finding.message
    # The helper module was parsed for `search_docs`; `record` names no retriever, and `lookup`
    # only a generic `query` in a module that imports no library with one: theirs were not.
    assert any("def search_docs" in source for source in parses)
    assert not any("def record" in source or "def lookup" in source for source in parses)
    (tmp_path / "app" / "notes.py").write_text("import pinecone\n" + textwrap.dedent(NOTES))
    lint_paths(["app/main.py"], Settings(jobs=1, select=["PL402"]))
    assert any("def lookup" in source for source in parses)


def test_defines_finds_what_is_assigned_or_defined_at_the_start_of_a_line(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text("TOP_K: int = 20\nxy = 1\nobj.attr = 2\nasync def fetch():\n    inner = 3\n"
                      "def build_prompt(x=1):\n    pass\n")
    for name in ("TOP_K", "xy", "fetch", "build_prompt"):
        assert project._defines(str(module), name), name
    for name in ("x", "obj", "attr", "inner", "build"):  # a prefix, an attribute, a local: no
        assert not project._defines(str(module), name), name


def test_module_file_answers_are_kept_only_while_a_run_keeps_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("")
    assert project.module_file("app/main.py", "app.prompts") is None
    (tmp_path / "app" / "prompts.py").write_text("")  # created since: found (the language server)
    assert project.module_file("app/main.py", "app.prompts") == str(tmp_path / "app" / "prompts.py")
    project.remember_modules(True)
    try:
        assert project.module_file("app/main.py", "app.tools") is None
        (tmp_path / "app" / "tools.py").write_text("")
        assert project.module_file("app/main.py", "app.tools") is None  # within a run: the first answer
    finally:
        project.remember_modules(False)
    assert project.module_file("app/main.py", "app.tools") == str(tmp_path / "app" / "tools.py")


# -- questions turned away by the module's text, before any parse (issue 13, cold speed) --------
def test_function_source_of_a_name_the_module_never_defines_parses_nothing(package):
    project._facts_at.cache_clear()
    assert project.function_source("app/settings.py", "Config") is None  # a class, not a function
    assert project.function_source("app/settings.py", "helpers") is None  # an imported module
    assert project._facts_at.cache_info().currsize == 0  # no `ast` parse was needed to say so
    assert project.function_source("app/settings.py", "setup") is not None
    assert project._facts_at.cache_info().currsize == 1


@pytest.mark.parametrize("source", [
    "def \\\n    split(x):\n    return x\n",  # a line continuation between `def` and the name
    "if True:\n\tasync  def split(x):\n\t\treturn x\n",  # indented, tabs, two spaces
    "def split[T](x: T) -> T:\n    return x\n" if __import__("sys").version_info >= (3, 12) else "def split(x):\n    return x\n",
])
def test_function_source_still_finds_every_spelling_of_a_definition(tmp_path, source):
    module = tmp_path / "mod.py"
    module.write_text(source)
    text = project.function_source(str(module), "split")
    assert text is not None and "split" in text


def test_function_source_of_a_module_with_non_ascii_names_asks_ast(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text("def ﬁnd(x):\n    return x\n")  # `ast` normalises the ligature: the function is `find`
    assert project.function_source(str(module), "find") is not None
