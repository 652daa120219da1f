"""Dollar figures: checked against genai-prices for two providers, offline only,
config overrides, no figure where the spec says none exists, run totals."""

import json
import textwrap
from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price

from promptlint.cli import main
from promptlint.cost import prices
from promptlint.cost.estimate import count_tokens
from promptlint.cost.prices import price_findings, prices_as_of, waste_summary
from promptlint.engine import lint_source
from promptlint.model import CallSite, Finding, Location, PromptPart, Segment, Span
from promptlint.settings import Settings

SPAN = Span(10, 5, 10, 30)
CALL = Span(10, 5, 14, 6)


@pytest.fixture(autouse=True)
def no_network(no_network):
    """Every test here runs with sockets blocked: prices come from the bundled snapshot only."""


def finding(kind, tokens, model, code="PL104", **kw):
    return Finding(code=code, name="rule", message="msg", severity="warning", path="app.py", span=SPAN,
                   waste_tokens_per_call=tokens, waste_kind=kind, model=model, **kw)


def site(model="gpt-4o", provider="openai", system="You are terse. " * 20, cap=300, **kw):
    parts = [PromptPart("system", [Segment("static", system)]), PromptPart("user", [Segment("dynamic", source="q")])]
    return CallSite(path="app.py", span=Span(10, 5, 10, 35), call_span=CALL, callee="client.chat.completions.create",
                    provider=provider, api="chat.completions.create", shape="openai-chat", model=model, parts=parts,
                    cap_keyword="max_tokens" if cap else None, cap_value=cap, **kw)


def reference(model, provider, **usage) -> float:
    """genai-prices' own answer, per 1,000 calls."""
    return float(calc_price(Usage(**usage), model_ref=model, provider_id=provider,
                            genai_request_timestamp=prices._pricing_time()).total_price) * 1000


def priced(f, settings=None, callsites=None):
    price_findings([f], settings or Settings(), callsites)
    return f


# ---------------------------------------------------------------- against genai-prices, two providers


def test_uncached_input_gpt_4o():
    f = priced(finding("uncached-input", 1_840, "gpt-4o"))
    expected = (reference("gpt-4o", "openai", input_tokens=1_840)
                - reference("gpt-4o", "openai", input_tokens=1_840, cache_read_tokens=1_840))
    assert f.usd_per_1k_calls == pytest.approx(expected)
    assert f.usd_per_1k_calls == pytest.approx((2.50 - 1.25) * 1_840 / 1e6 * 1000)  # $2.50 in, $1.25 cached
    assert any(a.startswith("priced as openai gpt-4o at $2.5/M input, $1.25/M cache read") for a in f.assumptions)


def test_uncached_input_claude_sonnet_4_5():
    call = site("claude-sonnet-4-5", "anthropic")
    f = priced(finding("uncached-input", 3_000, "claude-sonnet-4-5"), callsites=[call])
    expected = (reference("claude-sonnet-4-5", "anthropic", input_tokens=3_000)
                - reference("claude-sonnet-4-5", "anthropic", input_tokens=3_000, cache_read_tokens=3_000))
    assert f.usd_per_1k_calls == pytest.approx(expected)
    assert f.usd_per_1k_calls == pytest.approx((3.0 - 0.30) * 3_000 / 1e6 * 1000)


def test_output_claude_sonnet_4_5_and_input_gpt_4o():
    out = priced(finding("output", 28_672, "claude-sonnet-4-5", code="PL301"))
    assert out.usd_per_1k_calls == pytest.approx(reference("claude-sonnet-4-5", "anthropic", output_tokens=28_672))
    assert out.usd_per_1k_calls == pytest.approx(15.0 * 28_672 / 1e6 * 1000)
    inp = priced(finding("input", 500, "gpt-4o", code="PL401"))
    assert inp.usd_per_1k_calls == pytest.approx(reference("gpt-4o", "openai", input_tokens=500))


def test_extra_call_and_batch_discount_price_the_whole_call():
    call = site()
    static = count_tokens("You are terse. " * 20)
    one_call = reference("gpt-4o", "openai", input_tokens=static, output_tokens=300)
    extra = priced(finding("extra-call", static + 300, "gpt-4o", code="PL501"), callsites=[call])
    assert extra.usd_per_1k_calls == pytest.approx(one_call)
    batch = priced(finding("batch-discount", round((static + 300) * 0.5), "gpt-4o", code="PL601"), callsites=[call])
    assert batch.usd_per_1k_calls == pytest.approx(one_call / 2)


