"""Find, read and validate configuration; merge it with CLI flags into a Settings.

Discovery: starting at a directory (the first checked path, else the current
directory) walk upwards; the first directory holding a `promptlint.yaml`, or a
`pyproject.toml` with a `[tool.promptlint]` table, wins. In one directory
`promptlint.yaml` beats `pyproject.toml` (it exists only to configure us).
`--config FILE` names the file instead; `--isolated` uses defaults only.

Paths: `Settings.root` is the absolute directory holding the config file (the
current directory when there is none). Patterns in `exclude`, `extend-exclude`
and `per-file-ignores`, and the `cache-dir` and `baseline` paths, are relative
to that root, so a config means the same thing wherever you run from. Paths in
*output* are relative to the current directory instead (as Ruff does), so they
are clickable in the terminal you ran the command in.

Precedence: CLI flags, then the config file, then defaults. Rule selection:
`--select` replaces the config's `select` and `extend-select`; `--extend-select`
adds; ignores from config and CLI add up. The longest matching prefix wins
(see checks.is_selected), so `--select PL101` beats a configured `ignore = ["PL1"]`.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from promptlint.errors import ConfigError
from promptlint.settings import Settings, Wrapper

__all__ = [
    "ConfigError",
    "DEFAULT_EXCLUDE",
    "OUTPUT_FORMATS",
    "Overrides",
    "find_config",
    "load_settings",
    "parse_code_list",
    "read_config_table",
    "settings_from_table",
    "validate_selectors",
]

OUTPUT_FORMATS = ("concise", "full", "json", "json-lines", "github", "sarif", "gitlab", "junit")

# Directories (or files) never analysed unless `exclude` is overridden.
DEFAULT_EXCLUDE = [
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "build",
    "dist",
    "__pycache__",
    "site-packages",
    ".promptlint_cache",
    ".tox",
    ".mypy_cache",
    ".ipynb_checkpoints",  # Jupyter's autosaved copies of notebooks
]

# Valid keys (kebab-case, as written in files) -> the type they must have.
_LIST = "list of strings"
_KEYS: dict[str, str] = {
    "select": _LIST,
    "extend-select": _LIST,
    "ignore": _LIST,
    "per-file-ignores": "table",
    "exclude": _LIST,
    "extend-exclude": _LIST,
    "force-exclude": "boolean",
    "respect-gitignore": "boolean",
    "whole-program": "boolean",
    "wrappers": "list of tables",
    "extra-markers": _LIST,
    "tokenizer": "string",
    "max-file-bytes": "positive integer",
    "cache-dir": "string",
    "jobs": "positive integer",
    "baseline": "string",
    "output-format": "string",
    "rules": "table",
    "prices": "table",
    "traffic": "table",
}

_WRAPPER_KEYS = {
    "name": "string",
    "provider": "string",
    "model": "string or null",
    "system": "string or null",
    "messages": "string or null",
    "prompt": "string or null",
    "cap": "string or null",
    "task": "string or null",
    "cap-required": "boolean",
}

_SELECTOR = re.compile(r"^PL\d{0,3}$")


@dataclass(slots=True)
class Overrides:
    """Settings given on the command line; None / empty means "not given"."""

    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    # Added to the configured excludes (not replacing the defaults: safer).
    exclude: list[str] = field(default_factory=list)
    force_exclude: bool | None = None
    no_cache: bool = False
    cache_dir: str | None = None
    jobs: int | None = None
    output_format: str | None = None
    baseline: str | None = None  # --baseline FILE (relative to the current directory)


# ---------------------------------------------------------------- discovery


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = _load_toml(pyproject)
    except ConfigError:
        # A broken pyproject that may be ours: report it rather than skip it.
        if b"[tool.promptlint" in pyproject.read_bytes():
            raise
        return False
    return isinstance(data.get("tool"), dict) and "promptlint" in data["tool"]


def find_config(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest config file at or above `start` (a file or directory), or None."""
    here = Path(os.path.abspath(start or os.getcwd()))
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        yaml_file = directory / "promptlint.yaml"
        if yaml_file.is_file():
            return yaml_file
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


