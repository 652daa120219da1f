"""Whole-program analysis (issue 13): multi-module fixture projects under
tests/data/whole_program/, one per pattern, each with an EXPECTED.txt written
before the code. Every expected finding is reported, at the expected place,
and nothing else from the rules the projects exercise."""

import os
import re
from pathlib import Path

import pytest

from promptlint.engine import lint_paths
from promptlint.settings import Settings

DATA = Path(__file__).resolve().parent / "data" / "whole_program"
PROJECTS = sorted(p.name for p in DATA.iterdir() if (p / "EXPECTED.txt").is_file())
SELECT = ["PL1", "PL3", "PL4"]


def expected(project: str, name: str = "EXPECTED.txt") -> set[tuple]:
    rows = set()
    for line in (DATA / project / name).read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        head = line.split()[0] if name != "EXPECTED.txt" else " ".join(line.split()[:2])
        if name == "EXPECTED.txt":
            location, code = head.split()
            path, lineno, col = location.rstrip(":").split(":")
            rows.add((path, int(lineno), int(col), code))
        else:
            path, lineno = head.split(":")
            rows.add((path, int(lineno)))
    return rows


def python_files(root: Path) -> list[str]:
    files = []
    for d, dirs, names in os.walk(root):
        dirs.sort()
        files += [os.path.join(d, n).removeprefix("./") for n in sorted(names) if n.endswith(".py")]
    return files


def selected(project: str) -> list[str]:
    """The rules a project is checked with: SELECT, or its EXPECTED.txt's `# select:` line."""
    first = (DATA / project / "EXPECTED.txt").read_text().splitlines()[0] if (DATA / project / "EXPECTED.txt").is_file() else ""
    return first.removeprefix("# select:").split() if first.startswith("# select:") else list(SELECT)


def run(project, monkeypatch, files=None, **kw):
    monkeypatch.chdir(DATA / project)
    everything = python_files(Path("."))
    return lint_paths(files or everything, Settings(jobs=1, select=selected(project), **kw), project_files=everything)


def lint_here(tmp_path, monkeypatch, select=SELECT):
    """Lint the project written under `tmp_path`, from there, as one whole project."""
    monkeypatch.chdir(tmp_path)
    files = python_files(Path("."))
    return lint_paths(files, Settings(jobs=1, select=list(select)), project_files=files)


def new_app(tmp_path) -> Path:
    """An empty package `app` under `tmp_path`, for a test to write its modules in."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    return app


def throughs(result) -> dict:
    """(path, line) of each call site -> the layers it goes through."""
    return {(s.path, s.span.line): s.through for s in result.callsites}


@pytest.mark.parametrize("project", PROJECTS)
def test_fixture_project(project, monkeypatch):
    result = run(project, monkeypatch)
    assert not result.errors
    got = {(f.path, f.span.line, f.span.column, f.code) for f in result.findings if not f.suppressed}
    want = expected(project)
    missing, extra = sorted(want - got), sorted(got - want)
    assert (missing, extra) == ([], []), f"missing={missing} extra={extra}"


@pytest.mark.parametrize("project", [p for p in PROJECTS if (DATA / p / "INVENTORY.txt").is_file()])
def test_fixture_inventory(project, monkeypatch):
    result = run(project, monkeypatch)
    got = {(s.path, s.span.line) for s in result.callsites}
    assert expected(project, "INVENTORY.txt") <= got


def test_projects_exist():
    assert set(PROJECTS) >= {"templates", "wrappers", "factory", "settings", "kwargs", "retrieval", "provider_class",
                             "containers", "template_files", "request_dict", "task_tags"}


def test_dot_slash_paths_still_find_the_wrappers(monkeypatch):
    """`./app/jobs.py` and `app/jobs.py` name the same module: the project index keys modules by
    the engine's display path, so files given with a leading `./` still reach their wrappers."""
    monkeypatch.chdir(DATA / "kwargs")
    files = ["./" + f for f in python_files(Path("."))]
    result = lint_paths(files, Settings(jobs=1, select=list(SELECT)))
    assert {(f.path, f.span.line, f.code) for f in result.findings} == {("app/jobs.py", 6, "PL301")}


# -- the cache: editing one module re-analyses exactly the files that depend on it ----------
def _copy(project, tmp_path):
    import shutil

    target = tmp_path / project
    shutil.copytree(DATA / project, target)
    return target


def _analysed(monkeypatch, root, settings):
    import promptlint.engine as engine

    seen = []
    real = engine._compute

    def spy(shown, source, s):
        seen.append(shown)
        return real(shown, source, s)

    monkeypatch.setattr(engine, "_compute", spy)
    result = lint_paths(python_files(Path(".")), settings)
    return sorted(seen), result


