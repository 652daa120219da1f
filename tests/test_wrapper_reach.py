"""Cold-run speed of whole-program analysis (issue 13): a project wrapper's name makes a file
worth parsing only where the file may reach that wrapper (prefilter.wrapper_names_here), and
the byte pre-check of a file is worked out once per process. The wrapper sites themselves must
not change: every way the resolver reaches a wrapper in another module still finds it."""

import ast
from pathlib import Path

import pytest

from promptlint import engine, outline, prefilter
from promptlint.project_index import OVERRIDE, index_file
from promptlint.settings import Settings

SELECT = ["PL1", "PL3", "PL4"]

LLM = (
    "from openai import OpenAI\n"
    "\n"
    "client = OpenAI()\n"
    "\n"
    "\n"
    "def ask_model(messages):\n"
    "    return client.chat.completions.create(model='gpt-4.1-mini', messages=messages)\n"
)

BASE = (
    "from openai import OpenAI\n"
    "\n"
    "\n"
    "class Base:\n"
    "    def __init__(self):\n"
    "        self.client = OpenAI()\n"
    "\n"
    "    def _send(self, prompt):\n"
    "        return self.client.chat.completions.create(\n"
    "            model='gpt-4.1-mini', messages=[{'role': 'user', 'content': prompt}])\n"
)

CALLERS = {
    # how the caller names the wrapper's module -> (its source, does it reach `ask_model`)
    "imports the function": ("from app.llm import ask_model\n\n\ndef summarise(text):\n"
                             "    return ask_model([{'role': 'user', 'content': text}])\n", True),
    "imports the module": ("from app import llm\n\n\ndef summarise(text):\n"
                           "    return llm.ask_model([{'role': 'user', 'content': text}])\n", True),
    "imports the package": ("import app\n\n\ndef summarise(text):\n"
                            "    return app.llm.ask_model([{'role': 'user', 'content': text}])\n", True),
    # `llm` and `ask_model(` are in its bytes, so the byte pre-check lets it in, but it imports nothing
    # that leads to app/llm.py: its `bot.ask_model(...)` cannot be the project's `ask_model`.
    "names no module of the wrapper": ("def summarise(bot, text):\n    bot.llm = text\n"
                                       "    return bot.ask_model([{'role': 'user', 'content': text}])\n", False),
    # the same, calling a request method's name as well (`create`): no SDK, so nothing it calls is one
    "names no module, calls create": ("def summarise(bot, text):\n    bot.llm = bot.create(text)\n"
                                      "    return bot.ask_model([{'role': 'user', 'content': text}])\n", False),
}


