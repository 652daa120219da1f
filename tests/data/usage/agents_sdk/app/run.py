from typing import cast

from agents import Agent, Runner
from openai import AsyncOpenAI
from openai.types.responses import Response

client = AsyncOpenAI()
agent = Agent(name="helper", instructions="Answer in one sentence.", model="gpt-4.1-mini")


async def ask(question: str) -> str:
    result = await Runner.run(agent, question)
    return result.final_output


async def raw(question: str) -> Response:
    response = await client.responses.create(model="gpt-4.1-mini", input=question, max_output_tokens=100)
    return cast(Response, response)


async def raw_text(question: str) -> str:
    response = await client.responses.create(model="gpt-4.1-mini", input=question, max_output_tokens=100)
    return cast(Response, response).output_text
