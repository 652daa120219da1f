from typing import Optional

from pydantic import BaseModel, Field

from app.llm.base import LLMBase
from app.llm.capped import CappedLLM
from app.notes import Notebook


class SummarizeTool(BaseModel):
    llm: Optional[LLMBase] = None
    guard: CappedLLM = Field(default_factory=CappedLLM)
    notes: Notebook = Field(default_factory=Notebook)

    def summarize(self, text):
        return self.llm.complete([{"role": "user", "content": f"Summarize: {text}"}])

    def summarize_short(self, text):
        return self.llm.complete([{"role": "user", "content": text}], max_tokens=200)

    def check(self, text):
        return self.guard.complete([{"role": "user", "content": f"Is this safe? {text}"}])

    def keep(self, text):
        return self.notes.complete([text])


class TranslateTool(BaseModel):
    llm: "LLMBase | None" = Field(default=None)

    def translate(self, text, language):
        return self.llm.complete([{"role": "user", "content": f"Translate into {language}: {text}"}])
