"""bench/accuracy/score.py: label loading and the matching of a promptlint run against labels."""

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("accuracy_score", ROOT / "bench" / "accuracy" / "score.py")
score = importlib.util.module_from_spec(_spec)
sys.modules["accuracy_score"] = score
_spec.loader.exec_module(score)

LABELS = textwrap.dedent("""\
    repo: acme/app
    commit: 0123456789abcdef0123456789abcdef01234567
    labelled_by: hand, test
    callsites:
      - {path: app/llm.py, line: 10, end_line: 14, reason: "chat.completions.create in ask"}
      - {path: app/llm.py, line: 30, reason: "messages.create in summarise"}
      - {path: app/llm.py, line: 31, reason: "second call on the next line"}
    findings:
      - {path: app/llm.py, line: 10, end_line: 14, code: PL301, reason: "no max_tokens"}
      - {path: app/llm.py, line: 30, code: PL201, reason: "untagged"}
      - {path: app/llm.py, line: 31, code: PL201, reason: "untagged"}
    rejected:
      - {path: app/llm.py, line: 12, code: PL502, reason: "the prompt is long; not a simple task"}
      - {path: app/old.py, line: 3, code: PL101, reason: "no longer reported"}
    out_of_scope:
      - {path: tests/test_llm.py, line: 5, end_line: 9, reason: "mocked client in a unit test"}
""")


def site(path, line, callee="client.chat.completions.create"):
    return {"path": path, "line": line, "callee": callee}


def finding(path, line, code, message="msg"):
    return {"path": path, "code": code, "message": message, "location": {"line": line, "column": 1}}


@pytest.fixture
def labels(tmp_path):
    path = tmp_path / "acme+app.yaml"
    path.write_text(LABELS)
    return score.load_labels(path)


def test_callsites_match_in_range_one_to_one(labels):
    inventory = {"call_sites": [site("app/llm.py", 11), site("app/llm.py", 30), site("app/llm.py", 30),
                                site("app/other.py", 10)]}
    s = score.score_repo(labels, inventory, {"findings": []})[score.CALLSITES]
    assert sorted((r.line, lab.line) for r, lab in s.tp) == [(11, 10), (30, 30)]
    # the second report on line 30 cannot take line 31's label, nor line 30's again
    assert sorted((r.path, r.line) for r, _ in s.fp) == [("app/llm.py", 30), ("app/other.py", 10)]
    assert [lab.line for lab in s.fn] == [31]


