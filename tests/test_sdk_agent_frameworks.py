"""Agent frameworks whose model object holds the model and the cap: crewAI, smolagents.

The facts behind the catalog entries (rules/sdks.yaml, rules/agent_frameworks.yaml) were read
in the frameworks' source at the commits named there."""

import json
import textwrap

import pytest

from promptlint.cli import main
from sdk_helpers import codes, one, sites


# -- crewAI ------------------------------------------------------------------------------

def test_crewai_llm_without_a_cap_is_reported_on_the_llm_not_again_on_its_agent():
    code = """
        from crewai import Agent, LLM
        drafting = LLM(model="gpt-4o", temperature=0.3)
        writer = Agent(role="Writer", goal="Draft release notes", backstory="Ten years of changelogs.",
                       llm=drafting)
        """
    assert codes(code, "PL301") == [3]


def test_crewai_llm_with_a_cap_and_its_agent_are_quiet():
    code = """
        from crewai import Agent, LLM
        drafting = LLM(model="openai/gpt-4o-mini", max_tokens=600)
        other = LLM("gemini/gemini-2.5-flash", max_output_tokens=300)
        writer = Agent(role="Writer", goal="Draft", backstory="Brief.", llm=drafting)
        """
    assert codes(code, "PL301") == []


def test_crewai_agent_given_a_model_name_builds_an_uncapped_llm():
    code = """
        from crewai import Agent
        reviewer = Agent(role="Reviewer", goal="Review pull requests", backstory="Strict.", llm="gpt-4.1")
        """
    assert codes(code, "PL301") == [3]


def test_crewai_agent_without_llm_uses_the_environment_model_uncapped():
    code = """
        from crewai import Agent
        helper = Agent(role="Helper", goal="Answer", backstory="Patient.")
        """
    assert codes(code, "PL301") == [3]


def test_crewai_agent_fields_from_a_config_entry_or_an_unknown_llm_are_not_judged():
    code = """
        from crewai import Agent

        def build(agents_config, llm):
            first = Agent(config=agents_config["researcher"], verbose=True)
            second = Agent(role="R", goal="G", backstory="B", llm=llm)
            return first, second
        """
    assert codes(code, "PL301") == []


def test_crewai_claude_models_get_the_native_default_cap():
    code = """
        from crewai import Agent, LLM
        claude = LLM(model="anthropic/claude-sonnet-4-5")
        named = Agent(role="A", goal="G", backstory="B", llm="claude-haiku-4-5")
        """
    assert codes(code, "PL301") == []


def test_crewai_agent_kickoff_reads_model_cap_and_system_from_the_agent():
    code = """
        from crewai import Agent, LLM
        tight = LLM(model="gpt-4o-mini", max_tokens=700)
        planner = Agent(role="Planner", goal="Plan the sprint", backstory="Agile coach.", llm=tight)

        def plan(request: str):
            return planner.kickoff(request)
        """
    site = one(code)
    assert (site.provider, site.api, site.model) == ("litellm", "kickoff", "gpt-4o-mini")
    assert (site.cap_keyword, site.cap_value, site.cap_location) == ("llm.max_tokens", 700, "constructor")
    assert [p.role for p in site.parts] == ["system", "system", "system", "history"]  # str or messages
    assert codes(code, "PL301") == [] and codes(code, "PL201") == []


def test_crewai_llm_call_is_a_call_site():
    code = """
        from crewai import LLM
        summariser = LLM(model="gpt-4o-mini", max_completion_tokens=250)

        def summarise(text: str):
            return summariser.call([{"role": "user", "content": text}])
        """
    site = one(code)
    assert (site.api, site.model, site.cap_value) == ("call", "gpt-4o-mini", 250)


