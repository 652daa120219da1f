from datetime import datetime

from app.chunks import MessageChunks
from app.llm import send
from app.prompts import EDITOR_RULES, EXAMPLES


class Coder:
    def __init__(self):
        self.history = []

    def build(self, request):
        chunks = MessageChunks()
        chunks.system = [{"role": "system", "content": f"Today is {datetime.now():%Y-%m-%d}.\n" + EDITOR_RULES}]
        chunks.examples = list(EXAMPLES)
        chunks.history = self.history
        chunks.current = [{"role": "user", "content": request}]
        return chunks

    def run(self, request):
        messages = self.build(request).all_messages()
        return send(messages)