# ---------------------------------------------------------------- reading


def _load_toml(path: Path) -> dict:
    import tomllib

    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None


def _load_yaml(path: Path) -> dict:
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "parse error"
        raise ConfigError(f"{path}: invalid YAML: {first}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of settings")
    return data


def read_config_table(path: str | os.PathLike) -> dict:
    """The promptlint table of a config file: `[tool.promptlint]` of a pyproject.toml,
    the whole file for any other .toml or .yaml/.yml. A pyproject without the table
    gives {} (defaults)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    suffix = path.suffix.lower()
    if path.name == "pyproject.toml":
        table = _load_toml(path).get("tool", {}).get("promptlint", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.promptlint] must be a table")
        return table
    if suffix == ".toml":
        return _load_toml(path)
    if suffix in (".yaml", ".yml"):
        return _load_yaml(path)
    raise ConfigError(f"{path}: unsupported config file type (use pyproject.toml, .toml or .yaml)")


# ---------------------------------------------------------------- validation


def _suggest(key: str, valid) -> str:
    close = difflib.get_close_matches(key, sorted(valid), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _type_error(key: str, where: str, expected: str, value) -> ConfigError:
    return ConfigError(f"{where}: '{key}' must be a {expected}, got {type(value).__name__}")


def _str_list(key: str, value, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _type_error(key, where, _LIST, value)
    return list(value)


def _positive_int(key: str, value, where: str) -> int:
    # bool is an int subclass in Python; `jobs = true` is still a mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(key, where, "positive integer", value)
    if value < 1:
        raise ConfigError(f"{where}: '{key}' must be a positive integer, got {value}")
    return value


def known_codes() -> list[str]:
    """Every rule code this installation knows (each has its document under rules/)."""
    from promptlint.checks import all_codes

    return all_codes()


def parse_code_list(values) -> list[str]:
    """Split CLI-style comma lists (`PL101,PL3`) and upper-case them; drop empties."""
    out: list[str] = []
    for value in values or []:
        out += [part.strip().upper() for part in str(value).split(",") if part.strip()]
    return out


def validate_selectors(selectors: list[str], where: str) -> list[str]:
    """Upper-case rule codes or prefixes; `ALL` means `PL`. Unknown ones are an error."""
    codes = None
    out = []
    for raw in selectors:
        sel = raw.strip().upper()
        if sel == "ALL":
            sel = "PL"
        codes = codes if codes is not None else known_codes()
        if not _SELECTOR.match(sel) or not any(code.startswith(sel) for code in codes):
            raise ConfigError(f"{where}: unknown rule code or prefix '{raw}'{_suggest(sel, codes)}")
        out.append(sel)
    return out


def _wrapper(index: int, raw, where: str) -> Wrapper:
    label = f"wrappers[{index}]"
    if not isinstance(raw, dict):
        raise _type_error(label, where, "table", raw)
    kwargs = {}
    for key, value in raw.items():
        if key not in _WRAPPER_KEYS:
            raise ConfigError(f"{where}: unknown key '{key}' in {label}{_suggest(key, _WRAPPER_KEYS)}")
        expected = _WRAPPER_KEYS[key]
        if expected == "boolean" and not isinstance(value, bool):
            raise _type_error(f"{label}.{key}", where, expected, value)
        if expected == "string" and not isinstance(value, str):
            raise _type_error(f"{label}.{key}", where, expected, value)
        if expected == "string or null":
            if value is False:  # TOML has no null: `cap = false` means "none"
                value = None
            if value is not None and not isinstance(value, str):
                raise _type_error(f"{label}.{key}", where, expected, value)
        kwargs[key.replace("-", "_")] = value
    if not kwargs.get("name"):
        raise ConfigError(f"{where}: {label} needs a 'name'")
    return Wrapper(**kwargs)


def _rules_table(value, where: str) -> dict[str, dict]:
    if not isinstance(value, dict):
        raise _type_error("rules", where, "table", value)
    codes = known_codes()
    out = {}
    for code, options in value.items():
        if str(code).upper() not in codes:
            raise ConfigError(f"{where}: unknown rule code '{code}' in 'rules'{_suggest(str(code).upper(), codes)}")
        if not isinstance(options, dict):
            raise _type_error(f"rules.{code}", where, "table", options)
        out[str(code).upper()] = _rule_options(str(code).upper(), options, where)
    return out


def _rule_options(code: str, options: dict, where: str) -> dict:
    """A rule's options checked against what its document declares (name, type, range)."""
    from promptlint.ruledocs import rule_meta

    declared = rule_meta(code).parameters
    for key, value in options.items():
        if key not in declared:
            if not declared:
                raise ConfigError(f"{where}: unknown option '{key}' in rules.{code}: {code} has no options")
            hint = _suggest(str(key), declared) or _suggest(str(key).replace("_", "-"), declared)
            raise ConfigError(f"{where}: unknown option '{key}' in rules.{code} (its options: "
                              f"{', '.join(declared)}){hint}")
        problem = declared[key].problem(value)
        if problem:
            raise ConfigError(f"{where}: rules.{code}.{key} {problem}")
    return dict(options)


