"""Findings refer to their call site and related places as data (model.Finding.call_site,
.related): pricing, task attribution and the inventory follow those references, never the
message text, so rewording a message changes no figure. JSON and SARIF carry them."""

import copy
import json
import textwrap

import jsonschema
import pytest

from promptlint.cost import prices
from promptlint.cli import main
from promptlint.engine import lint_paths
from promptlint.settings import Settings
from tests.test_cli import SCHEMA

TOPICS = ["opening hours", "repairs of gears", "spare tyres", "delivery times", "electric bikes", "child seats",
          "rental prices", "warranty claims", "saddle fitting", "brake pads", "frame sizes", "gift cards",
          "helmets", "locks and chains", "cargo bikes", "tubeless wheels", "lights and reflectors", "pumps"]
PROMPT = "You are the support assistant of a bicycle shop. " + " ".join(
    f"When asked about {topic}, answer from the shop handbook, section {n}, and cite it." for n, topic in
    enumerate(TOPICS, 1))

AGENT = textwrap.dedent(f'''
    import anthropic

    client = anthropic.Anthropic()
    PROMPT = {PROMPT!r}


    def run_agent(question: str) -> str:
        history = [{{"role": "user", "content": question}}]
        while True:
            reply = client.messages.create(model="claude-sonnet-4-5", max_tokens=500, system=PROMPT,
                                           messages=history, extra_headers={{"task": "support"}})
            if reply.stop_reason == "end_turn":
                return reply.content[0].text
''')

COPY = textwrap.dedent(f'''
    from openai import OpenAI

    client = OpenAI()


    def answer(question: str) -> str:
        return client.chat.completions.create(
            model="gpt-4.1", max_completion_tokens=300,
            messages=[{{"role": "system", "content": {PROMPT!r}}}, {{"role": "user", "content": question}}],
        ).choices[0].message.content
''')


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "agent.py").write_text(AGENT)
    (tmp_path / "desk.py").write_text(COPY)
    return tmp_path


def priced(findings, callsites):
    prices.price_findings(findings, Settings(), callsites)
    by_path = prices.sites_by_path(callsites)
    return [(f.code, f.path, f.span.line, f.usd_per_1k_calls, f.assumptions,
             prices.task_of(f, prices.site_of(f, by_path)),
             [(s.path, s.span.line) for s in prices.sites_of(f, by_path)]) for f in findings]


def test_rewording_every_message_changes_no_figure_and_no_attribution(project):
    run = lint_paths(["agent.py", "desk.py"], Settings())
    codes = {f.code for f in run.findings}
    assert {"PL701", "PL405"} <= codes  # a loop priced at the call it repeats; a copy in another file
    reworded = copy.deepcopy(run.findings)
    for f in reworded:
        f.message = "reworded: no backticks, no `callee` at line 1, no path:line"
    before, after = priced(run.findings, run.callsites), priced(reworded, run.callsites)
    assert before == after
    loop = next(row for row in after if row[0] == "PL701")
    assert loop[3] is not None and loop[5] == "support"  # priced at the call, attributed to its task
    duplicate = next(row for row in after if row[0] == "PL405")
    assert len(duplicate[6]) == 2  # both calls that send the text


def test_json_carries_call_site_and_related(project, capsys):
    main(["check", "--isolated", "--no-cache", "--exit-zero", "--output-format", "json", "."])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert all("call_site" in f and "related" in f for f in findings)
    loop = next(f for f in findings if f["code"] == "PL701")
    assert loop["call_site"] == {"path": "agent.py", "line": 11, "column": 17}
    assert loop["location"]["line"] == 10  # reported on the loop, refers to the call
    duplicate = next(f for f in findings if f["code"] == "PL405")
    assert [r["message"] for r in duplicate["related"]] == ["the other copy of this text",
                                                           "the call that sends the other copy"]
    assert {duplicate["call_site"]["path"], duplicate["related"][1]["path"]} == {"agent.py", "desk.py"}


def test_sarif_related_locations(project, capsys):
    main(["check", "--isolated", "--no-cache", "--exit-zero", "--output-format", "sarif", "."])
    log = json.loads(capsys.readouterr().out)
    jsonschema.validate(log, SCHEMA)
    results = log["runs"][0]["results"]
    loop = next(r for r in results if r["ruleId"] == "PL701")
    [call] = loop["relatedLocations"]
    assert call["physicalLocation"]["region"] == {"startLine": 11, "startColumn": 17}
    assert call["message"]["text"] == "the LLM call this is about"
    duplicate = next(r for r in results if r["ruleId"] == "PL405")
    assert [x["id"] for x in duplicate["relatedLocations"]] == [1, 2, 3]
