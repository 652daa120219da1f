"""Suppression comments and per-file ignores (promptlint/state/suppress.py)."""

import pytest

from promptlint.model import Finding, Span
from promptlint.state.suppress import apply, directives, per_file_ignored, per_file_ignored_codes

KNOWN = ["PL000", "PL101", "PL102", "PL104", "PL301", "PL401"]


def finding(code="PL101", line=1, lines=None, path="app.py"):
    return Finding(code=code, name="x", message="m", severity="error", path=path,
                   span=Span(line, 1, line, 5), suppress_lines=lines)


def parse(text, **kw):
    return directives(text, known_codes=KNOWN, **kw)


def test_promptlint_disable_on_the_line():
    d = parse("x = call()  # promptlint: disable=PL101\ny = call()\n")
    assert d.suppresses(finding("PL101", 1))
    assert not d.suppresses(finding("PL104", 1))  # another code
    assert not d.suppresses(finding("PL101", 2))  # another line
    assert d.warnings == []


def test_comma_list_with_free_text_and_spaces():
    d = parse("x = 1  # promptlint: disable=PL101, PL104 the date is wanted here\n")
    assert d.suppresses(finding("PL101")) and d.suppresses(finding("PL104"))
    assert not d.suppresses(finding("PL301"))
    assert d.warnings == []


def test_noqa_with_codes_and_bare_noqa():
    d = parse("a = 1  # noqa: PL301\nb = 2  # noqa\nc = 3  # noqa:PL101,PL104\n")
    assert d.suppresses(finding("PL301", 1)) and not d.suppresses(finding("PL101", 1))
    assert d.suppresses(finding("PL101", 2)) and d.suppresses(finding("PL000", 2))  # bare: everything
    assert d.suppresses(finding("PL104", 3))


def test_matching_is_case_insensitive():
    d = parse("a = 1  # NOQA: pl301\nb = 2  # PromptLint: DISABLE=pl101\n")
    assert d.suppresses(finding("PL301", 1)) and d.suppresses(finding("PL101", 2))


def test_prefix_codes():
    d = parse("a = 1  # promptlint: disable=PL1\n")
    assert d.suppresses(finding("PL101")) and d.suppresses(finding("PL104"))
    assert not d.suppresses(finding("PL301"))


def test_other_tools_noqa_codes_are_not_ours_and_not_warned_about():
    d = parse("a = 1  # noqa: E501, PLR0913\n")
    assert not d.suppresses(finding("PL101")) and d.warnings == []


def test_mixed_noqa_keeps_our_codes():
    d = parse("a = 1  # noqa: E501, PL101\n")
    assert d.suppresses(finding("PL101")) and not d.suppresses(finding("PL104"))


def test_two_directives_in_one_comment():
    d = parse("a = 1  # noqa: E501  # promptlint: disable=PL104\n")
    assert d.suppresses(finding("PL104"))


def test_hash_inside_a_string_is_not_a_comment():
    d = parse('a = "# noqa"\nb = """\n# promptlint: disable=PL101\n"""\n')
    assert not d.suppresses(finding("PL101", 1)) and not d.suppresses(finding("PL101", 3))
    assert d.all() == []


def test_directive_anywhere_in_the_call_range_silences_a_call_level_finding():
    text = "r = client.create(\n    model=m,\n    system=f'{now()}',  # noqa: PL101\n)\n"
    d = parse(text)
    assert d.suppresses(finding("PL101", 1, lines=(1, 4)))  # reported on the callee line
    assert not d.suppresses(finding("PL101", 1, lines=(1, 2)))  # the comment is outside the range
    assert not d.suppresses(finding("PL101", 1))  # no range: only the reported line counts


def test_file_level_directive_in_the_header():
    text = "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# promptlint: disable-file=PL301\n\nimport x\n"
    d = parse(text)
    assert d.suppresses(finding("PL301", 99)) and not d.suppresses(finding("PL101", 99))
    assert d.warnings == []


