"""One model of what a cache finding can save (promptlint/cache_savings.py), used by PL101-PL106
and PL405: a figure only where the provider caches the call and the prefix reaches its minimum."""

from __future__ import annotations

import pytest

from promptlint.engine import lint_source
from promptlint.settings import Settings

# About 1,500 tokens of fixed instructions: above every OpenAI / Claude Sonnet 4.5 cache minimum.
LONG_POLICY = " ".join(f"Rule {i}: when the customer asks about order line {i}, quote the policy for it."
                       for i in range(90))
SHORT_POLICY = "You answer questions about orders in two sentences."


def lint(source: str, **options):
    settings = Settings(rule_options=options)
    return lint_source("app.py", source.encode("utf-8"), settings).findings


def openai_call(policy: str) -> str:
    return f'''
import datetime
from openai import OpenAI

client = OpenAI()
POLICY = {policy!r}

def answer(question: str) -> str:
    return client.chat.completions.create(
        model="gpt-4.1",
        max_completion_tokens=300,
        messages=[
            {{"role": "system", "content": f"Now: {{datetime.datetime.now()}}\\n" + POLICY}},
            {{"role": "user", "content": question}},
        ],
    ).choices[0].message.content
'''


def anthropic_call(policy: str, cached: bool) -> str:
    system = ('[{"type": "text", "text": f"Now: {datetime.datetime.now()}\\n" + POLICY, '
              '"cache_control": {"type": "ephemeral"}}]') if cached else 'f"Now: {datetime.datetime.now()}\\n" + POLICY'
    return f'''
import datetime
import anthropic

client = anthropic.Anthropic()
POLICY = {policy!r}

def answer(question: str) -> str:
    return client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=300,
        system={system},
        messages=[{{"role": "user", "content": question}}],
    ).content[0].text
'''


def pl101(findings):
    return [f for f in findings if f.code == "PL101"]


def test_automatic_cache_above_the_minimum_gives_a_figure():
    (f,) = pl101(lint(openai_call(LONG_POLICY)))
    assert f.severity == "error"
    assert f.waste_tokens_per_call and f.waste_tokens_per_call >= 1024
    assert f.waste_kind == "uncached-input"
    assert "latent" not in f.message


def test_below_the_minimum_is_latent_info_without_a_figure():
    (f,) = pl101(lint(openai_call(SHORT_POLICY)))
    assert f.severity == "info"
    assert f.waste_tokens_per_call is None and f.waste_kind is None
    assert "becomes a cache miss once the prefix reaches 1,024 tokens" in f.message


def test_latent_option_false_silences_latent_findings():
    assert pl101(lint(openai_call(SHORT_POLICY), PL101={"latent": False})) == []
    # A real loss is still reported with the option off.
    assert pl101(lint(openai_call(LONG_POLICY), PL101={"latent": False}))


def test_provider_that_caches_only_when_asked_and_is_not_asked_saves_nothing():
    (f,) = pl101(lint(anthropic_call(LONG_POLICY, cached=False)))
    assert f.severity == "info" and f.waste_tokens_per_call is None
    assert "caches only when asked" in f.message


def test_provider_that_is_asked_gives_a_figure():
    (f,) = pl101(lint(anthropic_call(LONG_POLICY, cached=True)))
    assert f.severity == "error" and f.waste_tokens_per_call >= 1024


def test_provider_without_a_prompt_cache_is_silent():
    source = f'''
import datetime
import cohere

co = cohere.ClientV2()
POLICY = {LONG_POLICY!r}

def answer(question: str):
    return co.chat(model="command-r-plus", max_tokens=300, messages=[
        {{"role": "system", "content": f"Now: {{datetime.datetime.now()}}\\n" + POLICY}},
        {{"role": "user", "content": question}},
    ])
'''
    assert pl101(lint(source)) == []


def test_duplicated_prompt_after_per_request_content_has_no_cache_figure():
    source = f'''
from openai import OpenAI

client = OpenAI()
GUIDE_A = {LONG_POLICY!r}
GUIDE_B = {LONG_POLICY + " Be brief."!r}

def first(question: str):
    return client.chat.completions.create(model="gpt-4.1", max_completion_tokens=50, messages=[
        {{"role": "user", "content": question}}, {{"role": "user", "content": GUIDE_A}}])

def second(question: str):
    return client.chat.completions.create(model="gpt-4.1", max_completion_tokens=50, messages=[
        {{"role": "user", "content": question}}, {{"role": "user", "content": GUIDE_B}}])
'''
    dups = [f for f in lint(source) if f.code == "PL405"]
    assert dups, "the copy is still worth reporting (drift)"
    assert all(f.waste_tokens_per_call is None for f in dups)
    assert all("follows per-request content" in f.message for f in dups)


@pytest.mark.parametrize("policy, expect_figure", [(LONG_POLICY, True), (SHORT_POLICY, False)])
def test_duplicated_prompt_in_the_prefix_follows_the_minimum(policy, expect_figure):
    source = f'''
from openai import OpenAI

client = OpenAI()
GUIDE_A = {policy!r}
GUIDE_B = {policy + " Be brief."!r}

def first(question: str):
    return client.chat.completions.create(model="gpt-4.1", max_completion_tokens=50, messages=[
        {{"role": "system", "content": GUIDE_A}}, {{"role": "user", "content": question}}])

def second(question: str):
    return client.chat.completions.create(model="gpt-4.1", max_completion_tokens=50, messages=[
        {{"role": "system", "content": GUIDE_B}}, {{"role": "user", "content": question}}])
'''
    dups = [f for f in lint(source, PL405={"min-tokens": 5}) if f.code == "PL405"]
    assert dups
    assert all((f.waste_tokens_per_call is not None) == expect_figure for f in dups)


def test_static_text_of_unknown_size_after_the_value_is_a_warning_without_a_figure():
    source = '''
import datetime
from openai import OpenAI

client = OpenAI()


def answer(question: str) -> str:
    system = f"Now: {datetime.datetime.now()}\\n" + open("style.md").read()
    return client.chat.completions.create(model="gpt-4.1", max_completion_tokens=300, messages=[
        {"role": "system", "content": system}, {"role": "user", "content": question}])
'''
    (f,) = pl101(lint(source))
    assert f.severity == "warning" and f.waste_tokens_per_call is None
    assert "may be below the 1,024-token cache minimum" in f.message
