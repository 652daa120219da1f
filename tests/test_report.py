"""Output formats and fingerprints (promptlint/report/, promptlint/state/fingerprint.py)."""

import io
import json
import random
from pathlib import Path

import jsonschema
import pytest

from promptlint import __version__
from promptlint.engine import RunResult
from promptlint.model import Finding, Span
from promptlint.report import ReportOptions, money, render, waste_text
from promptlint.ruledocs import RuleDoc
from promptlint.settings import Settings
from promptlint.state.fingerprint import finding_key, line_hash, line_hashes, stable_fingerprints

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())

APP = '''from openai import OpenAI
client = OpenAI()


def ask(q):
\tr = client.chat.completions.create(model="gpt-4.1", messages=[{"role": "system", "content": f"{now()} rules"}])
    return r
'''


def make(code="PL301", line=6, col=6, end_col=36, path="app.py", severity="warning", name="uncapped-output",
         message="no output cap", **kw):
    return Finding(code=code, name=name, message=message, severity=severity, path=path,
                   span=Span(line, col, line, end_col), suppress_lines=(line, line), **kw)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


def findings():
    return [
        make(waste_tokens_per_call=28672, waste_kind="output", usd_per_1k_calls=0.42),
        make("PL101", 6, 96, 101, severity="error", name="volatile-timestamp-in-prefix",
             message="`now()` enters the system prompt", waste_tokens_per_call=1840, waste_kind="uncached-input",
             scope="ask", snippet="now()"),
        make("PL104", 7, 5, 13, name="dynamic-before-static", message="suppressed one", suppressed=True),
    ]


def out(fmt, result, **opts):
    stream = io.StringIO()
    render(fmt, result, Settings(), stream, ReportOptions(**opts))
    return stream.getvalue()


# ---------------------------------------------------------------- concise / full


def test_concise_lines_with_estimates_and_no_suppressed(project):
    text = out("concise", RunResult(findings=findings()))
    assert text.splitlines() == [
        "app.py:6:6: PL301 no output cap [worst case ~28,672 tok/call, $0.42/1k calls]",
        "app.py:6:96: PL101 `now()` enters the system prompt [~1,840 tok/call]",
    ]
    assert "\x1b[" not in text


def test_concise_show_suppressed(project):
    text = out("concise", RunResult(findings=findings()), show_suppressed=True)
    lines = text.splitlines()
    assert len(lines) == 3 and lines[2].endswith("suppressed one (suppressed)")


def test_waste_text_and_money():
    assert waste_text(make()) == ""
    assert waste_text(make(usd_per_1k_calls=1234.5)) == "[worst case $1,234.50/1k calls]"  # make() is a PL301
    assert waste_text(make(code="PL104", usd_per_1k_calls=1234.5)) == "[$1,234.50/1k calls]"
    assert waste_text(make(usd_per_1k_calls=float("nan"))) == ""
    assert money(0.0042) == "$0.0042" and money(0) == "$0.00" and money(0.42) == "$0.42"


def test_full_shows_the_line_an_underline_and_the_rule_name(project):
    result = RunResult(findings=[make(assumptions=["model gpt-4.1 max output 32,768"])])
    lines = out("full", result).splitlines()
    assert lines[0] == "app.py:6:6: PL301 no output cap"
    assert lines[2] == '6 | \tr = client.chat.completions.create(model="gpt-4.1", messages=[{"role": "system", ' \
                       '"content": f"{now()} rules"}])'
    # The tab before the callee is kept so the carets sit under `client.chat.completions.create`.
    assert lines[3] == "  | \t    " + "^" * 30 + " PL301 uncapped-output"
    assert lines[-1] == "  = assumes: model gpt-4.1 max output 32,768"


def test_full_without_source_still_names_the_rule(project):
    text = out("full", RunResult(findings=[make(path="gone.py")]))
    assert text.splitlines() == ["gone.py:6:6: PL301 no output cap", "  = rule: PL301 uncapped-output"]


# ---------------------------------------------------------------- json / json-lines

FINDING_KEYS = {"code", "name", "cell", "message", "severity", "path", "location", "end_location", "fingerprint", "url",
                "fix", "waste_tokens_per_call", "waste_kind", "figure_kind", "usd_per_1k_calls", "assumptions",
                "suppressed", "call_site", "related"}


