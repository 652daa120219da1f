"""--output-format gitlab (GitLab Code Quality) and junit (JUnit XML): shape, stability, determinism."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from promptlint.cli import main

APP = '''from datetime import datetime
from openai import OpenAI

client = OpenAI()


def ask(question):
    return client.chat.completions.create(
        model="gpt-4.1",
        messages=[{"role": "system", "content": f"Now {datetime.now()}. Be brief."},
                  {"role": "user", "content": question}],
    )


def ask_again(question):
    return client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": question}])
'''
GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "clean.py").write_text("import json\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, fmt, *paths):
    code = main(["check", "--isolated", "--no-cache", "--output-format", fmt, *(paths or ["."])])
    out, _ = capsys.readouterr()
    return code, out


def check_gitlab_shape(issues):
    """The fields GitLab's Code Quality widget reads, with their types."""
    assert isinstance(issues, list)
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str) and issue["check_name"].startswith("PL")
        assert isinstance(issue["fingerprint"], str) and len(issue["fingerprint"]) == 32
        int(issue["fingerprint"], 16)
        assert issue["severity"] in GITLAB_SEVERITIES
        assert isinstance(issue["location"]["path"], str)
        lines = issue["location"]["lines"]
        assert isinstance(lines["begin"], int) and lines["begin"] >= 1 and lines["end"] >= lines["begin"]


def test_gitlab_report_shape_and_severities(project, capsys):
    code, out = run(capsys, "gitlab")
    issues = json.loads(out)
    check_gitlab_shape(issues)
    assert code == 1 and {i["check_name"] for i in issues} >= {"PL201", "PL301"}
    by_code = {i["check_name"]: i for i in issues}
    assert by_code["PL301"]["severity"] == "minor"  # a warning
    assert by_code["PL101"]["severity"] == "info"  # latent: below the cache minimum
    assert all(i["location"]["path"] == "app.py" for i in issues)
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_fingerprints_are_stable_across_runs_and_line_shifts(project, capsys):
    first = json.loads(run(capsys, "gitlab")[1])
    assert json.loads(run(capsys, "gitlab")[1]) == first
    (project / "app.py").write_text("# a comment\n\n\n" + APP)  # every finding moves down 3 lines
    shifted = json.loads(run(capsys, "gitlab")[1])
    assert [i["fingerprint"] for i in shifted] == [i["fingerprint"] for i in first]
    assert [i["location"]["lines"]["begin"] for i in shifted] == [i["location"]["lines"]["begin"] + 3 for i in first]


def test_gitlab_parse_error_is_critical(project, capsys):
    (project / "broken.py").write_text("import openai\ndef f(:\n")
    issues = json.loads(run(capsys, "gitlab", "broken.py")[1])
    check_gitlab_shape(issues)
    assert [(i["check_name"], i["severity"]) for i in issues] == [("PL000", "critical")]


def test_junit_one_testcase_per_finding_grouped_by_file(project, capsys):
    code, out = run(capsys, "junit")
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(out.split("\n", 1)[1])
    assert root.tag == "testsuites" and root.get("name") == "promptlint"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["app.py"]
    cases = suites[0].findall("testcase")
    assert int(root.get("tests")) == int(root.get("failures")) == len(cases) >= 3
    for case in cases:
        assert case.get("classname") == "app.py" and case.get("name").startswith("PL")
        failure = case.find("failure")
        assert failure is not None and failure.get("message") and failure.text.startswith("app.py:")
    # Deterministic: the same bytes on a second run.
    assert run(capsys, "junit")[1] == out


def test_junit_clean_run_is_one_passing_case(project, capsys):
    code, out = run(capsys, "junit", "clean.py")
    root = ET.fromstring(out.split("\n", 1)[1])
    assert code == 0 and root.get("failures") == "0" and root.get("errors") == "0"
    (case,) = root.iter("testcase")
    assert case.find("failure") is None and case.find("error") is None


def test_junit_file_not_checked_is_an_error_case(project, capsys):
    (project / "pyproject.toml").write_text("[tool.promptlint]\nmax-file-bytes = 50\n")
    main(["check", "--no-cache", "--output-format", "junit", "app.py"])
    root = ET.fromstring(capsys.readouterr()[0].split("\n", 1)[1])
    assert root.get("errors") == "1"
    (error,) = root.iter("error")
    assert "over the size limit" in error.get("message")
