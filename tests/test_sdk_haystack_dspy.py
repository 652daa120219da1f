"""Haystack generators and DSPy's LM."""

from sdk_helpers import analyse, codes, one


def test_haystack_chat_generator_cap_in_generation_kwargs():
    code = """
        from haystack.components.generators.chat import OpenAIChatGenerator
        gen = OpenAIChatGenerator(model="gpt-4o-mini", generation_kwargs={"max_tokens": 300})
        gen.run(messages=[])
        """
    site = one(code)
    assert (site.model, site.cap_value, site.cap_location) == ("gpt-4o-mini", 300, "constructor")
    assert codes(code, "PL301") == []


def test_haystack_chat_generator_without_cap():
    code = """
        from haystack.components.generators.chat import OpenAIChatGenerator
        gen = OpenAIChatGenerator(model="gpt-4o-mini")
        gen.run(messages=[])
        """
    assert codes(code, "PL301") == [3]


def test_dspy_lm_assumes_no_default_cap():
    code = """
        import dspy
        lm = dspy.LM("openai/gpt-4o-mini")
        capped = dspy.LM("openai/gpt-4o-mini", max_tokens=1000)
        dspy.configure(lm=lm)
        """
    assert codes(code, "PL301") == [3]


def test_haystack_anthropic_generator_always_sends_a_cap():
    code = """
        from haystack_integrations.components.generators.anthropic import AnthropicChatGenerator
        gen = AnthropicChatGenerator(model="claude-sonnet-4-5")
        gen.run(messages=[])
        """
    assert codes(code, "PL301") == []
