"""Baselines (promptlint/state/baseline.py, `check --baseline / --write-baseline`; conventions §8).

End to end on a small project in tmp_path with the real engine: a baseline
survives shifted lines and unrelated edits, new findings still fail, stale
entries are counted, and --write-baseline on the baseline in use only shrinks it.
"""

import json

import pytest

from promptlint import cli
from promptlint.model import Finding, Span
from promptlint.state import baseline as bl

CALL = 'client.chat.completions.create(model="gpt-4o", max_tokens=500, metadata={{"task": "{task}"}}, messages=[{{"role": "user", "content": {arg}}}])'

APP = f"""import openai

client = openai.OpenAI()


def answer(question):
    return {CALL.format(task="answer", arg="question")}
"""


def uncapped(name, arg="text"):
    return (f"\n\ndef {name}({arg}):\n"
            f'    return client.chat.completions.create(model="gpt-4o", metadata={{"task": "{name}"}}, '
            f'messages=[{{"role": "user", "content": {arg}}}])\n')


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.promptlint]\nselect = ["PL301"]\n')
    (tmp_path / "app.py").write_text(APP + uncapped("summarize"))
    return tmp_path


def run(capsys, *args):
    capsys.readouterr()
    code = cli.main(["check", "--no-cache", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_write_baseline_then_clean_run(project, capsys):
    code, out, _ = run(capsys)
    assert code == 1 and out.count("PL301") == 1
    code, out, err = run(capsys, "--write-baseline", "base.json")
    assert code == 0 and "PL301" not in out
    assert "recorded 1 finding" in err and "1 finding hidden by the baseline" in err
    data = json.loads((project / "base.json").read_text())
    assert data["version"] == bl.VERSION
    assert [(e["code"], e["path"], e["scope"], e["count"]) for e in data["entries"]] == \
        [("PL301", "app.py", "summarize", 1)]
    # sorted, pretty-printed, trailing newline: diffs cleanly
    text = (project / "base.json").read_text()
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"
    code, out, err = run(capsys, "--baseline", "base.json")
    assert code == 0 and out == "" and "1 finding hidden by the baseline" in err and "stale" not in err


def test_shifted_lines_and_unrelated_edits_keep_passing(project, capsys):
    run(capsys, "--write-baseline", "base.json")
    app = project / "app.py"
    text = app.read_text()
    text = text.replace("import openai\n", "import openai\nimport os\n\n\nLIMIT = 3  # new lines above\n")
    text = text.replace('task": "answer"', 'task": "reply"')  # an unrelated edit in another function
    text = text.replace("def summarize(text):\n",
                        "def summarize(text):\n    text = text.strip()\n\n")  # and one in the same function
    app.write_text(text)
    code, out, err = run(capsys, "--baseline", "base.json")
    assert code == 0, out + err
    assert out == ""


def test_new_finding_fails_alone(project, capsys):
    run(capsys, "--write-baseline", "base.json")
    app = project / "app.py"
    app.write_text(app.read_text() + uncapped("translate"))
    code, out, err = run(capsys, "--baseline", "base.json")
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 1 and "PL301" in lines[0] and f":{len(app.read_text().splitlines())}:" in lines[0]
    assert "1 finding hidden by the baseline" in err and "Found 1 finding." in err


def test_a_second_copy_in_the_same_scope_fails(project, capsys):
    run(capsys, "--write-baseline", "base.json")
    app = project / "app.py"
    text = app.read_text()
    call = text.splitlines()[-1]
    app.write_text(text + "\n" + call.replace("return ", "") .replace("    ", "    x = ", 1) + "\n")
    code, out, _ = run(capsys, "--baseline", "base.json")
    assert code == 1 and out.count("PL301") == 1


def test_stale_count_after_a_fix_and_ratchet(project, capsys):
    app = project / "app.py"
    app.write_text(APP + uncapped("summarize") + uncapped("translate"))
    run(capsys, "--write-baseline", "base.json")
    assert sum(e["count"] for e in json.loads((project / "base.json").read_text())["entries"]) == 2
    # fix one finding
    app.write_text(APP + uncapped("summarize") + uncapped("translate").replace("metadata=", "max_tokens=300, metadata="))
    code, out, err = run(capsys, "--baseline", "base.json")
    assert code == 0 and "1 baseline entry is stale" in err
    # a new finding appears; rewriting the baseline in use shrinks it and never adds the new one
    app.write_text(app.read_text() + uncapped("classify"))
    code, out, err = run(capsys, "--baseline", "base.json", "--write-baseline", "base.json")
    assert code == 1 and out.count("PL301") == 1 and "classify" not in json.dumps(
        json.loads((project / "base.json").read_text()))
    entries = json.loads((project / "base.json").read_text())["entries"]
    assert [e["scope"] for e in entries] == ["summarize"]
    assert "kept 1 finding" in err
    code, _, err = run(capsys, "--baseline", "base.json")
    assert code == 1 and "stale" not in err


def test_config_baseline_and_run_from_subdirectory(project, capsys, monkeypatch):
    (project / "pkg").mkdir()
    (project / "pkg" / "mod.py").write_text("import openai\n\nclient = openai.OpenAI()\n" + uncapped("work"))
    run(capsys, "--write-baseline", "base.json")
    (project / "pyproject.toml").write_text('[tool.promptlint]\nselect = ["PL301"]\nbaseline = "base.json"\n')
    code, out, err = run(capsys)
    assert code == 0 and "2 findings hidden" in err
    monkeypatch.chdir(project / "pkg")  # paths in the baseline are relative to its own directory
    code, out, err = run(capsys, ".")
    assert code == 0 and out == "" and "1 finding hidden" in err
    assert "stale" not in err  # entries for files outside this run are not stale


def test_partial_run_keeps_entries_of_other_files(project, capsys):
    (project / "other.py").write_text("import openai\n\nclient = openai.OpenAI()\n" + uncapped("work"))
    run(capsys, "--write-baseline", "base.json")
    code, _, err = run(capsys, "app.py", "--baseline", "base.json", "--write-baseline", "base.json")
    assert code == 0 and "stale" not in err
    paths = sorted(e["path"] for e in json.loads((project / "base.json").read_text())["entries"])
    assert paths == ["app.py", "other.py"]


def test_missing_or_broken_baseline_is_exit_2(project, capsys):
    code, _, err = run(capsys, "--baseline", "nope.json")
    assert code == 2 and "baseline file not found" in err and len(err.strip().splitlines()) == 1
    (project / "bad.json").write_text('{"version": 99, "entries": []}')
    code, _, err = run(capsys, "--baseline", "bad.json")
    assert code == 2 and "unsupported baseline version" in err
    (project / "bad.json").write_text("{not json")
    code, _, err = run(capsys, "--baseline", "bad.json")
    assert code == 2 and "invalid baseline JSON" in err


def test_write_baseline_refuses_stdin(project, capsys, monkeypatch):
    code, _, err = run(capsys, "-", "--write-baseline", "base.json")
    assert code == 2 and "stdin" in err


def test_keys_ignore_lines_and_whitespace(tmp_path):
    def f(line, snippet):
        return Finding(code="PL301", name="uncapped-output", message="m", severity="warning",
                       path=str(tmp_path / "a.py"), span=Span(line, 1, line, 5), scope="f", snippet=snippet)

    path = tmp_path / "b.json"
    assert bl.write(str(path), [f(3, "client.create(x,  y)"), f(9, "client.create(x, y)")]) == 2
    loaded = bl.load(str(path))
    [entry] = loaded.entries.values()
    assert entry.count == 2 and entry.path == "a.py"
    kept, outcome = bl.apply(loaded, [f(40, "client.create(x,\n    y)"), f(50, "other.create")])
    assert [k.snippet for k in kept] == ["other.create"] and outcome.baselined == 1 and outcome.stale == 1
