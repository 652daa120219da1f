"""Applying fixes: `--fix`, `--unsafe-fixes`, `--diff`, `--show-fixes`.

Per file, as ruff does:
1. take the fixes of the reported findings that the applicability allows;
2. apply those whose edits do not overlap (the others wait for the next round)
   and whose edits still find the text they were made for;
3. keep the result only if it still parses (libcst) and compiles; when the
   batch fails, try its fixes one at a time and drop the ones that break it;
4. analyse the new text again (in memory) and repeat for the fixes that waited,
   at most MAX_ROUNDS rounds.
The file is written once, atomically (temporary file, then rename), and only
when it changed. `--diff` runs the same steps and writes nothing.

Only the findings the run reports are fixed: suppressed findings, findings held
by a baseline, and rules outside the selection are left alone. Notebooks and
files that are not Python are skipped with a message.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field

from promptlint.fix.source import line_starts, offset
from promptlint.model import Finding, Fix

MAX_ROUNDS = 10


@dataclass(slots=True)
class FileFixes:
    path: str
    original: str
    fixed: str
    applied: list[tuple[Finding, Fix]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # skipped files, rejected fixes, no convergence

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


def allowed(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (fix.applicability == "safe" or unsafe)


def splice(text: str, fixes: list[Fix]) -> tuple[str, list[Fix]]:
    """Apply the fixes that neither overlap an earlier one nor are stale; returns the new
    text and the fixes applied. Edits are applied from the end so offsets stay valid."""
    starts = line_starts(text)
    taken: list[tuple[int, int]] = []
    chosen: list[tuple[int, int, str]] = []
    applied: list[Fix] = []
    for fix in fixes:
        ranges = []
        for edit in fix.edits:
            try:
                begin = offset(starts, edit.span.line, edit.span.column)
                end = offset(starts, edit.span.end_line, edit.span.end_column)
            except IndexError:
                break
            if not 0 <= begin <= end <= len(text) or text[begin:end] != edit.original:
                break  # stale: the text moved under it
            ranges.append((begin, end, edit.content))
        else:
            if all(not _overlap(b, e, tb, te) for b, e, _ in ranges for tb, te in taken) and not _overlap_each(ranges):
                taken += [(b, e) for b, e, _ in ranges]
                chosen += ranges
                applied.append(fix)
    for begin, end, content in sorted(chosen, key=lambda r: (r[0], r[1]), reverse=True):
        text = text[:begin] + content + text[end:]
    return text, applied


def _overlap(b1: int, e1: int, b2: int, e2: int) -> bool:
    if b1 == e1 == b2 == e2:
        return True  # two insertions at one point: their order would be a guess
    return b1 < e2 and b2 < e1 or (b1 == e1 and b2 < b1 < e2) or (b2 == e2 and b1 < b2 < e1)


def _overlap_each(ranges) -> bool:
    return any(_overlap(a[0], a[1], b[0], b[1]) for i, a in enumerate(ranges) for b in ranges[i + 1:])


def problem(text: str, path: str) -> str | None:
    """Why `text` is not valid Python (libcst and CPython must both accept it), or None."""
    import libcst as cst

    try:
        cst.parse_module(text)
    except Exception as exc:  # noqa: BLE001 - any parser failure means: do not write
        return f"libcst cannot parse it: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escape sequences: the file's own, not ours to report
            compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return f"it does not compile: {exc}"
    return None


def _key(f: Finding) -> tuple:
    """A finding across rounds: without its line, which earlier fixes move."""
    return (f.code, f.scope, f.snippet)


def fix_file(path: str, text: str, findings: list[Finding], unsafe: bool, relint) -> FileFixes:
    """Fix one file's text. `relint(path, text)` analyses the new text and returns its
    findings (with fixes); a later round fixes only findings the first one reported."""
    result = FileFixes(path, text, text)
    pending = [f for f in findings if allowed(f.fix, unsafe)]
    if not pending:
        return result
    wanted = Counter(_key(f) for f in pending)
    for _round in range(MAX_ROUNDS):
        batch = sorted(pending, key=lambda f: f.sort_key())
        new, applied = splice(result.fixed, [f.fix for f in batch])
        if applied and problem(new, path) is not None:
            new, applied = _one_by_one(result, batch, path)
        if not applied:
            break
        done = [f for f in batch if any(f.fix is fix for fix in applied)]
        result.applied += [(f, f.fix) for f in done]
        result.fixed = new
        for f in done:
            wanted[_key(f)] -= 1
        if len(done) == len(batch) or not +wanted:
            return result
        pending = []
        for f in relint(path, new):
            if allowed(f.fix, unsafe) and not f.suppressed and wanted[_key(f)] > 0:
                pending.append(f)
        if not pending:
            return result
    else:
        result.messages.append(f"{path}: fixes did not converge after {MAX_ROUNDS} rounds; "
                               "the last valid text is kept")
    return result


def _one_by_one(result: FileFixes, batch: list[Finding], path: str) -> tuple[str, list[Fix]]:
    """The batch broke the file: keep each fix only if the file stays valid with it."""
    text, applied = result.fixed, []
    for f in batch:
        new, done = splice(text, [f.fix])
        if not done:
            continue
        why = problem(new, path)
        if why is None:
            text, applied = new, applied + done
        else:
            result.messages.append(f"{path}:{f.span.line}: {f.code} fix not applied: the file would break ({why})")
    return text, applied


def fix_run(findings: list[Finding], settings, unsafe: bool, relint) -> list[FileFixes]:
    """Fixes for every file with an applicable fix, in path order. Reads files; writes nothing."""
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        if not f.suppressed:
            by_path.setdefault(f.path, []).append(f)
    out = []
    for path in sorted(by_path):
        group = by_path[path]
        if not path.endswith(".py"):
            from promptlint.fix import fixable

            if any(fixable(f.code) for f in group):
                kind = "notebooks" if path.endswith(".ipynb") else "files that are not Python source"
                out.append(FileFixes(path, "", "", messages=[f"{path}: skipped: fixes are not applied to {kind}"]))
            continue
        if not any(allowed(f.fix, unsafe) for f in group):
            continue
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            out.append(FileFixes(path, "", "", messages=[f"{path}: skipped: cannot read it as UTF-8 ({exc})"]))
            continue
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        text = text.removeprefix(bom)
        before = problem(text, path)
        if before is not None:
            out.append(FileFixes(path, text, text, messages=[f"{path}: skipped: {before} before fixing"]))
            continue
        done = fix_file(path, text, group, unsafe, relint)
        done.original, done.fixed = bom + done.original, bom + done.fixed
        out.append(done)
    return out


def write(fixes: list[FileFixes]) -> list[str]:
    """Write every changed file atomically; returns problems (a file that could not be written)."""
    problems = []
    for item in fixes:
        if not item.changed:
            continue
        try:
            write_atomically(item.path, item.fixed.encode("utf-8"))
        except OSError as exc:
            problems.append(f"{item.path}: cannot write the fix: {exc.strerror or exc}")
    return problems


def write_atomically(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".promptlint-fix-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def unified_diff(fixes: list[FileFixes]) -> str:
    out = []
    for item in fixes:
        if not item.changed:
            continue
        before = _lines(item.original)
        after = _lines(item.fixed)
        out += difflib.unified_diff(before, after, fromfile=f"a/{item.path}", tofile=f"b/{item.path}")
    return "".join(out)


def _lines(text: str) -> list[str]:
    import io

    lines = io.StringIO(text, newline="").readlines()  # \n, \r\n and \r, as libcst counts lines
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def show_fixes(fixes: list[FileFixes]) -> str:
    """`--show-fixes`: one line per applied fix, as ruff lists them."""
    lines = []
    for item in fixes:
        for finding, fix in item.applied:
            lines.append(f"{finding.path}:{finding.span.line}:{finding.span.column}: {finding.code} "
                         f"[{fix.applicability}] {fix.message}\n")
    return "".join(lines)
