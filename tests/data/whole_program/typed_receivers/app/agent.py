from typing import Optional

from app.llm.base import LLMBase
from app.llm.capped import CappedLLM
from app.notes import Notebook


def make_llm(registry, name) -> LLMBase:
    return registry.lookup(name)


class Agent:
    def __init__(self, factory):
        self.brain: LLMBase = factory()
        self.journal: Notebook = factory.notebook()

    def think(self, goal):
        return self.brain.complete([{"role": "user", "content": goal}])

    def remember(self, goal):
        return self.journal.complete([goal])


class Planner:
    def __init__(self, registry):
        self._registry = registry

    @property
    def llm(self) -> "LLMBase":
        return self._registry.lookup("planner")

    def plan(self, goal):
        return self.llm.complete([{"role": "user", "content": f"Plan: {goal}"}])


def answer(llm_client: Optional[LLMBase], question):
    return llm_client.complete([{"role": "user", "content": question}])


def review(checker: CappedLLM, draft):
    return checker.complete([{"role": "user", "content": f"Review: {draft}"}])


def draft(registry, topic):
    return make_llm(registry, "writer").complete([{"role": "user", "content": topic}], max_tokens=500)


def note(book: "Notebook | None", line):
    return book.complete([line])