def test_editing_a_wrapper_reanalyses_its_callers_only(tmp_path, monkeypatch):
    root = _copy("wrappers", tmp_path)
    monkeypatch.chdir(root)
    settings = Settings(jobs=1, select=list(SELECT), cache_dir=str(tmp_path / "cache"))
    first, result = _analysed(monkeypatch, root, settings)
    assert "app/newsletter.py" in first and "app/events.py" in first
    assert _analysed(monkeypatch, root, settings)[0] == []  # warm: nothing recomputed

    # The body of `chat` changes (it now caps every request): its callers are re-analysed.
    llm = root / "app" / "llm.py"
    llm.write_text(llm.read_text().replace("temperature=temperature, **kwargs)",
                                           "temperature=temperature, max_tokens=256, **kwargs)"))
    again, result = _analysed(monkeypatch, root, settings)
    assert again == ["app/events.py", "app/llm.py", "app/newsletter.py"]  # events.py calls llm.ask_llm
    assert ("app/newsletter.py", 5) not in {(f.path, f.span.line) for f in result.findings}

    # gateway.py changes: only it and events.py, which calls ModelGateway.generate.
    gateway = root / "app" / "gateway.py"
    gateway.write_text(gateway.read_text().replace("messages=messages, **kwargs)", "messages=messages, **kwargs)\n"))
    assert _analysed(monkeypatch, root, settings)[0] == ["app/events.py", "app/gateway.py"]


def test_one_file_run_still_sees_the_wrappers(monkeypatch):
    """Pre-commit checks one file: the project index covers the whole project anyway."""
    result = run("kwargs", monkeypatch, files=["app/jobs.py"])
    assert {(f.path, f.span.line, f.code) for f in result.findings} == {("app/jobs.py", 6, "PL301")}


