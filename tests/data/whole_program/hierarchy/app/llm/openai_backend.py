from openai import OpenAI

from app.llm.base import ChatBackend


class OpenAIBackend(ChatBackend):
    def __init__(self, model="gpt-4.1-mini"):
        super().__init__(model)
        self._client = OpenAI()

    def _send(self, messages, **options):
        return self._client.chat.completions.create(model=self.model, messages=messages, **options)
