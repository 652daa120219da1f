"""`promptlint init`: a starter [tool.promptlint] section that loads cleanly (conventions §9)."""

import re
import tomllib

import pytest

from promptlint import cli, config
from promptlint.settings import Settings


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *args):
    capsys.readouterr()
    code = cli.main(["init", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_creates_pyproject_that_loads_with_defaults(here, capsys):
    code, _, err = run(capsys)
    assert code == 0 and "Created pyproject.toml" in err
    path = here / "pyproject.toml"
    assert config.find_config(str(here)) == path
    settings = config.load_settings(start=str(here))  # no ConfigError
    defaults = Settings()
    assert settings.select == defaults.select and settings.ignore == [] and settings.per_file_ignores == {}
    assert settings.exclude == config.DEFAULT_EXCLUDE and settings.output_format == "concise"
    assert settings.cache_dir == str(here / ".promptlint_cache") and settings.baseline is None
    assert settings.rule_options == {} and settings.wrappers == []
    assert settings.tokenizer == defaults.tokenizer and settings.max_file_bytes == defaults.max_file_bytes


def test_every_option_commented(here, capsys):
    run(capsys)
    text = (here / "pyproject.toml").read_text()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[a-z-]+ = ", line):
            assert lines[i - 1].startswith("# "), line
    for key in ("select", "ignore", "per-file-ignores", "exclude", "extend-exclude", "wrappers", "traffic",
                "baseline", "jobs", "rules.PL302"):
        assert key in text, key
    for key in config._KEYS:  # every valid key is shown, set or commented out
        assert key in text, key


def test_commented_examples_are_valid_when_uncommented(here, capsys):
    run(capsys)
    text = (here / "pyproject.toml").read_text()
    uncommented = "\n".join(line[2:] if line.startswith("# ") and not line.startswith("# `") else line
                            for line in text.splitlines()
                            if not (line.startswith("# ") and line[2:3].isupper()))
    # keep only lines that parse as TOML statements (drop prose comments)
    kept = [line for line in uncommented.splitlines()
            if not line.strip() or line.startswith(("[", "#")) or re.match(r'^"?[\w.*/-]+"? = ', line)]
    (here / "pyproject.toml").write_text("\n".join(kept) + "\n")
    data = tomllib.loads((here / "pyproject.toml").read_text())["tool"]["promptlint"]
    assert data["wrappers"][0]["name"] == "myapp.llm.complete"
    assert data["traffic"]["default"] == 20000 and data["baseline"] == ".promptlint-baseline.json"
    settings = config.load_settings(start=str(here))
    assert settings.rule_options["PL302"]["ceiling"] == 2048
    assert settings.per_file_ignores == {"tests/**": ["PL2"], "scripts/*.py": ["PL601"]}


def test_rule_options_come_from_the_rule_documents():
    text = config.starter_config()
    from promptlint.ruledocs import load_all

    for code, doc in load_all().items():
        if f"[tool.promptlint.rules.{code}]" in doc.sections.get("options", ""):
            assert f"# [tool.promptlint.rules.{code}]" in text, code


def test_appends_to_existing_pyproject(here, capsys):
    original = '[project]\nname = "demo"\n\n[tool.ruff]\nline-length = 100'  # no final newline
    (here / "pyproject.toml").write_text(original)
    code, _, err = run(capsys)
    assert code == 0 and "Added [tool.promptlint]" in err
    text = (here / "pyproject.toml").read_text()
    assert text.startswith(original + "\n\n[tool.promptlint]\n")
    data = tomllib.loads(text)
    assert data["project"]["name"] == "demo" and data["tool"]["ruff"]["line-length"] == 100
    config.load_settings(start=str(here))


def test_refuses_when_section_exists(here, capsys):
    (here / "pyproject.toml").write_text('[tool.promptlint.rules.PL302]\nceiling = 100\n')
    before = (here / "pyproject.toml").read_text()
    code, out, err = run(capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "already has a [tool.promptlint] section" in err
    assert (here / "pyproject.toml").read_text() == before


def test_refuses_invalid_pyproject(here, capsys):
    (here / "pyproject.toml").write_text("[project\n")
    code, _, err = run(capsys)
    assert code == 2 and "invalid TOML" in err and err.count("\n") == 1
    (here / "pyproject.toml").write_text('tool = {ruff = {line-length = 100}}\n')
    code, _, err = run(capsys)
    assert code == 2 and "cannot append" in err and err.count("\n") == 1
    assert (here / "pyproject.toml").read_text() == 'tool = {ruff = {line-length = 100}}\n'


def test_check_runs_with_the_starter_config(here, capsys):
    run(capsys)
    (here / "app.py").write_text("x = 1\n")
    capsys.readouterr()
    assert cli.main(["check", "--no-cache"]) == 0
