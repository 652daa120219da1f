"""Inference clients: azure-ai-inference, huggingface_hub, llama_cpp, vLLM, Replicate."""

from sdk_helpers import codes, one


def test_azure_inference_cap_in_the_constructor():
    code = """
        from azure.ai.inference import ChatCompletionsClient
        client = ChatCompletionsClient(endpoint="https://x.models.ai.azure.com", credential=None, model="gpt-4o",
                                       max_tokens=256)
        client.complete(messages=[])
        """
    site = one(code)
    assert (site.api, site.model, site.cap_value) == ("complete", "gpt-4o", 256)
    assert codes(code, "PL301") == []


def test_azure_inference_uncapped():
    code = """
        from azure.ai.inference import ChatCompletionsClient
        client = ChatCompletionsClient(endpoint="e", credential=None)
        client.complete(model="gpt-4o", messages=[])
        """
    assert codes(code, "PL301") == [4]


def test_huggingface_inference_client_defaults_to_100_tokens():
    code = """
        from huggingface_hub import InferenceClient
        hf = InferenceClient(model="meta-llama/Llama-3.1-8B-Instruct")
        hf.chat_completion([{"role": "user", "content": "x"}])
        hf.chat.completions.create(messages=[])
        hf.text_generation("hello", max_new_tokens=20)
        """
    chat, compat, text = sorted(__import__("sdk_helpers").sites(code), key=lambda s: s.span.line)
    assert (chat.model, chat.default_cap) == ("meta-llama/Llama-3.1-8B-Instruct", 100)
    assert compat.api == "chat.completions.create"
    assert (text.cap_value, text.shape) == (20, "hf-text")
    assert codes(code, "PL301") == []


def test_llama_cpp_is_local():
    code = """
        from llama_cpp import Llama
        llm = Llama(model_path="m.gguf")
        llm.create_chat_completion(messages=[{"role": "user", "content": "hi"}])
        llm.create_completion("Q: hi A:")
        """
    found = __import__("sdk_helpers").sites(code)
    assert [s.billed for s in found] == [False, False]
    assert found[1].default_cap == 16
    assert codes(code, "PL301") == []


def test_vllm_sampling_params_cap():
    site = one("""
        from vllm import LLM, SamplingParams
        llm = LLM(model="facebook/opt-125m")
        llm.generate(["Hello"], SamplingParams(temperature=0.2, max_tokens=64))
        """)
    assert (site.model, site.cap_value, site.billed) == ("facebook/opt-125m", 64, False)


def test_replicate_run_model_and_prompt_no_cap_finding():
    code = """
        import replicate
        out = replicate.run("meta/meta-llama-3-8b-instruct", input={"prompt": "Hi", "system_prompt": "Be kind"})
        """
    site = one(code)
    assert (site.provider, site.model) == ("replicate", "meta/meta-llama-3-8b-instruct")
    assert [p.role for p in site.parts] == ["system", "prompt"]
    assert codes(code, "PL301") == []
