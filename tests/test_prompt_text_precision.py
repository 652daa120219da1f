"""Regression tests for the prompt-text rules: PL403 reports once per f-string literal, and
PL404 leaves sample data and few-shot example documents alone."""

from __future__ import annotations

from promptlint.engine import lint_source
from promptlint.settings import Settings


def findings(source: str, code: str):
    return [f for f in lint_source("app.py", source.encode(), Settings()).findings if f.code == code]


PADDED_FSTRING = '''
from openai import OpenAI

client = OpenAI()


def ask(question: str, name: str) -> str:
    return client.chat.completions.create(
        model="gpt-4o", max_tokens=50,
        messages=[
            {"role": "system", "content": f"Please help the user named {name}. Thank you so much for answering, and please keep it short."},
            {"role": "user", "content": question},
        ],
    ).choices[0].message.content
'''


def test_pl403_one_finding_per_fstring_literal():
    (f,) = findings(PADDED_FSTRING, "PL403")
    assert '"please" x2' in f.message and '"thank you"' in f.message
    assert f.span.line == 11


FEW_SHOT_CONTRACTS = '''
from openai import OpenAI

client = OpenAI()

INSTRUCTIONS = """You review supplier contracts for the procurement team.
List every clause that sets a payment term, a penalty or an automatic renewal.
Answer with one bullet per clause and quote the clause number."""

EXAMPLE_CONTRACTS = """Example contract A:
1. The supplier delivers the goods within thirty days of the purchase order.
2. Disputes are settled by the courts of Delaware under Delaware law, without regard to conflict of law rules.
3. Invoices are payable within sixty days of receipt.

Example contract B:
1. The supplier provides support during business hours on working days.
2. Disputes are settled by the courts of Delaware under Delaware law, without regard to conflict of law rules.
3. The contract renews automatically for one year unless cancelled in writing.

Example contract C:
1. Late delivery costs the supplier one percent of the order value per week.
2. Disputes are settled by the courts of Delaware under Delaware law, without regard to conflict of law rules.
3. Either party may end the agreement with ninety days notice."""


def review(contract: str) -> str:
    return client.chat.completions.create(
        model="gpt-4.1", max_completion_tokens=400,
        messages=[
            {"role": "system", "content": INSTRUCTIONS + "\\n\\n" + EXAMPLE_CONTRACTS},
            {"role": "user", "content": contract},
        ],
    ).choices[0].message.content
'''


def test_pl404_is_quiet_on_boilerplate_shared_by_example_documents():
    assert findings(FEW_SHOT_CONTRACTS, "PL404") == []


REPEATED_RULE_AND_SAMPLES = '''
from openai import OpenAI

client = OpenAI()

PROMPT = """Classify the support ticket as billing, outage or other and answer with the label only.

Sample ticket:
My invoice for March shows the wrong amount and I was charged twice this month.

Sample ticket:
My invoice for March shows the wrong amount and I was charged twice this month.

Remember: classify the support ticket as billing, outage or other and answer with the label only."""


def label(ticket: str) -> str:
    return client.chat.completions.create(
        model="gpt-4.1-mini", max_completion_tokens=5,
        messages=[{"role": "system", "content": PROMPT}, {"role": "user", "content": ticket}],
    ).choices[0].message.content
'''


def test_pl404_reports_the_repeated_instruction_not_the_example_text():
    (f,) = findings(REPEATED_RULE_AND_SAMPLES, "PL404")
    assert "classify the support ticket" in f.message.lower()
    assert "invoice" not in f.message.lower()  # the sample ticket is data, not an instruction
    assert "1 more" not in f.message
