"""project_index.index_file reads each function's calls from the function's own lines, numbered
as `ast` numbers them: only line feeds and carriage returns end a line there, while str.splitlines
also breaks at a form feed, a vertical tab or U+2028 (which Python allows in code and strings)."""

from __future__ import annotations

import pytest

from promptlint.project_index import index_file

FORM_FEEDS = ("\f",)


@pytest.mark.parametrize("breaker", ["\f", "\v", "\u2028", "\x1c", "\x85"])
def test_calls_stay_with_their_function_after_a_character_splitlines_breaks_at(breaker):
    alone = breaker if breaker in FORM_FEEDS else ""  # whitespace Python allows alone on a line
    source = (
        "def first():\n"
        f"    note = 'page one{breaker}page two'\n"  # inside a string: still one line for `ast`
        "    return helper_one()\n"
        "\n"
        f"{alone}\n"
        "def second(messages):\n"
        "    return client.chat.completions.create(model='gpt-4o', messages=messages)\n"
    ).encode("utf-8")
    entry = index_file("app/llm.py", source)
    calls = {f["name"]: f["calls"] for f in entry["functions"]}
    assert calls["first"] == ["helper_one"]
    assert calls["second"] == ["client.chat.completions.create"]


def test_carriage_returns_end_lines_as_for_ast():
    source = b"def first():\r    return helper_one()\r\rdef second():\r\n    return helper_two()\r\n"
    calls = {f["name"]: f["calls"] for f in index_file("app/llm.py", source)["functions"]}
    assert calls == {"first": ["helper_one"], "second": ["helper_two"]}
