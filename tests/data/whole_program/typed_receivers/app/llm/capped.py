from openai import OpenAI

client = OpenAI()


class CappedLLM:
    """Always caps its answers: a caller cannot forget."""

    def complete(self, messages):
        return client.chat.completions.create(model="gpt-4.1-mini", messages=messages, max_tokens=256)
