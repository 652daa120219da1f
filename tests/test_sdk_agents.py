"""Agent SDKs: OpenAI Agents, pydantic-ai, Claude Agent SDK, Google ADK, agno."""

from sdk_helpers import codes, one, sites


def test_openai_agents_runner_reads_the_agent():
    code = """
        from agents import Agent, Runner, ModelSettings
        triage = Agent(name="triage", instructions="Route the ticket.", model="gpt-4.1",
                       model_settings=ModelSettings(max_tokens=200))
        async def handle(q):
            return await Runner.run(triage, q, max_turns=3)
        """
    site = one(code)
    assert (site.provider, site.api, site.model) == ("openai", "Runner.run", "gpt-4.1")
    assert [p.role for p in site.parts] == ["system", "user"]
    assert (site.cap_keyword, site.cap_value, site.cap_location) == ("model_settings.max_tokens", 200, "constructor")
    assert codes(code, "PL301") == []


def test_openai_agents_without_a_cap_is_reported_on_the_agent():
    code = """
        from agents import Agent, Runner
        agent = Agent(name="a", instructions="x", model="gpt-4.1")
        def go(q):
            return Runner.run_sync(agent, q)
        """
    assert one(code).api == "Runner.run_sync"
    assert codes(code, "PL301") == [3]


def test_pydantic_ai_agent_run_sync_provider_from_the_model_string():
    code = """
        from pydantic_ai import Agent
        agent = Agent("anthropic:claude-sonnet-4-5", system_prompt="Be brief.")
        def go(q):
            return agent.run_sync(q, model_settings={"max_tokens": 100})
        """
    site = one(code)
    assert (site.provider, site.model, site.cap_value) == ("anthropic", "claude-sonnet-4-5", 100)
    assert [p.role for p in site.parts] == ["system", "user"]


def test_pydantic_ai_run_without_cap_is_flagged_at_the_call():
    code = """
        from pydantic_ai import Agent
        agent = Agent("openai:gpt-4o", instructions="x")
        async def go(q):
            return await agent.run(q)
        """
    assert codes(code, "PL301") == [5]


def test_pydantic_ai_on_ollama_is_a_local_runtime():
    """The provider named by the model string is a runtime on this machine (hosts.yaml
    `local_providers`), as the Ollama client, ChatOllama and litellm's `ollama/` are."""
    code = """
        from pydantic_ai import Agent
        agent = Agent("ollama:llama3.2", instructions="x")
        async def go(q):
            return await agent.run(q)
        """
    assert (one(code).provider, one(code).billed) == ("ollama", False)
    assert codes(code, "PL301") == codes(code, "PL201") == []


def test_a_run_method_outside_agent_sdks_is_not_a_call():
    assert sites("""
        import subprocess
        from openai import OpenAI
        subprocess.run(["ls"])
        class Job:
            def run(self, q):
                return q
        Job().run("x")
        """) == []


def test_claude_agent_sdk_query_has_no_output_cap_to_flag():
    code = """
        from claude_agent_sdk import query, ClaudeAgentOptions
        async def go(q):
            async for m in query(prompt=q, options=ClaudeAgentOptions(model="claude-sonnet-4-5",
                                                                     system_prompt="Fix bugs.", max_turns=5)):
                print(m)
        """
    site = one(code)
    assert (site.provider, site.model) == ("anthropic", "claude-sonnet-4-5")
    assert [p.role for p in site.parts] == ["system", "user"]
    assert codes(code, "PL301") == []


def test_claude_sdk_client_query():
    site = one("""
        from claude_agent_sdk import ClaudeSDKClient, ClaudeAgentOptions
        async def go(q):
            async with ClaudeSDKClient(options=ClaudeAgentOptions(model="claude-opus-4-1")) as client:
                await client.query(q)
        """)
    assert (site.provider, site.api, site.model) == ("anthropic", "query", "claude-opus-4-1")


def test_google_adk_agent_cap_in_generate_content_config():
    code = """
        from google.adk.agents import LlmAgent
        from google.genai import types
        capped = LlmAgent(model="gemini-2.5-flash", instruction="x",
                          generate_content_config=types.GenerateContentConfig(max_output_tokens=300))
        uncapped = LlmAgent(model="gemini-2.5-flash", instruction="x")
        """
    assert codes(code, "PL301") == [6]


def test_agno_agent_model_object():
    code = """
        from agno.agent import Agent
        from agno.models.openai import OpenAIChat
        agent = Agent(model=OpenAIChat(id="gpt-4o", max_tokens=500), instructions="Be terse.")
        agent.run("hello")
        """
    site = one(code)
    assert (site.model, site.cap_value) == ("gpt-4o", 500)
    assert codes(code, "PL301") == []


