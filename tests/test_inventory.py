"""`promptlint inventory`: one row per call site, sizes, cost at the cap, codes, formats."""

import csv
import io
import json
import textwrap
from pathlib import Path

import pytest
from genai_prices import Usage, calc_price

from promptlint.cli import main
from promptlint.cost import prices
from promptlint.cost.estimate import count_tokens

ROOT = Path(__file__).resolve().parents[1]

APP = textwrap.dedent('''
    from datetime import date

    from openai import OpenAI

    client = OpenAI()
    SYSTEM = "You label support tickets as billing, bug or other. Reply with the label only."


    def label(ticket):
        return client.chat.completions.create(
            model="gpt-4o",
            max_tokens=5,
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": ticket}],
        )


    def chat(history):
        return client.chat.completions.create(model="gpt-4o", max_tokens=200, messages=history)


    def draft(topic, model):
        return client.chat.completions.create(
            model=model,
            messages=[{"role": "system", "content": f"Today is {date.today()}. Write a short note."},
                      {"role": "user", "content": topic}],
        )
    ''')


@pytest.fixture(autouse=True)
def no_network(no_network):
    """Every test here runs with sockets blocked."""


@pytest.fixture
def app(tmp_path, monkeypatch):
    (tmp_path / "app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *args):
    code = main(["inventory", "--isolated", "--no-cache", *args])
    out, err = capsys.readouterr()
    return code, out, err


def rows(capsys, *args):
    code, out, _ = run(capsys, "--output-format", "json", *args)
    assert code == 0
    return json.loads(out)


def test_json_rows(app, capsys):
    data = rows(capsys)
    label, chat, draft = data["call_sites"]
    required = {"path", "line", "provider", "api", "task", "model", "static_tokens", "cacheable_prefix_tokens",
                "output_cap", "usd_per_1k_calls", "codes"}
    assert required <= set(label)
    static = count_tokens("You label support tickets as billing, bug or other. Reply with the label only.")
    assert (label["path"], label["line"], label["provider"], label["api"], label["task"], label["model"]) == (
        "app.py", 11, "openai", "chat.completions.create", "(untagged)", "gpt-4o")
    assert (label["static_tokens"], label["cacheable_prefix_tokens"], label["output_cap"]) == (static, static, 5)
    expected = float(calc_price(Usage(input_tokens=static, output_tokens=5), model_ref="gpt-4o", provider_id="openai",
                                genai_request_timestamp=prices._pricing_time()).total_price) * 1000
    assert label["usd_per_1k_calls"] == pytest.approx(expected)
    assert label["static_tokens_complete"] is True and label["note"] is None

    # A history the analysis cannot see: the prompt is partly unknown, and the row says so.
    assert chat["static_tokens_complete"] is False and chat["note"] == "prompt partly unknown"
    assert chat["static_tokens"] == 0 and chat["output_cap"] == 200

    # Model from a parameter and no cap: no dollar figure, and the codes found at the call.
    assert draft["model"] is None and draft["usd_per_1k_calls"] is None and draft["output_cap"] is None
    assert "PL101" in draft["codes"] and "PL301" in draft["codes"]
    assert "model not visible" in draft["note"]
    assert data["prices_as_of"] == prices.prices_as_of()
    assert data["tasks"][0]["task"] == "(untagged)" and data["tasks"][0]["call_sites"] == 3
    assert data["total"]["unpriced"] == 1


def test_table_groups_by_task_with_subtotals(app, capsys):
    code, out, err = run(capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("task: (untagged)  (3 call sites,")
    assert "LOCATION" in lines[1] and "CACHEABLE PREFIX" in lines[1]
    assert lines[2].split()[:3] == ["app.py:11", "openai", "chat.completions.create"]
    assert "≥0" in lines[3] and "prompt partly unknown" in lines[3]  # partial prompts are marked
    assert "Prices: genai-prices" in err


def test_csv_and_markdown(app, capsys):
    _, out, _ = run(capsys, "--output-format", "csv")
    table = list(csv.DictReader(io.StringIO(out)))
    assert [r["line"] for r in table] == ["11", "19", "23"]
    assert table[1]["static_tokens_complete"] == "false" and table[2]["usd_per_1k_calls"] == ""
    _, out, _ = run(capsys, "--output-format", "markdown")
    assert out.startswith("### Task: (untagged)\n") and "| `app.py:11` |" in out


def test_bad_format_is_a_usage_error(app, capsys):
    code, _, err = run(capsys, "--output-format", "xml")
    assert code == 2 and "table, json, csv, markdown" in err


def test_no_call_sites(tmp_path, monkeypatch, capsys):
    (tmp_path / "util.py").write_text("import json\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys)
    assert code == 0 and out == "No LLM call sites found.\n"


def test_rag_service_fixture(capsys, monkeypatch):
    monkeypatch.chdir(ROOT / "fixtures" / "rag_service")
    data = rows(capsys, "app")
    by_line = {(r["path"], r["line"]): r for r in data["call_sites"]}
    assert {("app/answer.py", 42), ("app/escalation.py", 26), ("app/followups.py", 33),
            ("app/rewrite.py", 23)} <= set(by_line)
    # Findings reported away from the call (in a prompt-building helper) still land on their call.
    assert "PL101" in by_line[("app/answer.py", 42)]["codes"]
    assert {"PL104", "PL301"} <= set(by_line[("app/escalation.py", 26)]["codes"])
    assert {"PL102", "PL301"} <= set(by_line[("app/rewrite.py", 23)]["codes"])
    assert by_line[("app/answer.py", 42)]["output_cap"] == 700


def test_rows_are_grouped_by_the_calls_task_tag(tmp_path, monkeypatch, capsys):
    (tmp_path / "app.py").write_text(APP + textwrap.dedent('''

        def summarize(text):
            return client.chat.completions.create(
                model="gpt-4o-mini",
                max_tokens=150,
                metadata={"task": "summarize-ticket", "prompt_version": "2"},
                messages=[{"role": "user", "content": text}],
            )
        '''))
    monkeypatch.chdir(tmp_path)
    data = rows(capsys)
    assert [(t["task"], t["call_sites"]) for t in data["tasks"]] == [("summarize-ticket", 1), ("(untagged)", 3)]
    assert data["call_sites"][0]["task"] == "summarize-ticket"
    _, out, _ = run(capsys)
    assert out.startswith("task: summarize-ticket  (1 call site,") and "\ntask: (untagged)  (3 call sites," in out
    assert "\ntotal: 4 call sites," in out


RETRYING_WRAPPER = textwrap.dedent('''
    from openai import OpenAI

    client = OpenAI()


    def ask(question):
        try:
            return client.chat.completions.create(model="gpt-4.1", max_tokens=400,
                                                  messages=[{"role": "user", "content": question}])
        except TimeoutError:
            return client.chat.completions.create(model="gpt-4.1-mini", max_tokens=100,
                                                  messages=[{"role": "user", "content": question}])
    ''')


def test_a_wrapper_with_two_requests_is_one_row_at_its_call(tmp_path, monkeypatch, capsys):
    """The caller makes one call: one row, with the costlier request's figures and how many
    requests the call may send, and the subtotal counts one call site, not two."""
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "llm.py").write_text(RETRYING_WRAPPER)
    (pkg / "main.py").write_text("from app.llm import ask\n\n\ndef answer(q):\n    return ask(q)\n")
    monkeypatch.chdir(tmp_path)
    data = rows(capsys)
    at_caller = [r for r in data["call_sites"] if r["path"] == "app/main.py"]
    assert len(at_caller) == 1
    (row,) = at_caller
    assert row["requests"] == 2 and row["wrapper"] == "ask"
    assert (row["model"], row["output_cap"]) == ("gpt-4.1", 400)  # gpt-4.1 at 400 costs more than mini at 100
    assert "one of 2 requests the call may send through ask" in row["note"]
    # The wrapper's own two requests stay two rows (two calls in its body), without the key.
    body = [r for r in data["call_sites"] if r["path"] == "app/llm.py"]
    assert len(body) == 2 and all("requests" not in r for r in body)
    assert data["total"]["call_sites"] == 3
    # The table says it too.
    code, out, _ = run(capsys)
    assert code == 0 and "one of 2 requests" in out


PRICED_WRAPPER = '''from openai import OpenAI

client = OpenAI()


def ask(question):
    return client.chat.completions.create(
        model="gpt-4.1", max_tokens=300,
        messages=[{"role": "system", "content": "Answer in one paragraph."}, {"role": "user", "content": question}])
'''


def test_a_request_sent_through_wrapper_calls_is_counted_once(tmp_path, monkeypatch, capsys):
    """main.py calls serve (service.py), which calls ask (llm.py), which sends the request: three
    rows, one request. The totals count it at main.py's row; the other two rows say where."""
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "llm.py").write_text(PRICED_WRAPPER)
    (pkg / "service.py").write_text("from app.llm import ask\n\n\ndef serve(q):\n    return ask(q)\n")
    (pkg / "main.py").write_text("from app.service import serve\n\n\ndef handle(q):\n    return serve(q)\n")
    monkeypatch.chdir(tmp_path)
    data = rows(capsys)
    by_path = {r["path"]: r for r in data["call_sites"]}
    assert set(by_path) == {"app/llm.py", "app/service.py", "app/main.py"}
    assert by_path["app/llm.py"]["counted_at_callers"] == ["app/main.py:5"]
    assert by_path["app/service.py"]["counted_at_callers"] == ["app/main.py:5"]
    assert "counted_at_callers" not in by_path["app/main.py"]
    total = data["total"]
    assert (total["call_sites"], total["counted_at_callers"]) == (3, 2)
    one = by_path["app/main.py"]["usd_per_1k_calls"]
    assert one and total["usd_per_1k_calls"] == pytest.approx(one)  # not three times the one request
    assert total["static_tokens"] == by_path["app/main.py"]["static_tokens"]
    code, out, _ = run(capsys)
    assert "3 call sites, 2 of them counted at the calls of their wrapper" in out
    assert "per 1k calls of each of the other 1" in out
    assert "counted at the call of its wrapper: app/main.py:5" in out
    # Without its callers in the report, the wrapper's own row is counted.
    data = rows(capsys, "app/llm.py")
    (row,) = data["call_sites"]
    assert "counted_at_callers" not in row and data["total"]["usd_per_1k_calls"] == pytest.approx(one)
