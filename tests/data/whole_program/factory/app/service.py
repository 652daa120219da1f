from pydantic import BaseModel

from app.providers import Backend, get_client, make_anthropic


class Invoice(BaseModel):
    number: str
    total: float


class Extractor:
    def __init__(self, backend: Backend):
        self.backend = backend

    async def extract(self, text):
        return await self.backend.chat_model.with_structured_output(Invoice).ainvoke(text)


def summarize(text):
    return get_client().responses.create(model="gpt-4o", input=f"Summarize: {text}")


def summarize_short(text):
    return get_client().responses.create(model="gpt-4o", input=f"Summarize: {text}", max_output_tokens=200)


async def classify(text):
    client = make_anthropic()
    return await client.messages.create(model="claude-3-5-haiku-latest", max_tokens=50,
                                        messages=[{"role": "user", "content": text}])