def _project(tmp_path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return sorted(str(Path(name)) for name in files if name.endswith(".py"))


def _results(tmp_path, monkeypatch, files: dict[str, str]) -> dict:
    monkeypatch.chdir(tmp_path)
    paths = _project(tmp_path, files)
    settings = engine.with_project_index(paths, Settings(jobs=1, select=list(SELECT)))
    assert settings.project_wrappers, "the index should find the project's wrappers"
    return {r.path: r for r in engine.lint_many(paths, settings)}


@pytest.mark.parametrize("how", sorted(CALLERS))
def test_a_wrapper_call_is_followed_exactly_where_the_file_names_its_module(how, tmp_path, monkeypatch):
    source, reaches = CALLERS[how]
    results = _results(tmp_path, monkeypatch, {"app/__init__.py": "", "app/llm.py": LLM, "app/notes.py": source})
    notes = results["app/notes.py"]
    sites = [(s.span.line, s.wrapper) for s in notes.callsites if s.via == "wrapper"]
    if reaches:
        assert sites == [(5, "ask_model")]
    else:
        assert sites == [] and notes.prefiltered  # parsed with `ast` only: libcst never saw it


def test_a_module_stem_inside_a_longer_name_does_not_name_the_module(tmp_path, monkeypatch):
    """`llm_hint` does not name app/llm.py (nor `crewai_core` a `core.py`): the byte pre-check
    (prefilter.calls_wrapper) counts a wrapper module's stem only as a word, so such a file is
    not even parsed with `ast`."""
    source = "def summarise(bot, text):\n    bot.llm_hint = text\n    return bot.ask_model(text)\n"
    results = _results(tmp_path, monkeypatch, {"app/__init__.py": "", "app/llm.py": LLM, "app/notes.py": source})
    assert results["app/notes.py"].skipped
    table = engine.with_project_index(["app/__init__.py", "app/llm.py"], Settings(jobs=1)).project_wrappers
    assert prefilter.calls_wrapper(b"from app import llm\nllm.ask_model(x)\n", table)
    assert prefilter.calls_wrapper(b"from app.llm import ask_model\nask_model(x)\n", table)
    assert not prefilter.calls_wrapper(b"import llm_tools\nllm_tools.ask_model(x)\n", table)


def test_a_private_method_of_an_imported_base_class_is_still_followed(tmp_path, monkeypatch):
    """calls_wrapper leaves private names to their own module; a subclass elsewhere that imports
    the base class (and an SDK, so it is parsed anyway) still reaches `_send` through it."""
    sub = ("from openai import APIError\n"
           "\n"
           "from app.base import Base\n"
           "\n"
           "\n"
           "class Sub(Base):\n"
           "    def go(self, text):\n"
           "        try:\n"
           "            return self._send('Summarise: ' + text)\n"
           "        except APIError:\n"
           "            return None\n")
    results = _results(tmp_path, monkeypatch, {"app/__init__.py": "", "app/base.py": BASE, "app/sub.py": sub})
    assert [(s.span.line, s.wrapper) for s in results["app/sub.py"].callsites if s.via == "wrapper"] == [
        (9, "Base._send")]


def test_outline_counts_a_wrapper_name_only_where_its_module_is_named():
    table = (("ask_model", "app/llm.py", "ask_model", "app/llm.py", "ask_model"),)
    settings = Settings(select=list(SELECT), project_wrappers=table)

    def candidates(path: str, text: str) -> set[str]:
        source = text.encode()
        return engine.module_outline(ast.parse(source), settings, source, path).candidates

    elsewhere = "def f(bot):\n    return bot.ask_model('hi')\n"
    assert candidates("app/shop.py", elsewhere) == set()
    assert "ask_model" in candidates("app/shop.py", "from app import llm\n" + elsewhere)
    assert "ask_model" in candidates("app/shop.py", "def g():\n    from app.llm import ask_model\n    return ask_model('x')\n")
    assert "ask_model" in candidates("app/llm.py", elsewhere)  # its own module: its own calls count
    # A name that counts for another reason stays: `post` in a module importing requests is an
    # HTTP request to a provider even when the project's own `post` wrapper is out of reach.
    table = (*table, ("post", "app/api.py", "Chat.post", "app/api.py", "Chat.post"))
    settings = Settings(select=list(SELECT), project_wrappers=table)
    rest = ("import requests\n\n\ndef f(body):\n"
            "    return requests.post('https://api.openai.com/v1/chat/completions', json=body)\n")
    assert "post" in candidates("app/client.py", rest)
    assert candidates("app/client.py", "import json\n\n\ndef f(x):\n    return x.post(1)\n") == set()
    # Without the file's bytes and path (tests, callers that only have a tree): every name counts.
    assert "ask_model" in engine.module_outline(ast.parse(elsewhere), settings).candidates


def test_an_sdk_file_keeps_unreached_wrapper_callers_out_of_its_slice(tmp_path, monkeypatch):
    """An SDK file calls `bot.ask_model(...)` of some other object: no wrapper is reached, so the
    function making that call is blanked before libcst parses the file; its own SDK call stays."""
    app = ("from openai import OpenAI\n"
           "\n"
           "client = OpenAI()\n"
           "\n"
           "\n"
           "def direct(text):\n"
           "    return client.chat.completions.create(model='gpt-4.1-mini', max_tokens=50,\n"
           "                                          messages=[{'role': 'user', 'content': text}])\n"
           "\n"
           "\n"
           "def relay(bot, text):\n"
           "    return bot.ask_model(text)\n")
    table = (("ask_model", "app/llm.py", "ask_model", "app/llm.py", "ask_model"),)
    settings = Settings(select=list(SELECT), project_wrappers=table)
    source = app.encode()
    plan = engine.module_outline(ast.parse(source), settings, source, "app/other.py")
    from promptlint.analysis.slicing import relevant_source

    sliced, _tree = relevant_source(source, plan)
    assert b"def direct" in sliced and b"def relay" not in sliced
    plan = engine.module_outline(ast.parse(source), settings, source, "app/llm.py")
    assert b"def relay" in relevant_source(source, plan)[0]


def test_the_sdk_precheck_is_remembered_per_bytes_and_markers():
    source = b"import mycorp_llm\n\nmycorp_llm.ask('hi')\n"
    plain, marked = Settings(), Settings(extra_markers=["mycorp_llm"])
    assert not prefilter.may_hold_callsite(source, plain)
    assert prefilter.may_hold_callsite(source, marked)  # the same bytes, other markers: asked again
    assert not prefilter.may_hold_callsite(source, plain)
    assert prefilter.may_hold_callsite(source + b"import openai\n", plain)
    # The memo holds digests, never a file's bytes.
    assert all(len(key[0]) == 16 and source not in key[0] for key in prefilter._PRECHECKED)


def test_index_reads_calls_at_the_start_of_each_name_only():
    source = ("def f(x):\n"
              "    a9b.c(1)\n"
              "    y = get_client().responses.create(model=x)\n"
              "    z = éfoo (2) + obj.method  (3)\n"
              "    return 'not a call: ask_llm' + str(len(x))\n").encode()
    (entry,) = index_file("app/m.py", source)["functions"]
    assert entry["calls"] == sorted({"a9b.c", "get_client().responses.create", "foo", "obj.method", "str", "len"})


def test_index_reads_no_call_in_a_docstring_or_a_comment():
    """Prose is no call: `the stream (a generator)` in a docstring or a comment would make the
    function call `stream`, a request name, and every caller of it a wrapper's caller. A `#`
    inside a string does not start a comment."""
    source = ("def f(messages):\n"
              "    \"\"\"Send the messages; returns the stream (a generator).\n\n"
              "    Calls complete(messages) at most once.\n    \"\"\"\n"
              "    # the structured output stream (ChatCompletionStreamManager)\n"
              "    out = run_it(messages)  # then stream (maybe)\n"
              "    return fmt('#%d', len(out))\n").encode()
    (entry,) = index_file("app/m.py", source)["functions"]
    assert entry["calls"] == ["fmt", "len", "run_it"]


def test_modules_named_reads_imports_anywhere():
    tree = ast.parse("import app.llm as l\nimport os\n"
                     "if True:\n    from .gateway import Gateway\n"
                     "def f():\n    from pkg import tools\n")
    named, roots = outline.modules_named(tree)
    assert {"app", "llm", "gateway", "Gateway", "pkg", "tools", "os"} <= named
    assert roots == {"l", "os"}


GATEWAY = (
    "from openai import OpenAI\n"
    "\n"
    "\n"
    "class Gateway:\n"
    "    def __init__(self):\n"
    "        self.client = OpenAI()\n"
    "\n"
    "    def generate(self, prompt):\n"
    "        return self.client.chat.completions.create(\n"
    "            model='gpt-4.1-mini', messages=[{'role': 'user', 'content': prompt}])\n"
)


def test_a_class_re_exported_by_its_package_is_reached_through_the_class(tmp_path, monkeypatch):
    """`from app.services import Gateway` (app/services/__init__.py re-exports it from gateway.py):
    `Gateway().generate(...)` is a site of the wrapper method. A file that names the package but
    not the class has no way to the class's methods: the byte pre-check skips it."""
    through_class = ("from app.services import Gateway\n\n\ndef summarise(text):\n"
                     "    return Gateway().generate('Summarise: ' + text)\n")
    package_only = ("from app import services\n\n\ndef summarise(bot, text):\n"
                    "    return bot.generate('Summarise: ' + text)\n")
    results = _results(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/services/__init__.py": "from .gateway import Gateway\n",
        "app/services/gateway.py": GATEWAY, "app/notes.py": through_class, "app/other.py": package_only})
    assert [(s.span.line, s.wrapper) for s in results["app/notes.py"].callsites if s.via == "wrapper"] == [
        (5, "Gateway.generate")]
    assert results["app/other.py"].skipped


