"""Jupyter notebooks: checked cell by cell, reported at cell and line (text, JSON), at the
position in the .ipynb file (SARIF, GitHub annotations); malformed ones are a PL000 finding.

The notebooks under tests/data/notebooks/ are real files written as Jupyter writes them
(support_bot.ipynb: a `%pip` magic and the client in cell 1, the call with a date in its
system prompt in cell 2, a markdown cell 3, a loop with `!ls` and `# noqa: PL301` in cell 4).
Every run below is the real `promptlint check` command in a subprocess.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from promptlint.notebook import NotebookError, parse

DATA = Path(__file__).parent / "data" / "notebooks"
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def promptlint(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([sys.executable, "-m", "promptlint", "check", "--isolated", *args], cwd=cwd,
                          env=env, capture_output=True, input=stdin)


@pytest.fixture
def nbdir(tmp_path):
    for path in DATA.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


# ---------------------------------------------------------------- text, JSON, SARIF, GitHub


def test_text_output_names_cell_and_line(nbdir):
    run = promptlint(nbdir, "support_bot.ipynb", "--no-cache", "--output-format", "concise")
    out = run.stdout.decode().splitlines()
    assert run.returncode == 1, run.stderr
    assert out[0].startswith("support_bot.ipynb:cell 2:1:60: PL101 `datetime.now()` enters the system prompt "
                             "of `client.chat.completions.create` at cell 2, line 2, ahead of 19 static tokens")
    assert [line.split(" ", 2)[:2] for line in out] == [
        ["support_bot.ipynb:cell", "2:1:60:"], ["support_bot.ipynb:cell", "2:2:12:"],
        ["support_bot.ipynb:cell", "2:2:12:"], ["support_bot.ipynb:cell", "2:2:12:"],
        ["support_bot.ipynb:cell", "4:3:15:"], ["support_bot.ipynb:cell", "4:3:15:"],
        ["support_bot.ipynb:cell", "4:3:15:"]]
    assert [line.split(": ", 1)[1].split()[0] for line in out] == [  # PL203: issue 19
        "PL101", "PL201", "PL203", "PL301", "PL201", "PL203", "PL601"]
    # `# noqa: PL301` inside cell 4 silences the uncapped call there, and only that rule.
    assert not any(line.startswith("support_bot.ipynb:cell 4:3:15: PL301") for line in out)
    assert "(loop at cell 4, line 2)" in out[6]
    assert b"Traceback" not in run.stderr


def test_json_carries_cell_and_line_in_cell(nbdir):
    run = promptlint(nbdir, "support_bot.ipynb", "--no-cache", "--output-format", "json", "--show-suppressed")
    findings = json.loads(run.stdout)["findings"]
    got = [(f["code"], f["cell"], f["location"], f["end_location"], f["suppressed"]) for f in findings]
    assert got == [
        ("PL101", 2, {"line": 1, "column": 60}, {"line": 1, "column": 74}, False),
        ("PL201", 2, {"line": 2, "column": 12}, {"line": 2, "column": 42}, False),
        ("PL203", 2, {"line": 2, "column": 12}, {"line": 2, "column": 42}, False),
        ("PL301", 2, {"line": 2, "column": 12}, {"line": 2, "column": 42}, False),
        ("PL201", 4, {"line": 3, "column": 15}, {"line": 3, "column": 45}, False),
        ("PL203", 4, {"line": 3, "column": 15}, {"line": 3, "column": 45}, False),
        ("PL301", 4, {"line": 3, "column": 15}, {"line": 3, "column": 45}, True),
        ("PL601", 4, {"line": 3, "column": 15}, {"line": 3, "column": 45}, False),
    ]
    assert all(f["path"] == "support_bot.ipynb" for f in findings)


def test_sarif_points_into_the_notebook_file_and_validates(nbdir):
    run = promptlint(nbdir, "support_bot.ipynb", "--no-cache", "--output-format", "sarif")
    log = json.loads(run.stdout)
    jsonschema.validate(log, SCHEMA)
    results = log["runs"][0]["results"]
    raw = lines_of(nbdir / "support_bot.ipynb")
    first = results[0]
    region = first["locations"][0]["physicalLocation"]["region"]
    assert first["ruleId"] == "PL101"
    assert region == {"startLine": 42, "startColumn": 66, "endLine": 42, "endColumn": 80}
    # The region is where the code is written in the .ipynb file: inside cell 2's JSON string.
    assert raw[41][65:79] == "datetime.now()" and raw[41].startswith('    "system = f\\"You are')
    assert first["properties"]["notebook"] == {"cell": 2, "line": 1, "column": 60, "end_line": 1, "end_column": 74}
    assert first["message"]["text"].endswith("(cell 2, line 1)")
    assert first["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "support_bot.ipynb", "uriBaseId": "%SRCROOT%"}
    for result in results:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert raw[region["startLine"] - 1][region["startColumn"] - 1:region["endColumn"] - 1] in (
            "datetime.now()", "client.chat.completions.create")
    assert [r["suppressions"] for r in results if r["ruleId"] == "PL301"] == [[], [{"kind": "inSource"}]]


def test_file_positions_at_line_starts_and_ends():
    notebook = parse((DATA / "support_bot.ipynb").read_bytes())
    raw = lines_of(DATA / "support_bot.ipynb")
    line = notebook.cells[1].start + 1  # cell 2, line 2: `response = client.chat.completions.create(`
    assert notebook.file_position(line, 1) == (43, 6) and raw[42][5:13] == "response"
    end = len("response = client.chat.completions.create(") + 1
    assert notebook.file_position(line, end) == (43, 48) and raw[42][47:50] == '\\n"'
    assert notebook.file_position(line, end + 5) == (43, 48)  # past the end: the end of that line
    assert notebook.file_position(notebook.cells[0].start, 1) == (18, 6) and raw[17][5:9] == "%pip"


def test_github_annotations_point_into_the_notebook_file(nbdir):
    run = promptlint(nbdir, "support_bot.ipynb", "--no-cache", "--output-format", "github")
    first = run.stdout.decode().splitlines()[0]
    # The clock reading is ahead of a prompt below the cache minimum: a latent finding (a notice).
    assert first.startswith("::notice file=support_bot.ipynb,line=42,col=66,endLine=42,endColumn=80,"
                            "title=PL101 volatile-timestamp-in-prefix::")
    assert first.endswith("(cell 2, line 1)")


def test_escaped_one_string_sources_map_to_the_file(nbdir):
    """Sources saved as one string per cell with \\uXXXX escapes: a whole cell is one line of
    the file, and columns count the escapes as written."""
    run = promptlint(nbdir, "one_string_sources.ipynb", "--no-cache", "--output-format", "sarif")
    results = json.loads(run.stdout)["runs"][0]["results"]
    raw = lines_of(nbdir / "one_string_sources.ipynb")
    spans = {}
    for r in results:
        reg = r["locations"][0]["physicalLocation"]["region"]
        spans[r["ruleId"]] = raw[reg["startLine"] - 1][reg["startColumn"] - 1:reg["endColumn"] - 1]
    assert spans == {"PL102": "uuid.uuid4()", "PL201": "client.messages.create", "PL203": "client.messages.create"}
    notebook = parse((nbdir / "one_string_sources.ipynb").read_bytes())
    # Cell 3 starts with `%%time` (its body is Python); line 6 comes after five escaped characters.
    line = notebook.cells[1].start + 5
    assert notebook.locate(line) == (3, 6)
    column = notebook.source.splitlines()[line - 1].index('"content"') + 1
    row, col = notebook.file_position(line, column)
    assert raw[row - 1][col - 1:col + 10] == '\\"content\\"'  # the quote is written as \"
    assert "\\u00f9" in raw[row - 1][col:]  # `où` further on, escaped in the file


def test_stdin_notebook(nbdir):
    data = (nbdir / "support_bot.ipynb").read_bytes()
    run = promptlint(nbdir, "-", "--stdin-filename", "support_bot.ipynb", "--no-cache", stdin=data)
    assert run.stdout.decode().splitlines()[0].startswith("support_bot.ipynb:cell 2:1:60: PL101")


# ---------------------------------------------------------------- malformed and unusual notebooks


@pytest.mark.parametrize("name, expected", [
    ("bad_json.ipynb", "bad_json.ipynb:54:4: PL000 not a valid notebook: invalid JSON: "
                       "Expecting property name enclosed in double quotes"),
    ("not_utf8.ipynb", "not_utf8.ipynb:1:1: PL000 not a valid notebook: not UTF-8 (byte 0xe9 at offset 848)"),
    ("wrong_structure.ipynb", "wrong_structure.ipynb:1:1: PL000 not a valid notebook: "
                              "'cells' is a JSON object, not a list"),
])
def test_malformed_notebook_is_a_finding(nbdir, name, expected):
    run = promptlint(nbdir, name, "--no-cache")
    assert run.returncode == 1
    assert run.stdout.decode().splitlines() == [expected]
    assert b"Traceback" not in run.stderr
    sarif = json.loads(promptlint(nbdir, name, "--no-cache", "--output-format", "sarif").stdout)
    jsonschema.validate(sarif, SCHEMA)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["PL000"]


def test_a_cell_that_does_not_parse_is_reported_and_the_rest_analysed(nbdir):
    run = promptlint(nbdir, "broken_cell.ipynb", "--no-cache")
    out = run.stdout.decode().splitlines()
    assert out[0] == "broken_cell.ipynb:cell 2:1:18: PL000 cannot parse: invalid syntax"
    assert [line.split(": ")[0] + ": " + line.split(": ")[1].split()[0] for line in out[1:]] == [
        "broken_cell.ipynb:cell 3:1:9: PL201", "broken_cell.ipynb:cell 3:1:9: PL203",
        "broken_cell.ipynb:cell 3:1:9: PL301"]


def test_full_format_shows_the_cell_line_as_written(nbdir):
    run = promptlint(nbdir, "broken_cell.ipynb", "support_bot.ipynb", "--no-cache", "--output-format", "full")
    out = run.stdout.decode()
    assert "1 | def half_written(:\n" in out  # the cell left out of the analysis, shown as written
    assert "1 | system = f\"You are a support assistant" in out  # cell 2, line 1


@pytest.mark.parametrize("name", ["empty.ipynb", "r_kernel.ipynb"])
def test_empty_and_non_python_notebooks_pass(nbdir, name):
    run = promptlint(nbdir, name, "--no-cache")
    assert (run.returncode, run.stdout, run.stderr) == (0, b"", b"1 file checked.\nAll checks passed.\n")


def test_structure_errors_name_what_is_wrong():
    cases = {
        b"[]": "the top level is a JSON array, not an object",
        b'{"metadata": {}}': "no 'cells' list (is this a Jupyter notebook?)",
        b'{"cells": [3]}': "cell 1 is a JSON number, not an object",
        b'{"cells": [{"source": "x"}]}': "cell 1 has no 'cell_type'",
        b'{"cells": [{"cell_type": "code", "source": [1, 2]}]}': "cell 1: 'source' is not a string or a list of strings",
    }
    for data, message in cases.items():
        with pytest.raises(NotebookError) as info:
            parse(data)
        assert str(info.value) == message


# ---------------------------------------------------------------- IPython syntax


def cell(*lines: str, kind: str = "code") -> dict:
    return {"cell_type": kind, "metadata": {}, "source": [line + "\n" for line in lines]}


def joined(*cells: dict) -> list[str]:
    return parse(json.dumps({"cells": list(cells), "metadata": {}}).encode()).source.split("\n")[:-1]


def test_magics_become_pass_and_keep_line_numbers():
    assert joined(cell("%matplotlib inline", "import os", "files = !ls", "os?", "??os.path",
                       "for f in files:", "    !echo {f}", "%time x = \\", "    1", "print(files)")) == [
        "pass", "import os", "pass", "pass", "pass", "for f in files:", "    pass", "pass", "", "print(files)"]


def test_magic_lookalikes_inside_strings_are_left_alone():
    prompt = ['PROMPT = """', "What is the capital of France?", "!important: answer in one word", "%d items",
              '"""', "!ls"]
    assert joined(cell(*prompt)) == prompt[:-1] + ["pass"]


