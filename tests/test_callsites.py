"""Call-site recognition: import aliases, client bindings and the shapes real code uses."""

import textwrap

import pytest

from promptlint.engine import lint_source
from promptlint.settings import Settings, Wrapper


def sites(code: str, settings: Settings | None = None, path: str = "app.py"):
    result = lint_source(path, textwrap.dedent(code).encode(), settings or Settings())
    assert not result.errors
    return result.callsites


def one(code: str, **kw):
    found = sites(code, **kw)
    assert len(found) == 1, [(s.callee, s.span.line) for s in found]
    return found[0]


CASES = {
    "module alias": ("""
        import openai as oa
        client = oa.OpenAI()
        client.chat.completions.create(model="gpt-4o", messages=[])
        """, "openai", "chat.completions.create", 4),
    "from-import alias": ("""
        from anthropic import Anthropic as A
        c = A()
        c.messages.create(model="m", max_tokens=1, messages=[])
        """, "anthropic", "messages.create", 4),
    "self attribute set in __init__": ("""
        from anthropic import AsyncAnthropic
        class Bot:
            def __init__(self):
                self.client = AsyncAnthropic()
            async def ask(self, q):
                return await self.client.messages.create(model="m", max_tokens=1, messages=[])
        """, "anthropic", "messages.create", 7),
    "factory function under lru_cache": ("""
        from functools import lru_cache
        from openai import OpenAI
        @lru_cache
        def get_client():
            return OpenAI()
        def ask(q):
            return get_client().responses.create(model="gpt-5", input=q)
        """, "openai", "responses.create", 8),
    "import used in another function": ("""
        from openai import OpenAI
        def make():
            return 1
        def ask(q):
            client = OpenAI()
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """, "openai", "chat.completions.create", 7),
    "annotated parameter": ("""
        from openai import AsyncOpenAI
        async def ask(client: AsyncOpenAI, q):
            return await client.chat.completions.create(model="gpt-4o", messages=[])
        """, "openai", "chat.completions.create", 4),
    "bound method kept in a name": ("""
        from openai import OpenAI
        client = OpenAI()
        create = client.chat.completions.create
        def ask(q):
            return create(model="gpt-4o", messages=[])
        """, "openai", "chat.completions.create", 6),
    "sdk method passed to a retry helper": ("""
        import anthropic
        client = anthropic.Anthropic()
        def ask(kw):
            return with_retries(client.messages.create, **kw)
        """, "anthropic", "messages.create", 5),
    "with_options keeps the client": ("""
        from openai import OpenAI
        OpenAI().with_options(timeout=5).chat.completions.create(model="x", messages=[])
        """, "openai", "chat.completions.create", 3),
    "legacy 0.x ChatCompletion": ("""
        import openai
        openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=[])
        """, "openai", "ChatCompletion.create", 3),
    "module-level openai client": ("""
        import openai
        openai.chat.completions.create(model="gpt-4o", messages=[])
        """, "openai", "chat.completions.create", 3),
    "litellm function import": ("""
        from litellm import acompletion
        async def f(): return await acompletion(model="gpt-4o", messages=[])
        """, "litellm", "acompletion", 3),
    "google genai client": ("""
        from google import genai
        client = genai.Client()
        client.models.generate_content(model="gemini-2.5-flash", contents="hi")
        """, "google-genai", "models.generate_content", 4),
    "google genai async": ("""
        from google import genai
        client = genai.Client()
        async def f(): return await client.aio.models.generate_content(model="g", contents="hi")
        """, "google-genai", "models.generate_content", 4),
    "google genai chat session": ("""
        from google import genai
        chat = genai.Client().chats.create(model="gemini-2.5-flash")
        chat.send_message("hi")
        """, "google-genai", "send_message", 4),
    "legacy google.generativeai": ("""
        import google.generativeai as genai
        model = genai.GenerativeModel("gemini-1.5-flash")
        model.generate_content("hi")
        """, "google-genai", "generate_content", 4),
    "bedrock converse": ("""
        import boto3
        rt = boto3.client("bedrock-runtime", region_name="us-east-1")
        rt.converse(modelId="m", messages=[])
        """, "bedrock", "converse", 4),
    "bedrock through a session": ("""
        import boto3
        session = boto3.Session()
        rt = session.client("bedrock-runtime")
        rt.invoke_model(modelId="m", body="{}")
        """, "bedrock", "invoke_model", 5),
    "langchain invoke": ("""
        from langchain_openai import ChatOpenAI
        llm = ChatOpenAI(model="gpt-4o-mini", max_tokens=100)
        llm.invoke("hi")
        """, "openai", "invoke", 4),
    "langchain derived runnable and LCEL": ("""
        from langchain_anthropic import ChatAnthropic
        from langchain_core.prompts import ChatPromptTemplate
        llm = ChatAnthropic(model="claude-sonnet-4-5", max_tokens=100).with_structured_output(dict)
        chain = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")]) | llm
        chain.invoke({"q": "x"})
        """, "anthropic", "invoke", 6),
    "llamaindex": ("""
        from llama_index.llms.openai import OpenAI
        llm = OpenAI(model="gpt-4o", max_tokens=10)
        llm.complete("hi")
        """, "openai", "complete", 4),
    "instructor passthrough": ("""
        import instructor
        from openai import OpenAI
        client = instructor.from_openai(OpenAI())
        client.chat.completions.create(model="gpt-4o", response_model=int, messages=[])
        """, "openai", "chat.completions.create", 5),
    "instructor create_with_completion": ("""
        import instructor
        from openai import OpenAI
        __client = instructor.from_openai(OpenAI())
        result, raw = __client.chat.completions.create_with_completion(model="gpt-4o", response_model=int, messages=[])
        """, "openai", "chat.completions.create_with_completion", 5),
    "untyped client with a distinctive chain": ("""
        def ask(client, q):
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": q}])
        """, "openai", "chat.completions.create", 3),
    # smolagents: the base class builds the client through a method each subclass overrides.
    "client made by the subclass's factory method, through a retry helper": ("""
        class ApiModel:
            def __init__(self, client=None):
                self.client = client or self.create_client()
                self.retryer = Retrying(max_attempts=3)

            def create_client(self):
                raise NotImplementedError

        class LiteLLMModel(ApiModel):
            def create_client(self):
                import litellm
                return litellm

            def generate(self, messages):
                return self.retryer(self.client.completion, model="gpt-4o", messages=messages)
        """, "litellm", "completion", 16),
    "an optional import with a None placeholder, bound lazily": ("""
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import litellm
        else:
            litellm = None

        def _load():
            global litellm
            import litellm as _litellm
            litellm = _litellm

        def call(messages):
            _load()
            return litellm.completion(model="gpt-4o", messages=messages)
        """, "litellm", "completion", 15),
    "aiobotocore client entered on an exit stack": ("""
        import aiobotocore.session

        class Bedrock:
            def __init__(self, stack):
                self._stack = stack
                self._client = None

            async def _client_ready(self):
                if self._client is None:
                    session = aiobotocore.session.get_session()
                    self._client = await self._stack.enter_async_context(session.create_client("bedrock-runtime"))
                return self._client

            async def ask(self, messages):
                client = await self._client_ready()
                return await client.converse(modelId="anthropic.claude-sonnet-4", messages=messages)
        """, "bedrock", "converse", 17),
    "a model a factory classmethod hands to the constructor": ("""
        from langchain_openai import ChatOpenAI
        from langchain_anthropic import ChatAnthropic

        class Provider:
            def __init__(self, llm, verbose=True):
                self.llm = llm

            @classmethod
            def from_name(cls, name, **kwargs):
                llm = ChatOpenAI(**kwargs) if name == "openai" else ChatAnthropic(**kwargs)
                return cls(llm, verbose=False)

            async def ask(self, messages):
                return await self.llm.ainvoke(messages)
        """, "openai", "ainvoke", 15),
    "a model a caller runs in a thread": ("""
        import asyncio
        from langchain_openai import ChatOpenAI

        def grade(grader, report):
            return grader.invoke([{"role": "user", "content": report}])

        async def main(reports):
            grader = ChatOpenAI(model="gpt-4o")
            for report in reports:
                await asyncio.to_thread(grade, grader, report)
        """, "openai", "invoke", 6),
    "a model checked with isinstance": ("""
        from langchain_core.language_models import BaseChatModel

        class Wrapper:
            def __init__(self, config):
                if not isinstance(config.model, BaseChatModel):
                    raise ValueError("not a chat model")
                self.model = config.model

            def generate(self, messages):
                return self.model.invoke(messages)
        """, "langchain", "invoke", 11),
}


