"""PL105, PL106, PL201, PL202, PL302, PL501, PL502 beyond their documented examples:
configuration options, tag spellings, and the data flow from an LLM answer to `model=`."""

from __future__ import annotations

import textwrap

import pytest

from promptlint.analysis.attribution import key_matches
from promptlint.engine import lint_source
from promptlint.settings import Settings, Wrapper


def codes(source: str, settings: Settings | None = None, code: str | None = None) -> list[tuple[int, str]]:
    result = lint_source("app.py", textwrap.dedent(source).encode(), settings or Settings())
    assert not result.errors, result.errors
    return sorted((f.span.line, f.code) for f in result.findings if code is None or f.code == code)


@pytest.mark.parametrize("key", ["task", "task_name", "X-Task", "x-task-name", "Helicone-Property-Task", "taskName"])
def test_task_key_spellings_match(key):
    assert key_matches(key, ["task", "task_name"])


@pytest.mark.parametrize("key", ["subtask", "tasks", "request_id", "X-Request-ID"])
def test_other_keys_do_not_match(key):
    assert not key_matches(key, ["task", "task_name"])


UNTAGGED = """
    from openai import OpenAI
    from app.telemetry import cost_scope

    client = OpenAI()


    def ask(question: str) -> str:
        with cost_scope("faq"):
            completion = client.chat.completions.create(
                model="gpt-4.1-mini", max_tokens=200, messages=[{"role": "user", "content": question}])
        return completion.choices[0].message.content
"""


def test_context_manager_from_configuration():
    assert codes(UNTAGGED, code="PL201") == [(10, "PL201")]
    settings = Settings(rule_options={"PL201": {"context-managers": ["cost_scope"]}})
    assert codes(UNTAGGED, settings, code="PL201") == []
    # the tag came without a version
    assert codes(UNTAGGED, settings, code="PL202") == [(10, "PL202")]


def test_configured_keys_replace_the_defaults():
    source = """
        from openai import OpenAI

        client = OpenAI()
        completion = client.chat.completions.create(
            model="gpt-4.1-mini", max_tokens=20, metadata={"feature": "faq", "prompt_rev": "3"}, messages=[])
    """
    assert codes(source, code="PL201") == [(5, "PL201")]
    settings = Settings(rule_options={"PL201": {"keys": ["feature"]}, "PL202": {"keys": ["prompt_rev"]}})
    assert codes(source, settings) == [(5, "PL203")]  # tagged and versioned; only its usage goes unread


def test_declared_wrapper_task_argument():
    source = """
        from app import llm

        def title(text: str) -> str:
            return llm.complete(prompt=text, task="title", max_tokens=20)

        def summary(text: str) -> str:
            return llm.complete(prompt=text, max_tokens=200)
    """
    settings = Settings(wrappers=[Wrapper(name="app.llm.complete")])
    assert codes(source, settings, code="PL201") == [(8, "PL201")]


def test_langchain_config_positional_and_tracing_names():
    source = """
        from langchain_openai import ChatOpenAI

        llm = ChatOpenAI(model="gpt-4.1-mini", max_tokens=100)

        def a(q):
            return llm.invoke(q, {"metadata": {"task": "qa", "prompt_version": "2"}})

        def b(q):
            return llm.invoke(q, config={"run_name": "qa@3"})

        def c(q):
            return llm.invoke(q)
    """
    assert codes(source, code="PL201") == [(13, "PL201")]
    assert codes(source, code="PL202") == []


def test_config_object_from_a_parameter_is_not_assumed_untagged():
    source = """
        from google import genai

        client = genai.Client()

        def generate(contents, config):
            return client.models.generate_content(model="gemini-2.5-flash", contents=contents, config=config)
    """
    assert codes(source, code="PL201") == []


@pytest.mark.parametrize("choice", ['tool_choice or {"type": "auto"}', '{"type": "auto"} if TOOLS else None',
                                    '{"type": "tool", "name": tool_name}'])
def test_tool_choice_that_does_not_vary_per_call(choice):
    source = f"""
        import anthropic

        client = anthropic.Anthropic()
        TOOLS = [{{"name": "lookup", "description": "Look an order up.", "input_schema": {{"type": "object"}}}}]
        POLICY = "Answer questions about orders and returns using the tools. " * 1

        def step(messages, tool_choice=None, tool_name="lookup"):
            return client.messages.create(
                model="claude-opus-5", max_tokens=100, tools=TOOLS, tool_choice={choice},
                system=POLICY, messages=messages)
    """
    assert codes(source, code="PL106") == []


ROUTER = """
    import json

    from openai import OpenAI

    client = OpenAI()
    MODELS = {"easy": "gpt-4.1-mini", "hard": "gpt-4.1"}


    def grade(question: str) -> str:
        reply = client.chat.completions.create(
            model="gpt-4.1-nano", max_tokens=10, messages=[{"role": "user", "content": question}])
        return json.loads(reply.choices[0].message.content)["level"]


    def answer(question: str) -> str:
        level = grade(question)
        completion = client.chat.completions.create(
            model=MODELS[level], max_tokens=400, messages=[{"role": "user", "content": question}])
        return completion.choices[0].message.content
"""


def test_router_answer_flows_through_helper_json_and_lookup():
    assert codes(ROUTER, code="PL501") == [(11, "PL501")]


def test_model_from_configuration_is_not_a_router():
    source = ROUTER.replace("model=MODELS[level]", 'model=MODELS["easy"]')
    assert codes(source, code="PL501") == []


