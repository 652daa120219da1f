import logging

from app.llm import ask


def reads(q: str) -> str:
    r = ask(q)
    logging.info("usage %s", r.usage)
    return r.choices[0].message.content


def drops(q: str) -> str:
    return ask(q).choices[0].message.content
