"""Hostile inputs: each gives a clear finding or message, never a traceback or a crash."""

import os
import subprocess
import sys

import pytest

from promptlint.engine import lint_source
from promptlint.settings import Settings

CALL = b"import openai\nopenai.chat.completions.create(model='m', messages=[], max_tokens=5)\n"

CASES = {
    "nul byte": (b"import openai\x00\nx = 1\n", "PL000"),
    "python 2": (b"import openai\nprint 'hello'\n", "PL000"),
    "bad utf-8": (b"import openai\ns = '\xff\xfe'\n", "PL000"),
    "5,000 nested brackets": (b"import openai\nx = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n", "PL000"),
    "3,000 nested calls": (b"import openai\nx = " + b"f(" * 3000 + b"1" + b")" * 3000 + b"\n", "PL000"),
    "empty": (b"", None),
    "bom": (b"\xef\xbb\xbf" + CALL, None),
    "latin-1 declared": (b"# -*- coding: latin-1 -*-\nimport openai\ns = '\xe9t\xe9'\n", None),
    "3,000-term concatenation": (b"import openai\nS = " + b" + ".join([b'"a"'] * 3000)
                                 + b"\nopenai.chat.completions.create(model='m', messages=[{'role': 'user', 'content': S}])\n",
                                 None),
    "self-referencing names": (b"import openai\ns = 'a'\nfor i in range(3):\n    s = s + s\nm = [m]\n"
                               b"openai.chat.completions.create(model='m', max_tokens=1, messages=[{'role': 'user', 'content': s}])\n",
                               None),
}


@pytest.mark.parametrize("name", CASES)
def test_hostile_source(name):
    source, code = CASES[name]
    result = lint_source("x.py", source, Settings())
    assert not result.errors
    codes = {f.code for f in result.findings}
    if code:
        assert codes == {code}
        f = result.findings[0]
        assert f.span.line >= 1 and f.span.column >= 1 and f.message.startswith("cannot parse")
    else:
        assert "PL000" not in codes


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "promptlint", "check", "--no-cache", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_cli_survives_a_hostile_tree(tmp_path):
    for i, (source, _) in enumerate(CASES.values()):
        (tmp_path / f"f{i}.py").write_bytes(source)
    (tmp_path / "loop").mkdir()
    os.symlink(tmp_path / "loop", tmp_path / "loop" / "again")  # a directory symlink loop
    (tmp_path / "huge.py").write_bytes(b"import openai\n" + b"x = 1\n" * 400_000)
    proc = run_cli(".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "over max-file-bytes" in proc.stderr
    assert proc.stdout.count("PL000") == 5


def test_missing_path_is_a_usage_error(tmp_path):
    proc = run_cli("does-not-exist", cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_per_file_time_budget_reports_and_moves_on(monkeypatch):
    from promptlint import engine

    monkeypatch.setattr(engine, "FILE_SECONDS", 0.2)
    # The call reads X, so the list must be analysed (slicing would drop a list no call reads).
    source = b"import openai\nX = [" + b",".join(b"%d" % i for i in range(60_000)) + b"]\n" + CALL.replace(b"messages=[]", b"messages=X")
    result = engine.lint_source("slow.py", source, Settings())
    assert result.timed_out and not result.errors and result.findings == []
    assert "per-file time budget" in result.warnings[0]
    again = engine.lint_source("fast.py", CALL, Settings())  # the timer is gone afterwards
    assert not again.timed_out


def test_an_operator_chain_too_long_for_libcst_is_reported_not_parsed():
    # libcst's native parser is quadratic in a chain's length and no timer can interrupt it.
    terms = b" + ".join(b"f'{x%d}' + P%d" % (i, i) for i in range(1100))  # 2,199 operators
    source = b"import openai\nX = " + terms + b"\n" + CALL.replace(b"messages=[]", b"messages=X")
    result = lint_source("chain.py", source, Settings())
    assert result.callsites == [] and not result.errors
    assert any("binary operators in one definition" in w for w in result.warnings)
    assert result.not_checked == "too many operators" and result.needs_check


def test_a_long_chain_no_call_reads_is_sliced_away_and_the_call_is_checked():
    # A module-level table or chain that no LLM call reads never reaches libcst.
    terms = b" + ".join(b"f'{x%d}' + P%d" % (i, i) for i in range(1100))
    result = lint_source("chain.py", b"import openai\nX = " + terms + b"\n" + CALL, Settings())
    assert len(result.callsites) == 1 and not result.warnings and result.not_checked is None


def test_a_file_too_deep_for_cpython_is_reported_not_parsed():
    terms = b" + ".join(b"f'{x%d}' + P%d" % (i, i) for i in range(4000))  # CPython: RecursionError
    result = lint_source("deep.py", b"import openai\nX = " + terms + b"\n" + CALL, Settings())
    assert result.callsites == [] and not result.errors and not result.findings
    assert any("nest too deeply for Python's own parser" in w for w in result.warnings)
