import re
from collections.abc import Iterator

from promptlint.checks._prompt_text import (
    Group, Issue, PromptTextCheck, quote, text_segments, tokens_label, where_sent,
)
from promptlint.estimate import count_tokens
from promptlint.model import CallSite, Segment

# A sentence ends at a line break or at . ! ? followed by white space.
SENTENCE = re.compile(r"[^\n.!?]+(?:[.!?]+(?=\s|$)|[.!?]*$)?", re.M)
BULLET = re.compile(r"^\s*(?:[-*•>]+|\d+[.)]|#+)\s*")


class RepeatedInstruction(PromptTextCheck):
    """The same instruction written twice (or nearly so) in one prompt."""

    code = "PL404"
    name = "repeated-instruction"
    severity = "info"

    def site_issues(self, site: CallSite) -> Iterator[tuple[Segment, list[Issue], int | None]]:
        from rapidfuzz import fuzz

        threshold = self.option("threshold", 90)
        min_words = self.option("min-words", 6)
        tokenizer = self.settings.tokenizer
        earlier: list[tuple[str, str]] = []  # (normalized, as written) of every sentence so far
        for _part, seg in text_segments(site):
            issues = []
            for m in SENTENCE.finditer(seg.text):
                raw = m.group(0)
                lead = BULLET.match(raw)
                body = raw[lead.end():] if lead else raw
                norm = " ".join(re.findall(r"[\w']+", body.lower()))
                if len(norm.split()) < min_words:
                    continue
                for prev, prev_raw in earlier:
                    if abs(len(prev) - len(norm)) > 0.25 * max(len(prev), len(norm)):
                        continue
                    if fuzz.ratio(prev, norm, score_cutoff=threshold):
                        start = m.start() + (lead.end() if lead else 0)
                        text = body.strip()
                        issues.append(Issue(start + (len(body) - len(body.lstrip())), text,
                                            quote(prev_raw), count_tokens(" " + text, tokenizer)))
                        break
                else:
                    earlier.append((norm, body.strip()))
            if issues:
                yield seg, issues, None

    def message(self, group: Group) -> str:
        first = group.issues[0]
        more = len(group.issues) - 1
        tail = f", and {more} more repeated sentence{'s' if more > 1 else ''}" if more else ""
        return (f'"{quote(first.snippet)}" repeats "{first.label}" in the same prompt '
                f"(sent by {where_sent(group)}){tail}; the copy is billed on every call"
                f"{tokens_label(group.waste)}")
