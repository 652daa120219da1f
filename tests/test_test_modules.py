"""Which rules report in test modules (checks/__init__.py REPORTED_IN_TESTS): only the
worst-case exposure rules, in every phase (a file's checks, wrapper sites, the project phase);
a module that mocks the SDK is not analysed at all."""

import json
import textwrap

import pytest

from promptlint.checks import REPORTED_IN_TESTS
from promptlint.cli import main
from promptlint.cost.prices import WORST_CASE_CODES

SYSTEM = " ".join(f"Rule {n}: answer in the customer's language and cite the policy section you used."
                  for n in range(40))

APP = f'''
from langchain.agents import AgentExecutor
from openai import OpenAI

client = OpenAI()
SUPPORT_PROMPT = "{SYSTEM}"


def ask(question, model="gpt-4.1"):
    return client.chat.completions.create(model=model, messages=[{{"role": "user", "content": question}}])


def answer(question):
    reply = client.chat.completions.create(
        model="gpt-4.1", max_tokens=20000,
        messages=[{{"role": "system", "content": SUPPORT_PROMPT}}, {{"role": "user", "content": question}}])
    return reply.choices[0].message.content


def keep_going(messages):
    while True:
        messages.append(client.chat.completions.create(model="gpt-4.1", max_tokens=200, messages=messages))


def run(agent, tools):
    return AgentExecutor(agent=agent, tools=tools, max_iterations=None).invoke({{"input": "go"}})
'''

LIVE_TEST = APP.replace("def ask(", "def test_ask(").replace("def answer(", "def test_answer(") + '''

from app.support import ask


def test_wrapper():
    assert ask("hello")
'''


def run_check(tmp_path, monkeypatch, capsys, files: dict[str, str]) -> list[tuple[str, int, str]]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--isolated", "--no-cache", "--exit-zero", "--output-format", "json", "."]) == 0
    found = json.loads(capsys.readouterr().out)["findings"]
    return sorted((f["path"], f["location"]["line"], f["code"]) for f in found)


def test_the_rules_that_report_in_tests_are_the_worst_case_ones():
    assert set(REPORTED_IN_TESTS) == set(WORST_CASE_CODES)


def test_a_live_test_module_gets_only_worst_case_findings(tmp_path, monkeypatch, capsys):
    """The same code as an application module gets every finding; as a test that really calls
    the API (no mock, no cassette) only the uncapped and oversized outputs and the runaway loops."""
    found = run_check(tmp_path, monkeypatch, capsys, {
        "app/__init__.py": "", "app/support.py": APP, "tests/test_live.py": LIVE_TEST})
    in_app = {code for path, _, code in found if path == "app/support.py"}
    in_test = [(line, code) for path, line, code in found if path == "tests/test_live.py"]
    assert {"PL201", "PL203", "PL301", "PL302", "PL701"} <= in_app
    assert {code for _, code in in_test} == {"PL301", "PL302", "PL701"}
    assert (21, "PL701") in in_test and (26, "PL701") in in_test  # the loop and the framework without a cap


def test_a_test_copy_of_a_production_prompt_is_no_duplicate(tmp_path, monkeypatch, capsys):
    """PL405 (project phase) compares production prompts only: a test repeating one is test data."""
    files = {"app/__init__.py": "", "app/support.py": APP, "tests/test_live.py": LIVE_TEST}
    assert not [f for f in run_check(tmp_path, monkeypatch, capsys, files) if f[2] == "PL405"]
    files["app/copy.py"] = APP
    assert [f[:2] for f in run_check(tmp_path, monkeypatch, capsys, files) if f[2] == "PL405"]


@pytest.mark.parametrize("marker", ["from unittest.mock import patch", "import vcr"])
def test_a_test_module_that_mocks_or_replays_is_not_analysed(tmp_path, monkeypatch, capsys, marker):
    found = run_check(tmp_path, monkeypatch, capsys, {"tests/test_live.py": f"{marker}\n{LIVE_TEST}"})
    assert found == []


def test_a_test_posting_to_a_host_it_does_not_spell_is_not_taken_as_a_paid_api(tmp_path, monkeypatch, capsys):
    """An integration test posting to `f"{self.base_url}/v1/chat/completions"` talks to the
    application under test or a fake server; one posting to the provider's own host is billed."""
    test = '''
        import requests

        class TestChat:
            def setup_method(self):
                self.base_url = read_base_url()

            def test_app(self):
                requests.post(f"{self.base_url}/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})

            def test_provider(self):
                requests.post("https://api.openai.com/v1/chat/completions",
                              json={"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]})
    '''
    found = run_check(tmp_path, monkeypatch, capsys, {"tests/test_chat.py": test, "app/chat.py": test})
    assert [(path, line) for path, line, code in found if code == "PL301"] == [
        ("app/chat.py", 9), ("app/chat.py", 12), ("tests/test_chat.py", 12)]


def test_a_chat_model_built_in_a_test_is_judged_at_its_requests_only(tmp_path, monkeypatch, capsys):
    # The same uncapped model objects: reported where built in the application, not in the test;
    # the test's own direct request is still reported.
    objects = '''
        from agents import Agent
        from langchain_openai import ChatOpenAI
        from openai import OpenAI

        llm = ChatOpenAI(model="gpt-4.1")
        triage = Agent(name="triage", model="gpt-4.1")


        def test_direct():
            OpenAI().chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
        '''
    found = run_check(tmp_path, monkeypatch, capsys, {"app/models.py": objects, "tests/test_models.py": objects})
    assert [f for f in found if f[2] == "PL301"] == [
        ("app/models.py", 6, "PL301"), ("app/models.py", 7, "PL301"), ("app/models.py", 11, "PL301"),
        ("tests/test_models.py", 11, "PL301")]
