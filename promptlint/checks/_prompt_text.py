"""Shared by the prompt-text rules (PL401, PL403-PL405): the static text of a call's
prompt, and where in the source each stretch of it was written.

A static segment knows the literal its text starts in (`span`, and `origin` when that
literal sits in another file, e.g. `from .prompts import SYSTEM`), and for text joined
from several literals, `pieces`: (offset, span, origin) per literal. Findings about a
stretch of prompt text are reported at the literal that holds it: in the checked file
by `run`, in a sibling module by `run_project` (once, however many call sites send it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from promptlint.checks.base import Check, FileContext, call_location
from promptlint.model import CallSite, Finding, PromptPart, Segment, Span

# Parts whose text is ours to judge: not tool schemas (their descriptions legitimately
# repeat), not assistant turns (the model's voice in few-shot examples).
TEXT_ROLES = ("system", "instructions", "developer", "user", "prompt", "input")


def as_span(raw) -> Span | None:
    """A Span, also from the dict a cached call site holds."""
    if raw is None or isinstance(raw, Span):
        return raw
    if isinstance(raw, dict):
        return Span(**raw)
    return None


def pieces(seg: Segment) -> list[tuple[int, Span | None, str | None]]:
    if seg.pieces:
        return [(int(o), as_span(sp), og) for o, sp, og in seg.pieces]
    return [(0, as_span(seg.span), seg.origin)]


def where(seg: Segment, offset: int) -> tuple[int, Span | None, str | None]:
    """(offset where its literal starts in seg.text, literal span, origin file) for a text offset."""
    found = pieces(seg)[0]
    for piece in pieces(seg):
        if piece[0] <= offset:
            found = piece
        else:
            break
    return found


def text_segments(site: CallSite, roles=TEXT_ROLES) -> Iterator[tuple[PromptPart, Segment]]:
    for part in site.parts:
        if part.role not in roles or part.opaque:
            continue
        for seg in part.segments:
            if seg.kind == "static" and seg.text and seg.note is None:
                yield part, seg


def display(path: str) -> str:
    rel = os.path.relpath(path) if os.path.isabs(path) else os.path.normpath(path)
    return rel.replace(os.sep, "/")


_TEXTS: dict[tuple, str] = {}


def file_text(path: str) -> str:
    """The text of a sibling module (for positions and suppression comments in the project phase)."""
    try:
        stat = os.stat(path)
    except OSError:
        return ""
    key = (os.path.abspath(path), stat.st_mtime_ns, stat.st_size)
    if key not in _TEXTS:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                _TEXTS[key] = fh.read()
        except OSError:
            _TEXTS[key] = ""
    return _TEXTS[key]


def refine(text: str, literal: Span, snippet: str, line_hint: int) -> tuple[int, int]:
    """The (line, column) of `snippet` inside the literal at `literal`, near `line_hint`
    lines below its first line; the literal's start when the source spells it otherwise."""
    lines = text.split("\n")
    first, last = literal.line, min(literal.end_line, len(lines))
    probe = snippet.strip().lower()[:40]
    if not probe:
        return literal.line, literal.column
    order = sorted(range(first, last + 1), key=lambda n: (abs(n - (first + line_hint)), n))
    # Shorter probes when the source spells the text otherwise (escapes, placeholders).
    for size in (40, 20, 10):
        if size < 40 and len(probe) <= size:
            break
        for n in order:
            line = lines[n - 1].lower()
            start = literal.column - 1 if n == first else 0
            col = line.find(probe[:size], start)
            if col >= 0:
                return n, col + 1
    return literal.line, literal.column


@dataclass(slots=True)
class Issue:
    """One problem in a stretch of prompt text: `offset` into the segment's text."""

    offset: int
    snippet: str  # the text as matched, to place it on its source line
    label: str  # how the message names it
    tokens: int | None = None


@dataclass(slots=True)
class Group:
    """Issues that sit in one literal; reported as one finding."""

    path: str
    literal: Span
    origin: str | None
    issues: list[Issue] = field(default_factory=list)
    sites: list[CallSite] = field(default_factory=list)
    waste: int | None = 0
    first_issue_line: int = 0  # lines below the literal's first line, for `refine`
    seen: set = field(default_factory=set)