def test_crewai_crew_kickoff_is_a_call_site_whose_cap_is_the_agents():
    code = """
        from crewai import Agent, Crew, Task, LLM
        llm = LLM(model="gpt-4o", max_tokens=900)
        analyst = Agent(role="Analyst", goal="Size the market", backstory="Consultant.", llm=llm)

        def run(segment: str):
            task = Task(description="Size {segment}", expected_output="a number", agent=analyst)
            return Crew(agents=[analyst], tasks=[task]).kickoff(inputs={"segment": segment})
        """
    site = one(code)
    assert (site.provider, site.api, site.model) == ("litellm", "kickoff", "gpt-4o")  # its one agent's
    assert site.cap_unknown
    assert codes(code, "PL301") == [] and codes(code, "PL201") == []


def test_crewai_crew_of_agents_on_different_models_names_no_model():
    code = """
        from crewai import Agent, Crew, LLM
        quick = Agent(role="A", goal="G", backstory="B", llm=LLM(model="gpt-4o-mini", max_tokens=100))
        deep = Agent(role="A", goal="G", backstory="B", llm="gpt-4.1")

        def run(tasks):
            return Crew(agents=[quick, deep], tasks=tasks).kickoff()
        """
    site = one(code)
    assert (site.provider, site.model) == ("crewai", None)


def test_crewai_max_iter_above_the_ceiling_is_reported_and_the_default_is_not():
    code = """
        from crewai import Agent, LLM
        llm = LLM(model="gpt-4o", max_tokens=900)
        patient = Agent(role="A", goal="G", backstory="B", llm=llm, max_iter=300)
        default = Agent(role="A", goal="G", backstory="B", llm=llm)
        modest = Agent(role="A", goal="G", backstory="B", llm=llm, max_iter=20)
        """
    assert codes(code, "PL701") == [4]


def test_a_project_class_named_like_crewais_is_not_crewai():
    code = """
        from openai import OpenAI

        class LLM:
            def __init__(self, model: str):
                self.model = model
            def call(self, messages):
                return messages

        class Agent:
            def __init__(self, role, goal, backstory, llm=None, max_iter=1000):
                self.llm = llm
            def kickoff(self, messages):
                return self.llm.call(messages)

        bot = Agent(role="r", goal="g", backstory="b", llm=LLM("gpt-4o"), max_iter=1000)
        bot.kickoff("hello")
        """
    assert sites(code) == []
    assert codes(code, "PL301") == [] and codes(code, "PL701") == []


def test_a_crewai_lookalike_imported_from_the_project_is_not_crewai():
    code = """
        from myapp.models import LLM, Agent
        llm = LLM(model="gpt-4o")
        agent = Agent(role="r", goal="g", backstory="b", llm=llm, max_iter=500)
        agent.kickoff("hi")
        """
    assert sites(code) == []
    assert codes(code, "PL301") == [] and codes(code, "PL701") == []