PRICE_KEYS = ("input", "cache-read", "output")


def _price_tables(value: dict, where: str) -> dict:
    """[tool.promptlint.prices."<model or pattern>"]: input / cache-read / output, USD per million
    tokens (cache_read is accepted for cache-read)."""
    for pattern, entry in value.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: prices.{pattern} must be a table with {' / '.join(PRICE_KEYS)} "
                              f"(USD per million tokens), got {type(entry).__name__}")
        for key, price in entry.items():
            if str(key).replace("_", "-") not in PRICE_KEYS:
                hint = _suggest(str(key).replace("_", "-"), PRICE_KEYS)
                raise ConfigError(f"{where}: unknown key '{key}' in prices.{pattern} (keys: "
                                  f"{', '.join(PRICE_KEYS)}){hint}")
            if isinstance(price, bool) or not isinstance(price, (int, float)) or price < 0:
                raise ConfigError(f"{where}: prices.{pattern}.{key} must be a number of USD per million "
                                  f"tokens (0 or more), got {price!r}")
    return dict(value)


def _resolve(root: str, path: str) -> str:
    return os.path.normpath(os.path.join(root, os.path.expanduser(path)))


def settings_from_table(table: dict, where: str, root: str) -> tuple[Settings, list[str]]:
    """Validate one config table; returns Settings and the extend-select list.

    `where` names the source in error messages; `root` anchors relative paths.
    """
    settings = Settings(root=root, exclude=list(DEFAULT_EXCLUDE))
    extend_select: list[str] = []
    for key, value in table.items():
        if key not in _KEYS:
            hint = _suggest(key, _KEYS) or _suggest(key.replace("_", "-"), _KEYS)
            raise ConfigError(f"{where}: unknown key '{key}'{hint}")
        expected = _KEYS[key]
        attr = key.replace("-", "_")
        if expected == _LIST:
            items = _str_list(key, value, where)
            if key in ("select", "extend-select", "ignore"):
                items = validate_selectors(items, f"{where}: '{key}'")
            if key == "extend-select":
                extend_select = items
            else:
                setattr(settings, attr, items)
        elif expected == "boolean":
            if not isinstance(value, bool):
                raise _type_error(key, where, expected, value)
            setattr(settings, attr, value)
        elif expected == "string":
            if not isinstance(value, str):
                raise _type_error(key, where, expected, value)
            setattr(settings, attr, value)
        elif expected == "positive integer":
            setattr(settings, attr, _positive_int(key, value, where))
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise _type_error(key, where, "table of glob -> list of codes", value)
            settings.per_file_ignores = {
                str(glob): validate_selectors(_str_list(f"per-file-ignores.{glob}", codes, where),
                                              f"{where}: 'per-file-ignores'")
                for glob, codes in value.items()
            }
        elif key == "wrappers":
            if not isinstance(value, list):
                raise _type_error(key, where, expected, value)
            settings.wrappers = [_wrapper(i, w, where) for i, w in enumerate(value)]
        elif key == "rules":
            settings.rule_options.update(_rules_table(value, where))
        elif key in ("prices", "traffic"):
            if not isinstance(value, dict):
                raise _type_error(key, where, "table", value)
            # Stored with the rule options so they feed Settings.analysis_hash (cache keys).
            settings.rule_options[f"_{key}"] = _price_tables(value, where) if key == "prices" else dict(value)
    if settings.output_format not in OUTPUT_FORMATS:
        raise ConfigError(f"{where}: 'output-format' must be one of {', '.join(OUTPUT_FORMATS)}, "
                          f"got '{settings.output_format}'")
    # Paths in a config file are relative to the config's directory.
    if "cache-dir" in table:
        settings.cache_dir = _resolve(root, settings.cache_dir)
    if settings.baseline:
        settings.baseline = _resolve(root, settings.baseline)
    return settings, extend_select


