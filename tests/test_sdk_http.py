"""Raw HTTP to provider endpoints (requests, httpx, aiohttp), and OpenAI-compatible
providers behind `base_url`: the provider comes from the host, localhost is not billed."""

import pytest

from sdk_helpers import codes, one, sites


def test_requests_post_to_openrouter_from_a_module_constant_and_fstring():
    site = one("""
        import requests
        BASE = "https://openrouter.ai/api/v1"
        def ask(q):
            body = {"model": "openai/gpt-4o", "messages": [{"role": "system", "content": "Be brief."},
                                                           {"role": "user", "content": q}]}
            return requests.post(f"{BASE}/chat/completions", json=body, timeout=30)
        """)
    assert (site.provider, site.api, site.model, site.via) == ("openrouter", "POST /chat/completions",
                                                               "openai/gpt-4o", "http")
    assert [p.role for p in site.parts] == ["system", "user"]
    assert site.cap_keyword is None and site.billed


def test_httpx_post_to_anthropic_reads_system_and_cap():
    site = one("""
        import httpx
        URL = "https://api.anthropic.com/v1/messages"
        def ask(q):
            return httpx.post(URL, json={"model": "claude-sonnet-4-5", "max_tokens": 300,
                                         "system": "You summarise.", "messages": [{"role": "user", "content": q}]})
        """)
    assert (site.provider, site.shape, site.cap_keyword, site.cap_value) == (
        "anthropic", "anthropic-messages", "max_tokens", 300)
    assert site.parts[0].role == "system"


def test_aiohttp_session_to_gemini_reads_the_model_from_the_url():
    site = one("""
        import aiohttp
        async def ask(q):
            async with aiohttp.ClientSession() as session:
                url = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
                async with session.post(url, json={"contents": [{"parts": [{"text": q}]}],
                                                   "generationConfig": {"maxOutputTokens": 256}}) as r:
                    return await r.json()
        """)
    assert (site.provider, site.model, site.cap_keyword, site.cap_value) == (
        "google-genai", "gemini-2.5-flash", "generationConfig.maxOutputTokens", 256)


def test_httpx_client_instance_to_local_ollama_is_not_billed():
    site = one("""
        import httpx
        async def ask(q):
            async with httpx.AsyncClient(timeout=60) as http:
                r = await http.post("http://localhost:11434/api/generate",
                                    json={"model": "llama3", "prompt": q, "options": {"num_predict": 64}})
        """)
    assert (site.provider, site.billed, site.cap_keyword) == ("ollama", False, "options.num_predict")


def test_responses_endpoint_from_a_settings_class_default():
    site = one("""
        import requests
        class Settings:
            api_url = "https://api.openai.com/v1/responses"
        settings = Settings()
        def ask(q):
            return requests.post(settings.api_url, json={"model": "gpt-5", "input": q, "max_output_tokens": 50})
        """)
    assert (site.provider, site.shape, site.cap_value) == ("openai", "openai-responses", 50)


@pytest.mark.parametrize("url", [
    "https://hooks.slack.com/services/T000/B000",  # a webhook with a messages key
    "https://example.com/api/v1/messages/send",
    "https://api.example.com/chat",
])
def test_a_post_to_any_other_url_is_never_a_call_site(url):
    assert sites(f"""
        import requests
        def notify(text):
            return requests.post("{url}", json={{"model": "gpt-4o", "messages": [text]}})
        """) == []


def test_a_post_whose_url_is_unknown_is_not_a_call_site():
    assert sites("""
        import requests
        def send(url, q):
            return requests.post(url, json={"model": "gpt-4o", "messages": [q]})
        """) == []


def test_unknown_host_openai_path_is_openai_compatible_and_uncapped_is_flagged():
    code = """
        import requests
        def ask(base, q):
            return requests.post(f"{base}/v1/chat/completions", json={"model": "gpt-4o", "messages": [q]})
        """
    site = one(code)
    assert site.provider == "openai-compatible" and site.billed
    assert codes(code, "PL301") == [4]


@pytest.mark.parametrize("base_url,provider", [
    ("https://api.deepseek.com", "deepseek"),
    ("https://openrouter.ai/api/v1", "openrouter"),
    ("https://api.groq.com/openai/v1", "groq"),
    ("https://api.together.xyz/v1", "together"),
    ("https://api.fireworks.ai/inference/v1", "fireworks"),
    ("https://api.x.ai/v1", "xai"),
])
def test_openai_client_behind_base_url_takes_the_hosts_provider(base_url, provider):
    site = one(f"""
        from openai import OpenAI
        client = OpenAI(base_url="{base_url}", api_key="k")
        client.chat.completions.create(model="some-model", messages=[], max_tokens=10)
        """)
    assert site.provider == provider and site.billed


@pytest.mark.parametrize("base_url", ["http://localhost:11434/v1", "http://127.0.0.1:8000/v1"])
def test_localhost_server_is_not_billed_and_not_flagged(base_url):
    code = f"""
        from openai import OpenAI
        client = OpenAI(base_url="{base_url}")
        client.chat.completions.create(model="llama3", messages=[])
        """
    assert one(code).billed is False
    assert codes(code, "PL301") == []


