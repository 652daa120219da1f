"""PL203 usage-not-recorded and the inventory's usage column, on the fixture projects in
tests/data/usage/<style>/ (one per instrumentation style, one for each way a response's
usage escapes its function, streams, and look-alikes that must not count).

Each EXPECTED.txt was written by hand from what the code does: one line per call site,
`path:line <usage recorded>` as the inventory shows it, and the summary line. PL203 must
fire exactly on the call sites whose usage is "no", "no (stream sends none)" or
"yes, not cached tokens", and nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from promptlint.engine import lint_paths, lint_source
from promptlint.report.inventory import build_rows, usage_sentence
from promptlint.settings import Settings

DATA = Path(__file__).resolve().parent / "data" / "usage"
STYLES = sorted(p.name for p in DATA.iterdir() if (p / "EXPECTED.txt").is_file())
FIRES = {"no", "no (stream sends none)", "yes, not cached tokens"}
OPTIONS = {"recorders": {"PL203": {"recorders": ["record_call"]}}}


def expected(style: str) -> tuple[dict[str, str], str]:
    sites, summary = {}, None
    for line in (DATA / style / "EXPECTED.txt").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("summary: "):
            summary = line.removeprefix("summary: ")
            continue
        where, label = line.split(" ", 1)
        sites[where] = label
    return sites, summary


def run(style: str):
    root = DATA / style
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))
    old = os.getcwd()
    os.chdir(root)
    try:
        settings = Settings(jobs=1, rule_options=dict(OPTIONS.get(style, {})))
        result = lint_paths(files, settings)
        rows = build_rows(result, settings)
    finally:
        os.chdir(old)
    return result, rows


@pytest.mark.parametrize("style", STYLES)
def test_usage_column_summary_and_findings(style):
    sites, summary = expected(style)
    result, rows = run(style)
    got = {f"{r.path}:{r.line}": r.usage_label() for r in rows}
    assert got == sites
    assert usage_sentence(rows) == summary
    fired = sorted(f"{f.path}:{f.span.line}" for f in result.findings if f.code == "PL203" and not f.suppressed)
    assert fired == sorted(where for where, label in sites.items() if label in FIRES)


def test_each_kind_of_finding_has_its_own_message():
    result, _ = run("streams")
    messages = {f.span.line: f.message for f in result.findings if f.code == "PL203"}
    assert "sends no usage at all" in messages[11] and "stream_options" in messages[11]
    assert "never read, returned, stored or logged" in messages[39]
    result, _ = run("escapes")
    blind = [f.message for f in result.findings if f.code == "PL203"]
    assert any("usage.prompt_tokens_details.cached_tokens" in m for m in blind)  # OpenAI counts only
    assert any("usage_metadata.cached_content_token_count" in m for m in blind)  # Gemini counts only


def test_a_file_checked_alone_sees_its_own_instrumentation():
    source = (DATA / "agentops" / "app" / "agent.py").read_bytes()
    assert [f.code for f in lint_source("agent.py", source, Settings()).findings if f.code == "PL203"] == []
    plain = source.replace(b"agentops.init()", b"agentops_init()")
    assert [f.code for f in lint_source("agent.py", plain, Settings()).findings if f.code == "PL203"] == ["PL203"]


def test_instrumentation_elsewhere_in_the_run_changes_the_cache_key(tmp_path):
    """The project's markers are part of the settings, so a cached 'no' does not survive
    the project adding `logfire.instrument_openai()` in another file."""
    (tmp_path / "ask.py").write_text((DATA / "langfuse_dropin" / "app" / "llm.py").read_text().replace(
        "from langfuse.openai import OpenAI", "from openai import OpenAI"))
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        settings = Settings(jobs=1, cache_dir=str(tmp_path / ".cache"))
        first = lint_paths(["ask.py"], settings)
        (tmp_path / "boot.py").write_text("import logfire\n\nlogfire.instrument_openai()\n")
        second = lint_paths(["ask.py", "boot.py"], settings)
    finally:
        os.chdir(old)
    assert [f.code for f in first.findings if f.code == "PL203"] == ["PL203"]
    assert [f.code for f in second.findings if f.code == "PL203"] == []
    assert [s.usage for s in second.callsites] == ["instrumented"]


def test_inventory_json_is_additive(tmp_path):
    import io
    import json

    from promptlint.report.inventory import render_json

    _result, rows = run("escapes")
    out = io.StringIO()
    render_json(rows, out)
    data = json.loads(out.getvalue())
    assert data["usage"]["recorded"] == 11 and data["usage"]["cached_recorded"] == 5
    assert {"usage", "usage_cached", "static_tokens"} <= set(data["call_sites"][0])
    # The schema-1 keys are all still there (issue 15 added the two halves of the dollar figure,
    # issue 13 how many rows are counted at the calls of their wrapper).
    assert set(data["total"]) == {"call_sites", "static_tokens", "static_tokens_complete", "usd_per_1k_calls",
                                  "usd_is_minimum", "unpriced", "input_usd_per_1k_calls",
                                  "output_usd_per_1k_calls_at_cap", "counted_at_callers"}
