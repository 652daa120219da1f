import anthropic

from app.llm.base import LLMBase


class ClaudeLLM(LLMBase):
    def __init__(self, model="claude-3-5-haiku-latest"):
        self.model = model
        self._client = anthropic.Anthropic()

    def complete(self, messages, **options):
        return self._client.messages.create(model=self.model, max_tokens=800, messages=messages)