@pytest.mark.parametrize("text", [
    "import x\n# promptlint: disable-file=PL301\n",
    '"""Docstring is a statement."""\n# promptlint: disable-file=PL301\n',
])
def test_file_level_directive_after_code_is_ignored_with_a_warning(text):
    d = parse(text)
    assert not d.suppresses(finding("PL301", 5))
    assert len(d.warnings) == 1 and "header" in d.warnings[0] and d.warnings[0].startswith("line 2:")


@pytest.mark.parametrize("comment, expect", [
    ("# promptlint: disable=", "names no rule codes"),
    ("# promptlint: disable", "names no rule codes"),
    ("# promptlint: disable=PLX", "malformed rule code 'PLX'"),
    ("# promptlint: disable=PL1011", "malformed rule code 'PL1011'"),
    ("# promptlint: disable=PL999", "unknown rule code 'PL999'"),
    ("# promptlint: disble=PL101", "unknown directive 'disble'"),
    ("# noqa:", "suppresses nothing"),
    ("# noqa: PL1011", "malformed rule code 'PL1011'"),
])
def test_malformed_directives_warn_and_do_not_suppress(comment, expect):
    d = parse(f"x = 1  {comment}\n", path="app.py")
    assert not d.suppresses(finding("PL101", 1))
    assert len(d.warnings) == 1, d.warnings
    assert d.warnings[0].startswith("app.py:1: ") and expect in d.warnings[0]


def test_space_separated_codes_warn_and_only_the_first_applies():
    d = parse("x = 1  # promptlint: disable=PL101 PL104\n")
    assert d.suppresses(finding("PL101")) and not d.suppresses(finding("PL104"))
    assert len(d.warnings) == 1 and "commas" in d.warnings[0]


def test_partly_bad_list_keeps_the_good_codes_and_warns():
    d = parse("x = 1  # promptlint: disable=PL101,bogus\n")
    assert d.suppresses(finding("PL101")) and len(d.warnings) == 1


def test_without_known_codes_no_code_is_unknown():
    d = directives("x = 1  # promptlint: disable=PL301\ny = 1  # promptlint: disable=PL987\n")
    assert d.suppresses(finding("PL301", 1)) and d.suppresses(finding("PL987", 2))
    assert d.warnings == []


def test_the_engine_warns_about_codes_the_registry_lacks():
    from promptlint.engine import lint_source
    from promptlint.settings import Settings

    source = (b"import openai\nclient = openai.OpenAI()\n"
              b"client.chat.completions.create(model='gpt-4o', messages=[])  # promptlint: disable=PL301\n"
              b"client.chat.completions.create(model='gpt-4o', messages=[])  # promptlint: disable=PL987\n")
    result = lint_source("app.py", source, Settings())
    assert len(result.warnings) == 1 and "PL987" in result.warnings[0]


@pytest.mark.parametrize("text", [
    "def f(:\n  # noqa\n",
    "\0\0# noqa\n",
    "\x0c\x0b\x1b # noqa \udcff\n",
    "",
    "#",
    "# promptlint: disable-file=" + "PL1," * 5000 + "\n",
    "x = 1  # promptlint: " + "=" * 10000 + "\n",
])
def test_odd_input_never_raises(text):
    d = parse(text)
    assert isinstance(d.warnings, list)
    d.suppresses(finding("PL101", 1))


@pytest.mark.parametrize("text", [
    'x = """never closed\n# noqa\n',
    "x = (1,  # noqa\n",
    "if x:\n  a = 1  # noqa\n b = 2  # noqa\n",  # inconsistent dedent
])
def test_untokenizable_input_has_no_directives(text):
    d = parse(text)
    assert d.all() == [] and not d.suppresses(finding("PL101", 1)) and not d.suppresses(finding("PL101", 2))
    assert len(d.warnings) == 1 and "cannot read suppression comments" in d.warnings[0]


def test_untokenizable_text_gives_one_warning_and_no_directives():
    d = parse('x = 1  # noqa\ny = """open\n', path="bad.py")
    assert d.all() == [] and not d.suppresses(finding("PL101", 1))
    assert len(d.warnings) == 1 and d.warnings[0].startswith("bad.py: ")


