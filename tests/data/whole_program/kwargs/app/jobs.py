from app.llm.base import complete
from app.llm.helpers import bounded, complete_json


def extract(text):
    return complete_json([{"role": "user", "content": text}])


def extract_capped(text):
    return complete_json([{"role": "user", "content": text}], max_tokens=800)


def tag(text):
    return complete([{"role": "user", "content": text}], max_completion_tokens=256)


def short(text):
    return bounded([{"role": "user", "content": text}])


def passthrough(text, **options):
    # What `options` holds is decided further up, out of sight: stay quiet.
    return complete([{"role": "user", "content": text}], **options)
