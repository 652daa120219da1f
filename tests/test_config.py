"""Config discovery, validation and merging with CLI flags (promptlint/config.py)."""

import os
from pathlib import Path

import pytest

from promptlint.checks import is_selected
from promptlint.config import (
    DEFAULT_EXCLUDE,
    ConfigError,
    Overrides,
    find_config,
    load_settings,
    parse_code_list,
    read_config_table,
)
from promptlint.ruledocs import rule_option
from promptlint.settings import Wrapper


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- discovery


def test_find_config_walks_up_to_the_nearest_promptlint_table(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.promptlint]\nselect = ['PL1']\n")
    write(tmp_path / "a" / "pyproject.toml", "[project]\nname = 'x'\n")  # no table: skipped
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "pyproject.toml"


def test_find_config_prefers_the_nearest_directory(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.promptlint]\n")
    write(tmp_path / "sub" / "pyproject.toml", "[tool.promptlint]\n")
    assert find_config(tmp_path / "sub") == tmp_path / "sub" / "pyproject.toml"


def test_find_config_starts_from_a_file_path_at_its_directory(tmp_path):
    write(tmp_path / "sub" / "promptlint.yaml", "select: [PL1]\n")
    target = write(tmp_path / "sub" / "app.py", "")
    assert find_config(target) == tmp_path / "sub" / "promptlint.yaml"


def test_promptlint_yaml_beats_pyproject_in_the_same_directory(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.promptlint]\n")
    write(tmp_path / "promptlint.yaml", "select: [PL1]\n")
    assert find_config(tmp_path) == tmp_path / "promptlint.yaml"


def test_no_config_means_none(tmp_path):
    assert find_config(tmp_path) is None


def test_broken_pyproject_with_our_table_is_an_error_not_skipped(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.promptlint]\nselect = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        find_config(tmp_path)


def test_broken_pyproject_without_our_table_is_skipped(tmp_path):
    write(tmp_path / "pyproject.toml", "[project\n")
    assert find_config(tmp_path) is None


# ---------------------------------------------------------------- keys -> Settings


FULL = """
[tool.promptlint]
select = ["PL1", "PL301"]
extend-select = ["PL000"]
ignore = ["PL104"]
exclude = ["legacy/"]
extend-exclude = ["gen_*.py"]
force-exclude = false
respect-gitignore = false
extra-markers = ["mycorp_llm"]
tokenizer = "o200k_base"
max-file-bytes = 1000
cache-dir = "cache"
jobs = 3
baseline = "base.json"
output-format = "json"

[tool.promptlint.per-file-ignores]
"tests/**" = ["PL3"]

[[tool.promptlint.wrappers]]
name = "myapp.llm.complete"
provider = "openai"
cap = false
task = "task_name"
cap-required = true

[tool.promptlint.rules.PL104]
min-cacheable-tokens = 1024

[tool.promptlint.prices]
"gpt-4.1" = { input = 2.0, output = 8.0 }

[tool.promptlint.traffic]
default-calls-per-day = 1000
"""


def test_every_key_reaches_settings(tmp_path):
    write(tmp_path / "pyproject.toml", FULL)
    s = load_settings(start=str(tmp_path))
    assert s.config_file == str(tmp_path / "pyproject.toml")
    assert s.root == str(tmp_path)
    assert s.select == ["PL1", "PL301", "PL000"]  # extend-select appended
    assert s.ignore == ["PL104"]
    assert s.exclude == ["legacy/"]  # replaces the defaults
    assert s.extend_exclude == ["gen_*.py"]
    assert s.force_exclude is False and s.respect_gitignore is False
    assert s.extra_markers == ["mycorp_llm"]
    assert s.tokenizer == "o200k_base"
    assert s.max_file_bytes == 1000 and s.jobs == 3
    assert s.cache_dir == str(tmp_path / "cache")  # relative to the config's directory
    assert s.baseline == str(tmp_path / "base.json")
    assert s.output_format == "json"
    assert s.per_file_ignores == {"tests/**": ["PL3"]}
    assert s.wrappers == [Wrapper(name="myapp.llm.complete", provider="openai", cap=None, task="task_name",
                                  cap_required=True)]
    assert s.rule_options["PL104"] == {"min-cacheable-tokens": 1024}
    assert rule_option(s, "PL104", "min-cacheable-tokens") == 1024
    assert s.rule_options["_prices"]["gpt-4.1"]["input"] == 2.0
    assert s.rule_options["_traffic"] == {"default-calls-per-day": 1000}


