from app.llm import LLM


class Planner:
    def __init__(self, provider):
        self.llm = LLM(provider, "gpt-4.1-mini")

    def plan(self, task):
        return self.llm.inference("Break this task into steps:\n" + task)

    def ask(self, question):
        return self.llm.ask(question)

    def ask_briefly(self, question):
        return self.llm.ask(question, max_tokens=200)
