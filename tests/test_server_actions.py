"""The code-action plumbing of the language server without a client: a finding's fix
(edits with an applicability) becomes a WorkspaceEdit; "disable for this line" edits;
positions in UTF-16."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

pytest.importorskip("pygls")

from lsprotocol import types  # noqa: E402

from promptlint.model import Finding, Span  # noqa: E402
from promptlint.server import actions, convert  # noqa: E402
from promptlint.server.documents import python_snapshot  # noqa: E402
from promptlint.state.disable import LineEdit, disable_edit  # noqa: E402

TEXT = ('reply = client.chat.completions.create(\n'
        '    model="gpt-4o",\n'
        '    messages=msgs,\n'
        ')\n')


class WithFix(Finding):
    """A Finding that can carry `fix` before the autofix work adds the field to model.Finding."""


def finding(code="PL301", line=1, column=9, fix=None, suppress=(1, 4)) -> Finding:
    f = WithFix(code, "uncapped-output", "no cap", "warning", "app.py", Span(line, column, line, column + 5),
                suppress_lines=suppress)
    f.fix = fix  # the autofix work adds `Finding.fix`; the server reads it by name
    return f


def fix(applicability="safe", message="add `max_tokens=1024`", edits=None):
    edits = edits or (LineEdit(Span(2, 20, 2, 20), " max_tokens=1024,", ""),)
    return SimpleNamespace(applicability=applicability, message=message, edits=tuple(edits))


def snapshot(text=TEXT):
    return python_snapshot("file:///w/app.py", "/w/app.py", 3, text)


def test_a_safe_fix_is_a_preferred_quick_fix():
    diag = types.Diagnostic(range=types.Range(start=types.Position(line=0, character=8),
                                              end=types.Position(line=0, character=13)), message="x")
    action = actions.fix_action(snapshot(), finding(fix=fix()), diag, "utf-16")
    assert action.title == "PL301: add `max_tokens=1024`"
    assert action.is_preferred and action.kind == types.CodeActionKind.QuickFix
    (edit,) = action.edit.changes["file:///w/app.py"]
    assert (edit.range.start.line, edit.range.start.character) == (1, 19)
    assert edit.new_text == " max_tokens=1024,"


def test_an_unsafe_fix_is_labelled_and_not_preferred():
    action = actions.fix_action(snapshot(), finding(fix=fix("unsafe")), None, "utf-16")
    assert action.title.endswith("(unsafe)") and not action.is_preferred


def test_a_stale_fix_is_not_offered():
    stale = fix(edits=(LineEdit(Span(2, 11, 2, 19), '"gpt-4o-mini"', '"gpt-5"'),))
    assert actions.fix_action(snapshot(), finding(fix=stale), None, "utf-16") is None
    fresh = fix(edits=(LineEdit(Span(2, 11, 2, 19), '"gpt-4o-mini"', '"gpt-4o"'),))
    assert actions.fix_action(snapshot(), finding(fix=fresh), None, "utf-16") is not None


def test_no_fix_and_notebooks_get_no_fix_action():
    assert actions.fix_action(snapshot(), finding(), None, "utf-16") is None
    notebook = python_snapshot("file:///w/nb.ipynb", "/w/nb.ipynb", 1, TEXT)
    assert actions.fix_action(notebook, finding(fix=fix()), None, "utf-16") is None


def test_fix_all_takes_safe_fixes_that_do_not_overlap():
    first = fix(edits=(LineEdit(Span(2, 20, 2, 20), " max_tokens=1024,", ""),))
    overlapping = fix(edits=(LineEdit(Span(2, 11, 2, 21), '"x",', '"gpt-4o",'),))
    unsafe = fix("unsafe", edits=(LineEdit(Span(3, 14, 3, 18), "list(msgs)", "msgs"),))
    other = fix(edits=(LineEdit(Span(4, 2, 4, 2), "  # done", ""),))
    found = [finding(fix=first), finding("PL302", line=2, fix=overlapping), finding("PL103", line=3, fix=unsafe),
             finding("PL406", line=4, fix=other)]
    action = actions.fix_all_action(snapshot(), found, "utf-16")
    assert action.kind == "source.fixAll.promptlint"
    assert [e.new_text for e in action.edit.changes["file:///w/app.py"]] == [" max_tokens=1024,", "  # done"]
    assert actions.fix_all_action(snapshot(), [finding(fix=unsafe)], "utf-16") is None


def test_kinds_filter():
    assert actions._wanted("source.fixAll.promptlint", ["source"])
    assert actions._wanted("source.fixAll.promptlint", ["source.fixAll"])
    assert not actions._wanted("source.fixAll.promptlint", ["quickfix"])
    assert actions._wanted("quickfix", None)


def test_columns_are_utf16_code_units():
    line = 'x = "🙂é" + y'
    assert convert.client_column(line, 12, "utf-16") == 12  # the emoji is two UTF-16 units
    assert convert.client_column(line, 12, "utf-32") == 11
    assert convert.client_column(line, 12, "utf-8") == 15
    assert convert.code_point_column(line, 12, "utf-16") == 12
    rng = convert.to_range(Span(1, 11, 1, 12), [line], "utf-16")
    assert (rng.start.character, rng.end.character) == (11, 12)


# ---------------------------------------------------------------- the disable directive

def test_disable_goes_on_the_first_line_that_can_take_a_comment():
    edit = disable_edit(TEXT, finding())
    assert edit.span == Span(1, 40, 1, 40) and edit.content == "  # promptlint: disable=PL301"


def test_disable_joins_an_existing_directive():
    text = TEXT.replace("create(\n", "create(  # promptlint: disable=PL201 reason\n")
    edit = disable_edit(text, finding())
    assert edit.content == "PL201,PL301" and edit.original == "PL201"
    line = text.splitlines()[0]
    assert line[edit.span.column - 1:edit.span.end_column - 1] == "PL201"
    assert disable_edit(text, finding("PL201")) is None  # already there


def test_disable_keeps_other_comments_and_skips_strings_and_continuations():
    text = 'x = call(  # noqa: E501\n    prompt="""a\nb""",\n)\n'
    edit = disable_edit(text, finding(line=2, suppress=(2, 4)))
    assert edit.span.line == 3  # line 2 ends inside the triple-quoted string
    text = "y = 1 + \\\n    call()\n"
    assert disable_edit(text, finding(line=1, suppress=(1, 2))).span.line == 2
    text = 'x = call()  # noqa: E501\n'
    edit = disable_edit(text, finding(line=1, suppress=None))
    assert edit.span.column == len("x = call()  # noqa: E501") + 1  # appended after the other comment
    assert disable_edit("def broken(:\n", finding(line=1, suppress=None)) is None