def test_json_envelope_keys_and_values(project):
    text = out("json", RunResult(findings=findings(), files_checked=3, files_skipped=2))
    data = json.loads(text)
    assert set(data) == {"schema_version", "tool", "findings", "summary"}
    assert data["schema_version"] == 1 and data["tool"] == {"name": "promptlint", "version": __version__}
    assert [f["code"] for f in data["findings"]] == ["PL301", "PL101"]
    first = data["findings"][0]
    assert set(first) == FINDING_KEYS
    assert first["location"] == {"line": 6, "column": 6} and first["end_location"] == {"line": 6, "column": 36}
    assert first["fix"] is None and first["assumptions"] is None and first["usd_per_1k_calls"] == 0.42
    assert first["url"] == "https://github.com/promptlint/promptlint/blob/main/docs/rules/PL301.md"
    assert first["fingerprint"].endswith(":1")
    assert data["summary"] == {"findings": 2, "suppressed": 1, "by_code": {"PL101": 1, "PL301": 1},
                               "files_checked": 3, "files_skipped": 2, "files_not_checked": []}


def test_json_keys_are_sorted_unicode_is_kept_and_nan_becomes_null(project):
    f = make(message="naïve “quote” → 東京", usd_per_1k_calls=float("inf"))
    text = out("json", RunResult(findings=[f]))
    assert "naïve “quote” → 東京" in text
    assert json.loads(text)["findings"][0]["usd_per_1k_calls"] is None
    # Byte-for-byte the sorted-keys, non-ASCII-preserving serialization.
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert text.index('"code"') < text.index('"end_location"') < text.index('"fingerprint"')


def test_json_show_suppressed_keeps_fingerprints_stable(project):
    hidden = json.loads(out("json", RunResult(findings=findings())))["findings"]
    shown = json.loads(out("json", RunResult(findings=findings()), show_suppressed=True))["findings"]
    assert len(shown) == 3 and shown[2]["suppressed"] is True
    assert [f["fingerprint"] for f in shown[:2]] == [f["fingerprint"] for f in hidden]


def test_json_lines_one_object_per_line_without_envelope(project):
    lines = out("json-lines", RunResult(findings=findings())).splitlines()
    assert len(lines) == 2
    assert all(set(json.loads(line)) == FINDING_KEYS for line in lines)
    assert out("json-lines", RunResult()) == ""


# ---------------------------------------------------------------- github


def test_github_workflow_commands_with_escaping(project):
    f = make(path="dir,x/a:b.py", message="100% sure\nnext line", waste_tokens_per_call=5)
    info = make("PL101", severity="info")
    lines = out("github", RunResult(findings=[f, info])).splitlines()
    assert lines[1] == ("::warning file=dir%2Cx/a%3Ab.py,line=6,col=6,endLine=6,endColumn=36,"
                        "title=PL301 uncapped-output::100%25 sure%0Anext line [worst case ~5 tok/call]")
    assert lines[0].startswith("::notice file=app.py,")  # sorted by path; info -> notice


# ---------------------------------------------------------------- sarif


def sarif(result, **opts):
    return json.loads(out("sarif", result, **opts))


def test_sarif_validates_against_the_schema(project):
    log = sarif(RunResult(findings=findings()))
    jsonschema.validate(log, SCHEMA)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json" and log["version"] == "2.1.0"
    assert len(log["runs"]) == 1


def test_sarif_validates_without_rule_documents(project, monkeypatch):
    import promptlint.report.sarif as sarif_module

    monkeypatch.setattr(sarif_module, "_docs", lambda: {})
    log = sarif(RunResult(findings=findings()))
    jsonschema.validate(log, SCHEMA)
    rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["name"] == "volatile-timestamp-in-prefix" and rule["defaultConfiguration"]["level"] == "error"