def _index(sources: dict[str, str], seeds=None):
    from promptlint.project_index import ProjectIndex

    entries = {path: index_file(path, text.encode()) for path, text in sources.items()}
    return ProjectIndex(entries, {path: seeds is None or path in seeds for path in sources})


def test_an_sdk_method_handed_to_a_helper_makes_a_wrapper():
    """`self._call_client(self._client.chat.completions.create, ...)`: the direct analysis reads the
    handed method as the request (a retry helper's), so the function handing it is a wrapper,
    and so are the methods that reach it on `self`; a plain attribute handed over is not one."""
    found = _index({"app/model.py": (
        "from openai import OpenAI\n\n\nclass Model:\n"
        "    def _call_client(self, fn, **kwargs):\n        return fn(**kwargs)\n\n"
        "    def _request(self, messages):\n"
        "        return self._call_client(self._client.chat.completions.create, messages=messages)\n\n"
        "    def _run(self, messages):\n        return self._request(messages)\n\n"
        "    def _log(self, messages):\n        return self._call_client(self.logger.info, msg=messages)\n")})
    assert found.wrappers[("app/model.py", "Model._request")] == 0
    assert found.wrappers[("app/model.py", "Model._run")] == 1  # a layer above the request it hands over
    assert ("app/model.py", "Model._log") not in found.wrappers


