import litellm


def run() -> None:
    for topic in ("billing", "outages"):
        response = litellm.completion(
            model="gpt-4.1-mini", max_tokens=200, messages=[{"role": "user", "content": f"Write a FAQ on {topic}"}]
        )
        print(response.choices[0].message.content)
