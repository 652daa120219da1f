"""Prompt resolution: how each call's prompt is built, as static/dynamic/volatile segments."""

import textwrap

from promptlint.engine import lint_source
from promptlint.settings import Settings


def parts(code: str):
    result = lint_source("app.py", textwrap.dedent(code).encode(), Settings())
    assert len(result.callsites) == 1
    return [(p.role, [(s.kind, s.text if s.kind == "static" else s.source) for s in p.segments])
            for p in result.callsites[0].parts]


def test_fstring_constant_and_parameter():
    got = parts("""
        from openai import OpenAI
        SYSTEM = "You are terse."
        def ask(q):
            return OpenAI().chat.completions.create(model="m", messages=[
                {"role": "system", "content": f"{SYSTEM} Answer in English."},
                {"role": "user", "content": q},
            ])
        """)
    assert got == [("system", [("static", "You are terse. Answer in English.")]),
                   ("user", [("dynamic", "q")])]


def test_concat_format_percent_join_dedent():
    got = parts("""
        import textwrap
        from anthropic import Anthropic
        RULES = ["Be brief.", "Cite sources."]
        HEADER = textwrap.dedent('''
            Rules:
        ''')
        def ask(q, name):
            system = HEADER + "\\n".join(RULES) + " User: {}.".format(name) + " (%s)" % "v1"
            return Anthropic().messages.create(model="m", max_tokens=5, system=system,
                                               messages=[{"role": "user", "content": q}])
        """)
    assert got[0] == ("system", [("static", "\nRules:\nBe brief.\nCite sources. User: "), ("dynamic", "name"),
                                 ("static", ". (v1)")])


def test_branches_give_candidates_and_volatile_wins():
    got = parts("""
        from datetime import datetime
        from openai import OpenAI
        def ask(q, fresh):
            if fresh:
                sys = f"Now: {datetime.now()}. Be brief."
            else:
                sys = "Be brief."
            return OpenAI().chat.completions.create(model="m", messages=[{"role": "system", "content": sys}])
        """)
    assert got == [("system", [("static", "Now: "), ("volatile", "datetime.now()"), ("static", ". Be brief.")])]


def test_straight_line_reassignment_takes_the_last():
    got = parts("""
        import time
        from openai import OpenAI
        def ask(q):
            sys = f"t={time.time()}"
            sys = "Be brief."
            return OpenAI().chat.completions.create(model="m", messages=[{"role": "system", "content": sys}])
        """)
    assert got == [("system", [("static", "Be brief.")])]


def test_messages_append_and_helper_function():
    got = parts("""
        from openai import OpenAI
        def build_messages(q):
            msgs = [{"role": "system", "content": "Be brief."}]
            msgs.append({"role": "user", "content": q})
            return msgs
        def ask(q):
            return OpenAI().chat.completions.create(model="m", messages=build_messages(q))
        """)
    assert got == [("system", [("static", "Be brief.")]), ("user", [("dynamic", "q")])]


def test_history_splice_is_opaque_dynamic():
    got = parts("""
        from openai import OpenAI
        def ask(history, q):
            messages = [{"role": "system", "content": "Be brief."}] + history + [{"role": "user", "content": q}]
            return OpenAI().chat.completions.create(model="m", messages=messages)
        """)
    assert [r for r, _ in got] == ["system", "history", "user"]
    assert got[1][1] == [("dynamic", "history")]


def test_volatile_sources():
    got = parts("""
        import uuid, random, os
        from anthropic import Anthropic
        TOOLS = [{"name": "a"}, {"name": "b"}]
        def ask(q, request_id):
            tools = list(TOOLS)
            random.shuffle(tools)
            return Anthropic().messages.create(model="m", max_tokens=5, tools=tools,
                system=f"{request_id} {uuid.uuid4()} {os.listdir('x')}", messages=[])
        """)
    kinds = [s for _, segs in got for s in segs]
    assert kinds[0] == ("volatile", "random.shuffle(tools)")
    assert ("volatile", "request_id") in kinds and ("volatile", "uuid.uuid4()") in kinds
    assert ("volatile", "os.listdir('x')") in kinds


def test_sorted_listdir_and_sort_keys_are_stable():
    got = parts("""
        import os, json
        from anthropic import Anthropic
        SCHEMA = {"b": 1, "a": 2}
        def ask(q):
            files = sorted(os.listdir("prompts"))
            return Anthropic().messages.create(model="m", max_tokens=5,
                system=json.dumps(SCHEMA, sort_keys=True) + "\\n".join(files), messages=[])
        """)
    assert all(kind == "static" for _, segs in got for kind, _ in segs)
    assert got[0][1][0] == ("static", '{"a": 2, "b": 1}')


