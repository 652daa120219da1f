from concurrent.futures import ThreadPoolExecutor

from .claude_backend import ClaudeBackend
from .openai_backend import OpenAIBackend


class LLM:
    """Picks a backend by provider name at run time."""

    def __init__(self, provider, model_id):
        self.provider = provider
        self.model_id = model_id
        self.backends = {"openai": OpenAIBackend(), "anthropic": ClaudeBackend()}

    def inference(self, prompt):
        backend = self.backends[self.provider]
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(backend.inference, self.model_id, prompt)
            return future.result(timeout=60)

    def ask(self, prompt, **options):
        backend = self.backends[self.provider]
        return backend.ask(self.model_id, prompt, **options)
