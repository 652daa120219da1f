"""PL401, PL403-PL406 beyond their rule documents: where text was written (pieces, origin),
the project-wide phase (text in sibling modules, copies across files), suppression there."""

from __future__ import annotations

import textwrap

import pytest

from promptlint.engine import lint_paths, lint_source
from promptlint.settings import Settings

LONG = " ".join(f"Rule {i}: keep product names exact and quote error code E{1000 + i} verbatim." for i in range(25))


def _write(root, files: dict[str, str]) -> list[str]:
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        paths.append(name)
    return paths


def _run(tmp_path, monkeypatch, files, select):
    monkeypatch.chdir(tmp_path)
    result = lint_paths(_write(tmp_path, files), Settings(select=select, jobs=1))
    assert not result.errors
    return [(f.path, f.span.line, f.code, f.suppressed) for f in result.findings]


CALLER = """\
    from openai import OpenAI

    from .prompts import SYSTEM

    client = OpenAI()


    def {name}(question: str) -> str:
        completion = client.chat.completions.create(
            model="gpt-4.1-mini",
            max_completion_tokens=100,
            messages=[{{"role": "system", "content": SYSTEM}}, {{"role": "user", "content": question}}],
        )
        return completion.choices[0].message.content
"""


PADDED_PROMPTS = {
    "app/__init__.py": "",
    "app/prompts.py": '''\
            SYSTEM = """\\
            You answer questions about the Northwind API.
            Please keep answers short.
            """
        ''',
}


def test_padding_in_a_sibling_module_is_reported_there_once(tmp_path, monkeypatch):
    files = {
        **PADDED_PROMPTS,
        "app/answer.py": CALLER.format(name="answer"),
        "app/suggest.py": CALLER.format(name="suggest"),
    }
    found = _run(tmp_path, monkeypatch, files, ["PL403"])
    assert found == [("app/prompts.py", 3, "PL403", False)]


def test_suppression_on_the_closing_line_of_a_sibling_constant(tmp_path, monkeypatch):
    files = {
        "app/__init__.py": "",
        "app/prompts.py": '''\
            SYSTEM = """\\
            You answer questions about the Northwind API.
            Please keep answers short.
            """  # promptlint: disable=PL403 the support team wants it
        ''',
        "app/answer.py": CALLER.format(name="answer"),
    }
    assert _run(tmp_path, monkeypatch, files, ["PL403"]) == [("app/prompts.py", 3, "PL403", True)]


def test_copy_in_another_file_is_found_in_the_project_phase(tmp_path, monkeypatch):
    files = {
        "app/__init__.py": "",
        "app/prompts.py": f'SYSTEM = """{LONG}"""\n',
        "app/answer.py": CALLER.format(name="answer"),
        "app/suggest.py": CALLER.format(name="suggest"),  # the same constant: not a copy
        "app/legacy.py": CALLER.replace("from .prompts import SYSTEM", f'SYSTEM = """{LONG} Be brief."""')
        .format(name="legacy"),
    }
    found = _run(tmp_path, monkeypatch, files, ["PL405"])
    # The text two calls share is the original; the one-off copy is reported.
    assert found == [("app/legacy.py", 3, "PL405", False)]


def test_copy_in_the_same_file_is_reported_by_the_file_pass_only(tmp_path, monkeypatch):
    source = f'''\
        from openai import OpenAI

        client = OpenAI()
        A = """{LONG}"""
        B = """{LONG}"""


        def one(q):
            return client.chat.completions.create(model="gpt-4.1", max_tokens=5, messages=[{{"role": "system", "content": A}}, {{"role": "user", "content": q}}])


        def two(q):
            return client.chat.completions.create(model="gpt-4.1", max_tokens=5, messages=[{{"role": "system", "content": B}}, {{"role": "user", "content": q}}])
    '''
    assert _run(tmp_path, monkeypatch, {"m.py": source}, ["PL405"]) == [("m.py", 5, "PL405", False)]


def _sites(source: str):
    return lint_source("example.py", textwrap.dedent(source).encode(), Settings(select=["PL403"])).callsites


def test_pieces_place_text_joined_from_several_literals():
    from promptlint.checks._prompt_text import where

    sites = _sites('''\
        from openai import OpenAI

        client = OpenAI()
        INTRO = "You answer questions. "
        RULES = """Cite sources.
        Be brief."""


        def ask(q):
            return client.chat.completions.create(
                model="gpt-4.1", max_tokens=5,
                messages=[{"role": "system", "content": f"{INTRO}Always {RULES}".strip()}, {"role": "user", "content": q}],
            )
    ''')
    seg = sites[0].parts[0].segments[0]
    assert seg.text == "You answer questions. Always Cite sources.\nBe brief."
    assert where(seg, 0)[1].line == 4  # INTRO
    assert where(seg, seg.text.index("Always"))[1].line == 12  # the f-string's own text
    assert where(seg, seg.text.index("Be brief"))[1].line == 5  # RULES


def test_pretty_dump_keeps_its_note_inside_an_fstring():
    sites = _sites('''\
        import json
        from openai import OpenAI

        client = OpenAI()
        SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}}


        def ask(q):
            return client.chat.completions.create(
                model="gpt-4.1", max_tokens=5,
                messages=[{"role": "system", "content": f"Schema:\\n{json.dumps(SCHEMA, indent=2)}\\nAnswer."},
                          {"role": "user", "content": q}],
            )
    ''')
    segs = sites[0].parts[0].segments
    assert [s.note for s in segs] == [None, "json.dumps(..., indent=2)", None]
    assert segs[1].text.startswith('{\n  "type"')


