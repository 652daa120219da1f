"""The realistic sample projects under fixtures/: every seeded problem is found, nothing else."""

import os
import re
from pathlib import Path

import pytest

from promptlint.engine import lint_paths
from promptlint.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROJECTS = sorted(p.name for p in FIXTURES.iterdir() if (p / "EXPECTED.txt").is_file())


def expected(project: str) -> tuple[set[str], set[tuple[str, int, str]]]:
    text = (FIXTURES / project / "EXPECTED.txt").read_text()
    codes = set(re.findall(r"PL\d{3}", text.splitlines()[0]))
    found = set()
    for line in text.splitlines()[1:]:
        line = line.split("#", 1)[0].strip()
        if line:
            location, code = line.split()
            path, lineno = location.rsplit(":", 1)
            found.add((path, int(lineno), code))
    return codes, found


def python_files(root: Path) -> list[str]:
    files = []
    for d, dirs, names in os.walk(root):
        dirs.sort()
        files += [os.path.join(d, n) for n in sorted(names) if n.endswith((".py", ".ipynb"))]
    return files


@pytest.mark.parametrize("project", PROJECTS)
def test_fixture_project(project, monkeypatch):
    codes, want = expected(project)
    monkeypatch.chdir(FIXTURES / project)
    result = lint_paths(python_files(Path(".")), Settings(jobs=1))
    assert not result.errors
    got = {(f.path, f.span.line, f.code) for f in result.findings if f.code in codes and not f.suppressed}
    missing, extra = sorted(want - got), sorted(got - want)
    assert (missing, extra) == ([], []), f"missing={missing} extra={extra}"


def test_projects_exist():
    assert len(PROJECTS) >= 3
