"""LlamaIndex LLM classes and the higher-level call methods."""

import pytest

from sdk_helpers import analyse, codes, one


@pytest.mark.parametrize("method,args,role", [
    ("predict", "PromptTemplate('Summarise {text}'), text=doc", "prompt"),
    ("apredict", "PromptTemplate('Summarise {text}'), text=doc", "prompt"),
    ("structured_predict", "Answer, PromptTemplate('Q: {q}'), q=doc", "prompt"),
    ("astructured_predict", "Answer, PromptTemplate('Q: {q}'), q=doc", "prompt"),
    ("chat_with_tools", "[tool], user_msg=doc", "user"),
    ("predict_and_call", "[tool], user_msg=doc", "user"),
])
def test_call_methods(method, args, role):
    site = one(f"""
        from llama_index.llms.openai import OpenAI
        from llama_index.core import PromptTemplate
        llm = OpenAI(model="gpt-4o-mini", max_tokens=100)
        async def go(doc, tool, Answer):
            return await llm.{method}({args})
        """)
    assert (site.api, site.model, site.cap_value) == (method, "gpt-4o-mini", 100)
    assert role in [p.role for p in site.parts]


@pytest.mark.parametrize("module,cls,provider", [
    ("llama_index.llms.vertex", "Vertex", "google-genai"),
    ("llama_index.llms.google_genai", "GoogleGenAI", "google-genai"),
    ("llama_index.llms.huggingface_api", "HuggingFaceInferenceAPI", "huggingface"),
])
def test_more_llm_classes(module, cls, provider):
    site = one(f"""
        from {module} import {cls}
        llm = {cls}(model="m-1", max_tokens=10)
        llm.complete("hi")
        """)
    assert (site.provider, site.cap_value) == (provider, 10)


def test_ollama_is_local():
    code = """
        from llama_index.llms.ollama import Ollama
        llm = Ollama(model="llama3", request_timeout=60)
        llm.chat([])
        """
    assert one(code).billed is False
    assert codes(code, "PL301") == []


def test_openai_like_takes_the_provider_from_api_base():
    site = one("""
        from llama_index.llms.openai_like import OpenAILike
        llm = OpenAILike(model="accounts/fireworks/models/llama-v3p1-8b-instruct",
                         api_base="https://api.fireworks.ai/inference/v1", max_tokens=50)
        llm.complete("hi")
        """)
    assert site.provider == "fireworks"


def test_a_predict_method_of_another_library_is_not_a_call():
    assert analyse("""
        from llama_index.llms.openai import OpenAI
        from sklearn.linear_model import LinearRegression
        model = LinearRegression()
        model.predict([[1]])
        """).callsites == []