def test_cell_magics_with_python_bodies_are_kept_others_skipped():
    assert joined(cell("%%time", "x = 1"), cell("%%bash", "echo hi"), cell("%%writefile a.py", "y = 2"),
                  cell("z = 3")) == ["", "x = 1", "z = 3"]


def test_markdown_raw_and_foreign_cells_are_skipped_but_counted():
    sql = {"cell_type": "code", "metadata": {"vscode": {"languageId": "sql"}}, "source": "SELECT 1"}
    data = json.dumps({"cells": [cell("# Title", kind="markdown"), cell("x", kind="raw"), sql, cell("a = 1")],
                       "metadata": {}}).encode()
    notebook = parse(data)
    assert notebook.source == "a = 1\n" and notebook.locate(1) == (4, 1) and notebook.locate(2) is None


# ---------------------------------------------------------------- baselines, fingerprints, cache


def add_cell(path: Path, index: int, new: dict) -> None:
    doc = json.loads(path.read_text())
    doc["cells"].insert(index, new)
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def test_baseline_survives_cells_moving_and_sarif_marks_baseline_state(nbdir):
    nb = nbdir / "support_bot.ipynb"
    wrote = promptlint(nbdir, "support_bot.ipynb", "--no-cache", "--write-baseline", "baseline.json")
    assert wrote.returncode == 0 and b"recorded 7 findings" in wrote.stderr  # not the one under noqa
    # An unrelated edit moves every finding: a markdown cell on top, new outputs in cell 2.
    add_cell(nb, 0, cell("# Support bot", "Run top to bottom.", kind="markdown"))
    doc = json.loads(nb.read_text())
    doc["cells"][2]["outputs"][0]["text"] = ["A different answer this time.\n"] * 3
    nb.write_text(json.dumps(doc, indent=1) + "\n")
    run = promptlint(nbdir, "support_bot.ipynb", "--no-cache", "--baseline", "baseline.json")
    assert (run.returncode, run.stdout) == (0, b"")
    assert b"7 findings hidden by the baseline." in run.stderr
    sarif = json.loads(promptlint(nbdir, "support_bot.ipynb", "--no-cache", "--baseline", "baseline.json",
                                  "--output-format", "sarif").stdout)
    jsonschema.validate(sarif, SCHEMA)
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r.get("baselineState")) for r in results] == [
        ("PL101", "unchanged"), ("PL201", "unchanged"), ("PL203", "unchanged"), ("PL301", "unchanged"),
        ("PL201", "unchanged"), ("PL203", "unchanged"), ("PL301", None), ("PL601", "unchanged")]  # None: suppressed
    assert results[0]["properties"]["notebook"]["cell"] == 3  # it moved down one cell
    # A new uncapped call in a new cell fails the run and is the only "new" result.
    add_cell(nb, 5, cell('again = client.chat.completions.create(model="gpt-4o", messages=[])'))
    run = promptlint(nbdir, "support_bot.ipynb", "--no-cache", "--baseline", "baseline.json",
                     "--output-format", "sarif")
    assert run.returncode == 1
    states = [(r["ruleId"], r["properties"]["notebook"]["cell"], r.get("baselineState"))
              for r in json.loads(run.stdout)["runs"][0]["results"]]
    assert [s for s in states if s[2] == "new"] == [("PL201", 6, "new"), ("PL203", 6, "new"), ("PL301", 6, "new")]
    assert len(states) == 11  # PL203: issue 19
    # Without a baseline no result carries a baselineState.
    plain = json.loads(promptlint(nbdir, "support_bot.ipynb", "--no-cache", "--output-format", "sarif").stdout)
    assert all("baselineState" not in r for r in plain["runs"][0]["results"])