def test_the_frameworks_own_tests_in_a_src_layout_use_the_project_not_the_catalog(tmp_path, monkeypatch):
    """In crewAI's own repository (lib/crewai/src/crewai, tests in lib/crewai/tests), `from crewai
    import Agent` in a test is the project's class: not a catalog agent with an uncapped model.
    A sibling package that depends on it (lib/tools) still uses it as the framework."""
    from promptlint.engine import lint_paths
    from promptlint.settings import Settings

    files = {
        "lib/crewai/src/crewai/__init__.py": "class Agent:\n    def __init__(self, **fields):\n        self.fields = fields\n",
        "lib/crewai/tests/test_agent.py": "from crewai import Agent\n\n\ndef test_build():\n"
                                          "    Agent(role='r', goal='g', backstory='b')\n",
        "lib/tools/tool.py": "from crewai import Agent\n\nhelper = Agent(role='r', goal='g', backstory='b')\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    result = lint_paths(sorted(files), Settings(jobs=1, select=["PL301"]), project_files=sorted(files))
    assert sorted(f.path for f in result.findings) == ["lib/tools/tool.py"]


def test_the_frameworks_own_request_methods_make_no_wrapper_inside_its_package(tmp_path, monkeypatch):
    """In crewAI's own repository a function of the package calling `crew.kickoff()` calls the
    project's own code: no wrapper (its callers are not parsed for it). Its CLI beside the package
    imports `crewai.crew` (a submodule, which the SDK pre-check does not count) and kicks off a
    crew: there crewai is a dependency, the kickoff a call site and its function a wrapper."""
    from promptlint.engine import lint_paths
    from promptlint.prefilter import uses_framework
    from promptlint.project_index import build
    from promptlint.settings import Settings

    files = {
        "lib/crewai/src/crewai/__init__.py": "from crewai.crew import Crew\n",
        "lib/crewai/src/crewai/crew.py": "class Crew:\n    def kickoff(self, inputs=None):\n        return inputs\n",
        # a module the SDK pre-check accepts (it imports litellm): the kickoff alone would have made
        # run_flow a wrapper
        "lib/crewai/src/crewai/flow.py": "import litellm\n\nfrom crewai.crew import Crew\n\n\n"
                                         "def run_flow(crew: Crew):\n    return crew.kickoff()\n",
        "lib/cli/src/crewai_cli/run.py": "from crewai.crew import Crew\n\n\ndef run_crew(inputs):\n"
                                         "    return Crew().kickoff(inputs=inputs)\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    source = files["lib/cli/src/crewai_cli/run.py"].encode()
    assert uses_framework(source, "lib/cli/src/crewai_cli/run.py")
    assert not uses_framework(files["lib/crewai/src/crewai/flow.py"].encode(), "lib/crewai/src/crewai/flow.py")
    assert not uses_framework(source.replace(b".kickoff(", b".describe("), "lib/cli/src/crewai_cli/run.py")
    table = build(sorted(files), Settings(jobs=1))
    assert {row[2] for row in table} == {"run_crew"}
    result = lint_paths(sorted(files), Settings(jobs=1), project_files=sorted(files))
    assert [(s.path, s.span.line, s.api) for s in result.callsites] == [("lib/cli/src/crewai_cli/run.py", 5, "kickoff")]


# -- smolagents --------------------------------------------------------------------------

def test_smolagents_uncapped_model_is_reported_on_the_model_and_the_run_carries_it():
    code = """
        from smolagents import CodeAgent, LiteLLMModel
        model = LiteLLMModel(model_id="gpt-4o")
        agent = CodeAgent(tools=[], model=model, instructions="Show your work.")

        def solve(task: str):
            return agent.run(task)
        """
    site = one(code)
    assert (site.provider, site.api, site.model) == ("litellm", "run", "gpt-4o")
    assert site.cap_keyword is None and site.cap_location == "constructor"
    assert [p.role for p in site.parts] == ["system", "user"]
    assert codes(code, "PL301") == [3]


def test_smolagents_cap_given_to_the_model_reaches_run_and_generate():
    code = """
        from smolagents import OpenAIServerModel, ToolCallingAgent
        model = OpenAIServerModel("gpt-4.1-mini", max_tokens=1200)
        agent = ToolCallingAgent(tools=[], model=model)

        def ask(task: str):
            return agent.run(task, max_steps=6)

        def raw(messages):
            return model.generate(messages)
        """
    found = sites(code)
    assert [(s.api, s.model, s.cap_value) for s in found] == [("run", "gpt-4.1-mini", 1200),
                                                                ("generate", "gpt-4.1-mini", 1200)]
    assert codes(code, "PL301") == [] and codes(code, "PL701") == []


def test_smolagents_inference_client_default_cap_and_local_servers_are_quiet():
    code = """
        from smolagents import CodeAgent, InferenceClientModel, LiteLLMModel
        hosted = InferenceClientModel()
        local = LiteLLMModel(model_id="ollama_chat/qwen2.5:7b", api_base="http://localhost:11434")
        agent = CodeAgent(tools=[], model=hosted)
        agent.run("hi")
        """
    assert codes(code, "PL301") == []
    assert one(code).default_cap == 100


def test_smolagents_agent_on_a_local_server_is_not_billed_and_no_run_is_a_batch_candidate():
    code = """
        from smolagents import CodeAgent, LiteLLMModel
        local = LiteLLMModel(model_id="ollama_chat/qwen2.5:7b", api_base="http://localhost:11434")
        hosted = LiteLLMModel(model_id="gpt-4o", max_tokens=400)

        if __name__ == "__main__":
            for question in ["a", "b", "c"]:
                CodeAgent(tools=[], model=local).run(question)
                CodeAgent(tools=[], model=hosted).run(question)
        """
    local, hosted = sites(code)
    assert (local.billed, hosted.billed) == (False, True)
    assert codes(code, "PL601") == []


def test_a_cap_above_the_ceiling_is_reported_where_the_model_object_sets_it():
    code = """
        from smolagents import CodeAgent, LiteLLMModel
        model = LiteLLMModel(model_id="gpt-4o", max_tokens=12000)
        agent = CodeAgent(tools=[], model=model)
        agent.run("task")
        """
    assert codes(code, "PL302") == [3]


def test_smolagents_model_from_elsewhere_is_not_judged():
    code = """
        from smolagents import CodeAgent

        def build(model):
            return CodeAgent(tools=[], model=model).run("go")
        """
    assert codes(code, "PL301") == []


def test_smolagents_max_steps_above_the_ceiling_is_reported():
    code = """
        from smolagents import CodeAgent, LiteLLMModel
        model = LiteLLMModel("gpt-4o", max_tokens=500)
        eager = CodeAgent(tools=[], model=model, max_steps=400)
        default = CodeAgent(tools=[], model=model)
        default.run("task", max_steps=None)
        default.run("task", max_steps=90)
        """
    assert codes(code, "PL701") == [4, 7]


def test_a_project_code_agent_is_not_smolagents():
    code = """
        class CodeAgent:
            def __init__(self, tools, model, max_steps=999):
                self.model = model
            def run(self, task):
                return task

        CodeAgent(tools=[], model="gpt-4o", max_steps=999).run("task")
        """
    assert sites(code) == []
    assert codes(code, "PL701") == []


# -- AutoGen -----------------------------------------------------------------------------

def test_autogen_model_client_without_a_cap_is_reported_once_and_the_agent_run_carries_it():
    code = """
        from autogen_agentchat.agents import AssistantAgent
        from autogen_ext.models.openai import OpenAIChatCompletionClient
        client = OpenAIChatCompletionClient(model="gpt-4o")
        helper = AssistantAgent("helper", client, system_message="Answer in one line.")

        async def ask(question: str):
            return await helper.run(task=question)
        """
    site = one(code)
    assert (site.provider, site.api, site.model, site.cap_location) == ("openai", "run", "gpt-4o", "constructor")
    assert [p.role for p in site.parts] == ["system", "user"]
    assert codes(code, "PL301") == [4]


def test_autogen_caps_from_the_client_the_anthropic_default_and_the_create_call():
    code = """
        from autogen_agentchat.agents import AssistantAgent
        from autogen_ext.models.anthropic import AnthropicChatCompletionClient
        from autogen_ext.models.openai import OpenAIChatCompletionClient
        small = OpenAIChatCompletionClient(model="gpt-4o-mini", max_tokens=300)
        claude = AnthropicChatCompletionClient(model="claude-sonnet-4-5")
        planner = AssistantAgent(name="planner", model_client=claude)

        async def go(task: str, messages):
            await planner.run(task=task)
            return await small.create(messages)
        """
    found = sites(code)
    assert [(s.api, s.model, s.cap_value or s.default_cap) for s in found] == [
        ("run", "claude-sonnet-4-5", 4096), ("create", "gpt-4o-mini", 300)]
    assert codes(code, "PL301") == []


def test_autogen_team_without_termination_or_max_turns_runs_forever():
    code = """
        from autogen_agentchat.conditions import TextMentionTermination
        from autogen_agentchat.teams import RoundRobinGroupChat

        def teams(a, b):
            endless = RoundRobinGroupChat([a, b])
            stopped = RoundRobinGroupChat([a, b], termination_condition=TextMentionTermination("DONE"))
            limited = RoundRobinGroupChat([a, b], max_turns=8)
            unlimited = RoundRobinGroupChat([a, b], max_turns=None)
            return endless, stopped, limited, unlimited
        """
    assert codes(code, "PL701") == [6, 9]


def test_autogen_tool_iterations_above_the_ceiling():
    code = """
        from autogen_agentchat.agents import AssistantAgent

        def build(client):
            return AssistantAgent("a", client, max_tool_iterations=80), AssistantAgent("b", client)
        """
    assert codes(code, "PL701") == [5]
    assert codes(code, "PL301") == []


# -- an application, through `promptlint inventory` ---------------------------------------

CREW_MODULE = '''
from crewai import Agent, Crew, Process, Task, LLM

fast = LLM(model="gpt-4o-mini", max_tokens=400)
deep = LLM(model="gpt-4o")


class NewsletterCrew:
    def scout(self) -> Agent:
        return Agent(role="Scout", goal="Find three stories", backstory="Reads everything.", llm=fast)

    def editor(self) -> Agent:
        return Agent(role="Editor", goal="Write the issue", backstory="Sharp pen.", llm=deep, max_iter=8)

    def crew(self) -> Crew:
        scout, editor = self.scout(), self.editor()
        tasks = [Task(description="Find stories about {beat}", expected_output="links", agent=scout),
                 Task(description="Write the newsletter", expected_output="markdown", agent=editor)]
        return Crew(agents=[scout, editor], tasks=tasks, process=Process.sequential)


def headline(story: str) -> str:
    return fast.call(f"One headline for: {story}")
'''

MAIN_MODULE = '''
from newsletter.crew import NewsletterCrew


def main(beat: str):
    return NewsletterCrew().crew().kickoff(inputs={"beat": beat})
'''

SMOL_MODULE = '''
from smolagents import CodeAgent, LiteLLMModel

model = LiteLLMModel(model_id="anthropic/claude-sonnet-4-5", max_tokens=2000)
analyst = CodeAgent(tools=[], model=model, max_steps=10)


def analyse(question: str):
    return analyst.run(question)
'''


def test_an_agent_framework_application_is_inventoried(tmp_path, monkeypatch, capsys, no_network):
    (tmp_path / "newsletter").mkdir()
    (tmp_path / "newsletter" / "__init__.py").write_text("")
    (tmp_path / "newsletter" / "crew.py").write_text(textwrap.dedent(CREW_MODULE))
    (tmp_path / "newsletter" / "main.py").write_text(textwrap.dedent(MAIN_MODULE))
    (tmp_path / "analyst.py").write_text(textwrap.dedent(SMOL_MODULE))
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'newsletter'\n")
    monkeypatch.chdir(tmp_path)
    assert main(["inventory", "--isolated", "--no-cache", "--output-format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {(r["path"], r["api"]): r for r in out["call_sites"]}
    assert set(rows) == {("analyst.py", "run"), ("newsletter/crew.py", "call"), ("newsletter/main.py", "kickoff")}
    assert (rows["analyst.py", "run"]["model"], rows["analyst.py", "run"]["output_cap"]) == (
        "anthropic/claude-sonnet-4-5", 2000)
    assert (rows["newsletter/crew.py", "call"]["model"], rows["newsletter/crew.py", "call"]["output_cap"]) == (
        "gpt-4o-mini", 400)
    assert rows["newsletter/main.py", "kickoff"]["provider"] == "crewai"

    assert main(["check", "--isolated", "--no-cache", "--exit-zero", "--output-format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert sorted((f["path"], f["location"]["line"], f["code"]) for f in findings
                  if f["code"] in ("PL301", "PL701")) == [("newsletter/crew.py", 5, "PL301")]
