"""The terminal report (report/terminal.py, `check --color`, the progress bar), run through the real CLI.

At a terminal, or with colour forced, findings are grouped by file in colour; piped
output stays the plain `path:line:col: CODE message` lines, byte for byte. The
progress bar is tested on a real pseudo-terminal (stdlib `pty`).
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from promptlint import cli

SAMPLE = Path(__file__).resolve().parent / "data" / "uncapped_with_clock.py"  # PL101, PL201, PL301
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PLAIN_LINE = re.compile(r"^[\w./-]+:\d+:\d+: PL\d{3} .+$")
# Run the real CLI with the bar's delay at 0, so a run of two small files shows it.
NO_DELAY = "import sys; from promptlint import cli; cli._Progress.DELAY = 0; sys.exit(cli.main(sys.argv[1:]))"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("terminal")
    (root / "pkg").mkdir()
    shutil.copy(SAMPLE, root / "app.py")
    shutil.copy(SAMPLE, root / "pkg" / "ask.py")
    (root / "clean.py").write_text("import json\n\n\ndef load(path):\n    return json.load(open(path))\n")
    return root


@pytest.fixture(scope="module")
def plain(project) -> str:
    """What the real CLI prints into a pipe."""
    proc = _run(project, *CHECK)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


@pytest.fixture
def main(project, capsys, monkeypatch):
    """The CLI in this process (quicker than a subprocess): main(*args) -> (exit code, stdout, stderr)."""
    monkeypatch.chdir(project)
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "100")

    def run(*args):
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    env.update(PYTHONDONTWRITEBYTECODE="1", COLUMNS="100", **extra)
    return env


def _run(cwd, *args, env=None, code=None):
    argv = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "promptlint", *args]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env or _env(), timeout=120, check=False)


CHECK = ("check", "--isolated", "--no-cache", "app.py", "pkg/ask.py")


def _plain_keys(text: str) -> list[tuple[str, int, int, str]]:
    keys = []
    for line in text.splitlines():
        path, line_no, col, rest = line.split(":", 3)
        keys.append((path, int(line_no), int(col), rest.split()[0]))
    return keys


def _grouped_keys(text: str) -> list[tuple[str, int, int, str]]:
    """(path, line, col, code) back out of the grouped report (ANSI already stripped)."""
    keys, path = [], None
    for line in text.splitlines():
        header = re.match(r"^(\S+)  \d+ findings?$", line)
        row = re.match(r"^\s+(\d+):(\d+)  (error|warning|info)\s+(PL\d{3})  ", line)
        if header:
            path = header.group(1)
        elif row:
            keys.append((path, int(row.group(1)), int(row.group(2)), row.group(4)))
    return keys


# ---------------------------------------------------------------- piped: the plain format, unchanged


def test_piped_output_is_the_plain_format_byte_for_byte(project, plain):
    lines = plain.splitlines()
    assert len(lines) == 6 and all(PLAIN_LINE.match(line) for line in lines), plain
    assert "\x1b[" not in plain
    # The same bytes as the plain format written to a file (never the terminal report).
    assert _run(project, *CHECK, "--output-file", "out.txt").stdout == ""
    assert (project / "out.txt").read_text() == plain
    # --color never, and NO_COLOR beating FORCE_COLOR, keep the plain format too.
    never = _run(project, *CHECK, "--color", "never")
    assert never.stdout == plain and never.stderr.endswith("Found 6 findings.\n") and "\x1b[" not in never.stderr
    assert _run(project, *CHECK, env=_env(FORCE_COLOR="1", NO_COLOR="1")).stdout == plain


# ---------------------------------------------------------------- colour forced: the grouped report


@pytest.mark.parametrize("how", ["flag", "env"])
def test_forced_colour_gives_the_grouped_report_with_the_same_findings(main, plain, monkeypatch, how):
    if how == "flag":
        monkeypatch.setenv("NO_COLOR", "1")  # the flag beats NO_COLOR
        code, out, err = main(*CHECK, "--color", "always")
    else:
        monkeypatch.setenv("FORCE_COLOR", "1")
        code, out, err = main(*CHECK)
    assert code == 1, err
    # The clock reading sits ahead of a prompt far below the cache minimum: a latent finding, info in cyan.
    assert "\x1b[36minfo" in out
    assert "\x1b[33mwarning" in out  # warnings in yellow
    text = ANSI.sub("", out)
    assert _grouped_keys(text) == _plain_keys(plain)  # every finding, in the same order
    lines = text.splitlines()
    assert lines[0] == "app.py  3 findings"
    assert "pkg/ask.py  3 findings" in lines
    # The waste figure follows the message; the source line and a caret under the call follow it.
    pl301 = next(i for i, line in enumerate(lines) if "PL301" in line and line.startswith("  12:12"))
    block = "\n".join(lines[pl301:pl301 + 6])
    assert "~12,288 tok/call, $122.88/1k calls" in " ".join(block.split())
    at = next(i for i in range(pl301, len(lines)) if "│ resp = client.chat.completions.create(" in lines[i])
    source, carets = lines[at], lines[at + 1]
    start = source.index("client.chat")
    assert carets[start:].startswith("^" * len("client.chat.completions.create") + " uncapped-output")
    assert set(carets[:start].replace("│", "")) == {" "}
    # The summary: the waste table, then the count line; nothing of it is left on stderr.
    assert "Worst-case exposure per call" in text and "PL301 uncapped-output" in text
    assert "Expected waste per call" not in text  # the latent PL101 findings carry no figure
    assert lines[-1] == "Found 6 findings in 2 files: 4 warnings, 2 info."
    assert "Found" not in err and "Estimated" not in err
    assert all(len(line) <= 100 for line in lines)  # COLUMNS is respected


def test_full_adds_assumptions_and_the_rule_link(main):
    text = ANSI.sub("", main(*CHECK, "--color", "always", "--output-format", "full")[1])
    assert "= assumes: priced as openai gpt-4o" in text
    assert "= docs: https://github.com/promptlint/promptlint/blob/main/docs/rules/PL301.md" in text


def test_quiet_and_statistics_at_a_terminal(main):
    _, out, err = main(*CHECK, "--color", "always", "--quiet")
    text = ANSI.sub("", out)
    assert len(_grouped_keys(text)) == 6 and "Found" not in text and "Estimated" not in text
    assert err == ""
    _, out, _ = main(*CHECK, "--color", "always", "--statistics")
    text = ANSI.sub("", out)
    rows = [line.split() for line in text.splitlines() if re.match(r"^\s+\d+\s+PL\d{3}", line)]
    assert [row[:4] for row in rows] == [["2", "PL101", "volatile-timestamp-in-prefix", "info"],
                                         ["2", "PL201", "missing-task-tag", "warning"],
                                         ["2", "PL301", "uncapped-output", "warning"]]
    assert rows[2][4:] == ["~24,576", "$245.76"]  # the rule's waste figures
    assert text.splitlines()[-1] == "Found 6 findings in 2 files: 4 warnings, 2 info."


def test_notebook_findings_show_cell_and_line_in_the_cell(main, project):
    shutil.copy(SAMPLE.parent / "notebooks" / "support_bot.ipynb", project / "bot.ipynb")
    text = ANSI.sub("", main("check", "--isolated", "--no-cache", "--color", "always", "bot.ipynb")[1])
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if re.match(r"^\s+cell 2:2:12  warning  PL301  ", line))
    at = next(i for i in range(row, len(lines)) if "│ response = client.chat.completions.create(" in lines[i])
    assert lines[at].split("│")[0].strip() == "2"  # the line in the cell, not in the joined source


def test_a_bad_color_value_is_a_usage_error(main):
    code, _, err = main(*CHECK, "--color", "sometimes")
    assert code == 2
    assert err == "promptlint: error: --color must be one of auto, always, never, got 'sometimes'\n"


def test_use_color_precedence(monkeypatch):
    class Stream:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            return self.tty

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert cli._use_color("auto", Stream(True)) and not cli._use_color("auto", Stream(False))
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert cli._use_color("auto", Stream(False))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli._use_color("auto", Stream(True)) and not cli._use_color("auto", Stream(False))
    assert cli._use_color("always", Stream(False)) and not cli._use_color("never", Stream(True))


def test_no_color_at_a_terminal_keeps_the_layout_without_ansi(main, plain, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, _ = main(*CHECK)
    assert code == 1 and "\x1b[" not in out
    assert _grouped_keys(out) == _plain_keys(plain)


# ---------------------------------------------------------------- start-up: rich only when it is used


def _rich_imported(cwd, *args, env=None) -> bool:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "promptlint", *args], cwd=cwd,
                          capture_output=True, text=True, env=env or _env(), timeout=120, check=False)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return any(line.split("|")[-1].strip().split(".")[0] == "rich"
               for line in proc.stderr.splitlines() if line.startswith("import time:"))


def test_rich_is_imported_only_for_the_terminal_report(project):
    assert not _rich_imported(project, *CHECK)  # piped, with findings
    assert not _rich_imported(project, "check", "--isolated", "--no-cache", "--color", "always", "clean.py")
    assert _rich_imported(project, *CHECK, "--color", "always")  # the check above can fail


# ---------------------------------------------------------------- on a real pseudo-terminal


def _in_pty(cwd, args, stderr_pipe=False, code=NO_DELAY) -> tuple[int, str, str]:
    """Run the CLI with stdin, stdout (and stderr unless piped) on a pseudo-terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=cwd, env=_env(TERM="xterm"),
                            stdin=slave, stdout=slave, stderr=subprocess.PIPE if stderr_pipe else slave,
                            close_fds=True)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    err = proc.stderr.read().decode() if stderr_pipe else ""
    return proc.wait(timeout=60), b"".join(chunks).decode(errors="replace"), err


def test_progress_bar_on_a_terminal_and_never_when_stderr_is_piped(project):
    code, screen, _ = _in_pty(project, CHECK)
    assert code == 1
    assert re.search(r"Checking .*\d/2.* files", ANSI.sub("", screen))  # the bar, on stderr (the pty)
    text = ANSI.sub("", screen).replace("\r", "")
    assert "app.py  3 findings" in text and "Found 6 findings in 2 files" in text  # a TTY: the grouped report
    code, screen, err = _in_pty(project, CHECK, stderr_pipe=True)
    assert code == 1 and "Checking" not in screen + err and "━" not in screen + err
    assert "app.py  3 findings" in ANSI.sub("", screen)
    code, screen, _ = _in_pty(project, CHECK + ("--quiet",))
    assert code == 1 and "Checking" not in screen


def test_the_bar_waits_for_the_delay():
    progress = cli._Progress()
    progress.clock = lambda: progress.start + progress.DELAY - 0.1
    progress(0, 10)
    assert progress.bar is None  # a short run never imports rich or draws anything
    progress.clock = lambda: progress.start + progress.DELAY + 0.1
    progress(10, 10)
    assert progress.bar is None  # already finished: no bar for the last tick either