def test_apply_marks_findings_and_tracks_unused_directives():
    d = parse("a = 1  # noqa: PL101\nb = 2  # noqa: PL104\n")
    found = [finding("PL101", 1), finding("PL301", 1)]
    apply(found, d)
    assert [f.suppressed for f in found] == [True, False]
    assert [u.line for u in d.unused()] == [2]


# ---------------------------------------------------------------- per-file ignores


def test_per_file_ignores_globs_relative_to_the_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table = {"tests/**": ["PL4", "PL301"], "test_*.py": ["PL101"], "/scripts/*.py": ["PL104"]}
    assert per_file_ignored_codes("tests/unit/a.py", table, str(tmp_path)) == ["PL4", "PL301"]
    assert per_file_ignored_codes("src/test_x.py", table, str(tmp_path)) == ["PL101"]  # any depth
    assert per_file_ignored_codes("scripts/run.py", table, str(tmp_path)) == ["PL104"]
    assert per_file_ignored_codes("src/scripts/run.py", table, str(tmp_path)) == []  # anchored
    assert per_file_ignored_codes("src/app.py", table, str(tmp_path)) == []


def test_per_file_ignores_follow_the_root_when_run_from_a_subdirectory(tmp_path, monkeypatch):
    (tmp_path / "tests").mkdir()
    monkeypatch.chdir(tmp_path / "tests")
    table = {"tests/**": ["PL3"]}
    assert per_file_ignored(finding("PL301", path="a.py"), table, str(tmp_path))
    assert not per_file_ignored(finding("PL101", path="a.py"), table, str(tmp_path))
    assert not per_file_ignored(finding("PL301", path="a.py"), {}, str(tmp_path))


# -- the tokenize is skipped where no comment can matter (issue 13, cold speed) ----------------
SAME_AS_TOKENIZED = [
    "x = 1  # noqa: E501\ny = 2  # NOQA: S101, B008\n",  # other tools' codes only: fast
    's = "# noqa"\nt = 1  # noqa: E501\n',  # a bare noqa inside a string is not a directive
    's = "# noqa"  # noqa: PL301\n',  # ours after a string holding `#`
    "x = 1  # noqa\n",  # bare: silences every rule
    "x = 1  # type: ignore  # noqa: E501 # promptlint: disable=PL101\n",
    "x = 1  # noqa:\n",  # warned about
    "# promptlint: disable-file=PL301\nimport os\n",
    "import os\n# promptlint: disable-file=PL301\n",  # after code: warned about
    "x = 1  # promptlint: enable=PL101\n",  # unknown directive: warned about
    'q = """\n# noqa\n"""\n',  # inside a string: nothing
    "x = 1\r# noqa: PL1\r",  # old Mac line ends
    "def f(:\n    pass  # noqa\n",  # tokenize fails: one warning, none applied
    "x = 1  # noqa: PLR0913, E501\n",  # Ruff's PLR codes are not ours
]


@pytest.mark.parametrize("text", SAME_AS_TOKENIZED)
def test_directives_are_those_tokenizing_finds(text, monkeypatch):
    from promptlint.checks import all_codes
    from promptlint.state import suppress

    fast = suppress.directives(text, "f.py", all_codes())
    monkeypatch.setattr(suppress, "_may_direct", lambda text, known: True)  # always tokenize
    slow = suppress.directives(text, "f.py", all_codes())
    assert (fast.by_line, fast.file_level, fast.warnings) == (slow.by_line, slow.file_level, slow.warnings)


def test_a_file_whose_only_noqa_comments_name_other_tools_codes_is_not_tokenized(monkeypatch):
    import tokenize

    calls = []
    real = tokenize.generate_tokens
    monkeypatch.setattr(tokenize, "generate_tokens", lambda readline: calls.append(1) or real(readline))
    found = directives("import os  # noqa: F401\nx = '#'  # noqa: E501\n", "f.py", ["PL301"])
    assert not found.by_line and not found.warnings and not calls
    assert directives("x = 1  # noqa: PL301\n", "f.py", ["PL301"]).by_line and calls
