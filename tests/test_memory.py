"""A worker analyses thousands of files: nothing of one file may outlive its result."""

from __future__ import annotations

import gc
import pickle
from pathlib import Path

import libcst as cst

from promptlint import engine
from promptlint.analysis import project
from promptlint.analysis import walk
from promptlint.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "fixtures").rglob("*.py"))


def _lint_all(settings):
    return [engine.lint_source(str(p.relative_to(ROOT)), p.read_bytes(), settings) for p in FILES]


def test_syntax_trees_are_freed_without_the_garbage_collector(monkeypatch):
    """No reference cycle may hold a file's tree: with the raised collector thresholds
    (promptlint.tune_gc) a cycle would keep every tree of a worker alive for a long time."""
    # id -> parsed source: libcst nodes take no weak references. The source tells a tree that
    # outlived its file from a new Module that merely reuses a freed tree's id (parsing is lossless).
    trees: dict[int, str | bytes] = {}
    real = cst.parse_module

    def parse(source, *args, **kwargs):
        module = real(source, *args, **kwargs)
        trees[id(module)] = source
        return module

    def is_tracked_tree(o) -> bool:
        source = trees.get(id(o))
        return source is not None and (o.code if isinstance(source, str) else o.bytes) == source

    monkeypatch.setattr(cst, "parse_module", parse)
    settings = load_settings(isolated=True)
    gc.collect()
    gc.disable()
    try:
        results = _lint_all(settings)
        assert any(r.findings for r in results) and len(trees) > 10
        sent = pickle.dumps(results)  # what a worker sends back: spans resolved, no nodes
        del results
        project._analysed_at.cache_clear()  # sibling modules are kept on purpose, a few at a time
        # With the collector off, a tree caught in a cycle is still listed here.
        alive = [o for o in gc.get_objects() if isinstance(o, cst.Module) and is_tracked_tree(o)]
        assert alive == []
    finally:
        gc.enable()
    assert pickle.loads(sent)


def test_visitor_hook_cache_stops_growing():
    """walk.py caches hooks per visitor class: a visitor class created per call would grow it for ever."""
    settings = load_settings(isolated=True)
    _lint_all(settings)
    size = sum(map(len, walk._plans.values()))
    _lint_all(settings)
    assert sum(map(len, walk._plans.values())) == size
