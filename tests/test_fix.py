"""Autofix (promptlint/fix/): --fix, --unsafe-fixes, --diff, --show-fixes on the fixture
projects copied to a temporary directory, the safety checks of applying fixes, the
output formats, and a property test on mutated fixture files.
"""

from __future__ import annotations

import difflib
from collections import Counter
import json
import os
import shutil
import stat
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given

from promptlint import cli
from promptlint.engine import lint_source
from promptlint.fix.apply import fix_file, problem, splice
from promptlint.model import Edit, Finding, Fix, Span
from promptlint.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ["agent_loop", "batch_job", "rag_service", "clean_app"]
SCHEMA = json.loads((Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json").read_text())


def run(capsys, *args):
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def copy(tmp_path, monkeypatch):
    """A fixture project copied to tmp, as the current directory."""
    def make(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(ROOT / "fixtures" / name, target)
        monkeypatch.chdir(target)
        return target
    return make


def findings(capsys, *extra) -> list[dict]:
    code, out, _ = run(capsys, "check", "--no-cache", "--output-format", "json", *extra, ".")
    assert code in (0, 1)
    return json.loads(out)["findings"]


def key(f: dict) -> tuple:
    return (f["code"], f["path"])


def compiles(root: Path) -> list[str]:
    """Python files that do not compile."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        if problem(path.read_text(encoding="utf-8"), str(path)) is not None:
            bad.append(str(path.relative_to(root)))
    return bad


# ---------------------------------------------------------------- fixture projects


@pytest.mark.parametrize("name", FIXTURES)
def test_fix_everything_on_a_fixture_project(name, copy, capsys):
    root = copy(name)
    broken_before = compiles(root)  # batch_job keeps one Python 2 file on purpose (PL000)
    before = findings(capsys)
    fixable = [f for f in before if f["fix"] is not None]
    code, _, err = run(capsys, "check", "--no-cache", "--fix", "--unsafe-fixes", "--show-fixes", "-q", ".")
    assert "Traceback" not in err
    after = findings(capsys)
    assert compiles(root) == broken_before
    # Every fix was applied; every finding without a fix is still there; nothing new appeared
    # (a finding may stay without a fix when only part of it was fixable: PL403 keeps the
    # padding inside instructions).
    assert not [f for f in after if f["fix"] is not None]
    remaining = Counter(key(f) for f in after)
    assert Counter(key(f) for f in before if f["fix"] is None) <= remaining
    assert remaining <= Counter(key(f) for f in before)
    assert len(after) < len(before) or not fixable
    if name != "clean_app":  # clean_app: whatever it reports (test_fixtures.py owns that), nothing to fix
        assert fixable, f"{name} should have fixable findings"


@pytest.mark.parametrize("name", ["agent_loop", "batch_job", "rag_service"])
def test_a_second_fix_changes_nothing(name, copy, capsys):
    root = copy(name)
    run(capsys, "check", "--no-cache", "--fix", "--unsafe-fixes", ".")
    once = snapshot(root)
    code, out, err = run(capsys, "check", "--no-cache", "--fix", "--unsafe-fixes", ".")
    assert snapshot(root) == once
    assert "Fixed" not in err


@pytest.mark.parametrize("name", ["agent_loop", "rag_service"])
def test_diff_writes_nothing_and_shows_what_fix_writes(name, copy, capsys):
    root = copy(name)
    untouched = snapshot(root)
    code, diff, err = run(capsys, "check", "--no-cache", "--diff", "--unsafe-fixes", ".")
    assert code == 1 and diff.startswith("--- a/")
    assert snapshot(root) == untouched
    run(capsys, "check", "--no-cache", "--fix", "--unsafe-fixes", ".")
    fixed = snapshot(root)
    expected = "".join(
        "".join(difflib.unified_diff(untouched[p].decode().splitlines(keepends=True),
                                     fixed[p].decode().splitlines(keepends=True),
                                     fromfile=f"a/{p}", tofile=f"b/{p}"))
        for p in sorted(fixed) if fixed[p] != untouched[p])
    assert diff == expected
    code, diff, err = run(capsys, "check", "--no-cache", "--diff", "--unsafe-fixes", ".")
    assert (code, diff) == (0, "")
    assert "No fixes to apply." in err


def test_without_unsafe_fixes_only_safe_fixes_apply(copy, capsys):
    root = copy("rag_service")
    before = snapshot(root)
    code, out, err = run(capsys, "check", "--no-cache", "--fix", "--show-fixes", ".")
    after = snapshot(root)
    changed = sorted(p for p in after if after[p] != before[p])
    assert changed == ["app/followups.py"]  # sorted(os.listdir(...)): the one safe fix here
    assert b"sorted(os.listdir(STYLE_DIR))" in after["app/followups.py"]
    assert "PL103 [safe]" in err and "Fixed 1 finding in 1 file." in err
    assert "unsafe fixes can be applied with --fix --unsafe-fixes" in err


def test_fix_honours_select_baseline_exit_zero_and_suppressions(copy, capsys):
    root = copy("batch_job")
    # --select: only the selected rule's fixes are applied.
    run(capsys, "check", "--no-cache", "--select", "PL302", "--fix", "--unsafe-fixes", ".")
    after = findings(capsys)
    assert not [f for f in after if f["code"] == "PL302"]
    assert [f for f in after if f["code"] == "PL301" and f["fix"]], "PL301 was not selected"
    # --baseline: findings the baseline holds are not reported, so not fixed either.
    run(capsys, "check", "--no-cache", "--write-baseline", "base.json", ".")
    held = snapshot(root)
    code, out, err = run(capsys, "check", "--no-cache", "--baseline", "base.json", "--fix", "--unsafe-fixes", ".")
    assert snapshot(root) == held and code == 0
    # --exit-zero: remaining findings do not fail the run.
    (root / "base.json").unlink()
    code, out, err = run(capsys, "check", "--no-cache", "--fix", "--unsafe-fixes", "--exit-zero", ".")
    assert code == 0 and "Fixed" in err
    # A suppressed finding is never fixed.
    app = root / "extra.py"
    app.write_text("import openai\n\nclient = openai.OpenAI()\n\n\ndef f(q):\n"
                   "    return client.chat.completions.create(  # noqa: PL301, PL202\n"
                   "        model='gpt-4.1', messages=[{'role': 'user', 'content': q}], metadata={'task': 'f'})\n")
    text = app.read_text()
    run(capsys, "check", "--no-cache", "--fix", "--unsafe-fixes", "extra.py")
    assert app.read_text() == text


def test_fix_refuses_stdin_and_add_noqa(copy, capsys, monkeypatch):
    copy("clean_app")
    code, out, err = run(capsys, "check", "--fix", "--add-noqa", ".")
    assert code == 2 and "--add-noqa" in err
    code, out, err = run(capsys, "check", "--diff", "-")
    assert code == 2 and "stdin" in err


# ---------------------------------------------------------------- output formats


def test_fixable_findings_are_marked_in_every_format(copy, capsys):
    copy("rag_service")
    code, out, err = run(capsys, "check", "--no-cache", ".")
    listdir = [line for line in out.splitlines() if "PL103" in line]
    assert listdir and all(" PL103 [*] " in line for line in listdir)  # safe: marked without the flag
    assert not [line for line in out.splitlines() if "PL301 [*]" in line]  # unsafe: hidden without the flag
    assert "Found" in err and "(1 fixable)" in err
    code, out, err = run(capsys, "check", "--no-cache", "--unsafe-fixes", ".")
    assert [line for line in out.splitlines() if "PL301 [*]" in line]

    found = findings(capsys)
    fix = next(f["fix"] for f in found if f["code"] == "PL103")
    assert fix["applicability"] == "safe" and fix["message"].startswith("sort the `listdir` result")
    edit = fix["edits"][0]
    assert set(edit) == {"content", "location", "end_location"} and edit["content"].startswith("sorted(")

    code, out, err = run(capsys, "check", "--no-cache", "--output-format", "sarif", "--sarif-no-root", ".")
    sarif = json.loads(out)
    jsonschema.validate(sarif, SCHEMA)
    fixed = [r for r in sarif["runs"][0]["results"] if r.get("fixes")]
    assert fixed
    change = fixed[0]["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"]["uri"] == fixed[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    region = change["replacements"][0]["deletedRegion"]
    assert {"startLine", "startColumn", "endLine", "endColumn"} <= set(region)


def test_fixes_survive_the_cache(copy, capsys, tmp_path):
    copy("rag_service")
    cold = findings(capsys)
    code, out, _ = run(capsys, "check", "--cache-dir", str(tmp_path / "cache"), "--output-format", "json", ".")
    code, out, _ = run(capsys, "check", "--cache-dir", str(tmp_path / "cache"), "--output-format", "json", ".")
    warm = json.loads(out)["findings"]
    assert [f["fix"] for f in warm] == [f["fix"] for f in cold]
    assert any(f["fix"] for f in warm)


# ---------------------------------------------------------------- safety of applying


def finding_with(fix: Fix, line: int = 1) -> Finding:
    return Finding("PL301", "uncapped-output", "m", "warning", "x.py", Span(line, 1, line, 2),
                   scope="f", snippet=str(id(fix)), fix=fix)


def test_a_fix_that_would_break_the_file_is_not_applied():
    text = "x = f(a)\ny = 2\n"
    good = Fix("unsafe", "good", (Edit(Span(2, 5, 2, 6), "3", "2"),))
    bad = Fix("unsafe", "bad", (Edit(Span(1, 5, 1, 9), "(a", "f(a)"),))
    result = fix_file("x.py", text, [finding_with(bad, 1), finding_with(good, 2)], True, lambda p, t: [])
    assert result.fixed == "x = f(a)\ny = 3\n"
    assert len(result.messages) == 1 and "would break" in result.messages[0]


def test_stale_and_overlapping_edits_are_left_out():
    text = "abcdef\n"
    first = Fix("safe", "1", (Edit(Span(1, 2, 1, 4), "XY", "bc"),))
    overlapping = Fix("safe", "2", (Edit(Span(1, 3, 1, 5), "Z", "cd"),))
    stale = Fix("safe", "3", (Edit(Span(1, 5, 1, 6), "Q", "zz"),))
    new, applied = splice(text, [first, overlapping, stale])
    assert new == "aXYdef\n" and applied == [first]


def test_overlapping_fixes_are_applied_in_later_rounds():
    """PL301 and PL201 both append an argument to the same call: one per round."""
    source = ("from openai import OpenAI\n\nclient = OpenAI()\n\n\ndef triage(ticket):\n"
              "    return client.chat.completions.create(model=\"gpt-4.1-mini\", "
              "messages=[{\"role\": \"user\", \"content\": ticket}])\n")
    settings = Settings()

    def relint(path, text):
        return lint_source(path, text.encode(), settings).findings

    result = fix_file("example.py", source, relint("example.py", source), True, relint)
    assert result.fixed.endswith('ticket}], metadata={"task": "triage", "prompt_version": "1"}, '
                                 'max_completion_tokens=4096)\n')
    assert {f.code for f, _ in result.applied} == {"PL201", "PL301"}
    assert problem(result.fixed, "example.py") is None


def test_written_files_keep_their_mode_and_line_endings(copy, capsys):
    root = copy("rag_service")
    target = root / "app" / "followups.py"
    target.write_bytes(target.read_bytes().replace(b"\n", b"\r\n"))
    os.chmod(target, 0o640)
    run(capsys, "check", "--no-cache", "--fix", ".")
    data = target.read_bytes()
    assert b"sorted(os.listdir(STYLE_DIR))" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert not list(root.rglob(".promptlint-fix-*"))


def test_notebooks_are_skipped_with_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    cell = ("import openai\nclient = openai.OpenAI()\n"
            "r = client.chat.completions.create(model='gpt-4.1', messages=[{'role': 'user', 'content': q}])\n")
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": cell, "outputs": [], "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(nb))
    before = (tmp_path / "nb.ipynb").read_bytes()
    code, out, err = run(capsys, "check", "--no-cache", "--fix", "--unsafe-fixes", "nb.ipynb")
    assert "PL301" in out
    assert "nb.ipynb: skipped: fixes are not applied to notebooks" in err
    assert (tmp_path / "nb.ipynb").read_bytes() == before


# ---------------------------------------------------------------- property test


def _mutated():
    import test_fuzz

    return test_fuzz.mutated(), test_fuzz.fuzz


def test_fix_never_produces_invalid_python_on_mutated_fixture_files():
    strategy, fuzz = _mutated()
    settings = Settings()
    seen = [0, 0]

    def relint(path, text):
        return lint_source(path, text.encode("utf-8"), settings).findings

    @fuzz(60)
    @given(strategy)
    def one(case):
        path, data = case
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return  # fix_run skips files that are not UTF-8
        if problem(text, "example.py") is not None:
            return  # fix_run skips files that do not parse and compile
        found = relint("example.py", text)
        seen[0] += 1
        if not any(f.fix for f in found):
            return
        seen[1] += 1
        result = fix_file("example.py", text, found, True, relint)
        assert problem(result.fixed, "example.py") is None
        assert not [m for m in result.messages if "would break" in m], result.messages
        again = fix_file("example.py", result.fixed, relint("example.py", result.fixed), True, relint)
        assert problem(again.fixed, "example.py") is None

    one()
    assert seen[1] >= 5, seen


def test_parents_match_libcst_provider_for_every_node_the_walk_reaches():
    """fix/source.py reads parents from analysis/walk.py's walk (it skips whitespace and
    punctuation): for every node it reaches, the parent is libcst's."""
    from pathlib import Path

    import libcst as cst
    from libcst.metadata import MetadataWrapper, ParentNodeProvider

    from promptlint.fix.source import parents

    root = Path(__file__).resolve().parent.parent
    paths = sorted(root.joinpath("promptlint").rglob("*.py"))[:25] + sorted(root.joinpath("fixtures").rglob("*.py"))
    checked = 0
    for path in paths:
        try:
            module = cst.parse_module(path.read_bytes())
        except cst.ParserSyntaxError:
            continue  # some fixtures are broken on purpose
        theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ParentNodeProvider)
        ours = parents(module)
        assert all(theirs[node] is parent for node, parent in ours.items())
        reached = set(map(id, ours))
        missed = [n for n in theirs if id(n) not in reached and isinstance(n, (cst.BaseExpression, cst.BaseStatement,
                                                                              cst.BaseSmallStatement, cst.Arg))]
        assert not missed, missed[:3]
        checked += len(ours)
    assert checked > 10000


def test_swapping_a_node_renders_as_libcst_deep_replace():
    """Source.replace rebuilds only the path from the statement to the node: the statement
    must render exactly as libcst's deep_replace (which rebuilds all of it) renders it."""
    from pathlib import Path

    import libcst as cst

    from promptlint.fix.source import Source, _swapped

    root = Path(__file__).resolve().parent.parent
    checked = 0
    for path in sorted(root.joinpath("fixtures").rglob("*.py")):
        source = Source(path.read_text())
        try:
            chunks = source._all_chunks()
        except cst.ParserSyntaxError:
            continue  # some fixtures are broken on purpose
        for chunk in chunks[:10]:
            source._resolve(chunk)
            for node in list(chunk.parents)[::2]:
                if node is chunk.stmt or not isinstance(node, (cst.BaseExpression, cst.Arg, cst.BaseSmallStatement)):
                    continue
                new = cst.Name("swapped") if isinstance(node, cst.BaseExpression) else node.deep_clone()
                outcomes = []
                for swap in (lambda: _swapped(chunk, node, new), lambda: chunk.stmt.deep_replace(node, new)):
                    try:
                        outcomes.append(source.module.code_for_node(swap()))
                    except Exception as exc:  # noqa: BLE001 - a Name where only a starred element fits
                        outcomes.append(type(exc))
                assert outcomes[0] == outcomes[1]
                checked += isinstance(outcomes[0], str)
    assert checked > 300


def test_a_class_member_resolved_alone_gives_the_nodes_and_parents_of_the_whole_class():
    """Source resolves the positions of one member of a class (a method of a long class)
    rather than the whole class: the nodes at a range, their parents and the parents' ranges
    must be those a resolution of the whole class gives."""
    from pathlib import Path

    import libcst as cst

    from promptlint.fix.source import Source
    from promptlint.model import Span

    root = Path(__file__).resolve().parent.parent / "promptlint"
    checked = 0
    for path in [root / "model.py", root / "analysis" / "index.py", root / "fix" / "source.py"]:
        text = path.read_text()
        whole, part = Source(text), Source(text)
        pairs = []
        for number, chunk in enumerate(whole._all_chunks()):
            if type(chunk.stmt) is not cst.ClassDef:
                continue
            whole._resolve(chunk)
            members = [whole.span_of(m) for m in chunk.stmt.body.body]
            inside = [k for k in chunk.by_span if k[:2] != k[2:] and any(
                (m.line, m.column) <= k[:2] and k[2:] <= (m.end_line, m.end_column) for m in members)]
            rest = [k for k in chunk.by_span if k not in set(inside)]
            for keys in (inside[::2], rest[::2]):  # ranges in one member first: those resolve it alone
                for key in keys:
                    ours, theirs = part.nodes_at(Span(*key)), whole.nodes_at(Span(*key))
                    assert [type(n) for n in ours] == [type(n) for n in theirs]
                    pairs += list(zip(ours[:1], theirs[:1]))
                if keys is inside and len(members) > 1:
                    assert part._all_chunks()[number].by_span is None  # the members only, so far
        for mine, other in pairs:  # parents climb out of the members: the whole class then
            assert part.span_of(mine) == whole.span_of(other)
            up, their_up = part.parent(mine), whole.parent(other)
            if up is not None and not isinstance(up, cst.Module):
                assert part.span_of(up) == whole.span_of(their_up)
            checked += 1
    assert checked > 300