def test_an_override_counts_only_when_most_implementations_send_a_request():
    """`self._run()` in a base class reaches its subclasses' overrides: a model backend's, all
    of which send a request, make `run` a wrapper; a tool base class whose `_run` sends a request
    in one subclass out of three (any module, bases resolved through imports) does not."""
    backend = "from app.base import {base}\nfrom openai import OpenAI\n\n\nclass {name}({base}):\n    def _run(self, q):\n{body}"
    sends = "        return OpenAI().responses.create(model='gpt-4.1-mini', input=q)\n"
    quiet = "        return q.upper()\n"
    found = _index({
        "app/base.py": ("class Backend:\n    def run(self, q):\n        return self._run(q)\n\n\n"
                        "class Tool:\n    def run(self, q):\n        return self._run(q)\n"),
        "app/one.py": backend.format(base="Backend", name="One", body=sends),
        "app/two.py": backend.format(base="Backend", name="Two", body=sends),
        "app/search.py": backend.format(base="Tool", name="Search", body=sends),
        "app/upper.py": backend.format(base="Tool", name="Upper", body=quiet),
        "app/lower.py": backend.format(base="Tool", name="Lower", body=quiet),
    })
    assert ("app/base.py", "Backend.run") in found.wrappers
    assert ("app/base.py", "Tool.run") not in found.wrappers
    rows = found.wrapper_table()
    overrides = sorted(row[3:5] for row in rows if row[5] == OVERRIDE and row[2] == "Backend._run")
    assert overrides == [("app/one.py", "One._run"), ("app/two.py", "Two._run")]
    assert ("run", "app/one.py", "One.run", "app/base.py", "Backend.run", "", 0) in rows  # inherited: an alias


FORMATTER = (
    "from openai import OpenAI\n"
    "\n"
    "\n"
    "class Formatter:\n"
    "    def __init__(self):\n"
    "        self.client = OpenAI()\n"
    "\n"
    "    def execute(self, text):\n"
    "        return self.client.chat.completions.create(\n"
    "            model='gpt-4.1-mini', messages=[{'role': 'user', 'content': 'Format: ' + text}])\n"
)