def test_yaml_config_has_the_same_keys(tmp_path):
    write(tmp_path / "promptlint.yaml",
          "select: [PL3]\nwrappers:\n  - name: llm.complete\n    system: null\nrules:\n  PL302: {ceiling: 2048}\n")
    s = load_settings(start=str(tmp_path))
    assert s.select == ["PL3"]
    assert s.wrappers[0].name == "llm.complete" and s.wrappers[0].system is None
    assert s.rule_options["PL302"] == {"ceiling": 2048}


def test_defaults_without_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.config_file is None
    assert s.root == str(tmp_path)
    assert s.select == ["PL"] and s.ignore == []
    assert s.exclude == DEFAULT_EXCLUDE
    assert {".git", ".venv", "node_modules", "site-packages", "__pycache__"} <= set(s.exclude)


def test_empty_yaml_file_means_defaults(tmp_path):
    write(tmp_path / "promptlint.yaml", "")
    assert load_settings(start=str(tmp_path)).select == ["PL"]


# ---------------------------------------------------------------- errors


def test_unknown_key_names_key_file_and_suggestion(tmp_path):
    path = write(tmp_path / "pyproject.toml", "[tool.promptlint]\nslect = ['PL1']\n")
    with pytest.raises(ConfigError) as err:
        load_settings(start=str(tmp_path))
    message = str(err.value)
    assert "'slect'" in message and str(path) in message and "did you mean 'select'" in message
    assert "\n" not in message


def test_snake_case_key_suggests_kebab_case(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.promptlint]\nper_file_ignores = {}\n")
    with pytest.raises(ConfigError, match="did you mean 'per-file-ignores'"):
        load_settings(start=str(tmp_path))


def test_unknown_wrapper_key_is_an_error(tmp_path):
    write(tmp_path / "promptlint.yaml", "wrappers:\n  - name: llm.complete\n    modle: m\n")
    with pytest.raises(ConfigError, match=r"unknown key 'modle' in wrappers\[0\].*did you mean 'model'"):
        load_settings(start=str(tmp_path))


def test_wrapper_without_name_is_an_error(tmp_path):
    write(tmp_path / "promptlint.yaml", "wrappers:\n  - provider: openai\n")
    with pytest.raises(ConfigError, match="needs a 'name'"):
        load_settings(start=str(tmp_path))


