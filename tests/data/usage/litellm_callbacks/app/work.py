import litellm
from openai import OpenAI

client = OpenAI()


def via_litellm(text: str) -> str:
    response = litellm.completion(model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": text}])
    return response.choices[0].message.content


def direct(text: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini", max_tokens=100, messages=[{"role": "user", "content": text}]
    )
    return completion.choices[0].message.content