def test_wrapper_site_names_both_ends_and_sarif_flow(monkeypatch):
    from promptlint.report import ReportOptions
    from promptlint.report.sarif import build

    result = run("kwargs", monkeypatch)
    (finding,) = result.findings
    assert "`complete_json` (app/llm/helpers.py:5) -> `complete` (app/llm/base.py:7)" in finding.message
    assert "`_client.chat.completions.create`" in finding.message
    options = ReportOptions()
    sarif = build(result, options)["runs"][0]["results"][0]
    assert [r["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["relatedLocations"]] == [
        "app/llm/helpers.py", "app/llm/base.py"]
    steps = sarif["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["physicalLocation"]["artifactLocation"]["uri"] for s in steps] == [
        "app/jobs.py", "app/llm/helpers.py", "app/llm/base.py"]


def test_wrapper_sites_in_inventory_and_wrapper_list(monkeypatch):
    from promptlint.report.inventory import wrapper_rows

    result = run("wrappers", monkeypatch)
    rows = {r.wrapper: r for r in wrapper_rows(result)}
    assert rows["chat (app/llm.py:13)"].calls == 2 and "cap" in rows["chat (app/llm.py:13)"].leaves
    assert rows["ask_llm (app/llm.py:18)"].calls == 2 and "cap" not in rows["ask_llm (app/llm.py:18)"].leaves
    assert rows["ModelGateway.generate (app/gateway.py:10)"].calls == 3
    through = {(s.path, s.span.line): s.wrapper for s in result.callsites if s.via == "wrapper"}
    assert through[("app/events.py", 24)] == "ModelGateway.generate"


def test_configured_wrapper_still_overrides(monkeypatch):
    """The `wrappers` config key wins over the inferred summary for the functions it names."""
    from promptlint.settings import Wrapper

    result = run("kwargs", monkeypatch, wrappers=[Wrapper("complete_json", provider="openai", cap_required=False)])
    sites = [s for s in result.callsites if s.path == "app/jobs.py" and s.span.line == 6]
    assert [s.shape for s in sites] == ["wrapper"] and sites[0].through is None


def test_a_call_that_forwards_a_wrappers_own_parameters_is_no_site(tmp_path, monkeypatch):
    """Inside the wrapper layer (`chat(messages)` handing `messages` on to `_send`, and `chat` called
    in the same module) the user decides nothing: the site is the call of `chat`, expanded through
    `_send`. A wrapper called from no other function of its module keeps its forwarding call."""
    app = new_app(tmp_path)
    (app / "provider.py").write_text(
        "from openai import OpenAI\n"
        "\n"
        "\n"
        "class Provider:\n"
        "    def __init__(self):\n"
        "        self.client = OpenAI()\n"
        "\n"
        "    def _send(self, messages, **params):\n"
        "        return self.client.chat.completions.create(model='gpt-4.1-mini', messages=messages, **params)\n"
        "\n"
        "    def chat(self, messages):\n"
        "        return self._send(messages, max_tokens=200)\n"
        "\n"
        "    def summarise(self, text):\n"
        "        return self.chat([{'role': 'user', 'content': 'Summarise: ' + text}])\n"
        "\n"
        "\n"
        "def ask(question):\n"
        "    return Provider().chat([{'role': 'user', 'content': question}])\n")
    result = lint_here(tmp_path, monkeypatch)
    sites = {(s.span.line, s.wrapper) for s in result.callsites if s.via == "wrapper"}
    assert (12, "Provider._send") not in sites  # chat forwards `messages`, and summarise calls chat here
    assert (15, "Provider.chat") in sites  # the decision: the prompt text and, through chat, the cap
    assert (19, "Provider.chat") in sites  # ask forwards `question`, but nothing in this module calls ask
    (summarise,) = [s for s in result.callsites if s.span.line == 15]
    assert summarise.through[:2] == ["Provider.chat (app/provider.py:12)", "Provider._send (app/provider.py:9)"]
    assert summarise.cap_value == 200


def test_whole_program_can_be_turned_off_in_config(tmp_path):
    """`whole-program = false` checks each file alone: no wrapper sites, the direct calls stay."""
    import shutil
    import subprocess
    import sys

    project = tmp_path / "wrappers"
    shutil.copytree(DATA / "wrappers", project)
    (project / "pyproject.toml").write_text("[tool.promptlint]\nselect = [\"PL301\"]\n")

    def findings() -> list[str]:
        out = subprocess.run([sys.executable, "-m", "promptlint", "check", "--no-cache", "."], cwd=project,
                             capture_output=True, text=True)
        assert out.returncode in (0, 1), out.stderr
        return sorted(line for line in out.stdout.splitlines() if ": PL301 " in line)

    on = findings()
    assert any("sent through" in line for line in on), on  # wrapper sites at the callers
    (project / "pyproject.toml").write_text("[tool.promptlint]\nselect = [\"PL301\"]\nwhole-program = false\n")
    off = findings()
    assert not any("sent through" in line for line in off), off
    assert set(off) <= set(on)


def test_building_a_chat_model_and_a_test_are_no_wrappers():
    """Building a chat model sends nothing; a pytest test is never called: neither is a wrapper
    (in a project with its own `Agent` class, every test building one was)."""
    from promptlint.project_index import ProjectIndex, index_file

    sources = {
        "app/models.py": b"from langchain_openai import ChatOpenAI\n\n\ndef make_model():\n"
                         b"    return ChatOpenAI(model='gpt-4o-mini')\n\n\ndef ask(q):\n"
                         b"    return make_model().invoke(q)\n",
        "tests/test_models.py": b"from openai import OpenAI\n\n\ndef test_reply():\n"
                                b"    assert OpenAI().responses.create(model='gpt-4o', input='hi')\n",
    }
    entries = {p: index_file(p, s) for p, s in sources.items()}
    found = ProjectIndex(entries, {p: True for p in sources})
    assert ("app/models.py", "ask") in found.wrappers
    assert ("app/models.py", "make_model") not in found.wrappers
    assert ("tests/test_models.py", "test_reply") not in found.wrappers


def test_whole_program_key_must_be_a_boolean(tmp_path):
    import subprocess
    import sys

    (tmp_path / "pyproject.toml").write_text("[tool.promptlint]\nwhole-program = \"no\"\n")
    out = subprocess.run([sys.executable, "-m", "promptlint", "check", "."], cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "whole-program" in out.stderr and "pyproject.toml" in out.stderr


def test_an_index_built_by_other_code_is_not_read(tmp_path, monkeypatch):
    """The index cache is keyed by the code and data digest: after an upgrade or an edited
    catalog, cached seed verdicts and wrapper tables from the old code are not reused."""
    from promptlint import project_index
    from promptlint.state import code_digest

    settings = Settings(jobs=1, cache_dir=str(tmp_path / "cache"))
    monkeypatch.setattr(code_digest, "code_and_data_digest", lambda: "0" * 16)
    old = project_index._index_file(settings)
    monkeypatch.setattr(code_digest, "code_and_data_digest", lambda: "1" * 16)
    new = project_index._index_file(settings)
    assert old != new and "1" * 16 in new
    assert project_index._index_file(settings, project_index.TABLE_KEY) != project_index._index_file(settings)


def test_wrapper_arguments_are_evaluated_once_and_only_when_read():
    """bind() leaves arguments unevaluated until the wrapper's body reads them; every way of
    reading (index, get, items, `{**b}`, dict(b)) sees the value, never the placeholder."""
    from promptlint.analysis.binding import Bindings, _Lazy

    asked = []

    class Ev:
        def evaluate(self, node, ctx):
            asked.append(node)
            return node * 2

    b = Bindings()
    b["x"] = _Lazy(Ev(), 3, None)
    b["y"] = 1
    assert asked == []
    assert {**b} == {"x": 6, "y": 1} == dict(b)
    assert b.get("x") == 6 and b["x"] == 6 and dict(b.items()) == {"x": 6, "y": 1}
    assert b.get("z", 0) == 0
    assert asked == [3]


def test_dispatch_to_one_of_several_backends_is_one_row_per_call(monkeypatch):
    """The router picks a backend from a dict of instances it builds, and hands its method to an
    executor (`pool.submit(backend.inference, ...)`): every call of the router is one call site,
    whichever backend it reaches, and a rule reports what holds on some backend (`ask` with no cap
    reaches the OpenAI backend, which sends none), naming it. A module that imports the backend
    classes without building them has no site: `handler.inference` could be anyone's."""
    result = run("dispatch", monkeypatch)
    rows = sorted((s.path, s.span.line) for s in result.callsites if s.via == "wrapper")
    assert rows == [("app/agents/planner.py", 9), ("app/agents/planner.py", 12), ("app/agents/planner.py", 15)]
    planner = next(s for s in result.callsites if s.path == "app/agents/planner.py" and s.span.line == 9)
    assert planner.through[0] == "LLM.inference (app/llm/router.py:18)"
    assert planner.through[1].endswith("or 1 other implementation")
    uncapped = next(f for f in result.findings if f.path == "app/agents/planner.py")
    assert "`OpenAIBackend.ask`" in uncapped.message and "one of 2 implementations" in uncapped.message
    # Where each layer calls, for the inventory to count the request once: the router's call, not
    # the first backend's request, which the call may not reach (it may reach the other one).
    assert [at[:2] for at in planner.through_at] == [("app/llm/router.py", 18)]


def test_a_function_handed_to_an_executor_is_a_call_of_it():
    from promptlint.project_index import deferred_calls

    text = ("    fut = pool.submit(backend.inference, model, prompt)\n"
            "    await asyncio.to_thread(ask_model, prompt)\n"
            "    await loop.run_in_executor(None, self.client_call, prompt)\n"
            "    anyio.to_thread.run_sync(send)\n"
            "    pool.submit(lambda: 1)\n")
    assert deferred_calls(text) == {"backend.inference", "ask_model", "self.client_call", "send"}
    assert deferred_calls("x = submit_form(a)\n") == set()


CACHED_SYSTEM_WRAPPER = (
    "import anthropic\n"
    "\n"
    "client = anthropic.Anthropic()\n"
    "\n"
    "\n"
    "def call_model(messages, system_prompt):\n"
    "    system = [{'type': 'text', 'text': system_prompt, 'cache_control': {'type': 'ephemeral'}}]\n"
    "    return client.messages.create(model='claude-sonnet-4-5', max_tokens=500, system=system,\n"
    "                                  messages=messages)\n"
    "\n"
    "\n"
    "def handle(request_text, user_name):  # called by no project function: its parameters are per request\n"
    "    return client.messages.create(model='claude-sonnet-4-5', max_tokens=500, messages=[],\n"
    "                                  system=[{'type': 'text', 'text': f'User: {user_name}',\n"
    "                                           'cache_control': {'type': 'ephemeral'}}])\n"
)
POLICY_CALLERS = (
    "from app.llm import call_model\n"
    "\n"
    "POLICY = 'You are the support assistant. ' + 'Follow the refund policy to the letter. ' * 300\n"
    "\n"
    "\n"
    "def answer(question):\n"
    "    return call_model([{'role': 'user', 'content': question}], POLICY)\n"
    "\n"
    "\n"
    "def answer_on_page(question, url):\n"
    "    return call_model([{'role': 'user', 'content': question}], f'The page is {url}.\\n\\n{POLICY}')\n"
)


def test_a_parameter_the_wrapper_only_passes_on_is_judged_at_each_caller(tmp_path, monkeypatch):
    """The wrapper's body does not decide what `system_prompt` holds: its callers do. A constant
    policy is no finding anywhere; a page URL ahead of it is reported at that caller, naming the
    wrapper. A function no project function calls keeps its parameters as per-request data."""
    app = new_app(tmp_path)
    (app / "llm.py").write_text(CACHED_SYSTEM_WRAPPER)
    (app / "support.py").write_text(POLICY_CALLERS)
    result = lint_here(tmp_path, monkeypatch, select=["PL104"])
    found = sorted((f.path, f.span.line) for f in result.findings)
    assert found == [("app/llm.py", 14), ("app/support.py", 11)]
    (at_caller,) = [f for f in result.findings if f.path == "app/support.py"]
    assert "`url`" in at_caller.message and "call_model" in at_caller.message


def test_override_dispatch_through_a_class_hierarchy(monkeypatch):
    """`ChatBackend.reply` (base.py) calls the abstract `self._send`, which providers in other
    modules override. A caller holding an instance of a known class reaches that class's override
    only (by its method resolution order); a caller holding only the base class reaches every
    overriding implementation, and a finding names the one it holds for, as one of N. A
    subclass whose override sends nothing, and a base class whose only requesting override is
    in a test file, give no call site. Manager.ask is a second layer (Writer's call of it is a site
    with no finding: Manager.ask's body decides); Writer.execute, a third, is past MAX_LAYERS."""
    result = run("hierarchy", monkeypatch)
    rows = {(s.path, s.span.line): s for s in result.callsites}
    assert ("app/main.py", 24) not in rows  # EchoBackend: its override sends nothing
    assert ("app/manager.py", 17) not in rows  # Summarizer: only a test's subclass sends a request
    assert rows[("app/main.py", 9)].through[1] == "OpenAIBackend._send (app/llm/openai_backend.py:12)"
    assert rows[("app/main.py", 19)].through[1] == "ClaudeBackend._send (app/llm/claude_backend.py:11)"
    assert ("app/main.py", 29) not in rows  # past MAX_LAYERS
    assert rows[("app/agents/writer.py", 10)].through[0] == "Manager.ask (app/manager.py:10)"
    assert not [f for f in result.findings if f.path == "app/agents/writer.py"]
    assert rows[("app/manager.py", 10)].through[1].endswith("or 2 other implementations")
    manager = next(f for f in result.findings if f.path == "app/manager.py")
    assert "`OpenAIBackend._send`" in manager.message and "one of 3 implementations" in manager.message


def test_too_many_implementations_stay_a_call_site_without_rules(monkeypatch):
    """Past MAX_IMPLEMENTATIONS requesting overrides, a call on `self` of the base class is still
    one call site, but no rule is run through it: a finding would stand on one provider among
    many, chosen by configuration the analysis does not see."""
    from promptlint import wholeprogram

    monkeypatch.setattr(wholeprogram, "MAX_IMPLEMENTATIONS", 1)
    result = run("hierarchy", monkeypatch)
    rows = {(s.path, s.span.line): s for s in result.callsites}
    assert rows[("app/manager.py", 10)].through[1].endswith("(too many to check)")
    assert not [f for f in result.findings if f.path == "app/manager.py"]
    assert [(f.path, f.span.line) for f in result.findings if f.path == "app/main.py"] == [("app/main.py", 9)]


def test_a_declared_receiver_reaches_the_implementations_of_its_class(monkeypatch):
    """A receiver known only by its annotation (a class field, `self.x: T = ...`, a property, a
    parameter, a function's return) reaches the declared class's method: here an abstract one,
    so each requesting implementation is a candidate (one of 2). A receiver declared a project
    class whose method sends nothing is no call site, even where the module imports another
    class with a wrapper method of that name (the method name alone decided before)."""
    result = run("typed_receivers", monkeypatch)
    rows = {(s.path, s.span.line): s for s in result.callsites}
    for line in (16, 19, 32):
        assert rows[("app/tools.py", line)].through[0].endswith("or 1 other implementation")
    for line in (18, 33, 37, 45):
        assert rows[("app/agent.py", line)].through[0].endswith("or 1 other implementation")
    assert rows[("app/tools.py", 22)].through[0] == "CappedLLM.complete (app/llm/capped.py:10)"
    assert rows[("app/agent.py", 41)].through[0] == "CappedLLM.complete (app/llm/capped.py:10)"
    for notebook in [("app/tools.py", 25), ("app/agent.py", 21), ("app/agent.py", 49)]:
        assert notebook not in rows
    (finding,) = [f for f in result.findings if (f.path, f.span.line) == ("app/agent.py", 37)]
    assert "`OpenAILLM.complete`" in finding.message and "one of 2 implementations" in finding.message


@pytest.mark.parametrize("written, named", [
    ("LLMBase", "LLMBase"), ("Optional[LLMBase]", "LLMBase"), ("LLMBase | None", "LLMBase"),
    ("None | llm.LLMBase", "llm.LLMBase"), ("'LLMBase | None'", "LLMBase"), ("Union[None, LLMBase]", "LLMBase"),
    ("Annotated[Optional[LLMBase], Field()]", "LLMBase"), ("Union[LLMBase, Other]", None),
    ("LLMBase | Other", None), ("list[LLMBase]", None), ("None", None), ("'not an expression('", None),
])
def test_an_annotation_names_one_class_or_none(written, named):
    import libcst as cst

    from promptlint.analysis.declared import single_class
    from promptlint.analysis.index import dotted

    found = single_class(cst.parse_expression(written))
    assert (dotted(found) if found is not None else None) == named


def test_an_annotation_of_a_class_outside_the_project_changes_nothing(tmp_path, monkeypatch):
    """A field `llm: ChatModel` where ChatModel comes from a library: no declared project class, so the
    call resolves as before (here: the one imported class with a wrapper method of that name)."""
    app = new_app(tmp_path)
    (app / "gateway.py").write_text(
        "from openai import OpenAI\n\nclient = OpenAI()\n\n\nclass Gateway:\n"
        "    def complete(self, messages):\n"
        "        return client.chat.completions.create(model='gpt-4.1-mini', messages=messages)\n")
    (app / "use.py").write_text(
        "from somelib import ChatModel\n\nfrom app.gateway import Gateway\n\n\n"
        "class Asker:\n    llm: ChatModel\n\n"
        "    def ask(self, question):\n"
        "        return self.llm.complete([{'role': 'user', 'content': question}])\n")
    result = lint_here(tmp_path, monkeypatch)
    sites = throughs(result)
    assert sites[("app/use.py", 10)][0] == "Gateway.complete (app/gateway.py:8)"


OVERLOADED_PROVIDER = (
    "from typing import overload\n"
    "\n"
    "from openai import OpenAI\n"
    "\n"
    "from app.base import Model\n"
    "\n"
    "\n"
    "class OpenAIModel(Model):\n"
    "    def __init__(self):\n"
    "        self._client = OpenAI()\n"
    "\n"
    "    @overload\n"
    "    def ask(self, messages: list) -> str: ...\n"
    "\n"
    "    @overload\n"
    "    def ask(self, messages: list, schema: type) -> dict: ...\n"
    "\n"
    "    def ask(self, messages, schema=None):\n"
    "        return self._client.chat.completions.create(model='gpt-4.1-mini', messages=messages)\n"
)


def test_a_receiver_assigned_from_an_annotated_parameter_reaches_an_overloaded_method(tmp_path, monkeypatch):
    """`self.model = model` where the parameter is annotated `Model | None`: the attribute is
    declared a Model; the implementation behind `@overload` signatures is the one expanded (the
    first definition, a `...` signature, sends nothing). An attribute also assigned from an
    unannotated value declares nothing."""
    app = new_app(tmp_path)
    (app / "base.py").write_text("class Model:\n    def ask(self, messages, schema=None):\n        raise NotImplementedError\n")
    (app / "openai_model.py").write_text(OVERLOADED_PROVIDER)
    (app / "agent.py").write_text(
        "from app.base import Model\n\n\n"
        "class Agent:\n"
        "    def __init__(self, model: Model | None = None, other=None):\n"
        "        self.model = model\n"
        "        self.other = model\n"
        "        if other is not None:\n"
        "            self.other = other\n\n"
        "    def step(self, goal):\n"
        "        return self.model.ask([{'role': 'user', 'content': goal}])\n\n"
        "    def side(self, goal):\n"
        "        return self.other.ask([{'role': 'user', 'content': goal}])\n")
    result = lint_here(tmp_path, monkeypatch)
    sites = throughs(result)
    assert sites[("app/agent.py", 12)][0] == "OpenAIModel.ask (app/openai_model.py:19)"
    assert ("app/agent.py", 15) not in sites


def test_a_declared_base_class_whose_method_calls_an_abstract_one(tmp_path, monkeypatch):
    """`llm_client: LLMClient | None` where `LLMClient.generate_response` (a concrete method of the
    abstract base) calls `self._generate_response`, which two providers implement: the call reaches
    the base's method, and inside it each implementation, one of 2 (the class of `self` is not
    known: the parameter may hold any subclass)."""
    app = tmp_path / "app"
    (app / "llm").mkdir(parents=True)
    for init in (app / "__init__.py", app / "llm" / "__init__.py"):
        init.write_text("")
    (app / "llm" / "client.py").write_text(
        "from abc import ABC, abstractmethod\n\n\n"
        "class LLMClient(ABC):\n"
        "    def generate_response(self, messages, **options):\n"
        "        cleaned = [m for m in messages if m['content']]\n"
        "        return self._generate_response(cleaned, **options)\n\n"
        "    @abstractmethod\n"
        "    def _generate_response(self, messages, **options):\n"
        "        ...\n")
    provider = ("{imp}\n\nfrom app.llm.client import LLMClient\n\n\n"
                "class {name}(LLMClient):\n"
                "    def __init__(self):\n        self.client = {ctor}\n\n"
                "    def _generate_response(self, messages, **options):\n"
                "        return self.client.{call}\n")
    (app / "llm" / "openai_client.py").write_text(provider.format(
        imp="from openai import OpenAI", name="OpenAIClient", ctor="OpenAI()",
        call="chat.completions.create(model='gpt-4.1-mini', messages=messages, **options)"))
    (app / "llm" / "anthropic_client.py").write_text(provider.format(
        imp="import anthropic", name="AnthropicClient", ctor="anthropic.Anthropic()",
        call="messages.create(model='claude-3-5-haiku-latest', max_tokens=1024, messages=messages)"))
    (app / "extract.py").write_text(
        "from app.llm.client import LLMClient\n\n\n"
        "def extract(llm_client: LLMClient | None, text):\n"
        "    return llm_client.generate_response([{'role': 'user', 'content': text}])\n")
    result = lint_here(tmp_path, monkeypatch)
    sites = throughs(result)
    through = sites[("app/extract.py", 5)]
    assert through[0] == "LLMClient.generate_response (app/llm/client.py:7)"
    assert through[1].endswith("or 1 other implementation")
    (finding,) = [f for f in result.findings if f.path == "app/extract.py"]
    assert finding.code == "PL301" and "`OpenAIClient._generate_response`" in finding.message


def test_a_declared_class_the_package_re_exports(tmp_path, monkeypatch):
    """`from app.llm import LLMBase` (app/llm/__init__.py re-exports it from .base): the
    annotation names the package, the rows name the module defining the class; the call still
    reaches each implementation."""
    import shutil

    root = tmp_path / "typed_receivers"
    shutil.copytree(DATA / "typed_receivers", root)
    (root / "app" / "llm" / "__init__.py").write_text("from app.llm.base import LLMBase\n")
    for name in ("tools.py", "agent.py"):
        module = root / "app" / name
        module.write_text(module.read_text().replace("from app.llm.base import LLMBase", "from app.llm import LLMBase"))
    monkeypatch.chdir(root)
    files = python_files(Path("."))
    result = lint_paths(files, Settings(jobs=1, select=list(SELECT)), project_files=files)
    got = {(f.path, f.span.line, f.span.column, f.code) for f in result.findings if not f.suppressed}
    assert got == expected("typed_receivers")


def test_a_call_that_passes_nothing_to_a_wrapper_that_takes_nothing_is_no_site(tmp_path, monkeypatch):
    """`main()` or `self._judge()`: the wrapper's body decides the whole request, which is already
    its own site; a row at the caller would count the request twice. A call that passes an
    argument stays a site."""
    app = new_app(tmp_path)
    (app / "report.py").write_text(
        "from openai import OpenAI\n\nclient = OpenAI()\n\n\n"
        "def daily_report():\n"
        "    return client.chat.completions.create(model='gpt-4.1-mini', max_tokens=300,\n"
        "                                          messages=[{'role': 'user', 'content': 'Summarise the day.'}])\n\n\n"
        "def ask(question):\n"
        "    return client.chat.completions.create(model='gpt-4.1-mini', max_tokens=300,\n"
        "                                          messages=[{'role': 'user', 'content': question}])\n")
    (app / "main.py").write_text(
        "from app.report import ask, daily_report\n\n\n"
        "def main():\n"
        "    daily_report()\n"
        "    return ask('What changed?')\n")
    result = lint_here(tmp_path, monkeypatch)
    rows = sorted((s.path, s.span.line) for s in result.callsites if s.path == "app/main.py")
    assert rows == [("app/main.py", 6)]


AGENT_HELPERS = '''
from agents import Agent, Runner, trace

researcher = Agent(name="researcher", instructions="Find three sources for the question.")


async def research(question):
    with trace("Research"):
        return await Runner.run(researcher, question)


async def _search(question):
    return await Runner.run(researcher, question)


async def research_in_steps(question):
    with trace("Research in steps"):
        return await _search(question)
'''


def test_a_task_tag_around_the_request_in_the_wrapper_tags_its_callers_requests(tmp_path, monkeypatch):
    """An agent SDK's `run` counts as a request where the SDK is imported (names_by_import), so
    `research` is a wrapper; the `with trace(...)` block in its body (or around the call of the
    next layer) tags the request every caller sends: no PL201 at the callers, who could not add a
    tag anyway. A helper with no trace around its request is still reported at its own call."""
    app = new_app(tmp_path)
    (app / "helpers.py").write_text(AGENT_HELPERS)
    (app / "main.py").write_text("from app.helpers import research, research_in_steps\n\n\n"
                                 "async def main():\n    await research('What changed in 2025?')\n"
                                 "    await research_in_steps('Why?')\n")
    result = lint_here(tmp_path, monkeypatch, select=["PL201"])
    sites = throughs(result)
    assert ("app/main.py", 5) in sites and ("app/main.py", 6) in sites  # both calls are wrapper sites
    assert [(f.path, f.span.line) for f in result.findings] == [("app/helpers.py", 13)]


NESTED_REQUESTS = '''from openai import OpenAI
from tenacity import retry

client = OpenAI()


def ask(prompt, model="gpt-4.1"):
    def attempt():
        return client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}])

    return attempt()


def ask_with_retry(question, prompt="unused"):
    @retry
    def _call(prompt):  # its own `prompt`, not the caller's
        return client.chat.completions.create(model="gpt-4.1", max_tokens=100,
                                              messages=[{"role": "user", "content": prompt}])

    return _call(question)
'''


def test_a_request_in_a_function_nested_in_the_wrapper_is_followed(tmp_path, monkeypatch):
    """A retry or generator closure holds the wrapper's request: a call of the wrapper reaches
    it, with the caller's arguments for the free names of the closure (`prompt`, `model`'s
    default), and not for a name the closure binds itself."""
    app = new_app(tmp_path)
    (app / "llm.py").write_text(NESTED_REQUESTS)
    (app / "main.py").write_text("from app.llm import ask, ask_with_retry\n\n\n"
                                 "def handle(q):\n    a = ask('Summarize this ticket: ' + q)\n"
                                 "    b = ask_with_retry('Why?')\n    return a, b\n")
    result = lint_here(tmp_path, monkeypatch, select=["PL3"])
    sites = {(s.path, s.span.line): s for s in result.callsites}
    first, second = sites[("app/main.py", 5)], sites[("app/main.py", 6)]
    assert first.through == ["ask (app/llm.py:9)", "client.chat.completions.create"]
    assert first.model == "gpt-4.1"  # the wrapper's default, read through the closure
    assert "Summarize this ticket: " in "".join(seg.text for part in first.parts for seg in part.segments
                                                if seg.kind == "static")
    assert second.through == ["ask_with_retry (app/llm.py:17)", "client.chat.completions.create"]
    assert "unused" not in "".join(seg.text for part in second.parts for seg in part.segments
                                   if seg.kind == "static")  # `_call`'s own parameter, not the wrapper's
    # The uncapped request is reported once, in the body, which decides it.
    assert [(f.code, f.path, f.span.line) for f in result.findings] == [("PL301", "app/llm.py", 9)]


PROVIDERS = '''class Provider:
    def __init__(self, llm):
        self.llm = llm

    @classmethod
    def from_name(cls, name, **kwargs):
        if name == "openai":
            from langchain_openai import ChatOpenAI

            llm = ChatOpenAI(model="gpt-4.1", **kwargs)
        else:
            from langchain_anthropic import ChatAnthropic

            llm = ChatAnthropic(model="claude-haiku-4-5", **kwargs)
        return cls(llm)
'''


def test_a_chat_model_from_a_classmethod_factory_of_another_module_is_followed(tmp_path, monkeypatch):
    """`Provider.from_name(...)` returns `cls(llm)`: an instance of Provider, whose `llm` is one
    of the chat models the factory builds by provider; `.bind_tools(...)` keeps each, so the
    `ainvoke` is a request. Its constructor is out of sight here (tags and metadata may be set
    there, from **kwargs): PL201 says nothing, where a model built in view still gets it."""
    app = new_app(tmp_path)
    (app / "providers.py").write_text(PROVIDERS)
    (app / "tools.py").write_text(
        "from langchain_core.messages import HumanMessage\nfrom langchain_openai import ChatOpenAI\n\n"
        "from app.providers import Provider\n\n\nasync def ask(question, tools):\n"
        "    provider = Provider.from_name('openai')\n    chat = provider.llm.bind_tools(tools)\n"
        "    return await chat.ainvoke([HumanMessage(content=question)])\n\n\n"
        "async def ask_here(question):\n    return await ChatOpenAI(model='gpt-4.1').ainvoke(question)\n")
    result = lint_here(tmp_path, monkeypatch, select=["PL201"])
    lines = sorted(s.span.line for s in result.callsites if s.path == "app/tools.py")
    assert lines == [10, 14]
    assert [(f.path, f.span.line) for f in result.findings] == [("app/tools.py", 14)]
