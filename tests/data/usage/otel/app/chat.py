from openai import OpenAI

client = OpenAI()


def reply(history: list[dict]) -> str:
    response = client.responses.create(model="gpt-4.1", input=history, max_output_tokens=500)
    return response.output_text
