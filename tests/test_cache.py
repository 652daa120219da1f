"""The content-hash cache: hits, invalidation, corruption, dependencies."""

import glob
from pathlib import Path
import os

import pytest

from promptlint import engine
from promptlint.settings import Settings
from promptlint.state import cache as cache_mod

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


# ---------------------------------------------------------------- the skip list


def count_prechecks(monkeypatch):
    calls = []
    real = engine.may_hold_callsite
    monkeypatch.setattr(engine, "may_hold_callsite", lambda source, s, **kw: calls.append(source) or real(source, s, **kw))
    return calls


def test_skip_list_spares_the_precheck_and_follows_content(project, monkeypatch):
    settings = Settings(cache_dir=str(project / "c"))
    plain = project / "pkg" / "util.py"
    plain.write_text("def add(a, b):\n    return a + b\n")
    files = ["pkg/util.py", "pkg/app.py"]
    first = engine.lint_many(files, settings)
    assert first[0].skipped and not first[1].skipped
    prechecks = count_prechecks(monkeypatch)
    again = engine.lint_many(files, settings)
    assert again[0].skipped and prechecks == []  # known bytes: no pre-check, and the hit serves app.py
    plain.write_text("import openai\n\ndef ask(q):\n    return openai.OpenAI().chat.completions.create("
                     "model='gpt-4o', messages=[{'role': 'user', 'content': q}])\n")
    changed = engine.lint_many(files, settings)
    assert not changed[0].skipped and changed[0].callsites  # new bytes: pre-checked and analysed


def test_corrupt_skip_list_is_ignored_and_rebuilt(project, monkeypatch):
    settings = Settings(cache_dir=str(project / "c"))
    (project / "pkg" / "util.py").write_text("x = 1\n")
    engine.lint_many(["pkg/util.py"], settings)
    (listing,) = glob.glob(str(project / "c" / "*" / "skipped-*.json"))
    with open(listing, "w") as fh:
        fh.write("[not json")
    prechecks = count_prechecks(monkeypatch)
    assert engine.lint_many(["pkg/util.py"], settings)[0].skipped
    assert len(prechecks) == 1
    prechecks.clear()
    assert engine.lint_many(["pkg/util.py"], settings)[0].skipped
    assert prechecks == []


# ---------------------------------------------------------------- facts: token counts and prices


WARM_PROBE = """
import sys
from promptlint.cli import main
try:
    main(["check", "pkg", "--isolated", "--output-format", "json", "--cache-dir", sys.argv[1]])
except SystemExit:
    pass
sys.stderr.write("LOADED %s %s\\n" % ("tiktoken" in sys.modules, "genai_prices" in sys.modules))
"""

PRICED_APP = '''from datetime import datetime
from openai import OpenAI
SYSTEM = "You answer questions about our refund policy and nothing else, politely, citing the section."
def ask(q):
    return OpenAI().chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": f"Now: {datetime.now()}. " + SYSTEM}, {"role": "user", "content": q}])
'''


def _probe(project, cache_dir):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", WARM_PROBE, str(cache_dir)], cwd=project,
                          capture_output=True, text=True, timeout=120)
    loaded = [line for line in done.stderr.splitlines() if line.startswith("LOADED")]
    return done.stdout, loaded[-1]


def test_warm_run_loads_neither_tiktoken_nor_genai_prices(project):
    (project / "pkg" / "app.py").write_text(PRICED_APP)
    cold, cold_loaded = _probe(project, project / "c")
    assert '"usd_per_1k_calls": ' in cold and "genai-prices" in cold  # a priced finding
    assert cold_loaded == "LOADED True True"
    warm, warm_loaded = _probe(project, project / "c")
    assert warm == cold  # same bytes out
    assert warm_loaded == "LOADED False False"