@pytest.mark.parametrize("name", CASES)
def test_recognizes(name):
    code, provider, api, line = CASES[name]
    site = one(code)
    assert (site.provider, site.api, site.span.line) == (provider, api, line)


@pytest.mark.parametrize("code", [
    # embeddings and token counting do not generate
    "from openai import OpenAI\nOpenAI().embeddings.create(input='x', model='text-embedding-3-small')\n",
    "from anthropic import Anthropic\nAnthropic().messages.count_tokens(model='m', messages=[])\n",
    # Twilio has .messages.create too: not an LLM
    "from twilio.rest import Client\nClient().messages.create(body='hi', to='+1', from_='+2')\n",
    # a look-alike chain on an unknown object without the keywords
    "def f(x):\n    return x.messages.create(text='anthropic')\n",
    # a name that only mentions openai
    "openai_key = 'x'\nprint(openai_key)\n",
    # a generic endpoint with an unknown model, in code that says it embeds
    "import boto3\nclass TitanEmbedder:\n    def embed(self, model, body):\n"
    "        return boto3.client('bedrock-runtime').invoke_model(body=body, modelId=model)\n",
])
def test_ignores_non_generation_calls(code):
    assert sites(code) == []


def test_declared_wrapper_is_a_call_site():
    settings = Settings(wrappers=[Wrapper(name="myapp.llm.complete")])
    site = one("""
        from myapp.llm import complete
        complete(prompt="Summarize", model="gpt-4o", task="summary")
        """, settings=settings)
    assert site.via == "wrapper" and site.model == "gpt-4o"