def test_anthropic_system_blocks_and_cache_marker():
    result = lint_source("app.py", textwrap.dedent("""
        from anthropic import Anthropic
        Anthropic().messages.create(model="m", max_tokens=5, messages=[],
            system=[{"type": "text", "text": "Policy.", "cache_control": {"type": "ephemeral"}}])
        """).encode(), Settings())
    part = result.callsites[0].parts[0]
    assert part.role == "system" and part.cache_marker
    assert [(s.kind, s.text) for s in part.segments] == [("static", "Policy.")]


def test_langchain_template_placeholders_are_dynamic():
    got = parts("""
        from langchain_openai import ChatOpenAI
        from langchain_core.prompts import ChatPromptTemplate
        prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "Q: {question}")])
        chain = prompt | ChatOpenAI(model="gpt-4o", max_tokens=5)
        chain.invoke({"question": "x"})
        """)
    assert got == [("system", [("static", "Be brief.")]), ("user", [("static", "Q: "), ("dynamic", "{question}")])]


def test_unknown_is_never_guessed():
    got = parts("""
        from openai import OpenAI
        from .prompts import load_prompt
        def ask(q):
            return OpenAI().chat.completions.create(model="m", messages=[
                {"role": "system", "content": load_prompt("x")}])
        """)
    assert got[0][1][0][0] in ("dynamic", "unknown")


def test_constants_and_clients_from_sibling_modules(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "prompts.py").write_text('SYSTEM = "You are the Acme support assistant."\n')
    (pkg / "llm.py").write_text("from openai import OpenAI\nclient = OpenAI()\n")
    (pkg / "app.py").write_text(textwrap.dedent("""
        from .prompts import SYSTEM
        from . import prompts
        from .llm import client
        def ask(q):
            return client.chat.completions.create(model="m", messages=[
                {"role": "system", "content": SYSTEM + " " + prompts.SYSTEM}])
        """))
    monkeypatch.chdir(tmp_path)
    result = lint_source("pkg/app.py", (pkg / "app.py").read_bytes(), Settings())
    assert len(result.callsites) == 1
    segs = result.callsites[0].parts[0].segments
    assert [(s.kind, s.text) for s in segs] == [
        ("static", "You are the Acme support assistant. You are the Acme support assistant.")]


def test_reassignment_reads_the_previous_value():
    got = parts("""
        from openai import OpenAI
        def ask(q):
            system = "Be brief."
            system = system + " Cite sources."
            system += " No emojis."
            return OpenAI().chat.completions.create(model="m", messages=[{"role": "system", "content": system}])
        """)
    assert got == [("system", [("static", "Be brief. Cite sources. No emojis.")])]


def test_locations_are_exact_in_decorated_and_nested_code():
    code = textwrap.dedent('''
        import functools
        from datetime import datetime
        from openai import OpenAI

        @functools.lru_cache(
            maxsize=1,
        )
        def client():
            return OpenAI()

        class Bot:
            @property
            def name(self):
                return "bot"

            def ask(self, q):
                a = 1; b = f"Now {datetime.now()}. Be brief."
                return client().chat.completions.create(model="m", max_tokens=5,
                    messages=[{"role": "system", "content": b}, {"role": "user", "content": q}])
        ''')
    result = lint_source("app.py", code.encode(), Settings())
    finding = next(f for f in result.findings if f.code == "PL101")
    line = code.splitlines()[finding.span.line - 1]
    assert line[finding.span.column - 1:finding.span.end_column - 1] == "datetime.now()"
    site = result.callsites[0]
    call_line = code.splitlines()[site.span.line - 1]
    assert call_line[site.span.column - 1:site.span.end_column - 1] == "client().chat.completions.create"


def test_segments_read_each_shared_branch_once(monkeypatch):
    """Branches share their parts (an f-string over optional pieces: `Alt` of values built from
    the same `Alt`s); reading every path was exponential (agno's cookbook, 40 s on one file).
    Each value is read once, and the answer is the one the branches give."""
    from promptlint.analysis import segments as seg
    from promptlint.analysis.values import Alt, Dyn, Seq, Text

    reads = []
    real = seg._segments_of
    monkeypatch.setattr(seg, "_segments_of", lambda val, memo: reads.append(val) or real(val, memo))
    val = Text([seg.Segment("static", "https://api.example.com/v1/")])
    for depth in range(30):  # 2**30 paths through the branches
        val = Alt([Seq([val, Text([seg.Segment("static", f"part{depth}/")])]), Seq([val])])
    val = Alt([val, Dyn("user_id", None)])
    found = seg.segments(val)
    assert [s.kind for s in found] == ["dynamic"] and found[0].source == "user_id"
    assert len(reads) <= 4 * 30 + 4
