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


SPLIT_LABELS = textwrap.dedent("""\
    repo: acme/agent
    commit: 0123456789abcdef0123456789abcdef01234567
    scope:
      include: [app/, prompts/]
      exclude: [app/vendored/]
    callsites:
      - {path: app/llm.py, line: 20, reason: "chat.completions.create in chat()"}
      - {path: app/agent.py, line: 40, end_line: 42, via: "chat at app/llm.py:20", reason: "caller of the wrapper"}
      - {path: app/agent.py, line: 60, via: "chat at app/llm.py:20", reason: "second caller"}
    findings:
      - {path: app/llm.py, line: 20, code: PL201, reason: "no tag can be passed"}
      - {path: app/agent.py, line: 40, end_line: 42, code: PL301, via: chat, reason: "caller passes no cap"}
      - {path: app/agent.py, line: 60, code: PL301, via: chat, reason: "caller passes no cap"}
      - {path: prompts/system.j2, line: 1, code: PL101, also: [{path: app/context.py, line: 9}],
         reason: "{{ today }} on the first line of the template"}
      - {path: prompts/answer.txt, line: 3, code: PL104, reason: "{question} before the instructions"}
    rejected:
      - {path: prompts/answer.txt, line: 7, code: PL403, reason: "quoted user text"}
    out_of_scope: []
""")


@pytest.fixture
def split_labels(tmp_path):
    path = tmp_path / "acme+agent.yaml"
    path.write_text(SPLIT_LABELS)
    return score.load_labels(path)


def test_label_kinds_come_from_via_and_the_template_path(split_labels):
    kinds = {(lab.path, lab.line, lab.code): lab.kind for lab in split_labels.callsites + split_labels.findings}
    assert kinds[("app/llm.py", 20, score.CALLSITES)] == score.DIRECT
    assert kinds[("app/agent.py", 40, score.CALLSITES)] == score.WRAPPER
    assert kinds[("app/agent.py", 60, "PL301")] == score.WRAPPER
    assert kinds[("prompts/system.j2", 1, "PL101")] == score.TEMPLATE
    assert kinds[("app/llm.py", 20, "PL201")] == score.DIRECT


def test_recall_and_precision_split_by_direct_wrapper_and_template(split_labels):
    inventory = {"call_sites": [
        site("app/llm.py", 20),                                   # direct TP
        {"path": "app/agent.py", "line": 41, "callee": "chat", "via": "wrapper"},   # wrapper TP (in range)
        {"path": "app/other.py", "line": 5, "callee": "chat", "wrapper": "chat"},   # unlabelled wrapper row: FP
        site("app/other.py", 9),                                  # unlabelled direct row: FP
        site("app/vendored/x.py", 3),                             # outside the scope: not counted
        site("tests/test_x.py", 3),                               # outside the include list: not counted
    ]}
    check = {"findings": [
        finding("app/llm.py", 20, "PL201"),        # direct TP
        finding("app/agent.py", 60, "PL301"),      # wrapper TP
        finding("app/agent.py", 40, "PL201"),      # unlabelled, on a wrapper-site line -> wrapper FP
        finding("app/context.py", 9, "PL101"),     # matches the template label through `also`
        finding("prompts/answer.txt", 7, "PL403"),  # rejected template FP
        finding("prompts/other.md", 2, "PL104"),   # unlabelled template FP
    ]}
    scores = score.score_repo(split_labels, inventory, check)
    sites = score.by_kind(scores[score.CALLSITES])
    assert score.counts(sites[score.DIRECT]) == (1, 1, 0)
    assert score.counts(sites[score.WRAPPER]) == (1, 1, 1)     # line 60 caller missed
    pl301 = score.by_kind(scores["PL301"])
    assert score.counts(pl301[score.WRAPPER]) == (1, 0, 1)
    assert score.counts(pl301[score.DIRECT]) == (0, 0, 0)
    assert score.counts(score.by_kind(scores["PL201"])[score.WRAPPER]) == (0, 1, 0)
    assert score.counts(score.by_kind(scores["PL201"])[score.DIRECT]) == (1, 0, 0)
    pl101 = score.by_kind(scores["PL101"])
    assert score.counts(pl101[score.TEMPLATE]) == (1, 0, 0)
    assert score.counts(score.by_kind(scores["PL104"])[score.TEMPLATE]) == (0, 1, 1)
    assert scores["PL403"].fp[0][1].reason == "quoted user text"

    md = score.markdown_report([(split_labels, scores)])
    assert "| rule | kind | labelled (true) | reported | TP | FP | FN | precision | recall |" in md
    assert "| call sites | wrapper | 2 | 2 | 1 | 1 | 1 | 50.0 % | 50.0 % |" in md
    assert "| PL301 | wrapper | 2 | 1 | 1 | 0 | 1 | 100.0 % | 50.0 % |" in md
    assert "| PL101 | template | 1 | 1 | 1 | 0 | 0 | 100.0 % | 100.0 % |" in md
    text = score.text_report([(split_labels, scores)])
    assert "by site kind (direct SDK calls, wrapper sites, template files):" in text
    assert "MISS acme/agent app/agent.py:40 PL301 [wrapper]  (caller passes no cap)" in text
    assert "FP   acme/agent prompts/other.md:2 PL104 [template]  (unlabelled)" in text


