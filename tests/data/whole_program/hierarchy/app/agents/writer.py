from app.llm.openai_backend import OpenAIBackend
from app.manager import Manager


class Writer:
    def __init__(self):
        self.manager = Manager(OpenAIBackend())

    def execute(self, topic):
        return self.manager.ask("Write a short post about " + topic)
