"""Text repeated with `*`: a literal times a literal is counted; anything else makes the count a
minimum (≥), and the inventory's static_tokens_complete agrees with the rules' messages."""

from __future__ import annotations

from promptlint.engine import lint_source
from promptlint.cost.estimate import count_tokens
from promptlint.report.inventory import build_rows
from promptlint.settings import Settings

TEMPLATE = '''
from datetime import datetime
from openai import OpenAI
from settings import REPEATS

client = OpenAI()


def ask(question: str) -> str:
    return client.chat.completions.create(
        model="gpt-4o", max_tokens=100,
        messages=[
            {{"role": "system", "content": f"Now {{datetime.now()}}\\n" + {expr} + "Cite sources."}},
            {{"role": "user", "content": question}},
        ],
    ).choices[0].message.content
'''


def run(expr: str):
    result = lint_source("app.py", TEMPLATE.format(expr=expr).encode(), Settings())
    (pl101,) = [f for f in result.findings if f.code == "PL101"]
    (row,) = build_rows(result, Settings())
    return pl101, row


def test_literal_times_literal_is_counted_in_the_rules_and_the_inventory():
    pl101, row = run('"Answer in one short paragraph. " * 20')
    expected = count_tokens("\n" + "Answer in one short paragraph. " * 20 + "Cite sources.")
    assert f"ahead of {expected:,} static tokens" in pl101.message
    assert expected > 100  # the repeated text was not dropped (it used to count 2 tokens)
    assert not row.prompt_partial


def test_count_in_either_order_and_from_a_module_constant():
    a, _ = run('3 * "Be brief. "')
    b, _ = run('"Be brief. " * 3')
    assert a.message == b.message and "ahead of" in a.message


def test_a_count_the_analysis_cannot_see_makes_every_figure_a_minimum():
    pl101, row = run('"Answer in one short paragraph. " * REPEATS')
    assert "ahead of ≥" in pl101.message and pl101.waste_tokens_per_call is None
    assert row.prompt_partial  # inventory: static_tokens_complete is false, shown with ≥


def test_a_huge_repetition_is_not_built_but_is_a_minimum():
    pl101, row = run('"word " * 10_000_000')
    assert "ahead of ≥" in pl101.message
    assert row.prompt_partial
