"""Few-shot examples written inline in one prompt string (PL401).

A prompt often holds its examples as labelled blocks written once in a constant:

    Input: 4 4 6 8
    Answer: (4 + 8) * (6 - 4) = 24
    ...
    Input: {input}

`example_runs(text)` finds runs of such blocks, in two shapes:

- the same sequence of labels repeated, from an input label (`Input`, `Q`, `User`...) to
  an output label (`Answer`, `A`, `Assistant`...), with any labels between (`Steps`);
- blocks each headed by an example line (`Example 2:`, `### Example`, `<example>`).

The labels are data (rules/few_shot.yaml `inline`). A block whose input is a placeholder
(`{input}`, a value filled per request, `[your text here]`) is the real question or a format
slot: the examples end before it, so a transcript of placeholders holds none. Labelled
blocks without example heads count only when they end with such a question or follow a
line that announces examples: a static FAQ in a system prompt is knowledge, not few-shot.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache, lru_cache

from promptlint.ruledocs import load_data

SLOT = "\x00"  # stands for a value filled per request in the text given to example_runs
MAX_LINES = 5_000  # a longer text is a document, not a prompt with examples
MAX_LABEL_WORDS = 4
INTRO_LINES = 2  # non-blank lines before the first block that may announce the examples

LABEL = re.compile(
    r"^[ \t]*(?:[-*•][ \t]+)?(?:#{1,6}[ \t]*)?(?:\*\*|__)?(?P<label>[A-Za-z][\w'’ /#-]{0,39}?)[ \t]*"
    r"(?:\*\*|__)?[ \t]*:(?:\*\*|__)?(?:[ \t]+(?P<value>.*?))?[ \t]*$")
BULLET = re.compile(r"^[ \t]*[-*•][ \t]")
FENCE = re.compile(r"^[ \t]*(?:```|~~~)")
HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+\S")
BOLD_LINE = re.compile(r"^[ \t]*(?:\*\*|__)(?P<title>[^*_\n]{1,60})(?:\*\*|__)[ \t]*$")
NUMBER = re.compile(r"\d+")
PLACEHOLDER = re.compile(r"\{\{?[ \t]*[A-Za-z_][\w.]*[ \t]*\}\}?|\$\{\w+\}|" + SLOT)
SLOT_VALUE = re.compile(r"^[ \t]*(?:\[[^\]\n]*\]|<[^>\n]*>|\.\.\.|…)[ \t]*$")


@cache
def _data():
    data = load_data("few_shot.yaml")["inline"]
    heads = "|".join(re.escape(h) for h in data["example_heads"])
    xml = re.compile(rf"^[ \t]*<(?P<close>/)?(?P<tag>{heads})(?:[ \t][^>\n]*)?>[ \t]*$", re.I)
    intro = re.compile(r"(?i)\b(?:" + "|".join(re.escape(w) for w in data["intro_words"]) + r")\b")
    return (frozenset(data["input_labels"]), frozenset(data["output_labels"]), frozenset(data["turn_labels"]),
            frozenset(data["example_heads"]), xml, intro)


@dataclass(slots=True)
class _Line:
    start: int
    end: int  # offset of the line's end (its newline excluded)
    blank: bool
    label: str | None = None  # lower case, without a trailing number ("input 2" -> "input")
    written: str = ""  # the label as written
    value: str = ""  # the text after the colon
    head: bool = False  # heads one example ("Example 2:", "<example>")
    number: int | None = None  # the head's number
    stop: bool = False  # ends any block: a heading that is not a head, `</example>`
    close: bool = False  # `</example>`: ends its block
    fenced: bool = False  # inside a ``` code block


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive examples in one text: where each starts, where the last ends."""

    starts: tuple[int, ...]
    end: int
    shape: str  # the labels as written in the first example, "Input/Answer", or its head, "Example"

    @property
    def count(self) -> int:
        return len(self.starts)


def _norm(label: str) -> str:
    text = " ".join(label.replace("_", " ").lower().split())
    if text[-1:].isdigit():  # "input 2", "q1", "example #3"
        text = text.rstrip("0123456789").rstrip(" #")
    return text