def test_extra_call_of_a_loop_prices_the_calls_it_refers_to_per_10_iterations():
    # PL701 reports the loop head, outside the call; `call_site` names the call it repeats.
    call = site(in_function="run_agent")
    static = count_tokens("You are terse. " * 20)
    loop = Finding(code="PL701", name="unbounded-agent-loop", severity="warning", path="app.py",
                   span=Span(8, 5, 8, 15), scope="run_agent", waste_kind="extra-call",
                   waste_tokens_per_call=10 * (static + 300), model="gpt-4o",
                   message="`while True` repeats `client.chat.completions.create` with no iteration cap",
                   call_site=Location("app.py", 10, 5))
    priced(loop, callsites=[call])
    assert loop.usd_per_1k_calls == pytest.approx(10 * reference("gpt-4o", "openai", input_tokens=static,
                                                                 output_tokens=300))


def test_extra_call_figure_that_does_not_match_the_call_is_not_priced():
    f = priced(finding("extra-call", 12_345, "gpt-4o", code="PL501"), callsites=[site()])
    assert f.usd_per_1k_calls is None and "cannot be split" in f.assumptions[0]


def test_provider_comes_from_the_call_site():
    # A Bedrock model id is only found under provider "aws"; the finding itself does not say so.
    model = "anthropic.claude-3-5-sonnet-20240620-v1:0"
    f = priced(finding("output", 1_000, model), callsites=[site(model, "bedrock")])
    assert f.usd_per_1k_calls == pytest.approx(reference(model, "aws", output_tokens=1_000))


# ---------------------------------------------------------------- no figure where none exists


def test_no_figure_without_a_literal_model():
    f = priced(finding("uncached-input", 1_000, None))
    assert f.usd_per_1k_calls is None
    assert f.assumptions == ["no dollar figure: the model is not a literal or constant the analysis can see"]


def test_no_figure_for_a_model_the_price_data_does_not_know():
    f = priced(finding("output", 1_000, "acme-llm-7"))
    assert f.usd_per_1k_calls is None and "acme-llm-7 is not in the price data" in f.assumptions[0]


def test_no_figure_for_an_unbounded_output_or_attribution():
    unbounded = priced(finding(None, None, "gpt-4o", code="PL301"))
    attribution = priced(finding(None, None, "gpt-4o", code="PL201"))
    assert unbounded.usd_per_1k_calls is None and unbounded.assumptions is None
    assert attribution.usd_per_1k_calls is None and attribution.assumptions is None


def test_no_cache_figure_for_a_model_without_a_cache_read_price():
    f = priced(finding("uncached-input", 1_000, "gpt-4"))  # gpt-4 has no cached-input price
    assert f.usd_per_1k_calls is None and "no cache-read price" in f.assumptions[0]


def test_extra_call_with_a_partial_prompt_is_a_minimum_and_without_a_cap_has_no_figure():
    opaque = site()
    opaque.parts.append(PromptPart("history", [Segment("dynamic", source="history")], opaque=True))
    static = count_tokens("You are terse. " * 20)
    f = priced(finding("extra-call", static + 300, "gpt-4o", code="PL501"), callsites=[opaque])
    assert f.usd_per_1k_calls is not None and "a minimum: part of the prompt is not visible" in f.assumptions
    f = priced(finding("batch-discount", 100, "gpt-4o", code="PL601"), callsites=[site(cap=None)])
    assert f.usd_per_1k_calls is None and "output cap is not known" in f.assumptions[0]
    f = priced(finding("extra-call", 100, "gpt-4o", code="PL501"), callsites=[])
    assert f.usd_per_1k_calls is None and "not known" in f.assumptions[0]


def test_local_runtime_is_not_priced():
    f = priced(finding("uncached-input", 1_000, "llama3"), callsites=[site("llama3", "ollama", billed=False)])
    assert f.usd_per_1k_calls is None and f.assumptions is None


def test_rule_supplied_figure_is_kept():
    f = priced(finding("output", 1_000, "gpt-4o", usd_per_1k_calls=1.5))
    assert f.usd_per_1k_calls == 1.5


# ---------------------------------------------------------------- config