def test_facts_from_other_versions_or_corrupt_are_ignored(project):
    import json

    (project / "pkg" / "app.py").write_text(PRICED_APP)
    cold, _ = _probe(project, project / "c")
    (facts_file,) = glob.glob(str(project / "c" / "*" / "facts.json"))
    with open(facts_file) as fh:
        data = json.load(fh)
    # Another genai-prices version: its remembered (here: falsified) figures must not be used.
    data["key"] = data["key"].replace("genai-prices", "genai-prices 0.0.0 was")
    data["facts"] = {k: (999.0 if k.startswith("prices-cost:") else v) for k, v in data["facts"].items()}
    with open(facts_file, "w") as fh:
        json.dump(data, fh)
    for entry in glob.glob(str(project / "c" / "*" / "??" / "*.json")):
        os.unlink(entry)  # results too, so the rules count tokens again
    again, loaded = _probe(project, project / "c")
    assert again == cold and loaded == "LOADED True True"
    with open(facts_file, "w") as fh:
        fh.write("{broken")
    for entry in glob.glob(str(project / "c" / "*" / "??" / "*.json")):
        os.unlink(entry)
    third, _ = _probe(project, project / "c")
    assert third == cold
    with open(facts_file) as fh:
        assert json.load(fh)["facts"]  # rebuilt


def test_skip_list_keeps_earlier_keys_but_stays_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_mod, "MAX_SKIPPED", 10)
    first = cache_mod.Cache(str(tmp_path), "settings")
    for i in range(8):
        assert not first.known_skipped(f"old{i}")
        first.note_skipped(f"old{i}")
    first.save_skipped()
    second = cache_mod.Cache(str(tmp_path), "settings")
    assert second.known_skipped("old3")  # read back
    second.note_skipped("new0")
    second.save_skipped()
    third = cache_mod.Cache(str(tmp_path), "settings")
    assert third.known_skipped("old5") and third.known_skipped("new0")  # 9 keys: all kept
    for i in range(1, 4):
        third.note_skipped(f"new{i}")
    third.save_skipped()  # 12 keys > 10: only this run's (old5, new0..new3) stay
    fourth = cache_mod.Cache(str(tmp_path), "settings")
    assert fourth.known_skipped("new3") and fourth.known_skipped("old5") and not fourth.known_skipped("old1")


# ---------------------------------------------------------------- the project phase


@pytest.fixture
def rag(tmp_path, monkeypatch):
    import shutil

    root = Path(__file__).resolve().parent.parent
    shutil.copytree(root / "fixtures" / "rag_service", tmp_path / "rag_service")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "rag_service"


def _project_run(settings):
    from promptlint.discovery import discover

    run = engine.lint_paths(discover(["rag_service"], settings), settings)
    return [f.to_dict() for f in run.findings]


def count_project_phases(monkeypatch):
    calls = []
    real = engine.project_findings
    monkeypatch.setattr(engine, "project_findings", lambda sites, s: calls.append(1) or real(sites, s))
    return calls


def test_project_phase_is_cached_and_follows_every_file_it_reads(rag, monkeypatch):
    settings = Settings(cache_dir=str(rag.parent / "c"))
    calls = count_project_phases(monkeypatch)
    first = _project_run(settings)
    pl405 = [f for f in first if f["code"] == "PL405"]
    assert pl405 and calls == [1]
    assert _project_run(settings) == first and calls == [1]  # unchanged: served from the cache
    assert _project_run(Settings()) == first  # and the same as without a cache
    calls.clear()
    # A noqa comment on the PL405 line of prompts.py (a file no call site is in) changes nothing
    # the per-file phase caches for the call sites, but the project finding is now suppressed.
    prompts = rag.parent / pl405[0]["path"]
    assert prompts.name == "prompts.py"
    lines = prompts.read_text().split("\n")
    line = (pl405[0]["suppress_lines"] or [pl405[0]["span"]["line"]])[-1]  # after the literal's closing quotes
    lines[line - 1] += "  # noqa: PL405"
    prompts.write_text("\n".join(lines))
    again = _project_run(settings)
    assert calls == [1]  # recomputed
    assert [f["suppressed"] for f in again if f["code"] == "PL405"] == [True]
    assert _project_run(Settings()) == again


def test_corrupt_project_entry_is_ignored(rag, monkeypatch):
    settings = Settings(cache_dir=str(rag.parent / "c"))
    first = _project_run(settings)
    (entry,) = glob.glob(str(rag.parent / "c" / "*" / "project-*.json"))
    with open(entry, "w") as fh:
        fh.write('{"key": 1')
    calls = count_project_phases(monkeypatch)
    assert _project_run(settings) == first and calls == [1]