def _lines(text: str, heads: frozenset, xml) -> list[_Line]:
    lines, pos, fenced = [], 0, False
    for raw in text.split("\n"):
        line = _Line(pos, pos + len(raw), not raw.strip())
        pos += len(raw) + 1
        lines.append(line)
        if FENCE.match(raw):
            fenced = not fenced
            continue
        line.fenced = fenced
        if fenced or line.blank:
            continue
        tag = xml.match(raw)
        if tag:
            if tag["close"]:
                line.stop = line.close = True
            else:
                line.label, line.written, line.head = _norm(tag["tag"]), tag["tag"], True
            continue
        m = LABEL.match(raw)
        heading = m is None and HEADING.match(raw) is not None
        bold = None if m or heading else BOLD_LINE.match(raw)
        title = heading or bold is not None
        if m:
            written, line.value = m["label"].strip(), m["value"] or ""
        elif title:
            written = (raw.strip().strip("#") if heading else bold["title"]).strip().rstrip(":").strip()
        else:
            continue
        label = _norm(written)
        words = label.split()
        # A bulleted "- **Example**:" is an item of a list (an instruction's illustration), not a head.
        if words and words[0] in heads and len(words) <= MAX_LABEL_WORDS and not BULLET.match(raw):
            line.label, line.written, line.head = label, written, True
            number = NUMBER.search(written)
            line.number = int(number.group()) if number else None
        elif title:
            line.stop = heading  # a section of its own ends any block
        elif len(words) <= MAX_LABEL_WORDS:
            line.label, line.written = label, written
    return lines


@lru_cache(maxsize=512)  # the same prompt text reaches many call sites through a project's wrappers
def example_runs(text: str) -> tuple[Run, ...]:
    """The runs of few-shot examples written inline in `text`, in text order."""
    if text.count("\n") > MAX_LINES or ":" not in text and "<" not in text and "#" not in text:
        return ()
    inputs, outputs, turns, heads, xml, intro = _data()
    lines = _lines(text, heads, xml)
    where: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if line.label is not None:
            where.setdefault(line.label, []).append(i)
    runs, taken = [], -1
    tried: dict[str, int] = {}  # label -> the last line a run from it covered: each occurrence tried once
    for i, line in enumerate(lines):
        if i <= taken or line.label is None or i <= tried.get(line.label, -1):
            continue
        occurrences = where[line.label][bisect_left(where[line.label], i):]
        scanned = _Scan(text, lines, inputs, outputs).blocks(occurrences)
        if scanned is None:
            continue
        found, question, labelled = scanned
        if not found:
            continue
        tried[line.label] = found[-1][1]
        # Under example heads the text says what they are; repeated labels need the real
        # question after them, or, when they are an input and an answer label, an announcement.
        if not (line.head or question or labelled and _announced(text, lines, i, intro)):
            continue
        taken = found[-1][1]
        if line.label in turns:
            found = _conversations(lines, found)
        first = found[0][0]
        shape = lines[first].written if line.head else "/".join(
            dict.fromkeys(lines[j].written for j in range(first, found[0][1] + 1) if lines[j].label))
        shape = NUMBER.sub("", shape).strip(" #:") or shape
        runs.append(Run(tuple(lines[a].start for a, _b in found), lines[found[-1][1]].end, shape))
    return tuple(runs)


