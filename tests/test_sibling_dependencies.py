"""A file's cached result depends on every module a value it reads comes from, through
however many modules (`a.py` reads SYSTEM from b.py, which builds it from c.py's PROMPT).
Sibling modules are analysed once per process and answer later files from their memo: those
later files must still record c.py, or editing c.py leaves their cached findings stale."""

import pytest

from promptlint.analysis import project, reads
from promptlint.engine import lint_paths
from promptlint.settings import Settings

C = 'PROMPT = "You are a careful assistant. Answer briefly."\n'
B = 'from app.c import PROMPT\n\nSYSTEM = PROMPT + " Use plain words."\n'
CALLER = (
    "from openai import OpenAI\n"
    "\n"
    "from app.b import SYSTEM\n"
    "\n"
    "client = OpenAI()\n"
    "\n"
    "\n"
    "def ask(question):\n"
    "    return client.chat.completions.create(\n"
    "        model='gpt-4.1-mini', max_tokens=100,\n"
    "        messages=[{'role': 'system', 'content': SYSTEM}, {'role': 'user', 'content': question}])\n"
)


def _run(settings):
    files = ["app/__init__.py", "app/a1.py", "app/a2.py", "app/b.py", "app/c.py"]
    return lint_paths(files, settings, project_files=files)


def _new_process() -> None:
    """What a new process starts without: the sibling modules analysed and what they read."""
    project._analysed_at.cache_clear()
    reads.READS.clear()


@pytest.mark.parametrize("restart", [False, True], ids=["same process", "next run"])
def test_every_reader_of_a_value_records_the_module_it_comes_from(restart, tmp_path, monkeypatch):
    files = {"__init__.py": "", "a1.py": CALLER, "a2.py": CALLER, "b.py": B, "c.py": C}
    # The prompt changes: both callers' cached results must go (their system text is read again).
    edit = ("c.py", 'PROMPT = "You are a careful assistant. Answer briefly, in English only."\n')
    _edit_then_compare(tmp_path, monkeypatch, files, edit, restart, _run)


def _edit_then_compare(tmp_path, monkeypatch, files: dict, edit: tuple, restart: bool, run) -> None:
    """Lint with a cache, make the edit, lint again (in the same process or a new one): the
    cached callers must read the edited text, as a run without a cache does."""
    app = tmp_path / "app"
    app.mkdir()
    for name, text in files.items():
        (app / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    settings = Settings(jobs=1, select=["PL101"], cache_dir=str(tmp_path / "cache"))
    assert not run(settings).findings

    (app / edit[0]).write_text(edit[1])
    if restart:
        _new_process()
    warm = _texts(run(settings))
    cold = _texts(run(Settings(jobs=1, select=["PL101"])))
    assert "in English only" in cold["app/a1.py"] and "in English only" in cold["app/a2.py"]
    assert warm == cold


def _texts(result) -> dict[str, str]:
    """Each caller's system text, as its call site records it."""
    return {site.path: "".join(seg.text or "" for seg in site.parts[0].segments)
            for site in result.callsites if site.path.startswith("app/a")}


B_FROM_FILE = ('from pathlib import Path\n\n'
               'SYSTEM = (Path(__file__).parent / "system.txt").read_text()\n')


@pytest.mark.parametrize("restart", [False, True], ids=["same process", "next run"])
def test_a_template_file_read_by_a_sibling_module_is_a_dependency_of_every_reader(restart, tmp_path, monkeypatch):
    """b.py builds SYSTEM from system.txt: the second caller gets SYSTEM from b.py's memo, without
    reading the file again, and must still depend on it."""
    files = {"__init__.py": "", "a1.py": CALLER, "a2.py": CALLER, "b.py": B_FROM_FILE,
             "system.txt": "You are a careful assistant. Answer briefly."}
    edit = ("system.txt", "You are a careful assistant. Answer briefly, in English only.")
    _edit_then_compare(tmp_path, monkeypatch, files, edit, restart, _run_with_template)


def _run_with_template(settings):
    files = ["app/__init__.py", "app/a1.py", "app/a2.py", "app/b.py"]
    return lint_paths(files, settings, project_files=files)


def test_the_language_server_relints_a_document_when_a_module_read_through_a_sibling_changes(tmp_path, monkeypatch):
    """The server re-lints a document when one of its dependencies changes on disk: for the second
    document reading SYSTEM (answered from b.py's memo) those include c.py and the template file."""
    from promptlint.server.documents import Snapshot
    from promptlint.server.session import lint

    app = tmp_path / "app"
    app.mkdir()
    b = 'from app.c import PROMPT\nfrom app.d import TAIL\n\nSYSTEM = PROMPT + TAIL\n'
    d = 'from pathlib import Path\n\nTAIL = (Path(__file__).parent / "tail.txt").read_text()\n'
    for name, text in {"__init__.py": "", "a1.py": CALLER, "a2.py": CALLER, "b.py": b, "c.py": C, "d.py": d,
                       "tail.txt": " Use plain words."}.items():
        (app / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    _new_process()
    settings = Settings(jobs=1, select=["PL101"])
    outcomes = [lint(Snapshot(f"file://{app / name}", str(app / name), 1, CALLER, CALLER.encode()), settings)
                for name in ("a1.py", "a2.py")]
    for outcome in outcomes:
        assert {str(app / "b.py"), str(app / "c.py"), str(app / "d.py"), str(app / "tail.txt")} <= outcome.dependencies
