"""Blanking what no LLM call depends on must change nothing but the time taken."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from promptlint import engine
from promptlint.analysis import slicing
from promptlint.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = frozenset({"create", "OpenAI"})


def sliced(source: str) -> str:
    data = textwrap.dedent(source).encode()
    out, tree = slicing.relevant_source(data, slicing.outline(ast.parse(data), CANDIDATES))
    assert len(out.splitlines()) == len(data.splitlines())  # every kept line keeps its number
    compile(out, "<sliced>", "exec")
    assert [type(n).__name__ for n in tree.body] == [type(n).__name__ for n in ast.parse(out).body]
    return out.decode()


APP = """
    import json
    from openai import OpenAI

    PROMPT = "You are terse."


    def unrelated(rows):
        return [json.dumps(r) for r in rows]


    def build(question):
        return PROMPT + question


    def ask(question):
        client = OpenAI()
        return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": build(question)}])


    def batch(questions):
        return [ask(q) for q in questions]


    class Agent:
        system = "stay on task"

        def __init__(self):
            self.client = OpenAI()

        def log(self, line):
            print(line)

        def run(self, text):
            return self.client.chat.completions.create(model="gpt-4o", messages=[])


    class Report:
        def render(self):
            return "<html>"


    if __name__ == "__main__":
        batch(["a"])
"""


def test_keeps_calls_their_helpers_callers_and_class_state():
    out = sliced(APP)
    for kept in ("def build", "def ask", "def batch", "self.client = OpenAI()", "def run",
                 'system = "stay on task"', "import json", "__main__"):
        assert kept in out
    for dropped in ("def unrelated", "def log", "class Report"):
        assert dropped not in out


def test_a_kept_class_without_kept_members_gets_a_body():
    out = sliced("""
        from openai import OpenAI

        class Base:
            def helper(self):
                return 1

        class Bot(Base):
            def go(self):
                return OpenAI().chat.completions.create(model="m", messages=[])
    """)
    assert "class Base:" in out and "def helper" not in out and "    pass" in out


def test_nothing_to_blank_returns_the_same_objects():
    data = b"from openai import OpenAI\nOpenAI().chat.completions.create(model='m', messages=[])\n"
    tree = ast.parse(data)
    assert slicing.relevant_source(data, slicing.outline(tree, CANDIDATES)) == (data, tree)


def _lint_all(paths, settings):
    out = []
    for path in paths:
        result = engine.lint_source(str(path.relative_to(ROOT)), path.read_bytes(), settings)
        out.append(([f.to_dict() for f in result.findings],
                    [(c.span, c.call_span, c.callee, c.api, c.model, c.task) for c in result.callsites]))
    return out


@pytest.mark.parametrize("project", ["rag_service", "agent_loop", "batch_job", "clean_app"])
def test_findings_are_the_same_with_and_without_slicing(project, monkeypatch):
    paths = sorted((ROOT / "fixtures" / project).rglob("*.py"))
    settings = load_settings(isolated=True)
    from promptlint.analysis import project as siblings

    siblings._analysed_at.cache_clear()
    with_slicing = _lint_all(paths, settings)
    monkeypatch.setattr(slicing, "relevant_source", lambda source, plan: (source, plan.tree))
    monkeypatch.setattr(slicing, "constants_source", lambda source, tree: (source, tree))
    siblings._analysed_at.cache_clear()
    assert with_slicing == _lint_all(paths, settings)
    assert any(findings or sites for findings, sites in with_slicing)


def test_fixtures_do_get_sliced():
    """Otherwise the comparison above would prove nothing."""
    settings = load_settings(isolated=True)
    blanked = 0
    for path in sorted((ROOT / "fixtures").rglob("*.py")):
        data = path.read_bytes()
        tree = engine._ast_parse(data)[0]
        plan = engine.module_outline(tree, settings) if tree is not None else None
        if plan and plan.candidates and slicing.relevant_source(data, plan)[0] != data:
            blanked += 1
    assert blanked >= 3


def test_a_stand_in_body_keeps_tab_indentation():
    source = ("from openai import OpenAI\n\nclass Base:\n\tdef helper(self):\n\t\treturn 1\n\n"
              "class Bot(Base):\n\tdef go(self):\n\t\treturn OpenAI().chat.completions.create(model='m', messages=[])\n")
    out = sliced(source)
    assert "\tpass" in out and "def helper" not in out


def test_sibling_modules_lose_their_methods_only():
    source = textwrap.dedent("""
        import os

        SYSTEM = "You are terse."


        def make_client():
            from openai import OpenAI
            return OpenAI(api_key=os.environ["KEY"])


        class Prompts:
            GREETING = "Hello."

            def render(self, name):
                return self.GREETING + name
        """).encode()
    out, tree = slicing.constants_source(source, ast.parse(source))
    text = out.decode()
    assert len(out.splitlines()) == len(source.splitlines())
    assert 'SYSTEM = "You are terse."' in text and "def make_client" in text and 'GREETING = "Hello."' in text
    assert "def render" not in text
    compile(out, "<sibling>", "exec")


def test_generic_retrieval_names_count_only_with_their_library():
    settings = load_settings(isolated=True)
    plain = "def find(index, q):\n    return index.search(q, limit=50)\n"
    assert not engine.module_outline(ast.parse(plain), settings).candidates  # any `.search`: not parsed
    imported = "from qdrant_client import QdrantClient\n" + plain
    assert "search" in engine.module_outline(ast.parse(imported), settings).candidates


def test_a_retrieval_library_imported_inside_a_function_still_counts():
    source = textwrap.dedent("""
        def find(q):
            import qdrant_client
            client = qdrant_client.QdrantClient(url="http://db")
            return client.search(collection_name="docs", query_vector=q, limit=200)
        """).encode()
    result = engine.lint_source("find.py", source, load_settings(isolated=True))
    assert [f.code for f in result.findings] == ["PL402"]


def test_module_level_data_no_call_reads_is_blanked():
    # A generated table no LLM call uses never reaches libcst; the constants the call reads stay.
    out = sliced(textwrap.dedent("""\
        from openai import OpenAI
        client = OpenAI()
        SYSTEM = "You answer billing questions."
        TABLE = {"a": (1, "x"), "b": (2, "y")}
        LABELS = ["a", "b"]
        def ask(q):
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": SYSTEM}])
        """))
    assert "TABLE" not in out and "LABELS" not in out
    assert "SYSTEM =" in out and "client = OpenAI()" in out
    assert len(out.splitlines()) == 7  # lines kept in place: every location stays exact