def test_a_generic_method_of_a_class_a_package_re_exports_is_followed_from_a_known_receiver(tmp_path, monkeypatch):
    """`from app.agents import Formatter` (re-exported by the package) and
    `self.formatter = Formatter()`: `self.formatter.execute(...)` reaches the wrapper. A generic
    name (`execute`, `run`) lets no file in through the package's re-export row, though: a file
    naming the class and calling some other object's `.execute(...)` is not parsed for it."""
    agent = ("from app.agents import Formatter\n"
             "\n"
             "\n"
             "class Agent:\n"
             "    def __init__(self):\n"
             "        self.formatter = Formatter()\n"
             "\n"
             "    def go(self, page):\n"
             "        return self.formatter.execute(page)\n")
    other = ("from app.agents import Formatter\n"
             "\n"
             "\n"
             "def run_job(job):\n"
             "    return job.execute('now')\n")
    files = {"app/__init__.py": "", "app/agents/__init__.py": "from .formatter import Formatter\n",
             "app/agents/formatter.py": FORMATTER, "app/agent.py": agent, "app/jobs.py": other}
    results = _results(tmp_path, monkeypatch, files)
    assert [(s.span.line, s.wrapper) for s in results["app/agent.py"].callsites if s.via == "wrapper"] == [
        (9, "Formatter.execute")]
    assert results["app/jobs.py"].skipped  # the byte pre-check lets it in for no wrapper


def test_a_generic_method_on_a_typed_attribute_makes_its_caller_a_wrapper(tmp_path, monkeypatch):
    """A manager holding its backend in an attribute (`self.backend = backend` with `backend:
    Backend`, `self.manager = Manager(...)`) passes the request on through `run`, a name too
    common to follow by itself: the attribute's class decides (ProjectIndex.attribute_classes), so
    Manager.run and Agent.step are wrappers and a call of `step` is a site through both."""
    backend = ("from openai import OpenAI\n\n\nclass Backend:\n    def run(self, messages):\n"
               "        return OpenAI().chat.completions.create(model='gpt-4.1-mini', messages=messages)\n")
    manager = ("from app.backend import Backend\n\n\nclass Manager:\n"
               "    def __init__(self, backend: Backend):\n        self.backend = backend\n\n"
               "    def run(self, messages):\n        return self.backend.run(messages)\n")
    agent = ("from app.backend import Backend\nfrom app.manager import Manager\n\n\nclass Agent:\n"
             "    def __init__(self):\n        self.manager = Manager(Backend())\n\n"
             "    def step(self, text):\n        return self.manager.run([{'role': 'user', 'content': text}])\n")
    main = "from app.agent import Agent\n\n\ndef answer(question):\n    return Agent().step(question)\n"
    sources = {"app/backend.py": backend, "app/manager.py": manager, "app/agent.py": agent, "app/main.py": main}
    found = _index(sources, seeds={"app/backend.py"})
    assert found.attribute_classes("app/manager.py", "Manager", "backend") == [("app/backend.py", "Backend")]
    assert found.attribute_classes("app/agent.py", "Agent", "manager") == [("app/manager.py", "Manager")]
    assert {name for _path, name in found.wrappers} == {"Backend.run", "Manager.run", "Agent.step"}
    results = _results(tmp_path, monkeypatch, {"app/__init__.py": "", **sources})
    (site,) = [s for s in results["app/main.py"].callsites if s.via == "wrapper"]
    assert (site.span.line, site.wrapper) == (5, "Agent.step")


def test_a_generic_method_on_an_annotated_parameter_reaches_the_implementations():
    """`llm: ChatModel | None` (a protocol the providers subclass): `llm.ainvoke(...)` reaches
    the providers' `ainvoke`, which send the requests, so the function is a wrapper; a parameter
    annotated with a class that sends nothing, or with `str`, makes none."""
    base = "from typing import Protocol\n\n\nclass ChatModel(Protocol):\n    async def ainvoke(self, messages): ...\n"
    provider = ("from openai import AsyncOpenAI\n\nfrom app.base import ChatModel\n\n\n"
                "class Chat{name}(ChatModel):\n    async def ainvoke(self, messages):\n"
                "        return await AsyncOpenAI().chat.completions.create(model='{model}', messages=messages)\n")
    agent = ("from app.base import ChatModel\nfrom app.notes import Notes\n\n\nclass Agent:\n"
             "    async def summarize(self, text, llm: ChatModel | None = None):\n"
             "        return await llm.ainvoke([{'role': 'user', 'content': text}])\n\n"
             "    async def keep(self, text, notes: Notes, name: str):\n"
             "        return await notes.ainvoke(text) or name.ainvoke()\n")
    notes = "class Notes:\n    async def ainvoke(self, text):\n        return text\n"
    sources = {"app/base.py": base, "app/a.py": provider.format(name="A", model="gpt-4.1-mini"),
               "app/b.py": provider.format(name="B", model="gpt-4.1"), "app/agent.py": agent, "app/notes.py": notes}
    found = _index(sources, seeds={"app/a.py", "app/b.py"})
    assert {name for _path, name in found.wrappers} == {"ChatA.ainvoke", "ChatB.ainvoke", "Agent.summarize"}


