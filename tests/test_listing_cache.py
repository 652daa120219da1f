"""The warm-run caches of a one-file pre-commit run (issue 13): the project listing, kept per
directory (state/listing.py), and PL203's instrumentation scan, kept per file by content hash
(state/memo.py). Each change a user can make between two runs is made between two runs of
the real CLI, whose output must then be what an uncached run prints."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The CLI, counting the directories it reads. RACY_NS = 0: the files of a test are seconds
# old at most, and a stat that recent is otherwise never trusted (the cache would not be used).
PROBE = """
import sys
from promptlint import discovery
from promptlint.state import listing
listing.RACY_NS = int(sys.argv[1])
reads = []
scan = discovery.scan_directory
def counting(directory, *args):
    reads.append(directory)
    return scan(directory, *args)
discovery.scan_directory = counting
from promptlint.cli import main
try:
    main(sys.argv[2:])
except SystemExit:
    pass
sys.stderr.write("READS %d\\n" % len(reads))
heavy = ("libcst", "tiktoken", "genai_prices", "rapidfuzz", "yaml")
sys.stderr.write("LOADED %s\\n" % sorted(m for m in sys.modules if m.split(".")[0] in heavy))
"""

ASK = '''from openai import OpenAI

client = OpenAI()


def ask(question):
    reply = client.chat.completions.create(
        model="gpt-4o-mini", max_tokens=200, messages=[{"role": "user", "content": question}])
    return reply.choices[0].message.content
'''


def cli(project: Path, *args: str, racy_ns: int = 0, loaded: list | None = None) -> tuple[str, int]:
    """stdout, and how many directories the run read; `loaded` receives the heavy packages imported."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", PROBE, str(racy_ns), *args], cwd=project, env=env,
                          capture_output=True, text=True, errors="surrogateescape", timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    if loaded is not None:
        loaded.append([line for line in lines if line.startswith("LOADED ")][-1].removeprefix("LOADED "))
    reads = [line for line in lines if line.startswith("READS ")]
    return done.stdout, int(reads[-1].split()[1])


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    for rel, text in {
        "pyproject.toml": "[project]\nname = 'demo'\n",
        ".gitignore": "generated/\n",
        "app/__init__.py": "",
        "app/ask.py": ASK,
        "app/boot.py": "import logfire\n\n\ndef setup():\n    return None\n",
        "app/util/__init__.py": "",
        "app/util/text.py": "def clean(s):\n    return s.strip()\n",
        "generated/gen.py": "x = 1\n",
        "docs/notes.md": "notes\n",
    }.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def listed(project: Path, *extra: str, where: str = ".") -> tuple[list[str], int]:
    out, reads = cli(project, "check", "--show-files", "--cache-dir", "../cache", *extra, where)
    return out.splitlines(), reads


def uncached(project: Path, *extra: str, where: str = ".") -> list[str]:
    out, _ = cli(project, "check", "--show-files", "--no-cache", *extra, where)
    return out.splitlines()


def test_an_unchanged_tree_is_not_read_again(project):
    cold, reads = listed(project)
    assert cold == ["app/__init__.py", "app/ask.py", "app/boot.py", "app/util/__init__.py", "app/util/text.py"]
    assert reads == 4  # proj, app, app/util, docs (generated/ is ignored)
    assert listed(project) == (cold, 0)


def test_added_removed_and_renamed_files(project):
    listed(project)
    (project / "app" / "new.py").write_text("y = 2\n")
    files, reads = listed(project)
    assert "app/new.py" in files and files == uncached(project)
    assert reads == 1  # app/ only
    (project / "app" / "util" / "text.py").unlink()
    files, _ = listed(project)
    assert "app/util/text.py" not in files and files == uncached(project)
    (project / "app" / "new.py").rename(project / "app" / "renamed.py")
    files, _ = listed(project)
    assert "app/renamed.py" in files and "app/new.py" not in files and files == uncached(project)


def test_a_new_directory_and_a_directory_replaced_by_a_file(project):
    listed(project)
    (project / "docs" / "examples").mkdir()
    (project / "docs" / "examples" / "demo.py").write_text("z = 3\n")
    files, reads = listed(project)
    assert "docs/examples/demo.py" in files and files == uncached(project)
    assert reads == 2  # docs/ and the new docs/examples/
    for path in (project / "app" / "util").iterdir():
        path.unlink()
    (project / "app" / "util").rmdir()
    (project / "app" / "util.py").write_text("w = 4\n")
    files, _ = listed(project)
    assert "app/util.py" in files and not any(f.startswith("app/util/") for f in files)
    assert files == uncached(project)


