import re
from collections import Counter
from collections.abc import Iterator
from functools import cache

from promptlint.checks._prompt_text import (
    Group, Issue, PromptTextCheck, quote, text_segments, tokens_label, where_sent,
)
from promptlint.cost.estimate import count_tokens
from promptlint.model import CallSite, Finding, Segment
from promptlint.ruledocs import load_data

# A sentence ends at a line break or at . ! ? followed by white space.
SENTENCE = re.compile(r"[^\n.!?]+(?:[.!?]+(?=\s|$)|[.!?]*$)?", re.M)
MAX_SENTENCES = 500
BULLET = re.compile(r"^\s*(?:[-*•>]+|\d+[.)]|#+)\s*")
CODE_CHARS = re.compile(r"[{}<>=|$\\\[\]]")
ANAPHORA = re.compile(r"(?i)^(?:these|this|those|that|it|they|them|its|their|such)\b")


@cache
def _words():
    data = load_data("padding.yaml")
    prefixes = "|".join(re.escape(p) for p in data["quoted_line_prefixes"])
    return frozenset(data["filler_words"]), re.compile(rf"^\s*(?:{prefixes})\s*:", re.I)


@cache
def _example_patterns():
    heads = "|".join(re.escape(w) for w in load_data("padding.yaml")["example_heads"])
    # "Example contract A:", "## Sample ticket", "Document 2:", "<example>", "<document index=1>"
    opening = re.compile(rf"^\s*(?:#+\s*|[-*]\s*)?(?:<\s*(?:{heads})\b[^>\n]*>\s*$|(?:{heads})\b[^\n:]{{0,40}}:\s*$)", re.I)
    closing = re.compile(rf"^\s*</\s*(?:{heads})\b[^>\n]*>\s*$", re.I)
    # A line that starts something else: a heading ("Rules:") or a labelled line ("Remember: ...").
    other = re.compile(rf"^\s*(?:#+\s*)?(?!(?:{heads})\b)[A-Z][\w ]{{0,30}}:(?:\s|$)|^\s*#+\s")
    return opening, closing, other


def example_ranges(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of sample data and few-shot example documents in `text`."""
    opening, closing, other = _example_patterns()
    ranges, start, pos = [], None, 0
    for line in text.splitlines(keepends=True):
        if start is not None and (closing.match(line) or (other.match(line) and not opening.match(line))):
            ranges.append((start, pos))
            start = None
        if start is None and opening.match(line):
            start = pos
        pos += len(line)
    if start is not None:
        ranges.append((start, pos))
    return ranges


PARALLEL_BLOCKS = 3  # blocks sharing a line's opening words: worked examples, not instructions
HEAD_WORDS = 3


def parallel_blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of blank-line-separated blocks written to one pattern: at least
    PARALLEL_BLOCKS blocks holding, after their first line, a line that opens with the same
    HEAD_WORDS words ("The letter constraint is: ..." under each clue). Unlabelled few-shot
    examples look so; a sentence repeated across them is example data, not a repeated instruction."""
    blocks, start, pos = [], None, 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            start = pos if start is None else start
        elif start is not None:
            blocks.append((start, pos))
            start = None
        pos += len(line)
    if start is not None:
        blocks.append((start, pos))
    if len(blocks) < PARALLEL_BLOCKS:
        return []
    heads: dict[tuple[str, ...], list[int]] = {}
    for i, (a, b) in enumerate(blocks):
        for line in text[a:b].splitlines()[1:]:
            words = tuple(re.findall(r"[a-z']+", BULLET.sub("", line).lower())[:HEAD_WORDS])
            if len(words) == HEAD_WORDS and (not heads.get(words) or heads[words][-1] != i):
                heads.setdefault(words, []).append(i)
    parallel = {i for found in heads.values() if len(found) >= PARALLEL_BLOCKS for i in found}
    return [blocks[i] for i in sorted(parallel)]


class RepeatedInstruction(PromptTextCheck):
    """The same instruction written twice (or nearly so) in one prompt."""

    code = "PL404"

    def site_issues(self, site: CallSite) -> Iterator[tuple[Segment, list[Issue], int | None]]:
        from rapidfuzz import fuzz

        threshold = self.option("threshold")
        min_words = self.option("min-words")
        tokenizer = self.settings.tokenizer
        earlier: list[tuple[str, str]] = []  # (normalized, as written) of every sentence so far
        for _part, seg in text_segments(site):
            issues = []
            examples = example_ranges(seg.text) + parallel_blocks(seg.text)
            for m in SENTENCE.finditer(seg.text):
                if any(a <= m.start() < b for a, b in examples):
                    continue  # sample data or an example document: input, not an instruction
                raw = m.group(0)
                lead = BULLET.match(raw)
                body = raw[lead.end():] if lead else raw
                norm = " ".join(re.findall(r"[\w']+", body.lower()))
                if len(norm.split()) < min_words or not is_prose(raw):
                    continue
                if len(earlier) >= MAX_SENTENCES:
                    break  # a prompt this long is a document, not instructions; keep the check cheap
                for prev, prev_raw in earlier:
                    if abs(len(prev) - len(norm)) > 0.25 * max(len(prev), len(norm)):
                        continue
                    if fuzz.ratio(prev, norm, score_cutoff=threshold) and same_instruction(prev, norm):
                        start = m.start() + (lead.end() if lead else 0)
                        text = body.strip()
                        issues.append(Issue(start + (len(body) - len(body.lstrip())), text,
                                            quote(prev_raw), count_tokens(" " + text, tokenizer)))
                        break
                else:
                    earlier.append((norm, body.strip()))
            if issues:
                yield seg, issues, None

    def run_project(self, callsites: list[CallSite]) -> Iterator[Finding]:
        # The engine runs the project phase of rules that define it on their own class.
        return super().run_project(callsites)

    def message(self, group: Group) -> str:
        first = group.issues[0]
        more = len(group.issues) - 1
        tail = f", and {more} more repeated sentence{'s' if more > 1 else ''}" if more else ""
        return (f'"{quote(first.snippet)}" repeats "{first.label}" in the same prompt '
                f"(sent by {where_sent(group)}){tail}; the copy is billed on every call"
                f"{tokens_label(group.waste)}")


def is_prose(sentence: str) -> bool:
    """Instructions, not data: no code or markup characters, no `Question:` / `A:` speaker label."""
    _, labelled = _words()
    sentence = sentence.strip()
    if CODE_CHARS.search(sentence) or labelled.match(sentence) or sentence[:1] in "\"'`":
        return False
    if ANAPHORA.match(sentence):
        return False  # "These lines must ...": about the item before it, which differs each time
    letters = sum(c.isalpha() or c.isspace() for c in sentence)
    return letters >= 0.85 * len(sentence)


def same_instruction(a: str, b: str) -> bool:
    """Do two similar sentences differ only by filler words or spelling?"""
    from rapidfuzz import fuzz

    filler, _ = _words()
    left, right = Counter(a.split()), Counter(b.split())
    only_a, only_b = list((left - right).elements()), list((right - left).elements())
    for word in list(only_a):
        match = next((w for w in only_b if fuzz.ratio(word, w) >= 85 and not _opposite(word, w)), None)
        if match is not None:  # "summarise" / "summarize"
            only_a.remove(word)
            only_b.remove(match)
    return all(w in filler for w in only_a + only_b)


def _opposite(a: str, b: str) -> bool:
    """correct / incorrect, able / unable: one is the other with a negating prefix."""
    short, long_ = sorted((a, b), key=len)
    return any(long_ == p + short for p in ("in", "un", "non", "dis", "im", "ir", "il"))
