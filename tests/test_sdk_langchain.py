"""LangChain chat-model classes: model, cap keyword, and the cap each class sends by default."""

import pytest

from sdk_helpers import analyse, codes

CLASSES = [
    ("langchain_aws", "ChatBedrock", "model_id", "bedrock"),
    ("langchain_aws", "ChatBedrockConverse", "model", "bedrock"),
    ("langchain_together", "ChatTogether", "model", "together"),
    ("langchain_cohere", "ChatCohere", "model", "cohere"),
    ("langchain_xai", "ChatXAI", "model", "xai"),
    ("langchain_fireworks", "ChatFireworks", "model", "fireworks"),
    ("langchain_deepseek", "ChatDeepSeek", "model", "deepseek"),
]


@pytest.mark.parametrize("module,cls,model_kw,provider", CLASSES)
def test_chat_model_without_cap_is_reported_on_the_constructor(module, cls, model_kw, provider):
    code = f"""
        from {module} import {cls}
        llm = {cls}({model_kw}="some-model")
        llm.invoke("hi")
        """
    result = analyse(code)
    assert [s.provider for s in result.callsites] == [provider]
    assert result.callsites[0].model == "some-model"
    assert codes(code, "PL301") == [3]


@pytest.mark.parametrize("module,cls,model_kw,provider", CLASSES)
def test_chat_model_with_cap_is_quiet(module, cls, model_kw, provider):
    code = f"""
        from {module} import {cls}
        llm = {cls}({model_kw}="some-model", max_tokens=200)
        llm.invoke("hi")
        """
    site = analyse(code).callsites[0]
    assert (site.cap_value, site.cap_location) == (200, "constructor")
    assert codes(code, "PL301") == []


@pytest.mark.parametrize("code,cap", [
    ("from langchain_anthropic import ChatAnthropic\nllm = ChatAnthropic(model='claude-sonnet-4-5')\n", 4096),
    ("from langchain_openai import OpenAI\nllm = OpenAI(model='gpt-3.5-turbo-instruct')\n", 256),
])
def test_classes_that_always_send_a_cap_are_not_uncapped(code, cap):
    code += "llm.invoke('hi')\n"
    assert codes(code, "PL301") == []
    assert analyse(code).callsites[0].default_cap == cap


def test_chat_ollama_is_local():
    code = """
        from langchain_ollama import ChatOllama
        llm = ChatOllama(model="llama3")
        llm.invoke("hi")
        """
    assert analyse(code).callsites[0].billed is False
    assert codes(code, "PL301") == []


def test_chat_huggingface_cap_on_the_endpoint():
    code = """
        from langchain_huggingface import ChatHuggingFace, HuggingFaceEndpoint
        llm = ChatHuggingFace(llm=HuggingFaceEndpoint(repo_id="HuggingFaceH4/zephyr-7b-beta", max_new_tokens=64))
        llm.invoke("hi")
        """
    site = analyse(code).callsites[0]
    assert (site.model, site.cap_value) == ("HuggingFaceH4/zephyr-7b-beta", 64)
