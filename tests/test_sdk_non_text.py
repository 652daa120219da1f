"""Image and audio requests are not output-cap (PL301) candidates, and stay in the inventory."""

import pytest

from sdk_helpers import analyse, codes, one


@pytest.mark.parametrize("model", ["gemini-2.5-flash-image", "imagen-4.0-generate-001", "gemini-2.5-flash-image-preview"])
def test_image_models(model):
    code = f"""
        from google import genai
        client = genai.Client()
        client.models.generate_content(model="{model}", contents="a cat")
        """
    assert one(code).output == "image"
    assert codes(code, "PL301") == []


def test_response_modalities_image_only():
    code = """
        from google import genai
        from google.genai import types
        client = genai.Client()
        client.models.generate_content(model="gemini-2.5-flash", contents="a cat",
                                       config=types.GenerateContentConfig(response_modalities=["IMAGE"]))
        """
    assert one(code).output == "image"
    assert codes(code, "PL301") == []


def test_text_and_image_modalities_still_need_a_cap():
    code = """
        from google import genai
        client = genai.Client()
        client.models.generate_content(model="gemini-2.5-flash", contents="a cat",
                                       config={"response_modalities": ["TEXT", "IMAGE"]})
        """
    assert one(code).output == "text"
    assert codes(code, "PL301") == [4]


def test_image_model_chat_class_is_not_flagged():
    code = """
        from langchain_openai import ChatOpenAI
        llm = ChatOpenAI(model="gpt-image-1")
        llm.invoke("a cat")
        """
    assert codes(code, "PL301") == []


def test_image_requests_stay_in_the_inventory_with_a_note(tmp_path):
    import json
    import subprocess
    import sys

    (tmp_path / "draw.py").write_text(
        "from google import genai\n"
        "client = genai.Client()\n"
        "client.models.generate_content(model='gemini-2.5-flash-image', contents='a cat')\n")
    out = subprocess.run([sys.executable, "-m", "promptlint", "inventory", "--isolated", "--no-cache",
                          "--output-format", "json", str(tmp_path)], capture_output=True, text=True, check=True)
    [row] = json.loads(out.stdout)["call_sites"]
    assert "image output" in row["note"]
