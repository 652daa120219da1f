from app.llm.base import ChatBackend
from app.llm.summary import Summarizer


class Manager:
    def __init__(self, backend: ChatBackend):
        self.backend = backend

    def ask(self, question):
        return self.backend.reply([{"role": "user", "content": question}])

    def ask_briefly(self, question):
        return self.backend.reply([{"role": "user", "content": question}], max_tokens=200)


def digest(summarizer: Summarizer, text):
    return summarizer.summarize(text)