def test_sarif_rules_use_the_rule_documents(project, monkeypatch):
    import promptlint.report.sarif as sarif_module

    doc = RuleDoc(code="PL301", name="uncapped-output", severity="warning",
                  summary="No output cap. The model may write a lot.",
                  sections={"what it does": "Finds calls without a cap. " + "x" * 2000},
                  tags=["cost", "llm", "security"])
    monkeypatch.setattr(sarif_module, "_docs", lambda: {"PL301": doc})
    rule = sarif(RunResult(findings=[make()]))["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["shortDescription"] == {"text": "No output cap."}
    assert len(rule["fullDescription"]["text"]) == 1024
    assert rule["fullDescription"]["text"].startswith("Finds calls without a cap.")
    assert rule["help"] == {"text": doc.text(), "markdown": doc.markdown()}
    assert rule["helpUri"] == "https://github.com/promptlint/promptlint/blob/main/docs/rules/PL301.md"
    assert rule["properties"] == {"tags": ["cost", "llm"], "precision": "medium", "problem.severity": "warning"}


def test_sarif_run_shape(project):
    log = sarif(RunResult(findings=findings()))
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "promptlint" and driver["semanticVersion"] == __version__
    assert driver["informationUri"].startswith("https://")
    # Only referenced rules, in code order, and every ruleIndex points at its rule.
    assert [r["id"] for r in driver["rules"]] == ["PL101", "PL104", "PL301"]
    for res in run["results"]:
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["automationDetails"] == {"id": "promptlint/"}
    root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root.startswith("file:///") and root.endswith("/") and root == project.resolve().as_uri() + "/"
    assert "security-severity" not in json.dumps(log)


def test_sarif_results(project):
    results = sarif(RunResult(findings=findings()))["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["PL301", "PL101", "PL104"]  # sorted by position
    capped, clock, hidden = results
    assert capped["level"] == "warning" and clock["level"] == "error"
    loc = capped["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "app.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 6, "startColumn": 6, "endLine": 6, "endColumn": 36}
    assert capped["properties"] == {"waste_tokens_per_call": 28672, "waste_kind": "output", "usd_per_1k_calls": 0.42,
                                    "figure_kind": "worst-case"}
    assert capped["message"]["text"] == ("no output cap. Worst-case exposure: ~28,672 tokens per call, "
                                         "$0.42 per 1,000 calls.")
    assert "properties" not in hidden  # no honest numbers: no properties
    assert capped["suppressions"] == [] and hidden["suppressions"] == [{"kind": "inSource"}]
    assert capped["partialFingerprints"]["primaryLocationLineHash"] == line_hash(APP, 6)
    assert set(capped["partialFingerprints"]) == {"primaryLocationLineHash", "promptlint/v1"}


def test_sarif_no_root_and_info_level(project, monkeypatch):
    import promptlint.report.sarif as sarif_module

    monkeypatch.setattr(sarif_module, "_docs", lambda: {})  # severity from the finding itself
    log = sarif(RunResult(findings=[make(severity="info")]), sarif_root_uri=False)
    run = log["runs"][0]
    assert "originalUriBaseIds" not in run
    assert run["results"][0]["level"] == "note"
    assert run["tool"]["driver"]["rules"][0]["properties"]["problem.severity"] == "recommendation"


def test_sarif_uris_are_encoded_resolved_and_outside_paths_absolute(project, tmp_path_factory):
    (project / "my dir").mkdir()
    (project / "my dir" / "a%b.py").write_text("x = 1\n")
    (project / "link").symlink_to(project / "my dir", target_is_directory=True)
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "far.py"
    elsewhere.write_text("y = 2\n")
    log = sarif(RunResult(findings=[make(path="link/a%b.py", line=1), make(path=str(elsewhere), line=1)]))
    locs = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]]
    by_uri = {loc["uri"]: loc for loc in locs}
    assert by_uri["my%20dir/a%25b.py"]["uriBaseId"] == "%SRCROOT%"
    assert by_uri[elsewhere.resolve().as_uri()] == {"uri": elsewhere.resolve().as_uri()}
    jsonschema.validate(log, SCHEMA)


def test_sarif_empty_run_has_empty_arrays(project):
    log = sarif(RunResult(), sarif_root_uri=False)
    run = log["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    jsonschema.validate(log, SCHEMA)


def test_sarif_fingerprints_survive_unrelated_lines_above(project):
    before = sarif(RunResult(findings=[make("PL101", 6, 96, 101, scope="ask")]))["runs"][0]["results"][0]
    (project / "app.py").write_text("import os\n# a comment\n\n" + APP)
    after = sarif(RunResult(findings=[make("PL101", 9, 96, 101, scope="ask")]))["runs"][0]["results"][0]
    assert after["partialFingerprints"] == before["partialFingerprints"]
    assert after["locations"] != before["locations"]


def test_stdin_source_is_used_for_fingerprints(project):
    source = "a = 1\nb = 2\n"
    log = sarif(RunResult(findings=[make(path="virtual.py", line=2)]), sources={"virtual.py": source})
    assert log["runs"][0]["results"][0]["partialFingerprints"]["primaryLocationLineHash"] == line_hash(source, 2)


@pytest.mark.parametrize("fmt", ["concise", "full", "json", "json-lines", "github", "sarif"])
def test_every_format_is_deterministic_whatever_the_input_order(project, fmt):
    base = findings() + [make("PL102", 6, 6, 36, message="same place, other code")]
    first = out(fmt, RunResult(findings=sorted(base, key=Finding.sort_key)), show_suppressed=True)
    for seed in range(3):
        shuffled = base[:]
        random.Random(seed).shuffle(shuffled)
        assert out(fmt, RunResult(findings=shuffled), show_suppressed=True) == first


def test_unknown_format_is_rejected():
    with pytest.raises(ValueError):
        render("xml", RunResult(), Settings(), io.StringIO())


# ---------------------------------------------------------------- GitHub's line hash


# Vectors from github/codeql-action src/fingerprints.test.ts.
UPSTREAM = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
     ["8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1", "c6805c5e1288b612:1",
      "b86d3392aea1be30:1", "e6ceba753e1a442:1"]),
]
CRLF_VARIANTS = [
    " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
    " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
    " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
    " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n",
]
CRLF_HASHES = ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
               "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"]
