"""The project index's cheap look-ups (issue 13, cold speed): each file's words are read once
(prefilter.file_words) and the index's rounds and the engine's pre-check ask them instead of
scanning the bytes once per wrapper name; index_file walks only the statements whose lines
hold `import`. None of it may change an answer: each is compared here with the regular
expression it stands for, and an edited file must be read again."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from promptlint import prefilter
from promptlint.project_index import ProjectIndex, _Scanned, build, index_file
from promptlint.settings import Settings

LLM = ("from openai import OpenAI\n\nclient = OpenAI()\n\n\n"
       "def ask_model(messages):\n"
       "    return client.chat.completions.create(model='gpt-4.1-mini', messages=messages)\n")


def _regex_calls_wrapper(source: bytes, table: tuple) -> bool:
    """calls_wrapper as it was written before the word sets: a stem as a word, then `name(`."""
    for stem, word, names in prefilter._wrapper_names(table):
        if stem in source and word.search(source):
            if any(name in source and pattern.search(source) for name, pattern in names):
                return True
    return False


TABLE = (
    ("ask_model", "app/llm.py", "ask_model", "app/llm.py", "ask_model", "", 0),
    ("résumé", "app/outils.py", "résumé", "app/outils.py", "résumé", "", 0),  # a non-ASCII name
    ("reply", "app/modèle.py", "Bot.reply", "app/modèle.py", "Bot.reply", "", 0),  # a non-ASCII stem
)

SOURCES = [
    b"from app import llm\nllm.ask_model(x)\n",
    b"from app.llm import ask_model\nask_model  \n  (x)\n",  # blanks and a line break before `(`
    b"import llm_tools\nllm_tools.ask_model(x)\n",  # the stem inside a longer name only
    b"from app import llm\nllm.ask_model_v2(x)\n",  # the name inside a longer name only
    b"from app import llm\nx = 'ask_model'\n",  # named, never called
    b"from app import llm\nllm2ask_model(x)\n",
    "from app.outils import résumé\nrésumé(texte)\n".encode(),
    "from app import outils\nprésumé(texte)\n".encode(),  # the name after a non-ASCII letter
    "from app.modèle import Bot\nBot().reply(x)\n".encode(),
    "import modèles\nBot().reply(x)\n".encode(),
    b"",
]


@pytest.mark.parametrize("source", SOURCES)
def test_calls_wrapper_answers_as_the_regular_expressions_do(source):
    expected = _regex_calls_wrapper(source, TABLE)
    assert prefilter.calls_wrapper(source, TABLE) is expected
    assert prefilter.calls_wrapper(source, TABLE, prefilter.file_words(source)) is expected


def test_calls_wrapper_cases_that_differ():
    assert prefilter.calls_wrapper(SOURCES[1], TABLE)
    assert not prefilter.calls_wrapper(SOURCES[2], TABLE)
    assert not prefilter.calls_wrapper(SOURCES[3], TABLE)
    assert prefilter.calls_wrapper(SOURCES[6], TABLE)


def test_a_files_words_follow_its_bytes():
    before = b"from app import llm\n\ndef f(x):\n    return llm.ask_model(x)\n"
    after = before.replace(b"llm.ask_model", b"helpers.other")
    assert {b"llm", b"ask_model"} <= prefilter.file_words(before)
    assert b"ask_model" not in prefilter.file_words(after) and b"helpers" in prefilter.file_words(after)
    assert prefilter.calls_wrapper(before, TABLE) and not prefilter.calls_wrapper(after, TABLE)
    assert prefilter.file_words(before) == frozenset(re.findall(rb"\w+", before))
    # The memo holds digests, never a file's bytes.
    assert all(len(key) == 16 for key in prefilter._WORDS) and before not in prefilter._WORDS


def test_an_edited_module_is_read_again_by_the_next_build(tmp_path, monkeypatch):
    """A module that starts calling a wrapper between two builds in one process becomes a
    wrapper itself: nothing remembered from the first build's words hides the new call."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    (tmp_path / "app/llm.py").write_text(LLM)
    agent = tmp_path / "app/agent.py"
    agent.write_text("def run_agent(task):\n    return task\n")
    files = sorted(str(Path("app") / name) for name in ("__init__.py", "llm.py", "agent.py"))
    settings = Settings(jobs=1)
    assert not any(row[2] == "run_agent" for row in build(files, settings))
    agent.write_text("from app.llm import ask_model\n\n\ndef run_agent(task):\n"
                     "    return ask_model([{'role': 'user', 'content': task}])\n")
    assert ("run_agent", "app/agent.py", "run_agent") in {row[:3] for row in build(files, settings)}


