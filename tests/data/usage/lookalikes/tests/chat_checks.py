import logfire

from app.chat import text_returned

logfire.instrument_openai()  # only in the tests: production calls are not instrumented


def check_text_returned():
    assert text_returned("hi")
