"""Packaging: the built wheel works on its own, with rules/ shipped as promptlint/_rules.

Builds a wheel from this source tree (`pip wheel --no-deps`, hatchling fetched into pip's
isolated build environment), installs it into a fresh virtual environment (dependencies
from the index, through pip's normal download cache) and runs the installed `promptlint`
from outside the source tree.

Cost, measured on the dev machine with a warm pip cache: build ~4 s, venv ~5 s,
install ~15 s, commands <1 s each: ~25-35 s in all (36 s measured in pytest), once per
module (module-scoped fixture).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

SOURCE = (REPO_ROOT / "tests" / "data" / "uncapped_with_clock.py").read_text()  # PL101 + PL301


def _env() -> dict[str, str]:
    # Nothing from the development environment may leak into the installed one.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(REPO_ROOT)],
        env=_env(), capture_output=True, text=True, timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    wheels = list(dist.glob("promptlint_cost-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True, clear=True)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / ("python.exe" if os.name == "nt" else "python")
    r = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", str(wheels[0])],
        env=_env(), capture_output=True, text=True, timeout=900,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    work = base / "work"
    work.mkdir()
    return wheels[0], py, bindir / ("promptlint.exe" if os.name == "nt" else "promptlint"), work


def _run(cmd, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=120)


def test_wheel_contains_rules_data(installed):
    import zipfile

    wheel, *_ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "promptlint/_rules/sdks.yaml" in names
    assert "promptlint/_rules/PL101.yaml" in names
    assert not any(n.startswith(("rules/", "tests/")) for n in names)


def test_installed_package_finds_its_rules_dir(installed):
    _, py, _, work = installed
    r = _run([py, "-c", "import promptlint.ruledocs as d; print(d.__file__); print(d.rules_dir())"], work)
    assert r.returncode == 0, r.stderr
    module_file, rules = (Path(line) for line in r.stdout.split())
    # Imported from the venv, not from this source tree, and the data is the shipped copy.
    assert REPO_ROOT not in module_file.parents
    assert rules == module_file.parent / "_rules"


def test_installed_rules_command(installed):
    _, _, exe, work = installed
    r = _run([exe, "rules"], work)
    assert r.returncode == 0, r.stderr
    assert "PL101" in r.stdout and "volatile-timestamp-in-prefix" in r.stdout
    assert "PL301" in r.stdout
    r = _run([exe, "rule", "PL101"], work)
    assert r.returncode == 0, r.stderr
    assert "volatile-timestamp-in-prefix" in r.stdout


def test_installed_check_command(installed):
    _, _, exe, work = installed
    (work / "app.py").write_text(SOURCE)
    r = _run([exe, "check", "--isolated", "--no-cache", "app.py"], work)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "app.py:9:51: PL101" in r.stdout
    assert "app.py:12:12: PL301" in r.stdout
    (work / "plain.py").write_text("print('no LLM here')\n")
    r = _run([exe, "check", "--isolated", "--no-cache", "plain.py"], work)
    assert r.returncode == 0, r.stdout + r.stderr