def _conversations(lines: list[_Line], blocks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Chat-turn blocks grouped into example conversations: a turn that follows the previous
    one with no blank line between continues its conversation ("User: / Assistant: / User:
    / Assistant:" is one example of a two-turn exchange, not two examples)."""
    grouped = [blocks[0]]
    for (a, b), (start, end) in zip(blocks, blocks[1:]):
        last_label = max(m for m in range(a, b + 1) if lines[m].label is not None)
        if any(lines[m].blank and not lines[m].fenced for m in range(last_label + 1, start)):
            grouped.append((start, end))
        else:
            grouped[-1] = (grouped[-1][0], end)
    return grouped


def _announced(text: str, lines: list[_Line], first: int, intro) -> bool:
    """Whether one of the few non-blank lines before the first block announces examples."""
    before = []
    for m in range(first - 1, -1, -1):
        if len(before) == INTRO_LINES:
            break
        if not lines[m].blank:
            before.append(lines[m])
    return any(intro.search(text[ln.start:ln.end]) for ln in before)


class _Scan:
    """Blocks of one run, from the occurrences of its first label."""

    def __init__(self, text: str, lines: list[_Line], inputs: frozenset, outputs: frozenset) -> None:
        self.text, self.lines, self.inputs, self.outputs = text, lines, inputs, outputs

    def blocks(self, occurrences: list[int]) -> tuple[list[tuple[int, int]], bool, bool] | None:
        """([(first line, last line)] of each example, whether the real question follows them,
        whether they are labelled as examples: under heads, or from an input label to an answer
        label); None when the first block repeats no label sequence."""
        lines = self.lines
        head = lines[occurrences[0]].head
        start_label = lines[occurrences[0]].label
        labelled = head
        pattern: list[str] | None = None
        found: list[tuple[int, int]] = []
        for k, j in enumerate(occurrences):
            if head and found and not _next_number(lines[found[-1][0]].number, lines[j].number):
                return found, False, labelled
            nxt = occurrences[k + 1] if k + 1 < len(occurrences) else None
            end = self._middle_end(j, nxt, head, pattern)
            last = end is None
            if last:
                end = self._last_end(j, self._known(pattern, start_label, found), len(pattern) if pattern else None)
            while end > j and lines[end].blank:
                end -= 1
            if self._question(j, end):
                return found, True, labelled
            labels = [lines[m].label for m in range(j, end + 1) if lines[m].label]
            if not head:
                if pattern is None:
                    if len(set(labels)) < 2:
                        return None
                    pattern = labels
                    labelled = start_label in self.inputs and any(lab in self.outputs for lab in labels[1:])
                elif labels != pattern:
                    return found, False, labelled
            elif end == j and not lines[j].value:
                return found, False, labelled  # a head with nothing under it
            found.append((j, end))
            if last:
                # The question may follow the last example, past a line such as "Now you:".
                between = range(end + 1, nxt) if nxt is not None else ()
                question = nxt is not None and not any(lines[m].label for m in between) and self._question(
                    nxt, self._last_end(nxt, self._known(pattern, start_label, found), None))
                return found, question, labelled
        return found, False, labelled

    def _known(self, pattern, start_label: str, found: list[tuple[int, int]]) -> set:
        """The labels a final block may hold: the repeated ones, or under example heads,
        those of the examples before it (and any input or answer label)."""
        if pattern:
            return set(pattern) - {start_label}
        seen = {self.lines[m].label for a, b in found for m in range(a, b + 1)}
        return (seen | self.inputs | self.outputs) - {start_label, None}

    def _question(self, j: int, end: int) -> bool:
        """Whether the block at lines j..end holds the real question or a format slot: its head
        or an input is a placeholder, or a line is nothing but one."""
        for m in range(j, end + 1):
            line = self.lines[m]
            if line.label is not None:
                if (m == j or line.label in self.inputs) and (
                        PLACEHOLDER.search(line.value) or SLOT_VALUE.match(line.value)):
                    return True
            elif not line.blank and _only_placeholder(self.text[line.start:line.end]):
                return True
        return False

    def _middle_end(self, j: int, nxt: int | None, head: bool, pattern) -> int | None:
        """The last line of the block at j when the next occurrence continues the run, else None."""
        if nxt is None:
            return None
        lines = self.lines
        body = range(j + 1, nxt)
        closed = next((m for m in body if lines[m].close), None)
        if closed is not None:  # `</example>`: only blank lines may follow before the next head
            return closed if all(lines[m].blank for m in range(closed + 1, nxt)) else None
        if any(lines[m].stop for m in body):
            return None
        if head:
            return nxt - 1
        labelled = [m for m in range(j, nxt) if lines[m].label]
        if pattern is not None and len(labelled) != len(pattern):
            return None
        # After the block's last labelled line and its continuation, at most one line (the
        # next example's title) may stand before the next input: more is prose between sections.
        tail = range(labelled[-1] + 1, nxt)
        gap = next((m for m in tail if lines[m].blank), None)
        if gap is not None and sum(1 for m in range(gap, nxt) if not lines[m].blank) > 1:
            return None
        return nxt - 1

    def _last_end(self, j: int, known: set, size: int | None) -> int:
        """The last line of the final block: its labels and their continuation lines, up to a
        blank line followed by anything but one of the run's labels. `size`: the number of
        labels of a repeated block; under example heads (None), a label met again past a blank
        line starts something else (the real question)."""
        lines = self.lines
        end, taken, here = j, 1, set()
        m = j + 1
        while m < len(lines):
            line = lines[m]
            if line.stop or line.head:
                break
            if line.blank:
                after = next((n for n in range(m + 1, len(lines)) if not lines[n].blank), None)
                if after is None or lines[after].label not in known or (size is not None and taken >= size) or (
                        size is None and lines[after].label in here):
                    break
                m = after
                continue
            if line.label is not None:
                if line.label not in known or (size is not None and taken >= size):
                    break
                taken += 1
                here.add(line.label)
            end = m
            m += 1
        return end


def _only_placeholder(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and PLACEHOLDER.fullmatch(stripped) is not None


def _next_number(before: int | None, now: int | None) -> bool:
    """Numbered heads continue a run while their numbers grow (1, 2, 3, or 1, 2, 5): a number
    that starts again is another list. Unnumbered heads always continue."""
    if before is None or now is None:
        return before is None and now is None
    return now > before
