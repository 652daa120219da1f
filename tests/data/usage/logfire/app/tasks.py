import anthropic
from google import genai
from openai import OpenAI

client = OpenAI()
claude = anthropic.AsyncAnthropic()
gemini = genai.Client()


def classify(ticket: str) -> str:
    completion = client.chat.completions.create(
        model="gpt-4.1-mini",
        max_tokens=5,
        messages=[{"role": "user", "content": ticket}],
    )
    return completion.choices[0].message.content


async def summarise(thread: str) -> str:
    message = await claude.messages.create(
        model="claude-haiku-4-5",
        max_tokens=300,
        messages=[{"role": "user", "content": thread}],
    )
    return message.content[0].text


def translate(text: str) -> str:
    response = gemini.models.generate_content(model="gemini-2.5-flash", contents=text)
    return response.text