def test_agno_provider_from_the_model_class():
    found = sites("""
        from agno.agent import Agent
        from agno.models.anthropic import Claude
        from agno.models.ollama import Ollama
        a = Agent(model=Claude(id="claude-sonnet-4-5"))
        a.run("x")
        b = Agent(model=Ollama(id="llama3"))
        b.run("x")
        """)
    assert [(s.provider, s.billed) for s in found] == [("anthropic", True), ("ollama", False)]


def test_claude_agent_sdk_has_no_tag_to_ask_for():
    assert codes("""
        from claude_agent_sdk import query
        async def go(q):
            async for m in query(prompt=q):
                pass
        """, "PL201") == []


AGENT_RUNS_OVER_ROWS = """
    import asyncio
    import csv

    from agents import Agent as OpenAIAgent, Runner
    from agno.agent import Agent as AgnoAgent
    from agno.models.anthropic import Claude
    from claude_agent_sdk import ClaudeAgentOptions, query
    from pydantic_ai import Agent as PydanticAgent

    triage = OpenAIAgent(name="triage", instructions="Label the ticket.", model="gpt-4.1-mini")
    grader = PydanticAgent("anthropic:claude-haiku-4-5", system_prompt="Grade the answer from 1 to 5.")
    tagger = AgnoAgent(model=Claude(id="claude-haiku-4-5", max_tokens=200), instructions="Tag the product.")


    async def review_all(rows):
        for row in rows:
            async for message in query(prompt=row["diff"], options=ClaudeAgentOptions(max_turns=4)):
                print(message)


    if __name__ == "__main__":
        rows = list(csv.DictReader(open("rows.csv")))
        for row in rows:
            Runner.run_sync(triage, row["ticket"])
            grader.run_sync(row["answer"])
            tagger.run(row["title"])
        asyncio.run(review_all(rows))
"""


def test_agent_runs_over_rows_are_call_sites_but_not_batch_candidates():
    """Each run is a chain of requests (model, tools, model again), each waiting for the
    last, and none of these frameworks sends a run through a batch API: PL601's advice would
    be untrue, as for crewAI's kickoff (rules/batch_apis.yaml `agent_runs`)."""
    found = sites(AGENT_RUNS_OVER_ROWS)
    assert sorted((s.shape, s.provider) for s in found) == [
        ("agno-run", "anthropic"), ("claude-sdk-query", "anthropic"),
        ("openai-agents-run", "openai"), ("pydantic-ai-run", "anthropic")]
    assert all(s.billed for s in found)
    assert codes(AGENT_RUNS_OVER_ROWS, "PL601") == []
    # the same loop of plain requests is one
    plain = AGENT_RUNS_OVER_ROWS.replace('Runner.run_sync(triage, row["ticket"])',
                                         'client.chat.completions.create(model="gpt-4.1-mini", max_tokens=5, '
                                         'messages=[{"role": "user", "content": row["ticket"]}])')
    plain = plain.replace("import csv\n", "import csv\n    from openai import OpenAI\n    client = OpenAI()\n")
    assert codes(plain, "PL601") == [27]


def test_agno_agent_with_tools_and_no_tool_call_limit_loops_unbounded():
    # Model.response loops `while True` while the model asks for tools; tool_call_limit (default
    # None) is the only brake, and an agent without tools makes one call per run.
    fires = """
        from agno.agent import Agent
        from agno.models.openai import OpenAIChat
        from tools import search
        agent = Agent(model=OpenAIChat(id="gpt-4o", max_tokens=500), tools=[search])
        capped = Agent(model=OpenAIChat(id="gpt-4o", max_tokens=500), tools=[search], tool_call_limit=5)
        no_tools = Agent(model=OpenAIChat(id="gpt-4o", max_tokens=500), tools=None)
        plain = Agent(model=OpenAIChat(id="gpt-4o", max_tokens=500), instructions="Be terse.")
        unset = Agent(model=OpenAIChat(id="gpt-4o", max_tokens=500), tools=[search], tool_call_limit=None)
        for a in (agent, capped, no_tools, plain, unset):
            a.run("hello")
        """
    assert codes(fires, "PL701") == [5, 9]


def test_openai_agents_with_the_projects_own_model_class_is_not_judged():
    # `model=` takes a Model object too: a project's own class (a test fake, a wrapper of some
    # other API) bills as its own code decides; the SDK's model classes still need model_settings.
    code = """
        from agents import Agent, OpenAIChatCompletionsModel
        from openai import AsyncOpenAI
        from app.fakes import FakeModel

        fake = Agent(name="fake", model=FakeModel())
        real = Agent(name="real", model=OpenAIChatCompletionsModel(model="gpt-4o", openai_client=AsyncOpenAI()))
        named = Agent(name="named", model="gpt-4o")
        """
    assert codes(code, "PL301") == [7, 8]
