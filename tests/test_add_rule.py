"""scripts/add_rule.py scaffolds a rule that runs end to end: run in a temporary copy of
the repository, the toy rule it writes is registered, documented, found by the engine from
its document, fires on its fire examples and stays quiet on its quiet ones."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from promptlint.checks import REGISTRY, RESERVED_FOR_TESTS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(tmp_path):
    copy = tmp_path / "repo"
    for part in ("promptlint", "rules", "scripts", "tests", "docs"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__", "_rules"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def free_code() -> str:
    """A code no rule has (PL800-PL899 first): registering real rules never breaks this test."""
    return next(f"PL{n}" for n in range(800, 900) if f"PL{n}" not in REGISTRY)


def run(repo: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    return subprocess.run([sys.executable, *args], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=600, **kw)


def test_scaffolded_rule_runs_end_to_end(repo, tmp_path):
    code = free_code()
    done = run(repo, "scripts/add_rule.py", code, "missing-end-user", "--severity", "info",
               "--summary", "An LLM call does not say which end user it serves.")
    assert done.returncode == 0, done.stderr
    module = repo / "promptlint" / "checks" / f"{code.lower()}_missing_end_user.py"
    assert module.is_file() and (repo / "rules" / f"{code}.yaml").is_file()
    assert f"[{code}]({code}.md)" in (repo / "docs" / "rules" / "index.md").read_text()
    assert (repo / "docs" / "rules" / f"{code}.md").read_text().startswith(f"# {code} missing-end-user\n")

    # the engine finds the class from the document and reports with the declared name and severity
    (tmp_path / "app.py").write_text("from openai import OpenAI\n\nclient = OpenAI()\n"
                                     "client.chat.completions.create(model='gpt-4.1-mini', messages=[])\n")
    done = run(repo, "-m", "promptlint", "check", "--isolated", "--no-cache", "--select", code,
               "--output-format", "concise", str(tmp_path / "app.py"))
    assert done.returncode == 1 and f"{code} `client.chat.completions.create` does not pass `user`" in done.stdout
    (tmp_path / "pyproject.toml").write_text(f"[tool.promptlint.rules.{code}]\nkeyword = \"model\"\n")
    done = run(repo, "-m", "promptlint", "check", "--no-cache", "--select", code, str(tmp_path / "app.py"))
    assert done.returncode == 0, done.stdout + done.stderr  # its declared option is read
    (tmp_path / "pyproject.toml").write_text(f"[tool.promptlint.rules.{code}]\nkeywrd = \"model\"\n")
    done = run(repo, "-m", "promptlint", "check", "--no-cache", str(tmp_path / "app.py"))
    assert done.returncode == 2 and "did you mean 'keyword'?" in done.stderr
    assert f"{code} missing-end-user (info)" in run(repo, "-m", "promptlint", "rule", code).stdout

    # its document's examples and the document checks pass, in the copy
    done = run(repo, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "tests/test_rule_examples.py",
               "tests/test_rule_docs.py", "-k", code)
    assert done.returncode == 0, done.stdout[-3000:]
    for case in (f"{code}-fire-0", f"{code}-fire-1", f"{code}-quiet-0", f"{code}-quiet-1"):
        assert re.search(rf"PASSED tests/test_rule_examples\.py::\w+\[{case}\]", done.stdout), done.stdout[-3000:]


@pytest.mark.parametrize("args, expected", [
    (["PL950", "some-rule"], "PL900-PL999 are reserved for tests"),
    (["PL301", "other-name"], "PL301 is already taken"),
    (["PL8x1", "some-rule"], "is not a rule code"),
    (["PL851", "Some_Rule"], "is not kebab-case"),
])
def test_refuses_bad_codes_and_names(repo, args, expected):
    done = run(repo, "scripts/add_rule.py", *args)
    assert done.returncode == 2 and expected in done.stderr
    assert not list((repo / "rules").glob("PL8[5-9]*.yaml")) and "PL950" in RESERVED_FOR_TESTS
