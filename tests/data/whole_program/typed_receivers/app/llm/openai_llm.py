from openai import OpenAI

from app.llm.base import LLMBase


class OpenAILLM(LLMBase):
    def __init__(self, model="gpt-4.1-mini"):
        self.model = model
        self._client = OpenAI()

    def complete(self, messages, **options):
        return self._client.chat.completions.create(model=self.model, messages=messages, **options)
