from app.provider import generate


def headline(story):
    return generate("gpt-4.1-mini", [{"role": "user", "content": "Write a headline for: " + story}])


def teaser(story):
    return generate("gpt-4.1-mini", [{"role": "user", "content": "Write a teaser for: " + story}], max_tokens=120)
