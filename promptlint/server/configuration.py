"""Settings for each file the server lints: the configuration the CLI would find for it
(`promptlint.yaml` / `pyproject.toml` at or above the file, config.py), with the
client's settings on top.

Client settings (initializationOptions, or workspace/configuration section
"promptlint"), all optional:

    {"select": ["PL1", "PL301"], "ignore": ["PL2"], "configFile": "path/to/promptlint.yaml"}

They act as the CLI flags `--select`, `--ignore` and `--config` do. A bad
configuration never stops the server: the error is reported to the client once
and the file is linted with the defaults (plus the client's selection when that
is valid).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from promptlint.errors import UsageError
from promptlint.settings import Settings


@dataclass(slots=True)
class ClientSettings:
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    config_file: str | None = None

    @classmethod
    def from_json(cls, value, root: str | None = None) -> "ClientSettings":
        """From the client's JSON: the keys above, at the top, or under "settings" or "promptlint"."""
        if not isinstance(value, dict):
            return cls()
        for key in ("promptlint", "settings"):
            if isinstance(value.get(key), dict):
                value = value[key]
        select = value.get("select")
        ignore = value.get("ignore")
        config_file = value.get("configFile") or value.get("config")
        if isinstance(config_file, str) and config_file and root and not os.path.isabs(config_file):
            config_file = os.path.join(root, os.path.expanduser(config_file))
        return cls(
            select=[str(s) for s in select] if isinstance(select, list) else None,
            ignore=[str(s) for s in ignore] if isinstance(ignore, list) else [],
            config_file=config_file if isinstance(config_file, str) and config_file else None,
        )


class SettingsStore:
    """Resolved Settings per configuration file, read once and dropped when a config
    file or the client settings change (`clear`)."""

    def __init__(self, report_error) -> None:
        self.client = ClientSettings()
        self.report_error = report_error  # report_error(message): shown to the user once per message
        self._by_config: dict[str | None, Settings] = {}
        self._config_of_dir: dict[str, str | None] = {}
        self._reported: set[str] = set()

    def clear(self) -> None:
        self._by_config.clear()
        self._config_of_dir.clear()

    def for_path(self, path: str) -> Settings:
        from promptlint.config import find_config

        directory = os.path.dirname(os.path.abspath(path))
        if self.client.config_file:
            config = os.path.abspath(self.client.config_file)
        else:
            if directory not in self._config_of_dir:
                try:
                    found = find_config(directory)
                except UsageError as exc:
                    self._error(str(exc))
                    found = None
                self._config_of_dir[directory] = str(found) if found else None
            config = self._config_of_dir[directory]
        if config not in self._by_config:
            self._by_config[config] = self._load(config, directory)
        return self._by_config[config]

    def _load(self, config: str | None, directory: str) -> Settings:
        from promptlint import config as cfg

        overrides = cfg.Overrides(select=cfg.parse_code_list(self.client.select) if self.client.select else None,
                                  ignore=cfg.parse_code_list(self.client.ignore), no_cache=True)
        plain = cfg.Overrides(no_cache=True)
        # Each failure is told once; the next attempt drops the client settings, then the config file.
        attempts = [(config, overrides), (config, plain)] if config else []
        attempts += [(None, overrides), (None, plain)]
        settings = None
        for config_file, given in attempts:
            try:
                settings = cfg.load_settings(config_file=config_file, isolated=config_file is None, overrides=given)
                break
            except UsageError as exc:
                self._error(f"{exc} (linting {'without the client settings' if given is overrides else 'with the defaults'})")
        if settings is None:
            settings = Settings(root=directory)
        settings.rule_options["_task-tags"] = "all"  # every call's task, for the hover (as `inventory` does)
        if config is None:
            settings.root = directory  # per-file-ignores have no config to be relative to
        _resolve_tokenizer(settings)
        return settings

    def _error(self, message: str) -> None:
        if message not in self._reported:
            self._reported.add(message)
            self.report_error(message)


def _resolve_tokenizer(settings: Settings) -> None:
    """An encoding that is not bundled falls back to the default once (as the CLI does)."""
    from promptlint.cost.estimate import DEFAULT_ENCODING, resolve_tokenizer

    if settings.tokenizer != DEFAULT_ENCODING:
        settings.tokenizer = resolve_tokenizer(settings.tokenizer)
