from anthropic import Anthropic


class ClaudeBackend:
    def __init__(self):
        self.client = Anthropic()

    def inference(self, model_id, prompt):
        return self.client.messages.create(
            model=model_id, max_tokens=1024, messages=[{"role": "user", "content": prompt}]
        )

    def ask(self, model_id, prompt, **options):
        options.setdefault("max_tokens", 1024)
        return self.client.messages.create(
            model=model_id, messages=[{"role": "user", "content": prompt}], **options
        )
