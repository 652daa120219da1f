from openai import OpenAI

from app.config import LLMConfig

client = OpenAI()
config = LLMConfig()


def answer(question, context):
    return client.chat.completions.create(
        model=config.model,
        max_tokens=config.max_tokens,
        messages=[{"role": "system", "content": context}, {"role": "user", "content": question}],
    )