def test_a_wrapper_with_two_requests_is_one_site_at_its_caller(split_labels):
    # `improve(...)` reaches a first try and a retry: two inventory rows at the caller's one call
    row = {"path": "app/agent.py", "line": 40, "column": 5, "callee": "chat", "wrapper": "chat"}
    other = dict(row, column=30)  # a second call of the wrapper on the same line is a site of its own
    inventory = {"call_sites": [row, dict(row), other]}
    sites = score.score_repo(split_labels, inventory, {"findings": []})[score.CALLSITES]
    assert [(r.line, lab.line) for r, lab in sites.tp] == [(40, 40)]
    assert [(r.path, r.line) for r, _ in sites.fp] == [("app/agent.py", 40)]


def test_old_labels_print_no_kind_section(labels):
    inventory = {"call_sites": [site("app/llm.py", 10), site("app/llm.py", 30)]}
    check = {"findings": [finding("app/llm.py", 10, "PL301")]}
    scores = score.score_repo(labels, inventory, check)
    assert "by site kind" not in score.text_report([(labels, scores)])
    assert "| rule | kind |" not in score.markdown_report([(labels, scores)])


def test_an_exact_also_position_beats_a_range(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(textwrap.dedent("""\
        repo: a/b
        commit: c
        findings:
          - {path: m.py, line: 1, end_line: 50, code: PL101, reason: wide range}
          - {path: t.j2, line: 2, code: PL101, also: [{path: m.py, line: 30}], reason: template, or its filler}
    """))
    labels = score.load_labels(path)
    s = score.match([score.Reported("m.py", 30, "PL101", "")], labels.findings, [], [])
    assert [lab.path for _, lab in s.tp] == ["t.j2"]
    assert [lab.path for lab in s.fn] == ["m.py"]


@pytest.mark.parametrize("body, message", [
    ("repo: a/b\ncommit: c\ncallsites: [{path: m.py, line: 3, via: '', reason: r}]\n", "names the wrapper"),
    ("repo: a/b\ncommit: c\nfindings: [{path: m.py, line: 3, code: PL101, also: {path: x}, reason: r}]\n",
     "must be a list"),
    ("repo: a/b\ncommit: c\nfindings: [{path: m.py, line: 3, code: PL101, also: [{path: x.py}], reason: r}]\n",
     "missing .line."),
    ("repo: a/b\ncommit: c\nscope: {include: app/}\n", "scope"),
    ("repo: a/b\ncommit: c\nscope: {only: [app/]}\n", "scope"),
    ("repo: a/b\ncommit: c\nscope: {include: [app/]}\ncallsites: [{path: lib/m.py, line: 3, reason: r}]\n",
     "outside the file's own .scope."),
])
def test_bad_kind_and_scope_labels_are_reported(tmp_path, body, message):
    path = tmp_path / "x.yaml"
    path.write_text(body)
    with pytest.raises(score.LabelError, match=message):
        score.load_labels(path)


def test_an_extracted_tree_is_scored_only_with_trust_checkout(tmp_path, capsys):
    checkout = tmp_path / "repos" / "acme+app"
    (checkout / "app").mkdir(parents=True)
    (checkout / "app" / "llm.py").write_text("from openai import OpenAI\n\nclient = OpenAI()\n\n\n"
                                             "def ask(q):\n    return client.chat.completions.create(\n"
                                             "        model='gpt-4o', messages=[{'role': 'user', 'content': q}])\n")
    labels_dir = tmp_path / "labels"
    labels_dir.mkdir()
    (labels_dir / "acme+app.yaml").write_text(textwrap.dedent("""\
        repo: acme/app
        commit: 0123456789abcdef0123456789abcdef01234567
        callsites:
          - {path: app/llm.py, line: 7, end_line: 8, reason: create in ask}
    """))
    exe = str(Path(sys.executable).parent / "promptlint")
    argv = ["--repos-dir", str(tmp_path / "repos"), "--labels-dir", str(labels_dir), "--promptlint", exe]
    assert score.main(argv) == 2
    assert "skipping acme/app" in capsys.readouterr().err
    assert score.main(argv + ["--trust-checkout"]) == 0
    captured = capsys.readouterr()
    assert "trusting that it holds 0123456789ab" in captured.err
    assert "call sites TP 1 FP 0 FN 0" in captured.out


def test_a_tree_inside_another_repository_has_no_head_of_its_own(tmp_path):
    outer = tmp_path / "outer"
    (outer / "inner").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(outer)], check=True)
    git = ["git", "-C", str(outer), "-c", "user.name=t", "-c", "user.email=t@t"]
    (outer / "f").write_text("x")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    assert score.head_commit(outer) is not None
    assert score.head_commit(outer / "inner") is None


