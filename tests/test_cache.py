"""The content-hash cache: hits, invalidation, corruption, dependencies."""

import glob
import os

import pytest

from promptlint import cache as cache_mod
from promptlint import engine
from promptlint.settings import Settings

APP = '''from openai import OpenAI
from .prompts import SYSTEM
def ask(q):
    return OpenAI().chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": SYSTEM}, {"role": "user", "content": q}])
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "prompts.py").write_text('SYSTEM = "Be brief."\n')
    (pkg / "app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(settings):
    return engine.lint_one("pkg/app.py", settings)


def count_computations(monkeypatch):
    calls = []
    real = engine.lint_source
    monkeypatch.setattr(engine, "lint_source", lambda *a, **kw: calls.append(a[0]) or real(*a, **kw))
    return calls


def test_second_run_is_served_from_cache(project, monkeypatch):
    settings = Settings(cache_dir=str(project / "c"))
    first = run(settings)
    calls = count_computations(monkeypatch)
    second = run(settings)
    assert calls == []
    assert [f.to_dict() for f in second.findings] == [f.to_dict() for f in first.findings]
    assert [c.parts for c in second.callsites] == [c.parts for c in first.callsites]


@pytest.mark.parametrize("change", ["file", "config", "version", "dependency"])
def test_changes_invalidate(project, monkeypatch, change):
    settings = Settings(cache_dir=str(project / "c"))
    run(settings)
    if change == "file":
        (project / "pkg" / "app.py").write_text(APP + "\n# edited\n")
    elif change == "config":
        settings = Settings(cache_dir=str(project / "c"), rule_options={"PL104": {"min-static-tokens": 1}})
    elif change == "version":
        monkeypatch.setattr(cache_mod, "__version__", "999.0")
    else:
        (project / "pkg" / "prompts.py").write_text('SYSTEM = "Be very brief."\n')
    calls = count_computations(monkeypatch)
    run(settings)
    assert calls == ["pkg/app.py"]


def test_corrupt_entry_is_ignored_and_rebuilt(project, monkeypatch):
    settings = Settings(cache_dir=str(project / "c"))
    first = run(settings)
    entries = glob.glob(str(project / "c" / "**" / "*.json"), recursive=True)
    assert len(entries) == 1
    with open(entries[0], "w") as fh:
        fh.write("{not json")
    calls = count_computations(monkeypatch)
    again = run(settings)
    assert calls == ["pkg/app.py"]
    assert [f.to_dict() for f in again.findings] == [f.to_dict() for f in first.findings]
    calls.clear()
    run(settings)
    assert calls == []  # rebuilt entry is good again


def test_no_cache_dir_writes_nothing(project):
    run(Settings())
    assert not os.path.exists(project / ".promptlint_cache")