def test_an_edited_gitignore_is_seen(project):
    listed(project)
    with open(project / ".gitignore", "a") as fh:  # edited in place: no directory changes
        fh.write("app/util/\n")
    files, _ = listed(project)
    assert not any(f.startswith("app/util/") for f in files) and files == uncached(project)
    (project / "app" / ".gitignore").write_text("boot.py\n")  # a new one, deeper down
    files, _ = listed(project)
    assert "app/boot.py" not in files and files == uncached(project)
    (project / ".gitignore").write_text("")  # and removing a pattern brings files back
    files, _ = listed(project)
    assert "app/util/text.py" in files and "generated/gen.py" in files and files == uncached(project)


def test_an_edited_config_exclude_is_seen(project):
    listed(project)
    (project / "pyproject.toml").write_text("[project]\nname = 'demo'\n\n[tool.promptlint]\n"
                                            "extend-exclude = [\"app/util\"]\n")
    files, _ = listed(project)
    assert not any(f.startswith("app/util/") for f in files) and files == uncached(project)
    files, _ = listed(project, "--exclude", "app/boot.py")
    assert "app/boot.py" not in files and files == uncached(project, "--exclude", "app/boot.py")


@pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="symlinks")
def test_a_retargeted_symlink_is_seen(project):
    for name in ("vendor_a", "vendor_b"):
        (project / name).mkdir()
        (project / name / f"{name[-1]}.py").write_text("a = 1\n")
    (project / ".gitignore").write_text("generated/\nvendor_a/\nvendor_b/\n")
    # A linked directory is followed when it leads out of the path walked (but not the project).
    (project / "app" / "vendor").symlink_to(project / "vendor_a")
    files, _ = listed(project, where="app")
    assert "app/vendor/a.py" in files
    tmp = project / "app" / "vendor.tmp"
    tmp.symlink_to(project / "vendor_b")
    os.replace(tmp, project / "app" / "vendor")
    files, _ = listed(project, where="app")
    assert "app/vendor/b.py" in files and "app/vendor/a.py" not in files and files == uncached(project, where="app")
    # A linked file is listed under its own name, unless it leads to a file listed already.
    (project / "app" / "v.py").symlink_to(project / "vendor_a" / "a.py")
    assert "app/v.py" in listed(project)[0]
    (project / "app" / "v.py").unlink()
    (project / "app" / "v.py").symlink_to(project / "app" / "boot.py")
    files, _ = listed(project)
    assert "app/v.py" not in files and files == uncached(project)
    # A link through a link: only the second one changes (app/ itself does not).
    (project / "vendor_a" / "cur.py").symlink_to(project / "vendor_a" / "a.py")
    (project / "app" / "v.py").unlink()
    (project / "app" / "v.py").symlink_to(project / "vendor_a" / "cur.py")
    assert "app/v.py" in listed(project)[0]
    (project / "vendor_a" / "cur.py").unlink()
    (project / "vendor_a" / "cur.py").symlink_to(project / "app" / "ask.py")
    files, _ = listed(project)
    assert "app/v.py" not in files and files == uncached(project)


def test_a_recent_directory_is_read_again(project):
    """With the real racy window, a directory changed seconds ago is not trusted."""
    cli(project, "check", "--show-files", "--cache-dir", "../cache", ".", racy_ns=10**12)
    _out, reads = cli(project, "check", "--show-files", "--cache-dir", "../cache", ".", racy_ns=10**12)
    assert reads >= 4  # every directory (the .gitignore too is too recent: a second, full walk)


@pytest.mark.parametrize("content", ["{not json", json.dumps({"format": 1, "key": "another walk", "dirs": {}}),
                                     json.dumps({"format": 1, "key": None, "dirs": {"x": {"sig": 1}}}),
                                     json.dumps([1, 2, 3])])
