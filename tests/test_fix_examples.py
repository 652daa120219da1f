"""Every `fixes` example in every rule document is a test (conventions.md §5).

Ids are `PL301-fix-0`, ... For each example: lint `before`, apply this rule's fixes
(`--unsafe-fixes`), compare the whole file with `after`, check that it parses and compiles,
then run again until no fix is left (at most 10 rounds): one round must be enough, so the
second changes nothing. The applicability the example states (or the section's) must be the
one the fixes carry, and without --unsafe-fixes an unsafe fix changes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from promptlint.engine import lint_source  # noqa: E402
from promptlint.fix.apply import MAX_ROUNDS, fix_file, problem  # noqa: E402
from promptlint.settings import Settings  # noqa: E402

RULES = ROOT / "rules"


def _cases():
    cases = []
    for path in sorted(RULES.glob("PL[0-9][0-9][0-9].yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        fixes = doc.get("fixes")
        if not fixes:
            continue
        for i, example in enumerate(fixes["examples"]):
            applicability = example.get("applicability", fixes["applicability"])
            cases.append(pytest.param(doc["code"], applicability, example["before"], example["after"],
                                      id=f"{doc['code']}-fix-{i}"))
    return cases


CASES = _cases()


def relint_for(code: str):
    settings = Settings()

    def relint(path: str, text: str):
        return [f for f in lint_source(path, text.encode("utf-8"), settings).findings
                if f.code == code and not f.suppressed]

    return relint


def apply_once(code: str, text: str, unsafe: bool = True) -> str:
    relint = relint_for(code)
    return fix_file("example.py", text, relint("example.py", text), unsafe, relint).fixed


def test_rules_with_fixes_are_documented():
    from promptlint.fix import FIXERS

    documented = {case.values[0] for case in CASES}
    assert documented == set(FIXERS), "every fixer needs a `fixes` section with examples, and only fixers"


@pytest.mark.parametrize("code, applicability, before, after", CASES)
def test_fix_example(code, applicability, before, after):
    assert problem(before, "example.py") is None, "the example's `before` must be valid Python"
    relint = relint_for(code)
    findings = relint("example.py", before)
    fixed = [f for f in findings if f.fix is not None]
    assert fixed, f"no {code} finding with a fix in `before`"
    assert {f.fix.applicability for f in fixed} == {applicability}

    result = fix_file("example.py", before, findings, True, relint)
    assert result.messages == []
    assert result.fixed == after
    assert problem(after, "example.py") is None

    text, rounds = after, 0
    while True:  # converges: at most MAX_ROUNDS, and here the first round did everything
        again = apply_once(code, text)
        if again == text:
            break
        rounds += 1
        assert rounds < MAX_ROUNDS, "the fix never converges"
        assert problem(again, "example.py") is None
        text = again
    assert rounds == 0, "a second run must change nothing"

    if applicability == "unsafe":
        assert apply_once(code, before, unsafe=False) == before, "unsafe fixes need --unsafe-fixes"
    else:
        assert apply_once(code, before, unsafe=False) == after
