"""PL401 on few-shot examples written inline in one prompt string: the block finder
(checks/_inline_shots.py) and the rule on call sites, in one file and across modules
(a prompts module's constant filled and sent through the project's own wrapper)."""

from __future__ import annotations

import textwrap

from promptlint.checks._inline_shots import SLOT, example_runs
from promptlint.engine import lint_paths, lint_source
from promptlint.settings import Settings


def _counts(text: str) -> list[int]:
    return [run.count for run in example_runs(textwrap.dedent(text))]


# -- the block finder ----------------------------------------------------------------

def test_repeated_labels_ending_with_the_real_question():
    text = """\
        Spell the number in words.
        Input: 12
        Answer: twelve
        Input: 40
        Answer: forty
        Input: 7
        Answer: seven
        Input: 100
        Answer: one hundred
        Input: {number}
        """
    runs = example_runs(textwrap.dedent(text))
    assert [r.count for r in runs] == [4]
    assert runs[0].shape == "Input/Answer"
    # The question is no example: the last one ends with "one hundred".
    assert textwrap.dedent(text)[:runs[0].end].endswith("Answer: one hundred")


def test_blocks_with_a_label_between_input_and_answer():
    text = "Here are some examples:\n" + "".join(
        f"Clue: clue {i}\nThoughts: think {i}\nthen more {i}\nOutput: word{i}\n\n" for i in range(5))
    runs = example_runs(text)
    assert [(r.count, r.shape) for r in runs] == [(5, "Clue/Thoughts/Output")]


def test_a_value_filled_per_request_is_the_question():
    # A .format() or f-string value reaches the rule as a dynamic segment (SLOT).
    text = "".join(f"Q: question {i}?\nA: answer {i}\n" for i in range(4)) + f"Q: {SLOT}\nA:"
    assert [r.count for r in example_runs(text)] == [4]


def test_one_example_and_a_placeholder_question_are_one_example():
    assert _counts("""\
        Extract the city as JSON.
        Example:
        Input: Meet me in Lyon.
        Output: {"city": "Lyon"}

        Input: {sentence}
        Output:
        """) in ([], [1])


def test_a_transcript_filled_per_request_holds_no_examples():
    turns = "".join(f"User: {{question_{i}}}\nAssistant: {{answer_{i}}}\n" for i in range(6))
    assert not any(example_runs("Here is the conversation so far, see the examples:\n" + turns))
    # the same with values filled per request
    assert not any(example_runs("".join(f"User: {SLOT}\nAssistant: {SLOT}\n" for _ in range(6))))


def test_the_turns_of_one_example_conversation_are_one_example():
    conversation = ("User: Book a table for two.\nAssistant: Which evening?\n"
                    "User: Friday at eight.\nAssistant: Booked for Friday, 20:00.\n"
                    "User: Can you add a high chair?\nAssistant: Added.\n"
                    "User: Thanks.\nAssistant: Enjoy your dinner.\n")
    # One four-turn conversation shown as an example: one example, not four.
    assert _counts("Reply like in this example:\n\n" + conversation) == [1]
    # Exchanges set apart by blank lines are separate examples.
    separate = "\n".join(f"User: question {i}\nAssistant: answer {i}\n" for i in range(5))
    assert _counts("Reply like in these examples:\n\n" + separate) == [5]
    # Two conversations, each introduced by a line of its own.
    two = "Example of booking:\n\n" + conversation + "\nExample of cancelling:\n\n" + conversation
    assert max(_counts(two)) <= 2


def test_format_slots_are_not_examples():
    slots = "".join(f"Example {i}\nInput: [the input]\nOutput: [the correct output]\n\n" for i in range(1, 6))
    assert not any(r.count for r in example_runs(slots))


def test_numbered_instructions_are_not_examples():
    assert _counts("""\
        Follow these rules, for example:
        1. Input: a greeting. Answer: greet back.
        2. Input: a question. Answer: answer it.
        3. Input: a complaint. Answer: apologise.
        4. Input: a refund request. Answer: link the policy.
        5. Input: anything else. Answer: offer a human.
        """) == []


def test_labelled_blocks_that_nothing_announces_are_reference_material():
    faq = "".join(f"Q: question {i}?\nA: answer {i}.\n" for i in range(6))
    assert _counts("Answer from this FAQ only.\n\n" + faq) == []
    assert _counts("Answer like these examples.\n\n" + faq) == [6]


def test_headed_examples_count_by_head_and_a_restarted_numbering_is_another_list():
    text = "".join(f"## Example {i}\nTicket: ticket {i}\nPriority: low\n\n" for i in range(1, 6))
    assert _counts(text) == [5]
    again = "".join(f"Example {i}: reply {i}\n" for i in (1, 2, 1, 2, 3))
    assert _counts(again) == [2, 3]


def test_xml_example_tags():
    text = "".join(f"<example>\nReview: review {i}\nLabel: good\n</example>\n" for i in range(4))
    assert _counts(text) == [4]


def test_a_bulleted_example_item_is_no_head():
    text = "".join(f"{i}. **Rule {i}**: do thing {i}\n- **Example**:\n    - Before: a\n    - After: b\n"
                   for i in range(1, 6))
    assert _counts(text) == []


def test_lines_inside_code_fences_are_no_labels():
    code = "```\n" + "".join(f"Input: {i}\nAnswer: {i}\n" for i in range(6)) + "```\n"
    assert _counts("For example:\n" + code) == []


# -- the rule on call sites ----------------------------------------------------------

