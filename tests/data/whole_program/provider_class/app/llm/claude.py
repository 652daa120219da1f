from dataclasses import dataclass

from anthropic import AsyncAnthropic


@dataclass
class Claude:
    model: str
    max_tokens: int = 8192
    temperature: float | None = None
    thinking: dict | None = None

    def _params(self):
        params = {}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.max_tokens is not None:
            params["max_tokens"] = self.max_tokens
        if self.thinking is not None:
            params["thinking"] = self.thinking
        return params

    async def _send(self, **params):
        client = AsyncAnthropic()
        return await client.messages.create(**params)

    async def ainvoke(self, messages, system):
        # The only request of the class: model, cap and temperature come from its fields.
        return await self._send(model=self.model, messages=messages, system=system, **self._params())


@dataclass
class FastClaude:
    model: str
    max_tokens: int = 1024

    async def _send(self, **params):
        client = AsyncAnthropic()
        return await client.messages.create(**params)

    async def ainvoke(self, messages, system):
        return await self._send(model=self.model, messages=messages, system=system,
                                max_tokens=self.max_tokens)
