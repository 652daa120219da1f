from app import llm
from app.gateway import ModelGateway

gateway = ModelGateway()


async def announce(event):
    return await gateway.generate([{"role": "user", "content": event}])


async def recap(event):
    return await gateway.generate([{"role": "user", "content": event}], max_tokens=350)


def poster(event):
    return llm.ask_llm(f"Poster text for {event}.")


class Calendar:
    def __init__(self):
        self.gateway = ModelGateway(model="gpt-4o-mini")

    async def describe(self, event):
        return await self.gateway.generate([{"role": "user", "content": event}])