def test_a_subclass_with_a_non_ascii_base_name_is_still_read():
    """hierarchy_files rules files out by their words only for names made of ASCII word
    characters; a base class named `Modèle` is looked for with the expression."""
    base = ("from openai import OpenAI\n\n\nclass Modèle:\n    def reply(self, prompt):\n"
            "        return OpenAI().responses.create(model='gpt-4o', input=prompt)\n").encode()
    found = ProjectIndex({"app/base.py": index_file("app/base.py", base)}, {"app/base.py": True})
    assert ("app/base.py", "Modèle.reply") in found.wrappers
    unread = {"app/sub.py": "from app.base import Modèle\n\n\nclass Echo(Modèle):\n    pass\n".encode(),
              "app/other.py": b"class Echo(Base):\n    pass\n"}
    assert found.hierarchy_files(unread, _Scanned()) == {"app/sub.py"}


DECLARATIONS = {
    "app/a.py": b"class Echo(ChatBackend):\n    pass\n",
    "app/b.py": b"class Echo(\n    mixins.Logged,\n    ChatBackend,\n):\n    pass\n",  # over several lines
    "app/c.py": b"class Echo(ChatBackendV2):\n    pass\n",  # a longer name only
    "app/d.py": b"x = 'class Echo(ChatBackend)'\n",  # not at the start of a line
    "app/e.py": b"class Echo(Base):\n    kind = ChatBackend\n",  # named after the base list only
    "app/f.py": b"class Echo(metaclass=Meta\nclass Other(base.ChatBackend):\n    pass\n",  # no `)` before
    "app/g.py": b"    class Inner (ChatBackend) :\n        pass\n",
    "app/h.py": b"class Echo(ChatBackend",  # unfinished: the list runs to the end
}


def test_subclass_declarations_are_found_as_the_expression_finds_them():
    base = (b"from openai import OpenAI\n\n\nclass ChatBackend:\n    def reply(self, prompt):\n"
            b"        return OpenAI().responses.create(model='gpt-4o', input=prompt)\n")
    found = ProjectIndex({"app/base.py": index_file("app/base.py", base)}, {"app/base.py": True})
    declares = re.compile(rb"^[ \t]*class[ \t]+\w+[ \t]*\([^)]*\b(?:ChatBackend)\b", re.M)
    expected = {path for path, source in DECLARATIONS.items() if declares.search(source)}
    assert found.hierarchy_files(DECLARATIONS, _Scanned()) == expected
    assert expected == {"app/a.py", "app/b.py", "app/f.py", "app/g.py", "app/h.py"}


def test_imports_are_found_in_every_kind_of_block():
    source = ("import os\n"
              "def f(v):\n"
              "    match v:\n"
              "        case 1:\n"
              "            import a.b as c\n"
              "        case _:\n"
              "            pass\n"
              "    try:\n"
              "        pass\n"
              "    except ValueError:\n"
              "        from x import y\n"
              "    finally:\n"
              "        for i in v:\n"
              "            while i:\n"
              "                with open(i) as fh:\n"
              "                    from \\\n"
              "                        deep import \\\n"
              "                        z\n"
              "    return y(c)\n"
              "class K:\n"
              "    def m(self):\n"
              "        if self:\n"
              "            from .sib import w\n").encode()
    imports = index_file("pkg/mod.py", source)["imports"]
    assert imports == {"os": "os", "c": "a.b", "y": "x.y", "z": "deep.z", "w": "pkg.sib.w"}
    crlf = index_file("pkg/mod.py", source.replace(b"\n", b"\r"))["imports"]
    assert crlf == imports


def test_functions_handed_over_are_found_across_lines():
    """A call `name(` never spans lines (only lines holding "(" are read for calls), but a
    function handed to an executor, or an SDK method handed to a helper, may: those are read
    from the function's whole text whenever the file holds any."""
    source = (b"def first(executor, prompt):\n"
              b"    return executor.submit(\n"
              b"        model.inference,\n"
              b"        prompt,\n"
              b"    )\n"
              b"\n"
              b"\n"
              b"def second(self, messages):\n"
              b"    return self._call_client(\n"
              b"        self._client.chat.completions.create,\n"
              b"        messages=messages)\n"
              b"\n"
              b"\n"
              b"def third(x):\n"
              b"    return helper(x) + other (x)\n")
    calls = {f["name"]: f["calls"] for f in index_file("app/run.py", source)["functions"]}
    assert calls == {"first": ["executor.submit", "model.inference"],
                     "second": ["self._call_client", "self._client.chat.completions.create"],
                     "third": ["helper", "other"]}