def test_model_literal_and_constant():
    site = one("""
        from openai import OpenAI
        MODEL = "gpt-4o-mini"
        OpenAI().chat.completions.create(model=MODEL, messages=[])
        """)
    assert site.model == "gpt-4o-mini"


def test_params_dict_keys_are_read():
    site = one("""
        import litellm
        def f(q):
            base = {"model": "gpt-4o"}
            params = {**base, "messages": [{"role": "user", "content": q}]}
            params["max_tokens"] = 300
            return litellm.completion(**params)
        """)
    assert site.model == "gpt-4o" and site.cap_keyword == "max_tokens" and site.cap_value == 300
    assert not site.kwargs_opaque


def test_unknown_kwargs_are_opaque():
    site = one("""
        import litellm
        def f(**kw):
            return litellm.completion(model="x", messages=[], **kw)
        """)
    assert site.kwargs_opaque


def test_mocked_tests_are_not_billed():
    code = """
        from unittest.mock import MagicMock
        from openai import OpenAI
        def test_it():
            client = OpenAI()
            client.chat.completions.create(model="gpt-4o", messages=[])
        """
    assert sites(code, path="tests/test_app.py") == []
    assert len(sites(code, path="app/service.py")) == 1


def test_embedding_models_behind_generic_endpoints_are_not_generation():
    assert sites("""
        import boto3, json
        rt = boto3.client("bedrock-runtime")
        rt.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=json.dumps({"inputText": "x"}))
        """) == []