@pytest.mark.parametrize(("text", "phrases"), [
    ("Please answer briefly.", ["please "]),
    ("We are pleased to help; pleasant tone.", []),
    ('Reply "Please contact support" when unsure.', []),
    ("Reply 'I'm sorry, please try again' when unsure.", []),
    ("Never say please.", []),
    ("Customer: please help me", []),
    ("It is very important to cite sources.", ["it is very important to "]),
    ("The user wants you to edit files.", []),
    ("Classify praise: thanks and compliments.", []),
    ("Could you please summarize this?", ["could you please "]),
])
def test_padding_phrases(text, phrases):
    from promptlint.checks.pl403_prompt_padding import find_padding

    assert [i.snippet.lower() for i in find_padding(text, 90)] == phrases


@pytest.mark.parametrize(("a", "b", "same"), [
    ("answer only from the documentation excerpts", "remember answer only from the documentation excerpts", True),
    ("use null for any field that is not present", "use null for every field that is not present", True),
    ("the following are examples of correct answers", "the following are examples of incorrect answers", False),
    ("include three lines of context before the change", "include three lines of context after the change", False),
    ("do not include information from the user", "do include information from the user", False),
])
def test_same_instruction(a, b, same):
    from promptlint.checks.pl404_repeated_instruction import same_instruction

    assert same_instruction(a, b) is same


def test_pretty_dump_in_a_sibling_constant_is_reported_there(tmp_path, monkeypatch):
    files = {
        "app/__init__.py": "",
        "app/prompts.py": '''\
            import json

            SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "tags": {"type": "array"}}}
            SYSTEM = "Extract fields matching this schema:\\n" + json.dumps(SCHEMA, indent=2)
        ''',
        "app/answer.py": CALLER.format(name="answer"),
        "app/suggest.py": CALLER.format(name="suggest"),
    }
    assert _run(tmp_path, monkeypatch, files, ["PL406"]) == [("app/prompts.py", 4, "PL406", False)]


def test_pydantic_model_dump_json_with_indent():
    source = '''\
        from openai import OpenAI

        client = OpenAI()


        def update(state, text):
            return client.chat.completions.create(
                model="gpt-4.1-mini", max_tokens=300,
                messages=[{"role": "system", "content": f"Current state:\\n{state.model_dump_json(indent=2)}"},
                          {"role": "user", "content": text + state.model_dump_json()}],
            )
    '''
    result = lint_source("example.py", textwrap.dedent(source).encode(), Settings(select=["PL406"]))
    assert [(f.span.line, f.message.split("`")[1]) for f in result.findings] == [(9, "model_dump_json(indent=2)")]


def test_kindly_as_a_manner_is_not_padding():
    from promptlint.checks.pl403_prompt_padding import find_padding

    assert find_padding("Explain this kindly and suggest the repair shop.", 90) == []
    assert len(find_padding("Be brief. Kindly note the refund policy.", 90)) == 1


def test_a_prompt_constant_star_imported_from_a_sibling_module_reaches_the_call(tmp_path, monkeypatch):
    """`from .prompts import *` binds SYSTEM as `from .prompts import SYSTEM` would: its padding is found."""
    files = {
        **PADDED_PROMPTS,
        "app/answer.py": CALLER.format(name="answer").replace("from .prompts import SYSTEM", "from .prompts import *"),
    }
    assert _run(tmp_path, monkeypatch, files, ["PL403"]) == [("app/prompts.py", 3, "PL403", False)]


PARALLEL_EXAMPLES = '''
Say whether a five-letter word fits the letters given (sure / maybe / impossible).

Incorrect; to injure: w _ o _ g
The letter constraint is: 5 letters, letter 1 is w, letter 3 is o.
I cannot think of any other word that fits these letters right now.
sure

Dewy; roscid: r _ _ _ l
The letter constraint is: 5 letters, letter 1 is r, letter 5 is l.
I cannot think of any other word that fits these letters right now.
maybe

A woodland: _ l _ d e
The letter constraint is: 5 letters, letter 2 is l, letter 4 is d.
I cannot think of any other word that fits these letters right now.
maybe

{input}
'''


def test_a_sentence_repeated_across_parallel_example_blocks_is_example_data():
    """Unlabelled worked examples, one block each under the same pattern ("The letter constraint
    is: ..."): a sentence they all hold is data, not a repeated instruction (PL404 stays quiet);
    the same sentence written twice in the instructions still counts."""
    from promptlint.checks.pl404_repeated_instruction import parallel_blocks

    assert len(parallel_blocks(PARALLEL_EXAMPLES)) == 3
    template = "from openai import OpenAI\n\nclient = OpenAI()\nPROMPT = '''{text}'''\n\n\ndef ask(x):\n" \
               "    return client.chat.completions.create(model='gpt-4.1-mini', max_tokens=5,\n" \
               "        messages=[{{'role': 'user', 'content': PROMPT.format(input=x)}}])\n"
    quiet = lint_source("app.py", template.format(text=PARALLEL_EXAMPLES).encode(), Settings(select=["PL404"]))
    assert [f.code for f in quiet.findings] == []
    twice = PARALLEL_EXAMPLES.replace("{input}", "Answer in one word, never in a sentence.\n"
                                      "Answer in one word, never in a sentence.\n{input}")
    loud = lint_source("app.py", template.format(text=twice).encode(), Settings(select=["PL404"]))
    assert [f.code for f in loud.findings] == ["PL404"]