PRECHECK = [
    b"from openai import OpenAI\n",
    b"import anthropic\n",
    b"reply = client.chat.complete(model=m, messages=msgs)\n",  # a marker holding whole words
    b"reply = client.chat_complete(model=m)\n",  # `chat` and `complete` not whole words here
    b"reply = mistral.chat.complete_async(model=m)\n",
    b"url = base + '/api/chat'\n",
    b"config = {'max_turns': 3}\n",
    b"# openai is mentioned, nothing imported or called\nprint(1)\n",
    b"import os\n",
    b"",
]


def _precheck_as_written_before(source: bytes, extra: tuple[str, ...]) -> bool:
    if not any(word in source for word in prefilter._words(extra)):
        return False
    return any(m in source for m in prefilter._markers(extra)) or prefilter._imports_sdk(source)


@pytest.mark.parametrize("order", [1, -1])
def test_the_sdk_precheck_answers_as_before_in_any_order(order):
    """The pre-check tries the package word of the last file first and skips markers whose
    whole words a file lacks: neither may change its answer, whatever came before."""
    extra = ("mycorp.llm.ask(",)
    for source in [*PRECHECK, b"mycorp.llm.ask(q)\n", b"mycorp.llm.asking\n"][::order]:
        for read_words in (True, False):
            for markers in (extra, ()):
                expected = _precheck_as_written_before(source, markers)
                assert prefilter._sdk_markers_or_import(source, markers, read_words) is expected, source
    assert prefilter._sdk_markers_or_import(PRECHECK[2], (), True)
    assert not prefilter._sdk_markers_or_import(PRECHECK[3], (), True)


def test_only_the_project_index_keeps_words():
    """A check without the project index (the language server, one buffer after another)
    keeps no file's words; the index's pre-check does, for its rounds."""
    source = b"import requests\nreply = client.chat.complete(model='m', messages=[]) # 7f3a\n"
    digest = hashlib.blake2b(source, digest_size=16).digest()
    assert prefilter.may_hold_callsite(source, Settings())
    assert digest not in prefilter._WORDS
    other = source.replace(b"7f3a", b"9c1e")
    assert prefilter.may_hold_callsite(other, Settings(), read_words=True)
    assert hashlib.blake2b(other, digest_size=16).digest() in prefilter._WORDS


def test_test_modules_are_not_indexed(tmp_path, monkeypatch):
    """A helper in a test module (`tests/helpers.py` asking the model) is no wrapper of the
    application: the build does not read test modules, and the application's wrappers called
    from a test stay wrappers."""
    monkeypatch.chdir(tmp_path)
    for folder in ("app", "tests"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "app/llm.py").write_text(LLM)
    (tmp_path / "tests/helpers.py").write_text(LLM.replace("ask_model", "ask_in_test"))
    (tmp_path / "tests/test_agent.py").write_text(
        "from app.llm import ask_model\n\n\ndef run_case(task):\n    return ask_model([task])\n")
    files = ["app/__init__.py", "app/llm.py", "tests/__init__.py", "tests/helpers.py", "tests/test_agent.py"]
    names = {row[2] for row in build(files, Settings(jobs=1))}
    assert names == {"ask_model"}


def test_a_rules_marker_makes_no_seed(tmp_path, monkeypatch):
    """A module the pre-check lets in for a rule's own marker (`max_iter=`, which PL701 reads) holds
    no SDK request for that: its `self.executor.invoke(...)` makes no wrapper. With an SDK
    imported, the same call is a request of the catalog's name and its function a wrapper."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    agent = ("class Agent:\n    def __init__(self, executor, max_iter=25):\n        self.executor = executor\n"
             "        self.max_iter = max_iter\n\n    def run(self, task):\n        return self.executor.invoke(task)\n")
    (tmp_path / "app/agent.py").write_text(agent)
    files = ["app/agent.py"]
    assert build(files, Settings(jobs=1)) == []
    (tmp_path / "app/agent.py").write_text("from langchain_openai import ChatOpenAI\n\n" + agent)
    assert {row[2] for row in build(files, Settings(jobs=1))} == {"Agent.run"}
    # The pre-check itself still lets the first module in for the rule (PL701 reads it).
    assert prefilter.may_hold_callsite(agent.encode(), Settings())
    assert not prefilter.may_hold_callsite(agent.encode(), Settings(), hints=False)