def test_short_text_of_an_expression_is_cut_from_a_partial_rendering():
    """The evaluator names an unknown value by its first 60 characters: it renders only as
    much of the node as that needs, and must give what cutting the whole rendering gives."""
    from pathlib import Path

    import libcst as cst

    from promptlint.analysis.evaluator import _code_prefix

    root = Path(__file__).resolve().parent.parent / "promptlint"
    checked = cut = 0
    for path in sorted(root.rglob("*.py"))[:8]:
        module = cst.parse_module(path.read_text())
        nodes = []

        class Collect(cst.CSTVisitor):
            def on_visit(self, node) -> bool:
                if isinstance(node, (cst.BaseExpression, cst.BaseSmallStatement, cst.BaseCompoundStatement)):
                    nodes.append(node)
                return True

        module.visit(Collect())
        for node in nodes:
            whole = module.code_for_node(node).strip()
            part = _code_prefix(module, node, 60).strip()
            assert (whole if len(whole) <= 60 else whole[:57]) == (part if len(part) <= 60 else part[:57])
            assert len(whole) <= 60 or len(part) > 60
            checked += 1
            cut += len(part) < len(whole)
    assert checked > 1000 and cut > 100


def test_a_partial_of_a_request_method_is_the_request_where_it_is_called():
    """`partial(create, model=..., max_tokens=...)` sends nothing: the call of it is the request,
    with the partial's arguments and its own; so through an attribute that holds it (or another
    attribute holding the same partial), under an import alias (`completion as
    litellm_completion`). A partial this module never calls stays the site (it escapes)."""
    site = one("""
        import functools
        from openai import OpenAI

        client = OpenAI()

        def ask(prompt):
            send = functools.partial(client.chat.completions.create, model="gpt-4.1", max_tokens=50)
            return send(messages=[{"role": "user", "content": prompt}])
        """)
    assert (site.span.line, site.model, site.cap_value) == (9, "gpt-4.1", 50)
    assert [p.role for p in site.parts] == ["user"]
    site = one("""
        from functools import partial
        from litellm import completion as litellm_completion

        class LLM:
            def __init__(self, model):
                self._completion = partial(litellm_completion, model="gpt-4.1-mini", max_tokens=300)
                self._unwrapped = self._completion

            def complete(self, messages):
                return self._unwrapped(messages=messages)
        """)
    assert (site.span.line, site.model, site.cap_value) == (11, "gpt-4.1-mini", 300)
    site = one("""
        from functools import partial
        from openai import OpenAI

        def make_sender(client: OpenAI):
            return partial(client.chat.completions.create, model="gpt-4.1")
        """)
    assert site.span.line == 6


def test_a_helper_handed_the_request_method_is_not_a_second_site():
    """`self._with_fallback(self.client.chat.completions.create, params)`: the call handing the
    method over is the request's site; the helper's own `create(**params)` calls, which the
    analysis resolves through that caller, are the same request and not reported again. A
    helper whose method comes by keyword stays a site of its own (no caller-side site)."""
    found = sites("""
        from openai import OpenAI

        class LLM:
            def __init__(self):
                self.client = OpenAI()

            def _with_fallback(self, create, params):
                try:
                    return create(**params)
                except ValueError:
                    return create(**{k: v for k, v in params.items() if k != "tools"})

            def gen(self, messages):
                return self._with_fallback(self.client.chat.completions.create,
                                           {"model": "gpt-4.1", "messages": messages})
        """)
    assert [s.span.line for s in found] == [15]
    found = sites("""
        from openai import OpenAI

        client = OpenAI()

        def call(params, create=None):
            return create(**params)

        def gen(messages):
            return call({"model": "gpt-4.1", "messages": messages}, create=client.chat.completions.create)
        """)
    assert [s.span.line for s in found] == [7]

