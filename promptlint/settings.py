"""Resolved settings: what the engine needs to analyse one file.

`config.py` builds a Settings from pyproject.toml / promptlint.yaml and CLI flags;
the engine only reads it. It is plain data so it can be pickled to worker
processes and hashed into cache keys.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(slots=True)
class Wrapper:
    """A user-declared function that sends an LLM request (configuration `wrappers`).

    name: dotted name as imported (`myapp.llm.complete`) or as written at the
    call (`llm.complete`). The other fields name the keyword arguments that
    carry each part; `prompt` is the positional/keyword carrying a single
    prompt string, `messages` a message list.
    """

    name: str
    provider: str = "custom"
    model: str | None = "model"
    system: str | None = "system"
    messages: str | None = "messages"
    prompt: str | None = "prompt"
    cap: str | None = "max_tokens"
    task: str | None = "task"
    cap_required: bool = False


@dataclass(slots=True)
class Settings:
    select: list[str] = field(default_factory=lambda: ["PL"])
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    extend_exclude: list[str] = field(default_factory=list)
    force_exclude: bool = True
    respect_gitignore: bool = True
    wrappers: list[Wrapper] = field(default_factory=list)
    # Extra byte markers for the pre-check (the catalog supplies the SDK ones).
    extra_markers: list[str] = field(default_factory=list)
    # Per-rule options, keyed by code: {"PL104": {"min-cacheable-tokens": 1024}}.
    rule_options: dict[str, dict] = field(default_factory=dict)
    tokenizer: str = "cl100k_base"
    max_file_bytes: int = 2_000_000
    cache_dir: str | None = None  # the CLI sets `.promptlint_cache` beside the config
    jobs: int | None = None
    baseline: str | None = None
    output_format: str = "concise"
    # Directory that relative paths in output are computed against.
    root: str = "."
    # The config file these settings came from (None: defaults / --isolated).
    config_file: str | None = None
    # The project's own functions that send an LLM request, inferred by the project index
    # (project_index.py) at the start of a run: (last name, path, qualname, target path,
    # target qualname). False: whole-program analysis off (set by the engine, not by config).
    project_wrappers: tuple = ()
    whole_program: bool = True

    def analysis_hash(self) -> str:
        """Hash of everything that changes per-file analysis results (for the cache)."""
        relevant = {
            "wrappers": [asdict(w) for w in self.wrappers],
            "extra_markers": sorted(self.extra_markers),
            "rule_options": self.rule_options,
            "tokenizer": self.tokenizer,
            "max_file_bytes": self.max_file_bytes,
        }
        if self.project_wrappers:  # adding or removing a wrapper re-analyses every file
            relevant["project_wrappers"] = [list(row) for row in self.project_wrappers]
        blob = json.dumps(relevant, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]
