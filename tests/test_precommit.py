"""The pre-commit hook (.pre-commit-hooks.yaml), run by the real pre-commit tool.

A throwaway git repository in a temp directory gets a .pre-commit-config.yaml whose
`repo:` is this checkout and whose `rev:` is its HEAD commit, so pre-commit clones
the committed tree, builds the hook's own virtualenv (dependencies from PyPI) and
runs `promptlint check` on the files it is given.

Cost: building the hook environment took ~18 s on the dev machine (one time per
session: PRE_COMMIT_HOME is a session-scoped temp directory, so the test is hermetic
and the environment is shared by every test here); each later `pre-commit run` ~1 s.

Note: pre-commit installs the *committed* HEAD of this checkout, not uncommitted edits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pre_commit")

REPO_ROOT = Path(__file__).resolve().parent.parent

BAD = (REPO_ROOT / "tests" / "data" / "uncapped_with_clock.py").read_text()  # PL101 + PL301

GOOD = '''\
import logging

from openai import OpenAI

client = OpenAI()

SYSTEM = "You are a helpful assistant for our store."


def ask(question: str) -> str:
    resp = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}],
        max_tokens=512,
        metadata={"task": "store-faq", "prompt_version": "3"},
    )
    logging.info("usage %s", resp.usage)  # PL203 (issue 19): a clean file records its usage
    return resp.choices[0].message.content
'''


def _clean_env(pre_commit_home: Path) -> dict[str, str]:
    # Drop GIT_* variables: the suite may itself run inside a git hook of this repo.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        PRE_COMMIT_HOME=str(pre_commit_home),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        GIT_CONFIG_NOSYSTEM="1",
        # No user gitconfig (commit signing, core.hooksPath, ...). HOME stays, so pip's
        # own configuration and download cache still apply to the hook environment.
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    return env


def _git(cwd: Path, env, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory):
    """A git repository using this checkout's hook; the hook env is built once, here."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("precommit")
    env = _clean_env(base / "pre-commit-home")
    try:
        head = _git(REPO_ROOT, env, "rev-parse", "HEAD")
    except subprocess.CalledProcessError:
        pytest.skip("the source tree is not a git checkout with commits")
    repo = base / "project"
    repo.mkdir()
    _git(repo, env, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO_ROOT.as_posix()}\n    rev: {head}\n    hooks:\n      - id: promptlint\n"
    )
    _git(repo, env, "add", ".pre-commit-config.yaml")
    _git(repo, env, "commit", "-q", "-m", "config")
    # Build the hook environment (clone + pip install from PyPI) once for the session.
    r = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install-hooks"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=900,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return repo, env


def _run(repo: Path, env, *files: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "promptlint", "--files", *files],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300,
    )


def test_hook_fails_on_a_finding(hook_repo):
    repo, env = hook_repo
    (repo / "bad.py").write_text(BAD)
    _git(repo, env, "add", "bad.py")
    _git(repo, env, "commit", "-q", "-m", "bad")
    r = _run(repo, env, "bad.py")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "promptlint" in out and "Failed" in out
    assert "bad.py:9:51: PL101" in out  # datetime.now() ahead of the static system prompt
    assert "bad.py:12:12: PL301" in out  # no max_tokens


def test_hook_passes_on_a_clean_file(hook_repo):
    repo, env = hook_repo
    (repo / "good.py").write_text(GOOD)
    _git(repo, env, "add", "good.py")
    _git(repo, env, "commit", "-q", "-m", "good")
    r = _run(repo, env, "good.py")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "Passed" in out


def test_hook_with_no_python_files_passes(hook_repo):
    repo, env = hook_repo
    (repo / "notes.rst").write_text("datetime.now()\n")  # not a type the hook declares
    _git(repo, env, "add", "notes.rst")
    _git(repo, env, "commit", "-q", "-m", "notes")
    r = _run(repo, env, "notes.rst")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "Skipped" in out


def test_hook_checks_notebooks(hook_repo):
    """`types_or: [python, jupyter]`: pre-commit passes .ipynb files and findings name the cell."""
    repo, env = hook_repo
    shutil.copy(REPO_ROOT / "tests" / "data" / "notebooks" / "support_bot.ipynb", repo / "support_bot.ipynb")
    _git(repo, env, "add", "support_bot.ipynb")
    _git(repo, env, "commit", "-q", "-m", "notebook")
    r = _run(repo, env, "support_bot.ipynb")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "support_bot.ipynb:cell 2:1:60: PL101" in out and "support_bot.ipynb:cell 2:2:12: PL301" in out


TEMPLATE_APP = '''\
from datetime import datetime
from pathlib import Path

from openai import OpenAI

client = OpenAI()


def ask(question: str) -> str:
    system = (Path(__file__).parent / "prompts" / "system.txt").read_text().format(now=datetime.now())
    resp = client.chat.completions.create(
        model="gpt-4o", max_tokens=100,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
    )
    return resp.choices[0].message.content
'''


def test_hook_runs_when_only_a_template_changes(hook_repo):
    """A commit that touches only prompts/system.txt re-checks the code that loads it,
    and the finding is reported inside the template."""
    repo, env = hook_repo
    (repo / "prompts").mkdir()
    (repo / "templ_app.py").write_text(TEMPLATE_APP)
    (repo / "prompts" / "system.txt").write_text("You answer questions about our store.\nBe brief.\n")
    _git(repo, env, "add", "templ_app.py", "prompts/system.txt")
    _git(repo, env, "commit", "-q", "-m", "template app")
    first = _run(repo, env, "prompts/system.txt")
    # the loader was checked (its own PL201 shows), nothing is reported in the template yet
    assert "templ_app.py:" in first.stdout and "prompts/system.txt:" not in first.stdout, first.stdout
    assert "bad.py" not in first.stdout  # names neither the template nor its folder
    (repo / "prompts" / "system.txt").write_text("Now: {now}\nYou answer questions about our store.\nBe brief.\n")
    _git(repo, env, "add", "prompts/system.txt")
    _git(repo, env, "commit", "-q", "-m", "date in the template")
    r = _run(repo, env, "prompts/system.txt")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "prompts/system.txt:1:6: PL101" in out