def test_config_prices_override_the_snapshot():
    settings = Settings(rule_options={"_prices": {"gpt-4o*": {"input": 3.0, "cache-read": 0.3, "output": 12}}})
    f = priced(finding("uncached-input", 2_000, "gpt-4o-2024-08-06"), settings)
    assert f.usd_per_1k_calls == pytest.approx((3.0 - 0.3) * 2_000 / 1e6 * 1000)
    assert "from the config" in f.assumptions[0]


def test_bad_config_price_is_a_usage_error():
    from promptlint.errors import UsageError

    with pytest.raises(UsageError, match="prices.gpt-4o.input"):
        priced(finding("input", 10, "gpt-4o"), Settings(rule_options={"_prices": {"gpt-4o": {"input": "cheap"}}}))


# ---------------------------------------------------------------- totals, traffic, date


def test_summary_keeps_expected_waste_and_worst_case_exposure_apart():
    findings = [finding("output", 28_672, "gpt-4o", code="PL301"),
                finding("uncached-input", 1_000, "gpt-4o", code="PL104"),
                finding("uncached-input", 500, None, code="PL101")]
    book = price_findings(findings, Settings())
    summary = waste_summary(findings, Settings(), book=book)
    # Expected rules first (largest first), then the worst-case ones, each row labelled.
    assert [(r["code"], r["estimate"]) for r in summary["by_rule"]] == [
        ("PL104", "expected"), ("PL101", "expected"), ("PL301", "worst-case")]
    # The top-level totals are expected waste only: the PL301 window is not added to them.
    assert summary["waste_tokens_per_call"] == 1_500 and summary["unpriced"] == 1
    assert summary["usd_per_1k_calls"] == pytest.approx(findings[1].usd_per_1k_calls)
    assert summary["worst_case"]["waste_tokens_per_call"] == 28_672
    assert summary["worst_case"]["usd_per_1k_calls"] == pytest.approx(findings[0].usd_per_1k_calls)
    (task,) = summary["by_task"]
    assert task["task"] == "(untagged)" and task["waste_tokens_per_call"] == 1_500
    assert task["worst_case"]["waste_tokens_per_call"] == 28_672
    assert summary["monthly"] is None and summary["prices_as_of"] == prices_as_of()

    traffic = Settings(rule_options={"_traffic": {"default": 1_000}})
    monthly = waste_summary(findings, traffic, book=book)["monthly"]
    assert monthly["usd"] == pytest.approx(round(summary["usd_per_1k_calls"] * 30, 2))
    assert monthly["waste_tokens"] == 1_500 * 1_000 * 30
    assert monthly["estimate"] == "expected" and monthly["worst_case_findings_not_projected"] == 1


def test_summary_text_labels_the_two_kinds_in_separate_blocks():
    from promptlint.cost.prices import summary_lines

    findings = [finding("output", 28_672, "gpt-4o", code="PL301"),
                finding("uncached-input", 1_000, "gpt-4o", code="PL104")]
    book = price_findings(findings, Settings())
    lines = summary_lines(waste_summary(findings, Settings(rule_options={"_traffic": {"default": 10}}), book=book))
    text = "\n".join(lines)
    expected_at = next(i for i, line in enumerate(lines) if line.startswith("Expected waste"))
    worst_at = next(i for i, line in enumerate(lines) if line.startswith("Worst-case exposure"))
    assert expected_at < worst_at
    assert "PL301" not in "\n".join(lines[expected_at:worst_at])
    assert "PL104" not in "\n".join(lines[worst_at:])
    assert "~28,672" not in "\n".join(lines[expected_at:worst_at])  # never summed into the task total
    assert "worst-case exposure is not projected per month" in text


def test_summary_groups_by_task_when_findings_carry_one():
    from dataclasses import dataclass

    @dataclass(slots=True)
    class Tagged(Finding):  # what a finding looks like once rules attach the call's task tag
        task: str | None = None

    def tagged(tokens, task):
        return Tagged(code="PL401", name="excessive-few-shot", message="m", severity="info", path="app.py",
                      span=SPAN, waste_tokens_per_call=tokens, waste_kind="input", task=task)

    summary = waste_summary([tagged(100, "answer"), tagged(300, None), tagged(50, "answer")],
                            Settings(rule_options={"_traffic": {"answer": 10}}))
    assert [(r["task"], r["findings"], r["waste_tokens_per_call"]) for r in summary["by_task"]] == [
        ("(untagged)", 1, 300), ("answer", 2, 150)]
    assert summary["monthly"] == {"usd": 0.0, "waste_tokens": 150 * 10 * 30, "days": 30, "findings_without_traffic": 1,
                                  "estimate": "expected", "worst_case_findings_not_projected": 0}
    assert [(r["task"], r["calls_per_day"], r["usd_per_month"]) for r in summary["by_task"]] == [
        ("(untagged)", None, None), ("answer", 10, 0.0)]


