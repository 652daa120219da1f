from openai import AsyncOpenAI


class ModelGateway:
    def __init__(self, model="gpt-4o"):
        self.client = AsyncOpenAI()
        self.model = model

    async def generate(self, messages, **kwargs):
        return await self.client.chat.completions.create(model=self.model, messages=messages, **kwargs)