# ---------------------------------------------------------------- merging

DEFAULT_CACHE_DIR = ".promptlint_cache"


def load_settings(*, config_file: str | None = None, isolated: bool = False,
                  start: str | None = None, overrides: Overrides | None = None) -> Settings:
    """Resolve the Settings for a run: discover or read config, then apply CLI flags."""
    overrides = overrides or Overrides()
    if config_file and isolated:
        raise ConfigError("--config and --isolated cannot be used together")
    path = None
    if config_file:
        path = Path(os.path.abspath(config_file))
    elif not isolated:
        path = find_config(start)
    if path is not None:
        table = read_config_table(path)
        settings, extend_select = settings_from_table(table, str(path), str(path.parent))
        settings.config_file = str(path)
    else:
        settings, extend_select = Settings(root=os.getcwd(), exclude=list(DEFAULT_EXCLUDE)), []

    # Rule selection: CLI --select starts over; extend-select adds to whichever select wins.
    if overrides.select is not None:
        settings.select = validate_selectors(overrides.select, "--select")
    else:
        settings.select = [*settings.select, *extend_select]
    settings.select += validate_selectors(overrides.extend_select, "--extend-select")
    settings.ignore = [*settings.ignore, *validate_selectors(overrides.ignore, "--ignore")]

    settings.extend_exclude = [*settings.extend_exclude, *overrides.exclude]
    if overrides.force_exclude is not None:
        settings.force_exclude = overrides.force_exclude
    if overrides.cache_dir is not None:
        settings.cache_dir = os.path.abspath(overrides.cache_dir)
    else:  # the library default is no cache; the command line caches beside the config
        settings.cache_dir = _resolve(settings.root, settings.cache_dir or DEFAULT_CACHE_DIR)
    if overrides.no_cache:
        settings.cache_dir = None
    if overrides.jobs is not None:
        if overrides.jobs < 1:
            raise ConfigError(f"--jobs must be a positive integer, got {overrides.jobs}")
        settings.jobs = overrides.jobs
    if overrides.output_format is not None:
        if overrides.output_format not in OUTPUT_FORMATS:
            raise ConfigError(f"--output-format must be one of {', '.join(OUTPUT_FORMATS)}, "
                              f"got '{overrides.output_format}'")
        settings.output_format = overrides.output_format
    if overrides.baseline is not None:
        settings.baseline = os.path.abspath(overrides.baseline)
    return settings


# ---------------------------------------------------------------- promptlint init

_INIT_COMMENTS = {
    "select": "Rules to run: codes or prefixes (\"PL3\", \"PL301\"); \"PL\" is every rule.",
    "extend-select": "Added to `select` (and to `--select` on the command line).",
    "ignore": "Rules to skip. Between select and ignore, the longest matching prefix wins.",
    "exclude": "Never linted, even when passed explicitly. Setting this replaces the defaults; prefer extend-exclude.",
    "extend-exclude": "Added to `exclude`: globs relative to this file, e.g. \"legacy/**\".",
    "force-exclude": "Apply excludes to paths passed explicitly too (pre-commit); --no-force-exclude turns it off.",
    "respect-gitignore": "Skip files that .gitignore ignores.",
    "whole-program": "Follow calls of the project's own functions that send an LLM request (wrapper sites); false checks each file alone, faster on cold runs.",
    "extra-markers": "Extra words that make the pre-check parse a file (for SDKs reached through your own modules).",
    "tokenizer": "tiktoken encoding for token estimates.",
    "max-file-bytes": "Larger files are skipped (files over 500 KB are split by their text first: raising this is cheap).",
    "cache-dir": "Cache of per-file results, relative to this file (--no-cache skips it).",
    "output-format": "concise | full | json | json-lines | github | sarif | gitlab | junit",
}

