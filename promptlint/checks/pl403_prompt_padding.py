import re
from collections import Counter
from collections.abc import Iterator
from functools import cache, lru_cache

from promptlint.checks._prompt_text import (
    Group, Issue, PromptTextCheck, text_segments, tokens_label, where_sent,
)
from promptlint.cost.estimate import count_tokens
from promptlint.model import CallSite, Finding, Segment
from promptlint.ruledocs import load_data

# Quoted stretches: "...", “...”, `...`, and '...' that is not an apostrophe.
MAX_FUZZY_LINE = 5_000
# Single quotes may hold apostrophes ('I'm here to help').
QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|‘[^’\n]*’|`[^`\n]*`|(?<!\w)'(?:[^'\n]|(?<=\w)'(?=\w))*'(?!\w)")


@cache
def _padding():
    data = load_data("padding.yaml")
    # Longest first, so "could you please" is one finding, not "please" inside it.
    phrases = sorted((p.lower() for p in data["phrases"]), key=len, reverse=True)
    prefixes = "|".join(re.escape(p) for p in data["quoted_line_prefixes"])
    return (phrases, frozenset(data["mention_words"]),
            re.compile(rf"^\s*[-*>]?\s*(?:{prefixes})\s*:", re.I), frozenset(data["clause_initial"]))


class PromptPadding(PromptTextCheck):
    """Politeness and filler in static prompt text: billed on every call, no effect on the answer."""

    code = "PL403"

    def site_issues(self, site: CallSite) -> Iterator[tuple[Segment, list[Issue], int | None]]:
        threshold = self.option("threshold")
        for _part, seg in text_segments(site):
            issues = find_padding(seg.text, threshold)
            if issues:
                yield seg, issues, None

    def saved_tokens(self, seg: Segment, issues: list[Issue]) -> int | None:
        """Cut every phrase at once: tokens merge across a cut, so one count, not a sum."""
        cut, last = [], 0
        for issue in sorted(issues, key=lambda i: i.offset):
            cut.append(seg.text[last:issue.offset])
            last = max(last, issue.offset + len(issue.snippet))
        cut.append(seg.text[last:])
        tokenizer = self.settings.tokenizer
        return max(count_tokens(seg.text, tokenizer) - count_tokens("".join(cut), tokenizer), 0)

    def run_project(self, callsites: list[CallSite]) -> Iterator[Finding]:
        # The engine runs the project phase of rules that define it on their own class.
        return super().run_project(callsites)

    def message(self, group: Group) -> str:
        counts = Counter(i.snippet.strip(" ,").lower() for i in group.issues)
        listed = ", ".join(f'"{label}"' + (f" x{n}" if n > 1 else "") for label, n in counts.items())
        total = tokens_label(group.waste)
        return (f"prompt padding {listed} in text sent by {where_sent(group)}: politeness and filler "
                f"change nothing in the answer but are billed on every call{total}")


CLAUSE_START = re.compile(r"(?:^|[.:;!?,]|^\s*[-*>\d.)]+)\s*$")


def find_padding(text: str, threshold: float) -> list[Issue]:
    """Padding phrases in `text`, one Issue per occurrence, in text order."""
    return list(_padding_in(text, threshold))


@lru_cache(maxsize=512)  # the same prompt text reaches many call sites through a project's wrappers
def _padding_in(text: str, threshold: float) -> tuple[Issue, ...]:
    from rapidfuzz import fuzz

    phrases, mention_words, quoted_line, clause_initial = _padding()
    lower = text.lower()
    found: list[Issue] = []
    taken: list[tuple[int, int]] = []  # spans of phrases of several words (few per line)
    pos = 0
    for line in lower.split("\n"):
        start_of_line = pos
        pos += len(line) + 1
        if not line.strip() or quoted_line.match(line):
            continue
        quoted = [m.span() for m in QUOTED.finditer(line)]
        for phrase in phrases:
            for start, end in _matches(phrase, line, threshold, fuzz):
                if any(a <= start < b for a, b in quoted):
                    continue
                if phrase in clause_initial and not CLAUSE_START.search(line[:start]):
                    continue
                before = re.findall(r"[\w']+", line[max(start - 40, 0):start])[-2:]
                if any(w in mention_words for w in before):
                    continue
                a, b = start_of_line + start, start_of_line + end
                if any(x < b and a < y for x, y in taken):
                    continue  # "could you please" already covers "please"
                # Remove the phrase with its trailing comma / space, as the fix would.
                tail = re.match(r"[ ,]*", text[b:]).end()
                if " " in phrase:
                    taken.append((a, b))
                found.append(Issue(a, text[a:b + tail], phrase))
    found.sort(key=lambda i: i.offset)
    return tuple(found)


def _matches(phrase: str, line: str, threshold: float, fuzz) -> Iterator[tuple[int, int]]:
    if " " not in phrase:
        # "thanks!" needs its "!": "for thanks and compliments" names a category.
        end = "" if phrase.endswith("!") else r"(?![\w'-])"
        yield from (m.span() for m in re.finditer(rf"(?<![\w'-]){re.escape(phrase)}{end}", line))
        return
    if phrase in line:
        start = line.find(phrase)
        yield start, start + len(phrase)
        return
    if len(line) < len(phrase) * 0.8 or len(line) > MAX_FUZZY_LINE:
        return  # a very long line (minified text) gets exact matches only
    got = fuzz.partial_ratio_alignment(phrase, line, score_cutoff=threshold)
    if got is None:
        return
    start, end = got.dest_start, got.dest_end
    # Snap to whole words so "pleasant" or "thankful" never counts.
    while start > 0 and line[start - 1].isalnum():
        start -= 1
    while end < len(line) and line[end].isalnum():
        end += 1
    words = line[start:end].split()
    # Same length and the same first word: "the user wants you to" is not "i want you to".
    if abs(len(words) - len(phrase.split())) <= 1 and words and words[0] == phrase.split()[0]:
        yield start, end
