"""Vertex AI SDK: the preview re-export, the PaLM-era text and chat models, legacy PaLM functions."""

from sdk_helpers import analyse, codes, one


def test_preview_generative_model():
    code = """
        from vertexai.preview.generative_models import GenerativeModel
        model = GenerativeModel("gemini-1.5-pro", system_instruction="Be brief.")
        model.generate_content("hi")
        """
    site = one(code)
    assert (site.model, site.provider) == ("gemini-1.5-pro", "google-genai")
    assert codes(code, "PL301") == [4]


def test_text_generation_model_defaults_to_128():
    code = """
        from vertexai.language_models import TextGenerationModel
        model = TextGenerationModel.from_pretrained("text-bison@002")
        model.predict("Summarise this")
        """
    site = one(code)
    assert (site.model, site.default_cap) == ("text-bison@002", 128)
    assert codes(code, "PL301") == []


def test_chat_model_send_message_with_cap():
    site = one("""
        from vertexai.language_models import ChatModel
        chat = ChatModel.from_pretrained("chat-bison").start_chat(context="You help.")
        chat.send_message("hi", max_output_tokens=64)
        """)
    assert (site.api, site.model, site.cap_value) == ("send_message", "chat-bison", 64)


def test_legacy_palm_generate_text():
    site = one("""
        import google.generativeai as palm
        palm.generate_text(model="models/text-bison-001", prompt="hi", max_output_tokens=50)
        """)
    assert (site.api, site.cap_value) == ("generativeai.generate_text", 50)
