from app.llm.claude_backend import ClaudeBackend
from app.llm.openai_backend import OpenAIBackend


def describe(handler, text):
    kind = "known" if isinstance(handler, (OpenAIBackend, ClaudeBackend)) else "other"
    return kind, handler.inference("gpt-4.1-mini", text)
