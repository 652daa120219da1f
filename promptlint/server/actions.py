"""Code actions: a quick fix per fixable finding, "Disable PLxxx for this line", and
"Fix all safe fixes in this file" (kind `source.fixAll.promptlint`).

A finding's `fix` (the autofix work: `applicability` "safe" or "unsafe", a
`message`, and `edits`, each a `span`, the new `content` and the `original`
text) becomes a WorkspaceEdit; the disable action is an edit of the same shape
(state/disable.py), so both go through `edit_for`. A fix whose ranges no longer
hold the text it was made for (the buffer moved on since the lint) is not
offered. Fixes are offered for Python files only: a notebook's findings are in
the coordinates of its joined cells, and the autofix work does not fix
notebooks; a notebook cell gets the disable action.
"""

from __future__ import annotations

from lsprotocol import types

from promptlint.model import Finding
from promptlint.server.convert import still_holds, text_edits
from promptlint.server.documents import Snapshot, split_lines

FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.promptlint"


def _wanted(kind: str, only: list[str] | None) -> bool:
    """Does the client want actions of `kind` (`only` lists kinds or their prefixes)?"""
    return not only or any(kind == k or kind.startswith(k + ".") for k in only)


def edit_for(snapshot: Snapshot, edits, encoding: str, target: tuple[str, int] | None = None):
    """A WorkspaceEdit applying `edits` (promptlint coordinates) to the snapshot's
    document, or to `target` = (cell uri, line shift) for a notebook cell."""
    lines = split_lines(snapshot.text)
    uri, shift = target or (snapshot.uri, 0)
    return types.WorkspaceEdit(changes={uri: text_edits(edits, lines, encoding, shift)})


def fix_action(snapshot: Snapshot, finding: Finding, diagnostic, encoding: str) -> types.CodeAction | None:
    fix = getattr(finding, "fix", None)  # the autofix work adds `Finding.fix`
    if fix is None or snapshot.notebook or not fix.edits or not still_holds(fix.edits, split_lines(snapshot.text)):
        return None
    unsafe = fix.applicability != "safe"
    return types.CodeAction(
        title=f"{finding.code}: {fix.message}" + (" (unsafe)" if unsafe else ""),
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=not unsafe,
        edit=edit_for(snapshot, fix.edits, encoding),
    )


def disable_action(snapshot: Snapshot, finding: Finding, diagnostic, encoding: str,
                   target: tuple[str, int] | None = None) -> types.CodeAction | None:
    from promptlint.state.disable import disable_edit

    text = snapshot.text
    edit = disable_edit(text, finding)
    if edit is None:
        return None
    return types.CodeAction(
        title=f"Disable {finding.code} for this line",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=edit_for(snapshot, [edit], encoding, target),
    )


def fix_all_action(snapshot: Snapshot, findings: list[Finding], encoding: str) -> types.CodeAction | None:
    """Every safe fix of the file whose edits do not overlap an earlier one's (in file
    order), as one edit; None when there is none."""
    if snapshot.notebook:
        return None
    lines = split_lines(snapshot.text)
    chosen = []
    taken: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for finding in sorted(findings, key=Finding.sort_key):
        fix = getattr(finding, "fix", None)
        if fix is None or fix.applicability != "safe" or not fix.edits or not still_holds(fix.edits, lines):
            continue
        ranges = [((e.span.line, e.span.column), (e.span.end_line, e.span.end_column)) for e in fix.edits]
        if any(start < t_end and t_start < end or start == end == t_start for start, end in ranges
               for t_start, t_end in taken):
            continue  # overlapping fixes: the next lint offers the rest
        taken += ranges
        chosen += list(fix.edits)
    if not chosen:
        return None
    return types.CodeAction(title="promptlint: Fix all safe fixes in this file", kind=FIX_ALL,
                            edit=edit_for(snapshot, chosen, encoding))
