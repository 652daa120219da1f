"""PL000 (a file that cannot be parsed) is decided in one place, checks.is_selected:
reported whatever `--select` says (ruff reports syntax errors the same way), off only
when an `ignore` prefix matches it. Run through the real command line."""

import subprocess
import sys

import pytest

BROKEN = "from openai import OpenAI\n\ndef answer(:\n    pass\n"


def check(tmp_path, *args):
    (tmp_path / "broken.py").write_text(BROKEN)
    done = subprocess.run([sys.executable, "-m", "promptlint", "check", "--isolated", "--no-cache",
                           "--output-format", "concise", *args, "broken.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout


@pytest.mark.parametrize("select", ["PL301", "PL1", "PL0", "PL"])
def test_parse_error_reported_whatever_is_selected(tmp_path, select):
    code, out = check(tmp_path, "--select", select)
    assert code == 1
    assert "broken.py:3:12: PL000 cannot parse" in out
    assert "All checks passed" not in out


@pytest.mark.parametrize("ignore", ["PL000", "PL0", "PL"])
def test_parse_error_off_only_when_ignored(tmp_path, ignore):
    code, out = check(tmp_path, "--select", "PL301", "--ignore", ignore)
    assert code == 0
    assert "PL000" not in out


def test_selection_answer_is_the_same_everywhere():
    from promptlint.checks import is_selected, selected_codes

    assert is_selected("PL000", ["PL301"], [])
    assert "PL000" in selected_codes(["PL301"], [])
    assert not is_selected("PL000", ["PL"], ["PL0"])