def test_a_corrupt_or_foreign_cache_file_is_ignored(project, content):
    cold, _ = listed(project)
    caches = list((project.parent / "cache").rglob("listing-*.json")) + list(
        (project.parent / "cache").rglob("markers-*.json"))
    assert len(caches) >= 1
    for path in caches:
        path.write_text(content)
    (project / "app" / "new.py").write_text("y = 2\n")
    files, _ = listed(project)
    assert files == uncached(project) == sorted([*cold, "app/new.py"])
    assert listed(project)[1] == 0  # and it was rewritten


def test_a_corrupt_directory_record_means_a_full_walk(project):
    listed(project)
    [path] = (project.parent / "cache").rglob("listing-*.json")
    data = json.loads(path.read_text())
    for record in data["dirs"].values():
        record[2] = [["only-a-name"]]  # the wrong shape
    path.write_text(json.dumps(data))
    files, _ = listed(project)
    assert files == uncached(project)


def test_one_file_run_output_matches_an_uncached_run_after_each_change(project):
    """The pre-commit path: one file named, the project listed and scanned for markers."""
    def check(*flags):
        out, _ = cli(project, "check", "--output-format", "json", *flags, "app/ask.py")
        return out

    def warm():
        return check("--cache-dir", "../cache")

    first = warm()
    assert '"PL203"' in first and warm() == first == check("--no-cache")
    # Changed in place (same directory entries): the marker scan must see the new bytes.
    (project / "app" / "boot.py").write_text("import logfire\n\n\ndef setup():\n    logfire.instrument_openai()\n")
    second = warm()
    assert '"PL203"' not in second and second == check("--no-cache")
    (project / "app" / "boot.py").unlink()  # the instrumentation goes away with its file
    assert warm() == first
    # A module added in a new directory instruments the client again.
    (project / "app" / "obs").mkdir()
    (project / "app" / "obs" / "setup.py").write_text("import logfire\n\nlogfire.instrument_openai()\n")
    assert warm() == second == check("--no-cache")


def test_a_file_outside_any_project_is_checked_alone(tmp_path):
    """No config and no project marker at or above the current directory: the run does not
    list everything below it (a home directory, /tmp) to index one file."""
    loose = tmp_path / "loose"
    (loose / "deep" / "tree").mkdir(parents=True)
    (loose / "deep" / "tree" / "other.py").write_text("x = 1\n")
    (loose / "one.py").write_text(ASK)
    if any((p / m).exists() for p in [loose, *loose.parents] for m in (".git", ".hg", "pyproject.toml", "setup.py",
                                                                          "setup.cfg")):
        pytest.skip("the temporary directory lies inside a project")
    out, reads = cli(loose, "check", "--output-format", "json", "--no-cache", "one.py")
    assert reads == 0 and '"PL203"' in out
    (loose / "setup.py").write_text("")  # now it is a project: listed, as before
    _out, reads = cli(loose, "check", "--output-format", "json", "--no-cache", "one.py")
    assert reads == 3


def test_a_warm_one_file_run_imports_nothing_heavy(project):
    """No parser, tokenizer, price table, fuzzy matcher or YAML reader when nothing changed
    (the instrumentation markers come from the memo, not from rules/instrumentation.yaml)."""
    (project / "app" / "boot.py").write_text("import logfire\n\nlogfire.instrument_openai()\n")
    loaded: list = []
    for _ in range(3):
        out, reads = cli(project, "check", "--output-format", "json", "--cache-dir", "../cache", "app/ask.py",
                         loaded=loaded)
    assert reads == 0 and isinstance(json.loads(out), (dict, list))
    assert "'libcst'" in loaded[0] and "'yaml'" in loaded[0]  # the cold run parses and reads the catalog
    assert loaded[-1] == "[]"


def test_a_file_name_that_is_not_utf8(project):
    """Linux allows any bytes in a name; the caches must not turn one into a crash."""
    try:
        with open(os.path.join(os.fsencode(project / "app"), b"\xff.py"), "wb") as fh:
            fh.write(b"x = 1\n")
    except (OSError, ValueError):
        pytest.skip("the file system refuses the name")
    for _ in range(2):
        files, _reads = listed(project)
        assert len(files) == 6 and files == uncached(project)
        out, _reads = cli(project, "check", "--output-format", "json", "--cache-dir", "../cache", "app/ask.py")
        assert '"PL203"' in out