def test_a_test_module_has_no_wrapper_sites(tmp_path, monkeypatch):
    """A test calls the project's wrappers to test them: no wrapper site there (only its direct
    SDK calls are sites, and only REPORTED_IN_TESTS rules report in it), while the application's
    call of the same wrapper is one. The test module is not even parsed for the wrapper's name."""
    caller = "from app.llm import ask_model\n\n\ndef {name}(text):\n    return ask_model([{{'role': 'user', 'content': text}}])\n"
    files = {"app/__init__.py": "", "app/llm.py": LLM, "app/main.py": caller.format(name="summarise"),
             "tests/test_main.py": caller.format(name="test_summarise")}
    results = _results(tmp_path, monkeypatch, files)
    assert [s.wrapper for s in results["app/main.py"].callsites] == ["ask_model"]
    assert results["tests/test_main.py"].skipped and not results["tests/test_main.py"].callsites



def test_a_request_name_too_common_alone_counts_where_its_sdk_is_imported():
    """`run` / `arun` are requests of the agent SDKs only in a module importing one (sdks.yaml
    names_by_import), for the index as for the analysis: a helper running an agno agent is a
    wrapper, a job runner's `.arun()` is not, and neither is a `requests.post(...)` helper (a
    POST is a request only to an LLM endpoint, read from the URL)."""
    sources = {
        "app/bot.py": ("from agno.agent import Agent\n\n\nasync def ask(question):\n"
                       "    return await Agent(instructions='Be brief.').arun(question)\n"),
        "app/jobs.py": "import asyncio\n\n\nasync def drain(job):\n    return await job.arun()\n",
        "app/hooks.py": "import requests\n\n\ndef notify(url, body):\n    return requests.post(url, json=body)\n",
    }
    found = _index(sources)
    assert {name for _path, name in found.wrappers} == {"ask"}


def test_a_local_holding_a_declared_attribute_or_a_registry_entry_reaches_the_declared_class(tmp_path, monkeypatch):
    """`service = self.extra[name]` in one branch, `service = self.service` (declared `Service`) in
    the other: `service.complete(...)` reaches Service.complete (here its one implementation).
    A local that may also hold something of another kind (a plain call) stays unknown."""
    services = ("from openai import OpenAI\n\n\nclass Service:\n    def complete(self, messages):\n"
                "        raise NotImplementedError\n\n\nclass OpenAIService(Service):\n"
                "    def complete(self, messages):\n"
                "        return OpenAI().chat.completions.create(model='gpt-4.1-mini', max_tokens=200, messages=messages)\n")
    api = ("from app.services import Service\n\n\nclass Api:\n    def __init__(self, factory):\n"
           "        self.service: Service = factory()\n        self.extra = {}\n\n"
           "    def chat(self, messages, name=None):\n        if name:\n            service = self.extra[name]\n"
           "        else:\n            service = self.service\n        return service.complete(messages)\n\n"
           "    def other(self, messages, name=None):\n        if name:\n            service = make(name)\n"
           "        else:\n            service = self.service\n        return service.complete(messages)\n")
    main = ("from app.api import Api\n\n\ndef answer(api: Api, question):\n"
            "    return api.chat([{'role': 'user', 'content': question}])\n\n\n"
            "def guess(api: Api, question):\n    return api.other([{'role': 'user', 'content': question}])\n")
    results = _results(tmp_path, monkeypatch, {"app/__init__.py": "", "app/services.py": services,
                                                "app/api.py": api, "app/main.py": main})
    sites = {s.span.line: s.through for s in results["app/main.py"].callsites if s.via == "wrapper"}
    assert sites == {5: ["Api.chat (app/api.py:14)", "OpenAIService.complete (app/services.py:11)",
                         "OpenAI().chat.completions.create"]}