def test_constructor_cap_and_reasoning_ceiling():
    source = """
        from langchain_openai import ChatOpenAI

        writer = ChatOpenAI(model="gpt-4.1", max_tokens=12000)
        planner = ChatOpenAI(model="o3", max_tokens=30000)
    """
    assert codes(source, code="PL302") == [(4, "PL302")]
    settings = Settings(rule_options={"PL302": {"ceiling": 16000}})
    assert codes(source, settings, code="PL302") == []


def test_frontier_model_with_tools_is_an_agent_not_a_classifier():
    source = """
        from openai import OpenAI

        client = OpenAI()
        TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]

        def run(ticket):
            return client.chat.completions.create(
                model="gpt-5",
                max_completion_tokens=500,
                tools=TOOLS,
                messages=[{"role": "system", "content": "Classify the ticket into exactly one of: a, b."},
                          {"role": "user", "content": ticket}])
    """
    assert codes(source, code="PL502") == []
    assert codes(source.replace("                tools=TOOLS,\n", ""), code="PL502") == [(9, "PL502")]


def test_traceable_metadata_carries_the_version():
    source = """
        from langsmith import traceable
        from openai import OpenAI

        client = OpenAI()

        @traceable(name="faq", metadata={"prompt_version": "4"})
        def ask(question: str) -> str:
            return client.chat.completions.create(
                model="gpt-4.1-mini", max_tokens=200, messages=[{"role": "user", "content": question}])

        @traceable
        def ask_untracked(question: str) -> str:
            return client.chat.completions.create(
                model="gpt-4.1-mini", max_tokens=200, messages=[{"role": "user", "content": question}])
    """
    assert codes(source, code="PL201") == []
    assert codes(source, code="PL202") == [(14, "PL202")]


def test_model_echoed_from_a_response_is_not_routing():
    source = """
        from openai import OpenAI

        client = OpenAI()

        def answer(question: str) -> str:
            first = client.chat.completions.create(
                model="gpt-4.1-mini", max_tokens=300, messages=[{"role": "user", "content": question}])
            follow = client.chat.completions.create(
                model=first.model, max_tokens=300, messages=[{"role": "user", "content": "And briefly?"}])
            return follow.choices[0].message.content
    """
    assert codes(source, code="PL501") == []


@pytest.mark.parametrize("choice", [
    '    model = "gpt-4.1" if level == "hard" else "gpt-4.1-mini"\n',
    '    if level == "hard":\n        model = "gpt-4.1"\n    else:\n        model = "gpt-4.1-mini"\n',
])
def test_condition_on_the_answer_picks_the_model(choice):
    source = (
        "from openai import OpenAI\n\nclient = OpenAI()\n\n\ndef answer(question: str) -> str:\n"
        "    grade = client.chat.completions.create(\n"
        "        model=\"gpt-4.1-nano\", max_tokens=3, messages=[{\"role\": \"user\", \"content\": question}])\n"
        "    level = grade.choices[0].message.content.strip()\n"
        + choice +
        "    return client.chat.completions.create(\n"
        "        model=model, max_tokens=400, messages=[{\"role\": \"user\", \"content\": question}])\n"
    )
    assert codes(source, code="PL501") == [(7, "PL501")]
    assert codes(source.replace('level == "hard"', 'len(question) > 500'), code="PL501") == []


WITH_SHAPES = """
    import contextlib
    from openai import OpenAI
    from app.telemetry import cost_scope, other

    client = OpenAI()

    with cost_scope("top"), other(): client.chat.completions.create(model="m", messages=[])

    class Agent:
        def run(self, q):
            with cost_scope(str(q)) as scope:
                try:
                    answer = client.chat.completions.create(model="m", messages=[])
                except ValueError:
                    with other(client.models.list()):
                        pass
                else:
                    for x in q:
                        pass
                    else:
                        client.chat.completions.create(model="m", messages=[])
                finally:
                    scope.close()

                @contextlib.contextmanager
                def inner(arg=client.models.list()):
                    with other():
                        yield (lambda: client.chat.completions.create(model="m", messages=[]))()
            if q:
                pass
            elif q is None:
                with cost_scope("elif"): print(q)
            match q:
                case 1:
                    with other():
                        print(q)
            return answer

    async def main():
        async with cost_scope("async") as s, other():
            while True:
                await s.call(client.chat.completions.create(model="m", messages=[]))
"""


def test_with_items_read_from_enclosing_statements_match_a_full_walk():
    import libcst as cst

    from promptlint.analysis.attribution import TagFinder
    from promptlint.engine import analyse

    text = textwrap.dedent(WITH_SHAPES)
    ctx = analyse("app.py", cst.parse_module(text), text, Settings())
    finder = TagFinder(ctx, Settings())
    seen = 0
    for info in ctx.index.calls:
        ours = [cst.Module([]).code_for_node(item) for item in finder._with_items(info.node)]
        walked = [cst.Module([]).code_for_node(item) for item in finder._collected().get(id(info.node), [])]
        assert ours == walked, cst.Module([]).code_for_node(info.node)
        seen += bool(ours)
    assert seen >= 10


def test_context_manager_tags_calls_in_nested_blocks():
    settings = Settings(rule_options={"PL201": {"context-managers": ["cost_scope"]}})
    assert codes(WITH_SHAPES, settings, code="PL201") == []
    assert len(codes(WITH_SHAPES, code="PL201")) == 5
