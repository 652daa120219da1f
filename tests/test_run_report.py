"""Honest run reports: stderr says what was checked and what was skipped, and never
"All checks passed." about code that was not checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from promptlint import engine
from promptlint.cli import main

LLM_CALL = ("from openai import OpenAI\nclient = OpenAI()\n\n\ndef ask(q):\n"
            "    return client.chat.completions.create(model='gpt-4o', max_tokens=5, "
            "messages=[{'role': 'user', 'content': q}])\n")


def run(capsys, *args):
    code = main(["check", "--isolated", "--no-cache", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_empty_directory_is_not_a_pass(here, capsys):
    (here / "empty").mkdir()
    code, out, err = run(capsys, "empty")
    assert code == 0 and out == ""
    assert "All checks passed" not in err
    assert err.endswith("0 files checked.\nNo files were checked.\n")


def test_files_checked_are_counted(here, capsys):
    (here / "a.py").write_text("import json\n")
    (here / "b.py").write_text("x = 1\n")
    code, _, err = run(capsys, ".")
    assert code == 0 and err == "2 files checked.\nAll checks passed.\n"


def test_a_file_over_the_size_limit_with_an_llm_call_fails_the_run(here, capsys):
    (here / "pyproject.toml").write_text("[tool.promptlint]\nmax-file-bytes = 100\n")
    (here / "big.py").write_text(LLM_CALL + "# padding\n" * 20)
    (here / "small.py").write_text("import json\n")
    code = main(["check", "--no-cache", "."])
    _, err = capsys.readouterr()
    assert code == 1
    assert "warning: big.py: skipped:" in err and "it may hold LLM calls" in err
    assert "1 file checked, 1 skipped: over the size limit." in err
    assert "All checks passed" not in err and "1 file that may hold LLM calls was not checked" in err
    # --exit-zero keeps CI green on purpose, like findings.
    assert main(["check", "--no-cache", "--exit-zero", "."]) == 0


def test_a_file_over_the_size_limit_without_llm_calls_is_only_counted(here, capsys):
    (here / "pyproject.toml").write_text("[tool.promptlint]\nmax-file-bytes = 100\n")
    (here / "table.py").write_text("DATA = [\n" + "    1,\n" * 100 + "]\n")
    (here / "small.py").write_text("import json\n")
    code = main(["check", "--no-cache", "."])
    _, err = capsys.readouterr()
    assert code == 0 and "1 file checked, 1 skipped: over the size limit.\nAll checks passed.\n" in err


def test_an_unreadable_file_is_a_warning_and_exit_1(here, capsys, monkeypatch):
    (here / "app.py").write_text(LLM_CALL)
    real_open = open

    def deny(path, *args, **kwargs):
        if str(path).endswith("app.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(engine, "open", deny, raising=False)
    code, _, err = run(capsys, "app.py")
    assert code == 1
    assert "warning: app.py: cannot read: Permission denied" in err
    assert "0 files checked, 1 skipped: unreadable." in err and "All checks passed" not in err


def test_a_zero_byte_notebook_is_skipped_not_passed(here, capsys):
    (here / "nb.ipynb").write_bytes(b"")
    code, _, err = run(capsys, "nb.ipynb")
    assert code == 0
    assert "warning: nb.ipynb: skipped: an empty file, not a notebook" in err
    assert err.endswith("0 files checked, 1 skipped: empty notebook.\nNo files were checked.\n")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_on_the_command_line_does_not_hang(here):
    os.mkfifo(here / "pipe.py")
    proc = subprocess.run([sys.executable, "-m", "promptlint", "check", "--isolated", "--no-cache", "pipe.py"],
                          cwd=here, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "pipe.py: skipped: not a regular file" in proc.stderr
    assert "All checks passed" not in proc.stderr


def test_show_files_lists_what_would_be_checked(here, capsys):
    (here / "pkg").mkdir()
    (here / "pkg" / "b.py").write_text("x = 1\n")
    (here / "a.py").write_text("x = 1\n")
    (here / "notes.txt").write_text("not python\n")
    code, out, err = run(capsys, "--show-files", ".")
    assert code == 0 and out == "a.py\npkg/b.py\n" and err == ""


def test_json_summary_lists_files_not_checked(here, capsys):
    (here / "pyproject.toml").write_text("[tool.promptlint]\nmax-file-bytes = 100\n")
    (here / "big.py").write_text(LLM_CALL)
    main(["check", "--no-cache", "--output-format", "json", "."])
    summary = json.loads(capsys.readouterr()[0])["summary"]
    assert summary["files_not_checked"] == [{"path": "big.py", "reason": "over the size limit",
                                             "may_hold_llm_calls": True}]