def test_cache_is_keyed_on_the_notebook_bytes(nbdir):
    nb = nbdir / "support_bot.ipynb"
    args = ("support_bot.ipynb", "--cache-dir", ".cache", "--output-format", "json")

    def entries() -> int:  # result entries (facts.json and the skip list sit beside them)
        return len(glob.glob(str(nbdir / ".cache" / "*" / "??" / "*.json")))

    first = json.loads(promptlint(nbdir, *args).stdout)["findings"]
    assert entries() == 1
    again = json.loads(promptlint(nbdir, *args).stdout)["findings"]
    assert again == first and entries() == 1  # served from the cache
    # A markdown cell in front changes the bytes (not the code): a new entry, and cells renumbered.
    add_cell(nb, 0, cell("# Notes", kind="markdown"))
    moved = json.loads(promptlint(nbdir, *args).stdout)["findings"]
    assert entries() == 2
    assert [f["cell"] for f in moved] == [f["cell"] + 1 for f in first]
    assert [f["fingerprint"] for f in moved] == [f["fingerprint"] for f in first]


def test_directory_run_finds_notebooks_and_skips_checkpoints(nbdir):
    (nbdir / ".ipynb_checkpoints").mkdir()
    shutil.copy(nbdir / "support_bot.ipynb", nbdir / ".ipynb_checkpoints" / "support_bot-checkpoint.ipynb")
    run = promptlint(nbdir, ".", "--no-cache", "--output-format", "json")
    paths = sorted({f["path"] for f in json.loads(run.stdout)["findings"]})
    assert paths == ["bad_json.ipynb", "broken_cell.ipynb", "not_utf8.ipynb", "one_string_sources.ipynb",
                     "support_bot.ipynb", "wrong_structure.ipynb"]


def test_inventory_lists_notebook_calls_by_cell(nbdir):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    run = subprocess.run([sys.executable, "-m", "promptlint", "inventory", "support_bot.ipynb", "--isolated",
                          "--no-cache", "--output-format", "json"], cwd=nbdir, env=env, capture_output=True)
    sites = json.loads(run.stdout)["call_sites"]
    assert [(s["path"], s["cell"], s["line"], s["model"]) for s in sites] == [
        ("support_bot.ipynb", 2, 2, "gpt-4o"), ("support_bot.ipynb", 4, 3, "gpt-4o-mini")]


def test_disable_file_comment_at_the_top_of_the_first_code_cell(nbdir):
    nb = nbdir / "support_bot.ipynb"
    doc = json.loads(nb.read_text())
    doc["cells"][0]["source"].insert(0, "# promptlint: disable-file=PL201\n")
    nb.write_text(json.dumps(doc, indent=1) + "\n")
    run = promptlint(nbdir, "support_bot.ipynb", "--no-cache")
    out = run.stdout.decode()
    assert "PL201" not in out and "support_bot.ipynb:cell 2:2:12: PL301" in out
