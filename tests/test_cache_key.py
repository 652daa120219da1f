"""The cache key covers promptlint's own code and rules/ data (code_digest.py): after an
edit to the catalog or to a rule module, a warm run gives the new result, not the cached one.

The package and rules/ are copied to a temporary directory and run from there
(PYTHONPATH), so the tests edit the copy, never the real tree."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

APP = '''from openai import OpenAI

client = OpenAI()


def summarize(text: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1",
        messages=[{"role": "user", "content": text}],
    )
    return completion.choices[0].message.content
'''


@pytest.fixture
def copy(tmp_path):
    """A copy of the package and its rules/ data, and a project to check with it."""
    install = tmp_path / "install"
    shutil.copytree(ROOT / "promptlint", install / "promptlint",
                    ignore=shutil.ignore_patterns("__pycache__", "_rules"))
    shutil.copytree(ROOT / "rules", install / "rules")
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(APP)
    return install, project


def run(install: Path, project: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(install)}
    done = subprocess.run([sys.executable, "-m", "promptlint", "check", "--isolated", "--exit-zero",
                           "--cache-dir", str(project.parent / "cache"), "--output-format", "json", "."],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def pl301(report: dict) -> dict:
    [finding] = [f for f in report["findings"] if f["code"] == "PL301"]
    return finding


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_copy_is_what_runs(copy):
    install, project = copy
    env = {**os.environ, "PYTHONPATH": str(install)}
    where = subprocess.run([sys.executable, "-c", "import promptlint.ruledocs as r; print(r.__file__, r.rules_dir())"],
                           cwd=project, env=env, capture_output=True, text=True, check=True).stdout
    assert where.split() == [str(install / "promptlint" / "ruledocs.py"), str(install / "rules")]


def test_editing_the_catalog_data_invalidates_a_warm_cache(copy):
    install, project = copy
    assert pl301(run(install, project))["waste_tokens_per_call"] == 32768 - 4096
    assert pl301(run(install, project))["waste_tokens_per_call"] == 32768 - 4096  # warm: same answer
    edit(install / "rules" / "models.yaml", "{match: 'gpt-4\\.1', tokens: 32768}", "{match: 'gpt-4\\.1', tokens: 20000}")
    assert pl301(run(install, project))["waste_tokens_per_call"] == 20000 - 4096


def test_editing_a_rule_module_invalidates_a_warm_cache(copy):
    install, project = copy
    assert "the call sets no output cap" in pl301(run(install, project))["message"]
    edit(install / "promptlint" / "checks" / "pl301_uncapped_output.py",
         '"the call sets no output cap"', '"no cap on this call"')
    assert "no cap on this call" in pl301(run(install, project))["message"]


def test_a_file_the_pre_check_skipped_is_analysed_once_the_catalog_knows_it(copy):
    """The skip list (files the byte pre-check ruled out, not even read on a warm run)
    is keyed the same way: restoring the catalog's markers brings the file back."""
    install, project = copy
    sdks = install / "rules" / "sdks.yaml"
    original = sdks.read_text()
    edit(sdks, "packages: [openai, ", "packages: [")
    edit(sdks, "chains: [chat.completions, ", "chains: [")
    edit(sdks, "import_only: [", "import_only: [create, ")  # no marker derived for `.chat.completions.create(`
    assert run(install, project)["findings"] == []  # no marker left: skipped
    assert run(install, project)["findings"] == []  # warm: on the skip list
    sdks.write_text(original)
    assert pl301(run(install, project))["waste_tokens_per_call"] == 32768 - 4096
