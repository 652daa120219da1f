"""The linter never opens a network connection and never imports or runs the code it checks."""

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from promptlint.cli import main  # noqa: F401 - the entry point must import with sockets blocked too

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("promptlint tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_full_run_with_sockets_blocked(no_network, tmp_path, monkeypatch, capsys):
    """Every rule, tokens and prices included, over every sample project."""
    from promptlint import cli

    monkeypatch.chdir(FIXTURES)
    code = cli.main(["check", ".", "--cache-dir", str(tmp_path / "cache"), "--output-format", "json", "-j", "1"])
    assert code == 1
    out = capsys.readouterr().out
    assert '"usd_per_1k_calls": ' in out and '"code": "PL101"' in out


def test_analysed_code_is_never_imported_or_run(tmp_path):
    marker = tmp_path / "IMPORTED"
    payload = textwrap.dedent(f"""
        import pathlib
        pathlib.Path({str(marker)!r}).write_text("ran")
        from openai import OpenAI
        SYSTEM = pathlib.Path({str(marker)!r}).read_text()
        def ask(q):
            return OpenAI().chat.completions.create(model="gpt-4o", messages=[
                {{"role": "system", "content": SYSTEM}}, {{"role": "user", "content": q}}])
        """)
    (tmp_path / "app.py").write_text(payload)
    (tmp_path / "conftest.py").write_text(payload)
    (tmp_path / "__init__.py").write_text(payload)
    (tmp_path / "prompts.py").write_text(payload)
    proc = subprocess.run([sys.executable, "-m", "promptlint", "check", ".", "--no-cache"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "PL301" in proc.stdout
    assert not marker.exists()