SINGLE = '''\
from openai import OpenAI

client = OpenAI()

PROMPT = """Name the capital city. Examples:
Country: France
Capital: Paris
Country: Japan
Capital: Tokyo
Country: Kenya
Capital: Nairobi
Country: Peru
Capital: Lima
Country: Canada
Capital: Ottawa
"""


def capital(country: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini",
        max_completion_tokens=10,
        messages=[{"role": "system", "content": PROMPT}, {"role": "user", "content": f"Country: {country}"}],
    )
    return completion.choices[0].message.content
'''


def _pl401(source: str, settings: Settings | None = None):
    found = lint_source("app.py", source.encode(), settings or Settings()).findings
    return [f for f in found if f.code == "PL401"]


def test_inline_examples_beyond_the_limit_fire_on_the_first_one_beyond_it():
    from promptlint.cost.estimate import count_tokens

    found = _pl401(SINGLE)
    assert [(f.span.line, f.suppressed) for f in found] == [(12, False)]  # "Country: Peru"
    finding = found[0]
    extra = "Country: Peru\nCapital: Lima\nCountry: Canada\nCapital: Ottawa"
    assert finding.waste_tokens_per_call == count_tokens(extra, Settings().tokenizer)
    assert finding.waste_kind == "input"
    assert "5 few-shot examples (Country/Capital)" in finding.message
    assert "limit of 3" in finding.message and "at line 20" in finding.message
    assert finding.call_site.line == 20
    # the literal's lines hold a suppression comment
    assert finding.suppress_lines == (5, 16)


def test_the_limit_is_the_rule_option():
    from promptlint.settings import Settings as S

    settings = S(rule_options={"PL401": {"max-examples": 5}})
    assert _pl401(SINGLE, settings) == []
    settings = S(rule_options={"PL401": {"max-examples": 4}})
    assert [f.span.line for f in _pl401(SINGLE, settings)] == [14]


def test_examples_of_a_list_constant_are_reported_once():
    source = '''\
import anthropic

client = anthropic.Anthropic()

EXAMPLES = [
    "Q: How do I reset my password?\\nA: Settings > Account > Reset password.",
    "Q: Can I export my data to CSV?\\nA: Yes, from Reports > Export.",
    "Q: Where do I find my invoices?\\nA: Billing > Invoices, one per month.",
    "Q: How do I invite a team member?\\nA: Admin > Users > Invite.",
    "Q: Can I change my username later?\\nA: No, usernames are permanent.",
]
SYSTEM = "Answer support questions like these examples.\\n\\n" + "\\n\\n".join(EXAMPLES)


def answer(question: str) -> str:
    response = client.messages.create(
        model="claude-haiku-4-5", max_tokens=200, system=SYSTEM,
        messages=[{"role": "user", "content": question}],
    )
    return response.content[0].text
'''
    assert [f.span.line for f in _pl401(source)] == [5]  # the constant, not its fourth item again


# -- across modules: a prompts module, the project's wrapper, its callers ---------------

PROMPTS = '''\
TRANSLATE = """Translate the English sentence to French.

Here are a few examples:

English: Good morning.
French: Bonjour.

English: Where is the station?
French: Où est la gare ?

English: I would like a coffee.
French: Je voudrais un café.

English: The museum opens at nine.
French: Le musée ouvre à neuf heures.

English: {sentence}
French:"""
'''

LLM = '''\
from openai import OpenAI

client = OpenAI()


def complete(prompt: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini",
        max_completion_tokens=100,
        messages=[{"role": "user", "content": prompt}],
    )
    return completion.choices[0].message.content
'''

CALLER = '''\
from .llm import complete
from .prompts import TRANSLATE


def {name}(sentence: str) -> str:
    return complete(TRANSLATE.format(sentence=sentence))
'''


def _project(tmp_path, monkeypatch, files: dict[str, str]):
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    result = lint_paths(sorted(files), Settings(select=["PL401"], jobs=1))
    assert not result.errors
    return result.findings


def test_a_prompts_module_constant_sent_through_a_wrapper_is_reported_there_once(tmp_path, monkeypatch):
    found = _project(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/prompts.py": PROMPTS, "app/llm.py": LLM,
        "app/translate.py": CALLER.format(name="translate"),
        "app/batch.py": CALLER.format(name="translate_row"),
    })
    assert [(f.path, f.span.line, f.suppressed) for f in found] == [("app/prompts.py", 14, False)]
    message = found[0].message
    assert "4 few-shot examples (English/French)" in message and "limit of 3" in message
    # the call sites that send it: the wrapper's callers, the first by place, then a count
    assert "`complete` (app/batch.py:6) and 1 more call site" in message
    assert found[0].waste_tokens_per_call > 0


def test_a_suppression_in_the_prompts_module_holds(tmp_path, monkeypatch):
    prompts = PROMPTS.replace('French:"""', 'French:"""  # promptlint: disable=PL401 measured on our eval set')
    found = _project(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/prompts.py": prompts, "app/llm.py": LLM,
        "app/translate.py": CALLER.format(name="translate"),
    })
    assert [(f.path, f.span.line, f.suppressed) for f in found] == [("app/prompts.py", 14, True)]


def test_a_prompts_module_constant_nobody_sends_is_not_reported(tmp_path, monkeypatch):
    found = _project(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/prompts.py": PROMPTS, "app/llm.py": LLM,
    })
    assert found == []


def test_long_lines_are_read_in_linear_time():
    # A quadratic pattern over a 200 KB heading line took minutes; these take milliseconds.
    import time

    started = time.perf_counter()
    for text in ("# " * 100_000 + "x", "# " * 100_000 + "9", "**" + "a" * 100_000 + "**",
                 "Input: " + "x " * 100_000 + "\nAnswer: y\n"):
        assert example_runs(text) == ()
    assert time.perf_counter() - started < 5