@pytest.mark.parametrize("line, key", [
    ("select = 'PL1'", "select"),
    ("jobs = 'four'", "jobs"),
    ("jobs = true", "jobs"),
    ("jobs = 0", "jobs"),
    ("max-file-bytes = -1", "max-file-bytes"),
    ("force-exclude = 'yes'", "force-exclude"),
    ("tokenizer = 5", "tokenizer"),
    ("rules = 3", "rules"),
    ("wrappers = {name = 'x'}", "wrappers"),
    ("exclude = [1, 2]", "exclude"),
])
def test_wrong_types_name_key_and_file(tmp_path, line, key):
    path = write(tmp_path / "pyproject.toml", f"[tool.promptlint]\n{line}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(start=str(tmp_path))
    assert f"'{key}'" in str(err.value) and str(path) in str(err.value)


def test_unknown_rule_code_in_select_is_an_error(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.promptlint]\nselect = ['PL999']\n")
    with pytest.raises(ConfigError, match="'PL999'"):
        load_settings(start=str(tmp_path))


def test_unknown_code_in_rules_table_is_an_error(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.promptlint.rules.PL998]\nx = 1\n")
    with pytest.raises(ConfigError, match="'PL998'"):
        load_settings(start=str(tmp_path))


def test_bad_output_format_in_config(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.promptlint]\noutput-format = 'xml'\n")
    with pytest.raises(ConfigError, match="output-format"):
        load_settings(start=str(tmp_path))


def test_invalid_yaml_is_one_line(tmp_path):
    write(tmp_path / "promptlint.yaml", "select: [PL1\n")
    with pytest.raises(ConfigError) as err:
        load_settings(start=str(tmp_path))
    assert "invalid YAML" in str(err.value) and "\n" not in str(err.value)


def test_yaml_top_level_must_be_a_mapping(tmp_path):
    write(tmp_path / "promptlint.yaml", "- PL1\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(start=str(tmp_path))


# ---------------------------------------------------------------- --config / --isolated


def test_explicit_config_file_overrides_discovery(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.promptlint]\nselect = ['PL1']\n")
    other = write(tmp_path / "elsewhere" / "promptlint.toml", "select = ['PL3']\n")
    s = load_settings(config_file=str(other), start=str(tmp_path))
    assert s.select == ["PL3"] and s.root == str(other.parent)


def test_explicit_pyproject_without_table_means_defaults(tmp_path):
    path = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    assert load_settings(config_file=str(path)).select == ["PL"]


def test_missing_explicit_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(config_file=str(tmp_path / "nope.toml"))


def test_unsupported_config_extension(tmp_path):
    path = write(tmp_path / "promptlint.ini", "[x]\n")
    with pytest.raises(ConfigError, match="unsupported"):
        read_config_table(path)


def test_isolated_ignores_a_broken_config(tmp_path, monkeypatch):
    write(tmp_path / "pyproject.toml", "[tool.promptlint]\nbogus = 1\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError):
        load_settings()
    s = load_settings(isolated=True)
    assert s.config_file is None and s.select == ["PL"]


def test_config_and_isolated_together_is_an_error(tmp_path):
    path = write(tmp_path / "pyproject.toml", "[tool.promptlint]\n")
    with pytest.raises(ConfigError, match="--isolated"):
        load_settings(config_file=str(path), isolated=True)


# ---------------------------------------------------------------- CLI overrides


def test_cli_select_replaces_config_select_and_extend_select(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.promptlint]\nselect = ['PL1']\nextend-select = ['PL3']\n")
    s = load_settings(start=str(tmp_path), overrides=Overrides(select=["PL000"], extend_select=["PL301"]))
    assert s.select == ["PL000", "PL301"]


def test_cli_ignores_add_to_config_ignores_and_specific_select_wins(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.promptlint]\nignore = ['PL1']\n")
    s = load_settings(start=str(tmp_path), overrides=Overrides(ignore=["PL301"], extend_select=["PL101"]))
    assert s.ignore == ["PL1", "PL301"]
    assert is_selected("PL101", s.select, s.ignore)  # PL101 is more specific than PL1
    assert not is_selected("PL102", s.select, s.ignore)
    assert not is_selected("PL301", s.select, s.ignore)


def test_cli_codes_are_validated_and_all_means_everything(tmp_path):
    with pytest.raises(ConfigError, match="--ignore.*'PLX1'"):
        load_settings(isolated=True, overrides=Overrides(ignore=["PLX1"]))
    assert load_settings(isolated=True, overrides=Overrides(select=["all"])).select == ["PL"]


def test_cli_flags_for_cache_jobs_format_and_excludes(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.promptlint]\njobs = 2\nforce-exclude = true\n")
    s = load_settings(start=str(tmp_path), overrides=Overrides(
        jobs=5, output_format="sarif", exclude=["x/"], force_exclude=False, cache_dir="c"))
    assert s.jobs == 5 and s.output_format == "sarif" and s.extend_exclude == ["x/"]
    assert s.force_exclude is False and s.cache_dir == os.path.abspath("c")
    assert load_settings(start=str(tmp_path), overrides=Overrides(no_cache=True)).cache_dir is None
    with pytest.raises(ConfigError, match="--jobs"):
        load_settings(start=str(tmp_path), overrides=Overrides(jobs=0))
    with pytest.raises(ConfigError, match="--output-format"):
        load_settings(start=str(tmp_path), overrides=Overrides(output_format="xml"))


def test_default_cache_dir_is_under_the_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings(isolated=True).cache_dir == str(tmp_path / ".promptlint_cache")


def test_parse_code_list_splits_commas_and_uppercases():
    assert parse_code_list(["pl101, PL3", "PL000,"]) == ["PL101", "PL3", "PL000"]
    assert parse_code_list(None) == []