LOREM = ["a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4",
         "a7f2ff13bc495cf2:5", "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
         "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"]


@pytest.mark.parametrize("text, expected", UPSTREAM)
def test_line_hash_upstream_vectors(text, expected):
    assert line_hashes(text) == expected


@pytest.mark.parametrize("text", CRLF_VARIANTS)
def test_line_hash_newline_variants(text):
    assert line_hashes(text) == CRLF_HASHES


def test_line_hash_repeated_lines_count_occurrences():
    assert line_hashes("Lorem ipsum dolor sit amet.\n" * 10) == LOREM


def reference_hashes(text: str) -> list[str]:
    """The same definition written directly: per line, sum(c_i * 37^(99-i)) mod 2^64 over the 100
    characters from the line's first non-blank character, blanks dropped, CR/CRLF as LF, UTF-16
    units, then 65535 and zeros after the end."""
    units = list(text.encode("utf-16-le", "surrogatepass"))
    units = [units[i] | units[i + 1] << 8 for i in range(0, len(units), 2)]
    stream, prev_cr = [], False
    for u in units:
        if u in (9, 32) or (prev_cr and u == 10):
            prev_cr = False
            continue
        prev_cr = u == 13
        stream.append(10 if u == 13 else u)
    stream += [65535] + [0] * 100
    starts = [0] + [i + 1 for i, u in enumerate(stream[:-101]) if u == 10]
    counts, out = {}, []
    for p in starts:
        h = sum(stream[p + i] * pow(37, 99 - i, 1 << 64) for i in range(100)) % (1 << 64)
        key = format(h, "x")
        counts[key] = counts.get(key, 0) + 1
        out.append(f"{key}:{counts[key]}")
    return out


@pytest.mark.parametrize("text", [
    APP,
    "emoji 🎉 and 東京 and ü\n" * 3 + "x",  # non-BMP: two UTF-16 code units, like JavaScript
    "x" * 250 + "\n" + "y" * 3 + "\n\n\t \n",
    "\r\n\r\n",
])
def test_line_hash_matches_the_direct_definition(text):
    assert line_hashes(text) == reference_hashes(text)


def test_line_hash_ignores_indentation_but_not_content():
    assert line_hash("    x = f(a)\n", 1) == line_hash("x = f(a)\n", 1)
    assert line_hash("x = f(a)\n", 1) != line_hash("x = f(b)\n", 1)
    assert line_hash("a\n", 5) is None


# ---------------------------------------------------------------- promptlint/v1


def test_stable_fingerprint_has_no_line_numbers_and_counts_duplicates():
    a, b = make("PL101", 3, snippet="now()"), make("PL101", 40, snippet="now()")
    c = make("PL101", 2, snippet="today()")
    prints = stable_fingerprints([b, c, a])
    assert prints[2].endswith(":1") and prints[0].endswith(":2")  # ordinals follow source order
    assert prints[2].split(":")[0] == prints[0].split(":")[0] != prints[1].split(":")[0]
    assert finding_key(make("PL101", 3, snippet="now( )")) != finding_key(make("PL101", 3, snippet="now()"))
    assert finding_key(make("PL101", 3, snippet="a  +\n b")) == finding_key(make("PL101", 9, snippet="a + b"))
    assert finding_key(make("PL101", scope="f")) != finding_key(make("PL101", scope="g"))
    assert finding_key(make("PL101", path="x.py")) != finding_key(make("PL101", path="y.py"))


def test_stable_fingerprint_falls_back_to_the_span_text():
    lines = ["", "r = client.create(x)"]
    f = make(line=2, col=5, end_col=18)
    assert finding_key(f, lines) == finding_key(make(line=7, col=1, end_col=2, snippet="client.create"))
