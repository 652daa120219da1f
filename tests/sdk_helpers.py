"""Shared by the tests/test_sdk_*.py modules: analyse a snippet, list its call sites and findings."""

import textwrap

from promptlint.engine import lint_source
from promptlint.settings import Settings


def analyse(code: str, path: str = "app.py"):
    result = lint_source(path, textwrap.dedent(code).encode(), Settings())
    assert not result.errors, result.errors
    return result


def sites(code: str):
    return analyse(code).callsites


def one(code: str):
    found = sites(code)
    assert len(found) == 1, [(s.callee, s.span.line) for s in found]
    return found[0]


def codes(code: str, rule: str) -> list[int]:
    """Lines of the findings of one rule."""
    return sorted(f.span.line for f in analyse(code).findings if f.code == rule)
