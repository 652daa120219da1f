from openai import OpenAI

client = OpenAI()


def live_call():
    response = client.chat.completions.create(
        model="gpt-4.1-mini", metadata={"task": "ask", "prompt_version": "1"},
        messages=[{"role": "user", "content": "ping"}],
    )
    assert response
