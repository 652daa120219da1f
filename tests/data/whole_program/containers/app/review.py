from datetime import date

from app.llm import send
from app.prompts import REVIEW_RULES


class ReviewChunks:
    def __init__(self):
        self.system = []
        self.current = []

    def messages(self):
        return self.system + self.current


def review(diff):
    chunks = ReviewChunks()
    chunks.system = [{"role": "system", "content": f"Review date: {date.today()}\n" + REVIEW_RULES}]
    chunks.current = [{"role": "user", "content": diff}]
    return send(chunks.messages())


def review_dated_last(diff):
    chunks = ReviewChunks()
    chunks.system = [{"role": "system", "content": REVIEW_RULES + f"\nReview date: {date.today()}"}]
    chunks.current = [{"role": "user", "content": diff}]
    return send(chunks.messages())
