from .base import complete


def complete_json(messages, **kwargs):
    return complete(messages, response_format={"type": "json_object"}, **kwargs)


def bounded(messages, **kw):
    # Negative look-alike: this layer always adds the cap.
    return complete(messages, max_tokens=512, **kw)
