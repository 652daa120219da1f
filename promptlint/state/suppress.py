"""Suppression comments and per-file ignores.

Syntax (matching is case-insensitive; free text may follow the codes):

    x = client.create(...)  # promptlint: disable=PL101,PL104 reason
    x = client.create(...)  # noqa: PL101
    x = client.create(...)  # noqa            <- bare: silences every rule, like flake8/Ruff
    # promptlint: disable-file=PL301          <- header comment, before the first statement

Codes may be prefixes (`PL1` silences PL101..PL199). `# noqa` codes of other
tools (`E501`, Ruff's `PLR0913`) are not ours and are ignored without comment.

Where the comment goes: a finding silences when a directive sits on ANY line of
`Finding.suppress_lines`. For call-level rules that is every line of the call
(the callee line, or the line of the offending argument in a multi-line call);
for other findings it is the reported line.

Only real comments count: the text is read with the stdlib `tokenize`, so a
`# noqa` inside a string is not a directive. Bad input never raises: if the
file cannot be tokenized there are no directives and one warning. Malformed
directives (`disable=` with no or bad codes, `disable-file` after code, an
unknown directive) give a warning and never suppress anything by themselves.
"""

from __future__ import annotations

import io
import os
import re
import tokenize
from dataclasses import dataclass, field

from promptlint.model import Finding

__all__ = ["Directive", "Directives", "directives", "apply", "per_file_ignored", "per_file_ignored_codes"]

_CODE = re.compile(r"^PL\d{0,3}$", re.I)
_ANY_PL_CODE = re.compile(r"^PL\d+$", re.I)  # ours, maybe malformed (not PLR0913: that is Ruff's)
_NOQA = re.compile(r"^noqa(?![\w-])\s*(?P<colon>:)?\s*(?P<rest>.*)$", re.I | re.S)
_PROMPTLINT = re.compile(r"^promptlint\s*:\s*(?P<kind>[\w-]*)\s*(?P<eq>=)?\s*(?P<rest>.*)$", re.I | re.S)
_ANY_DIRECTIVE = re.compile(r"noqa|promptlint", re.I)
_CODE_LIST = re.compile(r"^(?P<codes>[\w]+(?:\s*,\s*[\w]+)*)\s*,?(?P<tail>.*)$", re.S)


@dataclass(slots=True)
class Directive:
    line: int
    codes: tuple[str, ...] | None  # None: every code (bare `# noqa`)
    file_level: bool = False
    text: str = ""  # the comment, for messages
    used: bool = False

    def matches(self, code: str) -> bool:
        return self.codes is None or any(code.upper().startswith(c) for c in self.codes)


@dataclass(slots=True)
class Directives:
    by_line: dict[int, list[Directive]] = field(default_factory=dict)
    file_level: list[Directive] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def matching(self, finding: Finding) -> Directive | None:
        """The first directive that silences `finding`, or None."""
        for directive in self.file_level:
            if directive.matches(finding.code):
                return directive
        first, last = finding.suppress_lines or (finding.span.line, finding.span.line)
        for line in range(first, last + 1):
            for directive in self.by_line.get(line, ()):
                if directive.matches(finding.code):
                    return directive
        return None

    def suppresses(self, finding: Finding) -> bool:
        directive = self.matching(finding)
        if directive is None:
            return False
        directive.used = True  # for the unused-suppression meta rule
        return True

    def all(self) -> list[Directive]:
        return [*self.file_level, *(d for line in sorted(self.by_line) for d in self.by_line[line])]

    def unused(self) -> list[Directive]:
        return [d for d in self.all() if not d.used]


def _parse_codes(rest: str) -> tuple[list[str], str]:
    """Split `PL101, PL104 free text` into (["PL101", "PL104"], "free text")."""
    match = _CODE_LIST.match(rest.strip())
    if not match:
        return [], rest.strip()
    codes = [c.strip().upper() for c in match["codes"].split(",") if c.strip()]
    return codes, match["tail"].strip()


