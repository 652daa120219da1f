"""Prompts kept in files (issue 14): the fixture projects under tests/data/templates/,
whose EXPECTED.txt was written before the code; bad templates; the cache; SARIF."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from promptlint.engine import lint_paths
from promptlint.model import Location
from promptlint.settings import Settings
from promptlint.analysis.templates import (
    TemplateError, dollar_placeholders, format_placeholders, jinja_placeholders, read_template,
)
from promptlint.state.template_comments import template_directives

DATA = Path(__file__).resolve().parent / "data" / "templates"
STYLES = sorted(p.name for p in DATA.iterdir() if (p / "EXPECTED.txt").is_file())
PROMPT_RULES = re.compile(r"PL10[1-6]|PL401|PL40[3-6]")


def expected(style: str) -> set[tuple[str, int, int, str]]:
    out = set()
    for line in (DATA / style / "EXPECTED.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        location, code = line.split("--")[0].split()
        path, lineno, col = location.rstrip(":").rsplit(":", 2)
        out.add((path, int(lineno), int(col), code))
    return out


def python_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))


def run(root: Path, **settings):
    old = os.getcwd()
    os.chdir(root)
    try:
        return lint_paths(python_files(Path(".")), Settings(jobs=1, **settings))
    finally:
        os.chdir(old)


@pytest.mark.parametrize("style", STYLES)
def test_loading_style(style):
    result = run(DATA / style)
    assert not result.errors
    got = {(f.path, f.span.line, f.span.column, f.code) for f in result.findings
           if PROMPT_RULES.fullmatch(f.code) and not f.suppressed}
    want = expected(style)
    assert (sorted(want - got), sorted(got - want)) == ([], []), style


def test_every_style_has_a_fixture():
    assert set(STYLES) >= {"text_files", "yaml_key", "yaml_folder", "toml_jinja", "jinja_env", "langchain_file",
                           "reader_helper"}


def test_template_suppressions_are_marked_not_dropped():
    """The silenced findings are still computed (--show-suppressed), in the template."""
    found = {(f.path, f.code, f.suppressed) for style in ("yaml_key", "toml_jinja", "jinja_env")
             for f in run(DATA / style).findings if f.code == "PL101"}
    assert ("triage/prompts.yaml", "PL101", True) in found
    assert ("agent/settings.toml", "PL101", True) in found
    assert ("service/templates/audit.j2", "PL101", True) in found


def test_related_location_is_the_python_line(tmp_path):
    finding = next(f for f in run(DATA / "yaml_key").findings if f.code == "PL101" and not f.suppressed)
    assert finding.path == "triage/prompts.yaml"
    assert finding.related[0] == Location("triage/service.py", 17, 53, "the value is filled in here")
    assert finding.call_site.path == "triage/service.py"  # the call the template is sent by
    assert "(filled in at triage/service.py:17)" in finding.message


def test_sarif_artifact_is_the_template_and_related_is_python(monkeypatch, capsys):
    from promptlint.cli import main

    monkeypatch.chdir(DATA / "yaml_key")
    try:
        main(["check", "--isolated", "--no-cache", "--select", "PL101", "--output-format", "sarif", "."])
    except SystemExit:
        pass
    result = json.loads(capsys.readouterr().out)["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "triage/prompts.yaml"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    related = result["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "triage/service.py"
    assert related["region"]["startLine"] == 17


def test_per_file_ignores_apply_to_template_paths(monkeypatch):
    from promptlint.state.suppress import per_file_ignored

    finding = next(f for f in run(DATA / "text_files").findings if f.code == "PL101")
    monkeypatch.chdir(DATA / "text_files")
    assert per_file_ignored(finding, {"app/prompts/*.txt": ["PL101"]}, ".")
    assert not per_file_ignored(finding, {"app/*.py": ["PL101"]}, ".")


# -- placeholders and comments, on their own ----------------------------------------------
def test_placeholder_offsets():
    text = "Hi {name}, {{literal}} {user.id:>4}"
    found = [(p.name, p.offset) for p in format_placeholders(text)]
    assert found == [("name", 3), ("user", 23)]
    assert text[23:35] == "{user.id:>4}"
    assert [(p.name, p.offset) for p in dollar_placeholders("cost $$5 for $who at ${when}")] == [("who", 13),
                                                                                                 ("when", 21)]
    jinja = "A {{ now }}\n{% for d in docs %}{{ d | upper }}{% endfor %}"
    assert [(p.name, p.style, p.offset) for p in jinja_placeholders(jinja)] == [
        ("now", "jinja", 2), ("docs", "jinja-for", 12), ("d", "jinja", 31)]


def test_template_directive_scopes():
    yaml_text = "a: |  # promptlint: disable=PL101 why\n  x {now}\n  y\nb: |\n  {now}\n"
    d = template_directives("p.yaml", yaml_text)
    assert set(d.by_line) == {1, 2, 3}  # the key line and the whole block it opens
    toml_text = '# promptlint: disable=PL104\nsystem = """\n{{ x }}\ntext\n"""\nother = "{{ y }}"\n'
    d = template_directives("s.toml", toml_text)
    assert set(d.by_line) == {2, 3, 4, 5}
    jinja_text = "{# promptlint: disable=PL101 #}\n{{ now }}\n{{ later }} {# promptlint: disable=PL102 #}\n"
    d = template_directives("t.j2", jinja_text)
    assert {line: [x.codes for x in ds] for line, ds in d.by_line.items()} == {2: [("PL101",)], 3: [("PL102",)]}
    # a `#` inside a YAML block scalar is text, not a comment
    assert not template_directives("p.yaml", "a: |\n  # promptlint: disable=PL101\n  {now}\n").by_line


# -- bad templates: one warning naming the file, never a traceback -------------------------
BAD_APP = '''\
import json
import tomllib
from datetime import datetime
from pathlib import Path

import yaml
from jinja2 import Template
from openai import OpenAI

client = OpenAI()
HERE = Path(__file__).parent


def ask(name):
    texts = [
        yaml.safe_load((HERE / "broken.yaml").read_text())["a"],
        (HERE / "missing.txt").read_text(),
        (HERE / "binary.txt").read_text(),
        (HERE / ".." / ".." / "outside.txt").read_text(),
        (HERE / "huge.txt").read_text(),
        Template((HERE / "broken.j2").read_text()).render(now=name),
        tomllib.loads((HERE / "broken.toml").read_text())["x"],
    ]
    for text in texts:
        client.chat.completions.create(model="gpt-4o", max_tokens=5, messages=[{"role": "user", "content": text}])
    good = (HERE / "good.txt").read_text().format(now=datetime.now())
    client.chat.completions.create(model="gpt-4o", max_tokens=5, messages=[{"role": "user", "content": good}])
'''


def test_bad_templates_are_warnings_and_the_run_goes_on(tmp_path):
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "main.py").write_text(BAD_APP)
    (project / "app" / "broken.yaml").write_text("a: [unclosed\n")
    (project / "app" / "binary.txt").write_bytes(b"\x00\x01PNG")
    (tmp_path / "outside.txt").write_text("outside {now}\n")
    (project / "app" / "huge.txt").write_text("x" * 1_200_000)
    (project / "app" / "broken.j2").write_text("Hello {% for x in %}\n")
    (project / "app" / "broken.toml").write_text("x = = 1\n")
    (project / "app" / "good.txt").write_text("Time {now}. Then the instructions.\n")
    result = run(project)
    assert not result.errors
    warnings = "\n".join(result.warnings)
    for name, why in [("app/broken.yaml", "invalid YAML"), ("app/missing.txt", "does not exist"),
                      ("app/binary.txt", "binary"), ("outside.txt", "outside the project"),
                      ("app/huge.txt", "limit"), ("app/broken.j2", "invalid Jinja"),
                      ("app/broken.toml", "invalid TOML")]:
        assert re.search(rf"{re.escape(name)}.*{why}", warnings), (name, warnings)
    assert "Traceback" not in warnings
    # the good template still gets its finding
    assert [(f.path, f.span.line, f.span.column) for f in result.findings if f.code == "PL101"] == [
        ("app/good.txt", 1, 6)]


def test_read_template_errors(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(TemplateError, match="directory"):
        read_template(str(tmp_path / "d"), root=str(tmp_path))
    with pytest.raises(TemplateError, match="outside the project"):
        read_template("/etc/hostname", root=str(tmp_path))
    (tmp_path / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(TemplateError, match="not UTF-8"):
        read_template(str(tmp_path / "latin.txt"), root=str(tmp_path))


# -- the cache: a template's bytes are part of the key of every file that loads it ------------
def test_editing_a_template_invalidates_the_warm_result(tmp_path):
    import shutil

    project = tmp_path / "p"
    shutil.copytree(DATA / "text_files", project)
    cache = str(tmp_path / "cache")
    first = run(project, cache_dir=cache)
    assert ("app/prompts/answer.txt", 1, "PL101") in {(f.path, f.span.line, f.code) for f in first.findings}
    template = project / "app" / "prompts" / "answer.txt"
    text = template.read_text()
    # Move the date to the end: the finding follows it, with one static token after it.
    template.write_text(text.replace(" Today is {today}.", "", 1) + "\nToday is {today}.")
    warm = run(project, cache_dir=cache)
    moved = [(f.span.line, f.waste_tokens_per_call) for f in warm.findings
             if f.path == "app/prompts/answer.txt" and f.code == "PL101"]
    assert moved == [(65, 1)]
    template.write_text(text)
    again = run(project, cache_dir=cache)
    assert ("app/prompts/answer.txt", 1, "PL101") in {(f.path, f.span.line, f.code) for f in again.findings}


def test_inventory_names_the_template_of_each_prompt():
    from promptlint.report.inventory import build_rows

    old = os.getcwd()
    os.chdir(DATA / "jinja_env")
    try:
        settings = Settings(jobs=1)
        rows = build_rows(lint_paths(python_files(Path(".")), settings), settings)
    finally:
        os.chdir(old)
    by_line = {r.line: (r.templates, r.codes) for r in rows}
    assert by_line[16] == (["service/templates/answer.j2", "service/templates/guide.j2"],
                           ["PL101", "PL201", "PL203"])  # PL203: issue 19
    assert by_line[26][0] == ["service/templates/digest.j2", "service/templates/guide.j2"]
    assert "PL104" in by_line[26][1]  # a finding in the template counts for the call that fills it in


def test_a_template_passed_alone_checks_the_code_that_names_it(monkeypatch):
    from promptlint.discovery import discover

    monkeypatch.chdir(DATA / "text_files")
    assert discover(["app/prompts/answer.txt"], Settings()) == ["app/answer.py"]
    monkeypatch.chdir(DATA / "yaml_key")
    assert discover(["triage/prompts.yaml"], Settings()) == ["triage/service.py"]
    monkeypatch.chdir(DATA / "reader_helper")  # "classify.txt" is named by the caller, not the helper
    assert discover(["app/prompts/classify.txt"], Settings()) == ["app/classify.py"]


def test_a_new_file_in_a_loaded_folder_invalidates_the_warm_result(tmp_path):
    import shutil

    project = tmp_path / "p"
    shutil.copytree(DATA / "yaml_folder", project)
    chat = project / "bot" / "chat.py"
    chat.write_text(chat.read_text().replace('PROMPTS["sales"]', 'PROMPTS["billing"]'))  # not there yet
    cache = str(tmp_path / "cache")
    assert not [f for f in run(project, cache_dir=cache).findings if "billing" in f.path]
    (project / "bot" / "prompts" / "billing.yaml").write_text("system: |\n  Ref {session_id}\n  Answer billing questions.\n")
    warm = run(project, cache_dir=cache)  # only the folder changed: its listing is part of the key
    assert [(f.path, f.span.line, f.code) for f in warm.findings if "billing" in f.path] == [
        ("bot/prompts/billing.yaml", 2, "PL102")]


def test_a_data_file_absent_from_the_tree_is_no_template_warning(tmp_path):
    """Rows read at run time (`json.load(open("reviews.json"))`) are not a missing prompt template."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(
        "import json\n"
        "from openai import OpenAI\n"
        "\n"
        "client = OpenAI()\n"
        "\n"
        "\n"
        "def main():\n"
        "    for review in json.load(open('reviews.json')):\n"
        "        client.chat.completions.create(model='gpt-4o', max_tokens=5,\n"
        "                                       messages=[{'role': 'user', 'content': f'Classify: {review}'}])\n")
    result = run(project)
    assert not [w for w in result.warnings if "reviews.json" in w]