_INIT_TAIL = '''\
# Worker processes (default: one per CPU).
# jobs = 4
# Fail only on findings not recorded in this file (docs/baseline.md); create it with
# `promptlint check --write-baseline .promptlint-baseline.json`.
# baseline = ".promptlint-baseline.json"

# Rules to skip in some files: glob (relative to this file) -> codes or prefixes.
[tool.promptlint.per-file-ignores]
# "tests/**" = ["PL2"]
# "scripts/*.py" = ["PL601"]

# Your own functions that send an LLM request, so their call sites are checked:
# [[tool.promptlint.wrappers]]
# name = "myapp.llm.complete"   # dotted name as imported, or as written at the call
# provider = "openai"
# model = "model"               # the keyword carrying each part of the request
# system = "system"
# messages = "messages"
# prompt = "prompt"
# cap = "max_tokens"
# task = "task"
# cap-required = false

# Calls per day, by task tag (`default` for every other call site), to turn waste
# per call into a monthly figure:
# [tool.promptlint.traffic]
# default = 20000
# answer-question = 5000

# Price overrides in USD per million tokens (model id or fnmatch pattern):
# [tool.promptlint.prices."acme-*"]
# input = 0.2
# output = 0.6
'''


def _toml_value(value) -> str:
    import json

    return json.dumps(value)  # booleans, integers, strings and string lists are the same in TOML


def _rule_option_examples() -> list[tuple[str, str]]:
    """(code, TOML text) of the examples in each rule document's `options` section."""
    try:
        from promptlint.ruledocs import load_all

        docs = load_all()
    except Exception:  # the starter config must not depend on the documents being installed
        return []
    out = []
    for code, doc in sorted(docs.items()):
        blocks = re.findall(r"```toml\n(.*?)```", doc.sections.get("options", ""), re.S)
        for block in blocks:
            if f"[tool.promptlint.rules.{code}]" in block:
                out.append((code, block.strip()))
    return out


def starter_config() -> str:
    """The `[tool.promptlint]` section `promptlint init` writes: every option at its
    default with a comment; per-rule options, wrappers, traffic and prices commented out."""
    defaults = Settings()
    values = {
        "select": defaults.select, "extend-select": [], "ignore": defaults.ignore,
        "exclude": list(DEFAULT_EXCLUDE), "extend-exclude": defaults.extend_exclude,
        "force-exclude": defaults.force_exclude, "respect-gitignore": defaults.respect_gitignore,
        "whole-program": defaults.whole_program,
        "extra-markers": defaults.extra_markers, "tokenizer": defaults.tokenizer,
        "max-file-bytes": defaults.max_file_bytes, "cache-dir": DEFAULT_CACHE_DIR,
        "output-format": defaults.output_format,
    }
    lines = ["[tool.promptlint]",
             "# promptlint settings, every one at its default; see `promptlint rule CODE` for each rule."]
    for key, value in values.items():
        lines += [f"# {_INIT_COMMENTS[key]}", f"{key} = {_toml_value(value)}"]
    text = "\n".join(lines) + "\n" + _INIT_TAIL
    examples = _rule_option_examples()
    if examples:
        text += "\n# Per-rule options (examples from the rule documents; defaults in `promptlint rule CODE`):\n"
        for _code, block in examples:
            text += "".join(f"# {line}".rstrip() + "\n" for line in block.splitlines()) + "#\n"
        text = text.rstrip("#\n") + "\n"
    return text