def test_prices_as_of_is_a_past_date():
    import datetime as dt

    as_of = dt.date.fromisoformat(prices_as_of())
    assert dt.date(2025, 1, 1) <= as_of <= dt.date.today()


def test_no_summary_without_estimates():
    assert waste_summary([finding(None, None, "gpt-4o", code="PL201")], Settings()) is None


# ---------------------------------------------------------------- end to end through the CLI

APP = textwrap.dedent("""
    from openai import OpenAI

    client = OpenAI()


    def ask(question):
        return client.chat.completions.create(
            model="gpt-4.1",
            messages=[{"role": "user", "content": question}],
        )
    """)


@pytest.fixture
def app(tmp_path, monkeypatch):
    (tmp_path / "app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_concise_shows_dollars_and_a_summary_on_stderr(app, capsys):
    code, out, err = run(capsys, "check", "--isolated", "--no-cache", "--select", "PL301")
    expected = reference("gpt-4.1", "openai", output_tokens=28_672)
    assert code == 1 and f"[worst case ~28,672 tok/call, ${expected:,.2f}/1k calls]" in out
    assert "Worst-case exposure" in err and "Expected waste" not in err and "PL301 uncapped-output" in err and f"in effect {prices_as_of()}" in err
    assert err.endswith("Found 1 finding.\n") and "per month" not in err


def test_monthly_figure_with_traffic(app, capsys):
    (app / "pyproject.toml").write_text("[tool.promptlint.traffic]\ndefault = 2000\n")
    _, _, err = run(capsys, "check", "--no-cache", "--select", "PL301")
    monthly = reference("gpt-4.1", "openai", output_tokens=28_672) / 1000 * 2000 * 30
    # A worst case (the full output window on every call) is never turned into a monthly bill.
    assert f"${monthly:,.2f}" not in err
    assert "expected waste per month" in err and "worst-case exposure is not projected per month" in err


def test_json_and_sarif_carry_the_same_numbers(app, capsys):
    _, out, _ = run(capsys, "check", "--isolated", "--no-cache", "--select", "PL301", "--output-format", "json")
    data = json.loads(out)
    f = data["findings"][0]
    assert (f["waste_tokens_per_call"], f["waste_kind"]) == (28_672, "output")
    assert f["usd_per_1k_calls"] == pytest.approx(reference("gpt-4.1", "openai", output_tokens=28_672))
    waste = data["summary"]["waste"]
    assert f["figure_kind"] == "worst-case"
    assert waste["prices_as_of"] == prices_as_of() and waste["usd_per_1k_calls"] == 0
    assert waste["worst_case"]["usd_per_1k_calls"] == f["usd_per_1k_calls"]
    assert waste["by_rule"][0]["code"] == "PL301" and waste["by_rule"][0]["estimate"] == "worst-case"
    assert waste["monthly"] is None

    _, out, _ = run(capsys, "check", "--isolated", "--no-cache", "--select", "PL301", "--output-format", "sarif")
    run_ = json.loads(out)["runs"][0]
    assert run_["results"][0]["properties"]["usd_per_1k_calls"] == f["usd_per_1k_calls"]
    assert run_["properties"]["prices_as_of"] == prices_as_of()
    assert run_["results"][0]["properties"]["figure_kind"] == "worst-case"
    assert run_["properties"]["usd_per_1k_calls"] == waste["usd_per_1k_calls"]
    assert run_["properties"]["worst_case"] == waste["worst_case"]


def test_json_without_estimates_has_a_null_waste_and_loads_no_prices(tmp_path, monkeypatch, capsys):
    (tmp_path / "app.py").write_text("import json\n")
    monkeypatch.chdir(tmp_path)
    _, out, err = run(capsys, "check", "--isolated", "--no-cache", "--output-format", "json")
    assert json.loads(out)["summary"]["waste"] is None and err == "1 file checked.\nAll checks passed.\n"


def test_decimal_prices_from_the_snapshot_are_exact_enough():
    # genai-prices works in Decimal; promptlint reports floats rounded to 6 places.
    f = priced(finding("input", 7, "gpt-4o"))
    assert Decimal(str(f.usd_per_1k_calls)) == Decimal("0.0175")


def test_real_rule_output_extra_call_and_batch_are_priced_by_hand():
    grader = "Rate the difficulty of the user's question as easy or hard. Reply with one word."
    source = textwrap.dedent(f"""
        from openai import OpenAI
        client = OpenAI()
        MODELS = {{"easy": "gpt-4.1-mini", "hard": "gpt-4.1"}}
        def answer(question):
            grade = client.chat.completions.create(model="gpt-4.1-nano", max_completion_tokens=3, messages=[
                {{"role": "system", "content": {grader!r}}}, {{"role": "user", "content": question}}])
            label = grade.choices[0].message.content.strip().lower()
            return client.chat.completions.create(model=MODELS.get(label, "gpt-4.1"), max_completion_tokens=600,
                                                  messages=[{{"role": "user", "content": question}}])
        """)
    result = lint_source("app.py", source.encode(), Settings())
    price_findings(result.findings, Settings(), result.callsites)
    router = next(f for f in result.findings if f.code == "PL501")
    by_hand = (count_tokens(grader) * 0.10 + 3 * 0.40) / 1e6 * 1000  # gpt-4.1-nano: $0.10 in, $0.40 out per M
    assert router.usd_per_1k_calls == pytest.approx(by_hand)


def test_findings_are_matched_to_the_calls_they_refer_to():
    here = site()
    there = CallSite(path="lib/other.py", span=Span(31, 5, 31, 30), call_span=Span(31, 5, 33, 6), callee="llm.create",
                     provider="openai", api="chat.completions.create", shape="openai-chat", model="gpt-4o")
    by_path = prices.sites_by_path([here, there])
    f = Finding(code="PL405", name="duplicated-prompt", severity="info", path="app.py", span=Span(2, 1, 2, 9),
                message="a message that names no call", call_site=Location("app.py", 10, 5),
                related=(Location("lib/other.py", 12, 1, "the other copy"), Location("lib/other.py", 31, 5, "its call")))
    assert prices.site_of(f, by_path) is here
    assert prices.sites_of(f, by_path) == [here, there]
    inside = Finding(code="PL301", name="uncapped-output", severity="warning", path="app.py", span=SPAN, message="m")
    assert prices.sites_of(inside, by_path) == [here]


def test_prices_come_from_the_bundled_snapshot_and_no_updater_runs(app, capsys):
    from genai_prices import data_snapshot, update_prices

    run(capsys, "check", "--isolated", "--no-cache", "--select", "PL301", "--output-format", "json")
    assert update_prices._shared_updater.ref_count == 0  # UpdatePrices() was never started
    assert data_snapshot._custom_snapshot is None  # nothing replaced the bundled data
    assert data_snapshot.get_snapshot().from_auto_update is False


def test_summary_groups_by_the_task_tag_of_the_call(tmp_path, monkeypatch, capsys):
    (tmp_path / "app.py").write_text(textwrap.dedent("""
        from openai import OpenAI

        client = OpenAI()


        def label(ticket):
            return client.chat.completions.create(
                model="gpt-4.1",
                metadata={"task": "label-ticket", "prompt_version": "2"},
                messages=[{"role": "user", "content": ticket}],
            )
        """))
    (tmp_path / "pyproject.toml").write_text('[tool.promptlint.traffic]\nlabel-ticket = 100\n')
    monkeypatch.chdir(tmp_path)
    _, out, _ = run(capsys, "check", "--no-cache", "--select", "PL301", "--output-format", "json")
    waste = json.loads(out)["summary"]["waste"]
    assert [r["task"] for r in waste["by_task"]] == ["label-ticket"]
    usd = reference("gpt-4.1", "openai", output_tokens=28_672)
    assert waste["by_task"][0]["worst_case"]["usd_per_1k_calls"] == pytest.approx(usd)
    assert waste["by_task"][0]["usd_per_month"] == 0  # expected waste only: the worst case is not projected