_pspec = importlib.util.spec_from_file_location("accuracy_peers", ROOT / "bench" / "accuracy" / "peers.py")
peers = importlib.util.module_from_spec(_pspec)
sys.modules["accuracy_peers"] = peers
_pspec.loader.exec_module(peers)


def test_peer_items_are_sorted_into_columns_by_position_and_meaning(split_labels):
    items = [
        peers.PeerItem("app/agent.py", 41, "R002"),       # on a wrapper site and on its true PL301: true
        peers.PeerItem("./app/agent.py", 60, "R001"),     # on a site and a true PL301, rule means PL502: other rule
        peers.PeerItem("prompts/answer.txt", 7, "R002"),  # on a rejected PL403 position
        peers.PeerItem("app/llm.py", 20, "R005"),         # on a site and a true PL201; R005 maps to nothing
        peers.PeerItem("app/other.py", 3, "R002"),        # nothing labelled there
        peers.PeerItem("app/vendored/x.py", 1, "R002"),   # outside the scope: not counted
    ]
    t = peers.tally("tokenlint", split_labels, items)
    assert (t.reported, t.sites, t.true, t.other_rule, t.rejected, t.other) == (5, 3, 1, 2, 1, 1)
    assert t.matched == ["app/agent.py:41 R002 = PL301"]
    sites = peers.tally("tokentoll", split_labels, [peers.PeerItem("app/agent.py", 60, "call"),
                                                     peers.PeerItem("app/other.py", 9, "call")])
    assert (sites.reported, sites.sites, sites.other, sites.true) == (2, 1, 1, 0)