def test_exact_line_is_preferred_over_a_range(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(textwrap.dedent("""\
        repo: a/b
        commit: c
        callsites:
          - {path: m.py, line: 5, end_line: 9, reason: outer call spanning lines 5-9}
          - {path: m.py, line: 7, reason: inner call on line 7}
    """))
    labels = score.load_labels(path)
    # line 7 is scored first by line order only after exact matches: it must take the line-7 label
    s = score.match([score.Reported("m.py", 7, score.CALLSITES, ""), score.Reported("m.py", 5, score.CALLSITES, "")],
                    labels.callsites, [], [])
    assert sorted((r.line, lab.line) for r, lab in s.tp) == [(5, 5), (7, 7)]
    assert not s.fp and not s.fn


def test_findings_need_the_same_code_and_rejected_or_unlabelled_are_false_positives(labels):
    check = {"findings": [
        finding("app/llm.py", 12, "PL301"),      # inside the PL301 range -> TP
        finding("app/llm.py", 30, "PL301"),      # wrong code for that line -> unlabelled FP
        finding("app/llm.py", 30, "PL201"),      # TP
        finding("app/llm.py", 12, "PL502"),      # rejected FP
        finding("tests/test_llm.py", 7, "PL201"),  # out of scope: not counted
    ]}
    scores = score.score_repo(labels, {"call_sites": []}, check)
    assert score.counts(scores["PL301"]) == (1, 1, 0)
    assert scores["PL301"].fp[0][1] is None
    assert score.counts(scores["PL201"]) == (1, 0, 1)
    assert scores["PL201"].fn[0].line == 31
    assert scores["PL201"].ignored[0][0].path == "tests/test_llm.py"
    assert score.counts(scores["PL502"]) == (0, 1, 0)
    assert scores["PL502"].fp[0][1].reason.startswith("the prompt is long")
    assert [lab.path for lab in scores["PL101"].stale] == ["app/old.py"]
    report = score.text_report([(labels, scores)])
    assert "FP   acme/app app/llm.py:12 PL502  (rejected: the prompt is long" in report
    assert "FP   acme/app app/llm.py:30 PL301  (unlabelled)" in report
    assert "MISS acme/app app/llm.py:31 PL201  (untagged)" in report
    assert "STALE rejected label, not reported: acme/app app/old.py:3 PL101" in report


def test_notebook_positions_match_on_cell_and_line(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(textwrap.dedent("""\
        repo: a/b
        commit: c
        callsites:
          - {path: nb.ipynb, cell: 4, line: 2, reason: invoke in cell 4}
        findings:
          - {path: nb.ipynb, cell: 4, line: 2, code: PL201, reason: untagged}
    """))
    labels = score.load_labels(path)
    inventory = {"call_sites": [{"path": "nb.ipynb", "cell": 4, "line": 2, "callee": "llm.invoke"},
                                {"path": "nb.ipynb", "cell": 5, "line": 2, "callee": "llm.invoke"}]}
    check = {"findings": [{"path": "nb.ipynb", "cell": 4, "code": "PL201", "message": "m", "location": {"line": 2}}]}
    scores = score.score_repo(labels, inventory, check)
    assert score.counts(scores[score.CALLSITES]) == (1, 1, 0)
    assert scores[score.CALLSITES].fp[0][0].where == "nb.ipynb:cell 5:2"
    assert score.counts(scores["PL201"]) == (1, 0, 0)


def test_markdown_tables_and_the_five_instance_threshold(labels):
    inventory = {"call_sites": [site("app/llm.py", 10), site("app/llm.py", 30), site("app/llm.py", 31)]}
    check = {"findings": [finding("app/llm.py", 10, "PL301"), finding("app/llm.py", 30, "PL201")]}
    md = score.markdown_report([(labels, score.score_repo(labels, inventory, check))])
    assert "| acme/app | `0123456789ab` | 3 | 3 | 3 | 0 | 0 | 100.0 % | 100.0 % | 1 |" in md
    assert "| PL201 | 2 | 1 | 1 | 0 | 1 | 100.0 % | 50.0 % | n/a (< 5 labelled) |" in md
    assert "| PL502 | 0 | 0 | 0 | 0 | 0 | n/a | n/a | n/a (< 5 labelled) |" in md


@pytest.mark.parametrize("body, message", [
    ("repo: a/b\n", "needs `repo` and `commit`"),
    ("repo: a/b\ncommit: c\ncallsites: [{path: m.py, reason: r}]\n", "missing `line`"),
    ("repo: a/b\ncommit: c\nfindings: [{path: m.py, line: 3, reason: r}]\n", "missing `code`"),
    ("repo: a/b\ncommit: c\nfindings: [{path: m.py, line: 3, code: X1, reason: r}]\n", "bad rule code"),
    ("repo: a/b\ncommit: c\ncallsites: [{path: m.py, line: 5, end_line: 4, reason: r}]\n", "bad line"),
    ("repo: a/b\ncommit: c\ncallsites: [{path: /abs/m.py, line: 5, reason: r}]\n", "POSIX"),
    ("repo: a/b\ncommit: c\nfindings: [{path: m.py, line: 3, code: PL201, reason: r}]\n"
     "rejected: [{path: m.py, line: 3, code: PL201, reason: r}]\n", "both a finding and rejected"),
    ("repo: a/b\ncommit: c\ncallsites: [{path: m.py, line: 3, reason: r}, {path: m.py, line: 3, reason: s}]\n",
     "labelled twice"),
    ("repo: a/b\ncommit: c\ncallsites: [{path: m.py, cell: 2, line: 3, reason: r}]\n", "notebook labels only"),
    ("repo: [unclosed\n", "x.yaml"),
])
def test_bad_labels_are_reported_not_raised(tmp_path, body, message):
    path = tmp_path / "x.yaml"
    path.write_text(body)
    with pytest.raises(score.LabelError, match=message.replace("`", ".").replace("/", ".")):
        score.load_labels(path)


def test_a_checkout_at_another_commit_is_skipped(tmp_path, capsys):
    labels_dir = tmp_path / "labels"
    labels_dir.mkdir()
    (labels_dir / "acme+app.yaml").write_text(LABELS)
    checkout = tmp_path / "repos" / "acme+app"
    checkout.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    rc = score.main(["--repos-dir", str(tmp_path / "repos"), "--labels-dir", str(labels_dir),
                     "--promptlint", "/nonexistent/promptlint"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "skipping acme/app" in err and "no repository could be scored" in err


def test_end_to_end_on_a_small_checkout(tmp_path, capsys):
    checkout = tmp_path / "repos" / "acme+app"
    (checkout / "app").mkdir(parents=True)
    (checkout / "app" / "llm.py").write_text(textwrap.dedent("""\
        from openai import OpenAI

        client = OpenAI()


        def ask(question):
            return client.chat.completions.create(
                model="gpt-4o",
                messages=[{"role": "user", "content": question}],
            )
    """))
    git = ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    labels_dir = tmp_path / "labels"
    labels_dir.mkdir()
    (labels_dir / "acme+app.yaml").write_text(textwrap.dedent(f"""\
        repo: acme/app
        commit: {head}
        callsites:
          - {{path: app/llm.py, line: 7, end_line: 10, reason: "create in ask"}}
        findings:
          - {{path: app/llm.py, line: 7, end_line: 10, code: PL201, reason: untagged}}
          - {{path: app/llm.py, line: 7, end_line: 10, code: PL301, reason: no cap}}
    """))
    exe = str(Path(sys.executable).parent / "promptlint")
    rc = score.main(["--repos-dir", str(tmp_path / "repos"), "--labels-dir", str(labels_dir), "--promptlint", exe])
    out = capsys.readouterr().out
    assert rc == 0
    assert "acme/app @ " in out and "call sites TP 1 FP 0 FN 0" in out
    assert "PL201: TP 1 FP 0 FN 0" in out and "PL301: TP 1 FP 0 FN 0" in out
