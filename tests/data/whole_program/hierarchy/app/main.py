from app.agents.writer import Writer
from app.llm.claude_backend import ClaudeBackend
from app.llm.echo_backend import EchoBackend
from app.llm.openai_backend import OpenAIBackend


def loose(question):
    backend = OpenAIBackend()
    return backend.reply([{"role": "user", "content": question}])


def capped(question):
    backend = OpenAIBackend()
    return backend.reply([{"role": "user", "content": question}], max_tokens=300)


def claude(question):
    backend = ClaudeBackend("claude-3-5-haiku-latest")
    return backend.reply([{"role": "user", "content": question}])


def offline(question):
    backend = EchoBackend("none")
    return backend.reply([{"role": "user", "content": question}])


def post(topic):
    writer = Writer()
    return writer.execute(topic)