class PromptTextCheck(Check):
    """Base of rules that judge a stretch of static prompt text (PL401 inline examples, PL403, PL404)."""

    def site_issues(self, site: CallSite) -> Iterator[tuple[Segment, list[Issue], int | None]]:
        """(segment, its issues, tokens the fix saves in it) for one call site."""
        raise NotImplementedError

    def message(self, group: Group) -> str:
        raise NotImplementedError

    def saved_tokens(self, seg: Segment, issues: list[Issue]) -> int | None:
        """Tokens the fix saves in `seg` (issues of one group, in text order)."""
        if any(i.tokens is None for i in issues):
            return None
        return sum(i.tokens for i in issues)

    # -- grouping by the literal that holds the text ---------------------------
    def _groups(self, sites: list[CallSite], foreign: bool) -> dict[tuple, Group]:
        groups: dict[tuple, Group] = {}
        for site in sites:
            if not site.billed:
                continue
            per_site: dict[tuple, list] = {}  # group key -> [(segment, its issues in that group)]
            for seg, issues, _waste in self.site_issues(site):
                for issue in issues:
                    start, literal, origin = where(seg, issue.offset)
                    if literal is None:
                        literal, origin = site.span, None  # text of unknown position: the call
                    if (origin is not None) != foreign:
                        continue
                    path = display(origin) if origin else site.path
                    key = (path, literal.line, literal.column)
                    group = groups.get(key)
                    if group is None:
                        group = groups[key] = Group(path, literal, origin)
                        group.first_issue_line = seg.text.count("\n", start, issue.offset)
                    seen = (issue.label, issue.offset - start)  # the same text sent by several sites
                    if seen not in group.seen:
                        group.seen.add(seen)
                        group.issues.append(issue)
                    if site not in group.sites:
                        group.sites.append(site)
                    held = per_site.setdefault(key, [])
                    if held and held[-1][0] is seg:
                        held[-1][1].append(issue)
                    else:
                        held.append((seg, [issue]))
            for key, held in per_site.items():
                saved = [self.saved_tokens(seg, issues) for seg, issues in held]
                waste = None if None in saved else sum(saved)
                old = groups[key].waste
                groups[key].waste = None if waste is None or old is None else max(old, waste)
        return groups

    def _finding(self, ctx_path: str, text: str, group: Group) -> Finding:
        first = group.issues[0]
        line, col = refine(text, group.literal, first.snippet, group.first_issue_line)
        span = Span(line, col, line, col + max(len(first.snippet.strip()), 1))
        site = group.sites[0]
        waste = group.waste if group.waste else None
        f = Finding(code=self.code, name=self.name, message=self.message(group), severity=self.severity,
                    path=ctx_path, span=span, suppress_lines=(group.literal.line, group.literal.end_line),
                    scope=site.in_function if group.origin is None else None,
                    snippet=first.snippet.strip()[:40], waste_tokens_per_call=waste,
                    waste_kind="input" if waste else None, model=site.model, call_site=call_location(site))
        return f

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        for group in self._groups(ctx.callsites, foreign=False).values():
            yield self._finding(ctx.path, ctx.text, group)

    def run_project(self, callsites: list[CallSite]) -> Iterator[Finding]:
        """Text of constants that live in sibling modules, reported there once."""
        from promptlint.state.template_comments import directives_for

        local = set(self._groups(callsites, foreign=False))
        for key, group in sorted(self._groups(callsites, foreign=True).items()):
            if key in local:
                continue  # that module's own call sites already report it
            text = file_text(group.origin)
            finding = self._finding(group.path, text, group)
            finding.suppressed = directives_for(group.path, text).suppresses(finding)
            yield finding


def where_sent(group: Group) -> str:
    """`client.chat.completions.create` (line 12), or a count when several call sites send it."""
    site = group.sites[0]
    here = f"`{site.callee}` ({site.path}:{site.span.line})" if group.origin else \
        f"`{site.callee}` at line {site.span.line}"
    if len(group.sites) > 1:
        return f"{here} and {len(group.sites) - 1} more call site{'s' if len(group.sites) > 2 else ''}"
    return here


def tokens_label(n: int | None) -> str:
    return "" if not n else f" (~{n:,} token{'s' if n != 1 else ''} per call)"


def quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
