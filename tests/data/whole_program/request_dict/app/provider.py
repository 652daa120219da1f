from openai import BadRequestError, OpenAI

client = OpenAI()


def _with_fallback(create, params):
    try:
        return create(**params)
    except BadRequestError:
        params.pop("tools", None)
        return create(**params)


def generate(model, messages, **kwargs):
    # The callers decide the cap: it travels in **kwargs.
    params = {"model": model, "messages": messages, **kwargs}
    return _with_fallback(client.chat.completions.create, params)


def summarize(text):
    # Decides the whole request itself, and sets no cap.
    params = {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "Summarize: " + text}]}
    return _with_fallback(client.chat.completions.create, params)