class _Parser:
    def __init__(self, path: str | None, known: list[str] | None) -> None:
        self.path = path
        self.known = known
        self.result = Directives()

    def warn(self, line: int, message: str) -> None:
        where = f"{self.path}:{line}" if self.path else f"line {line}"
        self.result.warnings.append(f"{where}: {message}")

    def check_codes(self, line: int, codes: list[str], tail: str, comment: str) -> tuple[str, ...]:
        good = []
        for code in codes:
            if not _CODE.match(code):
                self.warn(line, f"malformed rule code '{code}' in suppression comment '{comment}'")
            elif self.known is not None and not any(k.startswith(code) for k in self.known):
                self.warn(line, f"unknown rule code '{code}' in suppression comment '{comment}'")
                good.append(code)  # harmless: it matches nothing this version reports
            else:
                good.append(code)
        first_word = tail.split(maxsplit=1)[0] if tail else ""
        if _ANY_PL_CODE.match(first_word.rstrip(",;")):
            self.warn(line, f"codes must be separated by commas in '{comment}'; '{first_word}' is ignored")
        return tuple(good)

    def comment(self, line: int, comment: str, in_header: bool) -> None:
        # One comment may hold several directives: `# noqa: E501  # promptlint: disable=PL101`.
        for part in comment.split("#")[1:]:
            part = part.strip()
            if m := _NOQA.match(part):
                self.noqa(line, m, comment)
            elif m := _PROMPTLINT.match(part):
                self.promptlint(line, m, comment.strip(), in_header)

    def noqa(self, line: int, m: re.Match, comment: str) -> None:
        if not m["colon"]:
            self.add(Directive(line, None, text=comment.strip()))
            return
        codes, tail = _parse_codes(m["rest"])
        if not codes:
            self.warn(line, f"'# noqa:' without codes in '{comment.strip()}' suppresses nothing "
                            "(use a bare '# noqa' to silence every rule)")
            return
        ours = [c for c in codes if _ANY_PL_CODE.match(c)]
        if ours:  # other tools' codes are none of our business
            good = self.check_codes(line, ours, tail, comment.strip())
            if good:
                self.add(Directive(line, good, text=comment.strip()))

    def promptlint(self, line: int, m: re.Match, comment: str, in_header: bool) -> None:
        kind = m["kind"].lower()
        if kind not in ("disable", "disable-file"):
            self.warn(line, f"unknown directive '{m['kind']}' in '{comment}' "
                            "(expected 'disable=' or 'disable-file=')")
            return
        codes, tail = _parse_codes(m["rest"]) if m["eq"] else ([], "")
        if not codes:
            self.warn(line, f"'{comment}' names no rule codes; it suppresses nothing")
            return
        good = self.check_codes(line, codes, tail, comment)
        if not good:
            return
        if kind == "disable-file":
            if not in_header:
                self.warn(line, f"'{comment}' must be in the header comments before the first "
                                "statement; it is ignored here")
                return
            self.result.file_level.append(Directive(line, good, file_level=True, text=comment))
        else:
            self.add(Directive(line, good, text=comment))

    def add(self, directive: Directive) -> None:
        self.result.by_line.setdefault(directive.line, []).append(directive)


_NON_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING, tokenize.ENDMARKER}


def directives(text: str, path: str | None = None, known_codes: list[str] | None = None) -> Directives:
    """Parse the suppression comments of one file's text.

    `path` prefixes warnings (`app.py:3: ...`); `known_codes` (the engine passes the rule
    registry's) is only used to warn about codes no rule has: without it, none is warned about.
    """
    parser = _Parser(path, known_codes)
    if "#" not in text or not _ANY_DIRECTIVE.search(text) or not _may_direct(text, known_codes):
        return parser.result  # fast path: no directive anywhere, so no need to tokenize
    in_header = True
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                parser.comment(tok.start[0], tok.string, in_header)
            elif tok.type not in _NON_CODE:
                in_header = False
    except Exception as exc:  # tokenize errors, IndentationError, odd input: never raise
        bad = Directives()
        where = f"{path}: " if path else ""
        bad.warnings.append(f"{where}cannot read suppression comments ({type(exc).__name__}); none applied")
        return bad
    return parser.result


# The rest of a line from a `#` that a directive's word follows (a comment, or text in a string).
_MAYBE_COMMENT = re.compile(r"#[^\r\n]*?(?:noqa|promptlint)[^\r\n]*", re.I)


def _may_direct(text: str, known_codes: list[str] | None) -> bool:
    """Could any comment of the text be a directive, or be warned about? Every comment runs from
    a `#` to the end of its line, so reading each such run as a comment (strings included) finds
    all that tokenizing would, and more: `# noqa: E501` alone, other tools' codes, need no tokenize."""
    trial = _Parser(None, known_codes)
    for run in _MAYBE_COMMENT.findall(text):
        for in_header in (True, False):
            trial.comment(0, run, in_header)
    return bool(trial.result.by_line or trial.result.file_level or trial.result.warnings)


def apply(findings: list[Finding], found: Directives) -> None:
    """Mark the findings that a directive silences (`finding.suppressed = True`)."""
    for finding in findings:
        if not finding.suppressed and found.suppresses(finding):
            finding.suppressed = True


# ---------------------------------------------------------------- per-file ignores

_spec_cache: dict[str, object] = {}


def _glob_spec(glob: str):
    if glob not in _spec_cache:
        from pathspec import GitIgnoreSpec

        _spec_cache[glob] = GitIgnoreSpec.from_lines([glob])
    return _spec_cache[glob]


def per_file_ignored_codes(path: str, per_file_ignores: dict[str, list[str]], root: str = ".") -> list[str]:
    """Codes ignored for `path` by `per-file-ignores`.

    Globs use gitignore semantics relative to `root` (the config's directory):
    `tests/**` is anchored there, a slash-free `test_*.py` matches at any depth.
    `path` is a display path (relative to the current directory) or absolute.
    """
    if not per_file_ignores:
        return []
    absolute = os.path.abspath(path)
    root = os.path.abspath(root)
    try:
        inside = os.path.commonpath([absolute, root]) == root
    except ValueError:
        inside = False
    rel = os.path.relpath(absolute, root) if inside else absolute.lstrip("/\\")
    rel = rel.replace(os.sep, "/")
    codes: list[str] = []
    for glob, glob_codes in sorted(per_file_ignores.items()):
        if _glob_spec(glob).match_file(rel):
            codes += [c.upper() for c in glob_codes]
    return codes


def per_file_ignored(finding: Finding, per_file_ignores: dict[str, list[str]], root: str = ".") -> bool:
    return any(finding.code.startswith(c) for c in per_file_ignored_codes(finding.path, per_file_ignores, root))
