import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from promptlint.cost import cache_savings
from promptlint.checks._prompt_text import TEXT_ROLES, display, file_text, pieces, refine
from promptlint.checks.base import Check, FileContext, call_location
from promptlint.cost.estimate import count_tokens
from promptlint.cost.prefix import flatten, part_label, static_run, static_tokens_before
from promptlint.model import CallSite, Finding, Location, PromptPart, Span
from promptlint.state.template_comments import is_template_path


MAX_COMPARED = 20_000


@dataclass(slots=True)
class Prompt:
    """One long static prompt part of one call site, and the literals its text was written in."""

    site: CallSite
    part: PromptPart
    text: str
    tokens: int
    written: dict  # (path, line, column) | None -> characters of the text written there
    path: str  # where most of its text was written
    literal: Span
    origin: str | None  # the file of `literal` when it is not the call site's
    words: frozenset

    @property
    def key(self) -> tuple:
        return (self.path, self.literal.line, self.literal.column)


class DuplicatedPrompt(Check):
    """The same long prompt written twice: two constants, two caches, two places to edit."""

    code = "PL405"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        """Copies whose sites and text are all in this file; the rest waits for `run_project`."""
        prompts = self._prompts(ctx.callsites)
        for copy, original in self._copies(prompts):
            if copy.origin is None:
                finding = self._finding(copy, original, ctx.text)
                if finding is not None:
                    yield finding

    def run_project(self, callsites: list[CallSite]) -> Iterator[Finding]:
        from promptlint.state.template_comments import directives_for

        prompts = self._prompts(callsites)
        by_file: dict[str, list[Prompt]] = {}
        for p in prompts:
            by_file.setdefault(p.site.path, []).append(p)
        done_in_file = {(c.site.path, c.key) for path, group in by_file.items()
                        for c, _ in self._copies(group) if c.origin is None}
        for copy, original in self._copies(prompts, skip_same_file=True):
            if (copy.site.path, copy.key) in done_in_file:
                continue
            text = file_text(copy.origin or copy.site.path)
            finding = self._finding(copy, original, text)
            if finding is None:
                continue
            finding.suppressed = directives_for(finding.path, text).suppresses(finding)
            yield finding

    # -- finding copies ----------------------------------------------------------
    def _prompts(self, sites: list[CallSite]) -> list[Prompt]:
        min_tokens = self.option("min-tokens")
        out = []
        for site in sites:
            if not site.billed:
                continue
            for part in site.parts:
                if part.role not in TEXT_ROLES or part.opaque:
                    continue
                segs = [s for s in part.segments if s.kind == "static" and s.text]
                text = "".join(s.text for s in segs)
                if len(text) < min_tokens * 2:
                    continue  # cheap bound before counting: a token is rarely under two characters
                tokens = count_tokens(text, self.settings.tokenizer)
                if tokens < min_tokens:
                    continue
                written: dict = {}
                for seg in segs:
                    spots = pieces(seg)
                    first_line: dict = {}  # a template file's lines count as one text, placed at its first
                    for i, (offset, span, origin) in enumerate(spots):
                        end = spots[i + 1][0] if i + 1 < len(spots) else len(seg.text)
                        if span is not None and is_template_path(origin):
                            span = first_line.setdefault(origin, span)
                        where = None if span is None else (display(origin) if origin else site.path,
                                                           span.line, span.column, origin, span)
                        written[where] = written.get(where, 0) + max(end - offset, 0)
                known = {k: n for k, n in written.items() if k is not None}
                if not known or written.get(None, 0) * 2 > len(text):
                    continue  # mostly text of unknown position: cannot tell a copy from a shared constant
                main = max(known, key=lambda k: (known[k], [-x for x in k[1:3]]))
                out.append(Prompt(site, part, text, tokens, {k[:3]: n for k, n in known.items()},
                                  main[0], main[4], main[3], frozenset(re.findall(r"\w+", text.lower()))))
        # The text most calls send is the original; the others are its copies.
        users = Counter(p.key for p in out)
        out.sort(key=lambda p: (-users[p.key], p.key, p.site.path, p.site.span.line, p.site.span.column))
        return out

    def _copies(self, prompts: list[Prompt], skip_same_file: bool = False) -> Iterator[tuple[Prompt, Prompt]]:
        """(copy, the first prompt it copies), once per copy location. `skip_same_file`: pairs
        whose texts are both written in the file of their calls belong to that file's pass."""
        from rapidfuzz import fuzz

        threshold = self.option("threshold")
        reported = set()
        for i, copy in enumerate(prompts):
            if copy.key in reported:
                continue
            for original in prompts[:i]:
                if original.key == copy.key or original.site is copy.site:
                    continue
                if skip_same_file and copy.origin is None and original.origin is None \
                        and copy.site.path == original.site.path:
                    continue
                if self._shared(copy, original):
                    continue  # the same constant sent by two calls: the pattern we want
                short, long_ = sorted((len(copy.text), len(original.text)))
                if short < 0.8 * long_:
                    continue
                union = len(copy.words | original.words) or 1
                if len(copy.words & original.words) / union < 0.7:
                    continue
                # Edit distance is quadratic: compare long prompts on their first 20k characters.
                score = fuzz.ratio(copy.text[:MAX_COMPARED], original.text[:MAX_COMPARED], score_cutoff=threshold)
                if score:
                    reported.add(copy.key)
                    yield copy, original
                    break

    @staticmethod
    def _shared(a: Prompt, b: Prompt) -> bool:
        """Do the two texts come mostly from the same literals?"""
        common = sum(min(n, b.written.get(k, 0)) for k, n in a.written.items())
        return common * 2 >= min(len(a.text), len(b.text))

    def _saving(self, copy: Prompt) -> tuple[bool, str | None]:
        """(a figure is honest, why not): the copy costs a cache entry only where it sits in a cached prefix."""
        flat = flatten(copy.site)
        start = next((i for i, f in enumerate(flat) if f.part is copy.part), None)
        if start is None or any(f.seg.kind != "static" for f in flat[:start]):
            return False, "it follows per-request content, where nothing is cached anyway"
        before = static_tokens_before(flat, start, self.settings.tokenizer)
        run = static_run(flat, start, tokenizer=self.settings.tokenizer).tokens
        saving = cache_savings.assess(copy.site, None if before is None or run is None else before + run,
                                      min_override=self.option("min-cacheable-tokens"))
        if saving.silent:
            return False, "the provider has no prompt cache"
        return saving.saves, saving.latent or (None if saving.saves else "the prefix size is not known")

    def _finding(self, copy: Prompt, original: Prompt, text: str) -> Finding | None:
        from rapidfuzz import fuzz

        saves, why_not = self._saving(copy)
        if not saves and not self.option("latent"):
            return None

        score = int(fuzz.ratio(copy.text[:MAX_COMPARED], original.text[:MAX_COMPARED]))
        first_line = next((ln for ln in copy.text.split("\n") if ln.strip()), "")
        line, col = refine(text, copy.literal, first_line, 0)
        span = Span(line, col, line, col + 1)
        same = "an exact copy" if copy.text == original.text else f"a near-copy ({score}% similar)"
        site, osite = copy.site, original.site
        there = original.path if original.path != copy.path else "this file"
        label = part_label(site, copy.part)
        message = (f"{label[0].upper()}{label[1:]} of `{site.callee}` ({site.path}:{site.span.line}), "
                   f"{copy.tokens:,} tokens, is {same} of the text at line {original.literal.line} of {there}, "
                   f"sent by `{osite.callee}` ({osite.path}:{osite.span.line}); ")
        if saves:
            message += "two copies are two cache entries and drift apart: keep one constant"
        else:
            message += f"two copies drift apart: keep one constant (no cache figure: {why_not})"
        return Finding(code=self.code, name=self.name, message=message, severity=self.severity,
                       path=copy.path, span=span, suppress_lines=(copy.literal.line, copy.literal.end_line),
                       scope=site.in_function if copy.origin is None else None, snippet=first_line.strip()[:40],
                       waste_tokens_per_call=copy.tokens if saves else None,
                       waste_kind="uncached-input" if saves else None, model=site.model,
                       call_site=call_location(site),
                       related=(Location.at(original.path, original.literal, "the other copy of this text"),
                                Location.at(osite.path, osite.span, "the call that sends the other copy")))
