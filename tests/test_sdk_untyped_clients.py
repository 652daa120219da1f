"""Clients the analysis cannot type by their constructor: chain shapes from the catalog,
annotations on dicts, Optional/Union and forward references, class attributes, and the
openai module-level client."""

import pytest

from sdk_helpers import one, sites

CHAINS = [
    ("chat.completions.create", "messages=[]", "openai"),
    ("chat.completions.parse", "messages=[]", "openai"),
    ("chat.completions.stream", "messages=[]", "openai"),
    ("beta.chat.completions.parse", "messages=[]", "openai"),
    ("beta.chat.completions.stream", "messages=[]", "openai"),
    ("responses.create", "input='x'", "openai"),
    ("responses.stream", "instructions='x'", "openai"),
    ("responses.parse", "input='x'", "openai"),
    ("messages.create", "max_tokens=5, messages=[]", "anthropic"),
    ("messages.stream", "max_tokens=5, messages=[]", "anthropic"),
    ("beta.messages.create", "max_tokens=5, messages=[]", "anthropic"),
    ("beta.messages.stream", "max_tokens=5, messages=[]", "anthropic"),
    ("models.generate_content", "contents='x'", "google-genai"),
    ("models.generate_content_stream", "contents='x'", "google-genai"),
    ("aio.models.generate_content", "contents='x'", "google-genai"),
    ("with_raw_response.messages.create", "max_tokens=5, messages=[]", "anthropic"),
]


@pytest.mark.parametrize("chain,args,provider", CHAINS)
def test_every_variant_on_an_untyped_parameter(chain, args, provider):
    site = one(f"""
        def ask(client):
            return client.{chain}(model="m-1", {args})
        """)
    assert site.provider == provider
    assert site.via == "chain-shape"
    assert site.api == chain.removeprefix("with_raw_response.").removeprefix("aio.")
    assert site.model == "m-1"


@pytest.mark.parametrize("code", [
    # the keywords the SDK requires are missing: another library's method of the same name
    "def f(c):\n    c.messages.create(text='hi', channel='x')\n",
    "def f(c):\n    c.chat.completions.stream(prompt='x')\n",
    "def f(c):\n    c.responses.stream(model='m')\n",
    "def f(c):\n    c.models.generate_content_stream(model='m')\n",
    # a chain the catalog does not hold
    "def f(c):\n    c.foo.create(model='m', messages=[])\n",
])
def test_chain_without_the_sdk_keywords_is_not_a_call(code):
    assert sites("import os\n" + code) == []


def test_dict_of_clients_by_annotation():
    found = sites("""
        from anthropic import Anthropic
        clients: dict[str, Anthropic] = {}
        def a(key):
            return clients[key].messages.stream(model="claude-x", max_tokens=5, messages=[])
        def b(key):
            return clients.get(key).beta.messages.create(model="claude-x", max_tokens=5, messages=[])
        """)
    assert [(s.api, s.via) for s in found] == [("messages.stream", None), ("beta.messages.create", None)]


def test_self_attribute_annotated_as_a_mapping():
    site = one("""
        from openai import OpenAI
        class Pool:
            def __init__(self):
                self.by_name: dict[str, OpenAI] = {}
            def ask(self, name):
                return self.by_name[name].responses.create(model="gpt-5", input="x")
        """)
    assert (site.provider, site.via) == ("openai", None)


@pytest.mark.parametrize("annotation", ["Optional[Anthropic]", "Union[None, Anthropic]", "None | Anthropic",
                                        "'Anthropic'", "Anthropic | None"])
def test_optional_and_union_annotations(annotation):
    site = one(f"""
        from typing import Optional, Union
        from anthropic import Anthropic
        def ask(client: {annotation}):
            return client.messages.create(model="m", max_tokens=3, messages=[])
        """)
    assert site.provider == "anthropic" and site.via is None


def test_annotated_name_assigned_none_first():
    site = one("""
        from openai import OpenAI
        client: OpenAI | None = None
        def ask():
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """)
    assert site.via is None and site.model == "gpt-4o"


def test_class_attribute_set_after_the_class():
    site = one("""
        from anthropic import Anthropic
        class Service:
            client = None
        Service.client = Anthropic()
        class Child(Service):
            def go(self):
                return self.client.messages.create(model="m", max_tokens=3, messages=[])
        """)
    assert site.provider == "anthropic" and site.via is None


@pytest.mark.parametrize("receiver", ["self", "Service"])
def test_class_attribute_set_once_in_the_constructor(receiver):
    """A client shared by every instance, built by the first one (`Service.client = Anthropic()`
    in `__init__`, with a lazy import), read through `self` or through the class."""
    site = one(f"""
        class Service:
            client = None

            def __init__(self, key):
                if Service.client is None:
                    from anthropic import Anthropic
                    Service.client = Anthropic(api_key=key)

            def go(self, messages):
                return {receiver}.client.messages.create(model="m", max_tokens=3, messages=messages)
        """)
    assert site.provider == "anthropic" and site.via is None


def test_a_container_of_something_else_is_not_a_client():
    assert sites("""
        import openai
        names: dict[str, str] = {}
        def f(k):
            return names[k].create(model="m", messages=[])
        """) == []


@pytest.mark.parametrize("chain", ["chat.completions.stream", "beta.chat.completions.parse",
                                   "beta.chat.completions.stream", "responses.stream", "responses.parse"])
def test_openai_module_level_client(chain):
    args = "messages=[]" if "chat" in chain else "input='x'"
    site = one(f"""
        import openai
        openai.{chain}(model="gpt-4o", {args})
        """)
    assert (site.provider, site.api, site.via) == ("openai", chain, None)