def test_langchain_chat_model_behind_base_url():
    code = """
        from langchain_openai import ChatOpenAI
        llm = ChatOpenAI(model="deepseek-chat", base_url="https://api.deepseek.com", max_tokens=100)
        llm.invoke("hi")
        """
    assert one(code).provider == "deepseek"


def test_task_tag_advice_for_raw_http_names_a_header():
    from sdk_helpers import analyse

    result = analyse("""
        import requests
        def ask(q):
            return requests.post("https://api.openai.com/v1/chat/completions",
                                 json={"model": "gpt-4o", "messages": [q], "max_tokens": 5})
        """)
    [finding] = [f for f in result.findings if f.code == "PL201"]
    assert "X-Task" in finding.message


def test_httpx_client_base_url_names_the_host_of_a_relative_post():
    site = one("""
        import httpx
        client = httpx.Client(base_url="https://api.groq.com/openai")
        def ask(q):
            return client.post("/v1/chat/completions", json={"model": "llama-3.1-8b-instant", "messages": [q],
                                                             "max_tokens": 10})
        """)
    assert (site.provider, site.model) == ("groq", "llama-3.1-8b-instant")


@pytest.mark.parametrize("key, billed", [("not-needed", False), ("EMPTY", False), ("lm-studio", False),
                                         ("sk-proj-abc", True), ("dummy", True)])
def test_a_placeholder_api_key_marks_a_local_server_whose_url_comes_from_configuration(key, billed):
    """LM Studio, vLLM and Ollama take any API key and their clients are often given a literal
    placeholder; with the base URL read from configuration, that key is what shows the server is
    local. A key a hosted provider or a self-hosted proxy might take (`dummy`) proves nothing."""
    code = f"""
        from openai import OpenAI
        from app.config import endpoint
        client = OpenAI(base_url=endpoint(), api_key="{key}")
        def ask(prompt):
            return client.chat.completions.create(model="local-model", messages=[{{"role": "user", "content": prompt}}])
        """
    assert one(code).billed is billed
    assert (codes(code, "PL301") == []) is (not billed)


@pytest.mark.parametrize("model, billed", [
    ("ollama/llama3.1", False), ("ollama_chat/qwen2.5:7b", False), ("lm_studio/phi-4", False),
    ("llamafile/mistral-7b", False),
    ("openai/gpt-4o", True), ("groq/llama-3.1-8b-instant", True), ("hosted_vllm/llama3", True), ("gpt-4o", True),
    ("ollama", True),  # no prefix: a model named so, on whatever litellm's default provider is
])
def test_litellm_routes_local_runtime_prefixes_to_this_machine(model, billed):
    """litellm sends `ollama/...` to an Ollama server, `lm_studio/...` to LM Studio: local by
    definition, as a local base URL (hosts.yaml `local_model_prefixes`). A hosted provider's
    prefix is billed, and so is a self-hosted server that may be a paid endpoint."""
    code = f"""
        import litellm
        def ask(prompt):
            return litellm.completion(model="{model}", messages=[{{"role": "user", "content": prompt}}])
        """
    assert one(code).billed is billed
    assert (codes(code, "PL301") == []) is (not billed)
    assert (codes(code, "PL201") == []) is (not billed)


def test_libraries_that_hand_the_model_string_to_litellm_follow_its_local_prefixes():
    code = """
        import dspy
        from crewai import LLM, Agent
        from smolagents import LiteLLMModel

        lm = dspy.LM("ollama_chat/llama3.2")
        llm = LLM(model="ollama/llama3.1")
        writer = Agent(role="writer", goal="write", backstory="b", llm="lm_studio/qwen2.5")
        model = LiteLLMModel(model_id="ollama_chat/qwen2.5:7b")
        hosted = LLM(model="groq/llama-3.3-70b-versatile")

        def ask(prompt):
            return llm.call(prompt)
        """
    assert codes(code, "PL301") == [10]  # only the hosted model
    assert one(code).billed is False


def test_a_local_base_url_or_placeholder_key_given_to_the_request_itself_is_not_billed():
    """litellm takes `api_base` and `api_key` per request; a chat model takes a placeholder key at
    construction. Both follow the same policy as a client built with them."""
    code = """
        import litellm
        from langchain_openai import ChatOpenAI
        from app.config import endpoint

        def ask(prompt):
            return litellm.completion(model="openai/local-model", api_base="http://localhost:8000/v1",
                                      messages=[{"role": "user", "content": prompt}])

        def remote(prompt):
            return litellm.completion(model="openai/gpt-4o", api_base="https://api.openai.com/v1",
                                      messages=[{"role": "user", "content": prompt}])

        chat = ChatOpenAI(model="local", base_url=endpoint(), api_key="EMPTY")
        """
    local, remote = sites(code)
    assert (local.billed, remote.billed) == (False, True)
    assert codes(code, "PL301") == [11]
