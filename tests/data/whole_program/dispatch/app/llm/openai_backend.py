from openai import OpenAI


class OpenAIBackend:
    def __init__(self):
        self.client = OpenAI()

    def inference(self, model_id, prompt):
        return self.client.chat.completions.create(
            model=model_id, messages=[{"role": "user", "content": prompt}]
        )

    def ask(self, model_id, prompt, **options):
        return self.client.chat.completions.create(
            model=model_id, messages=[{"role": "user", "content": prompt}], **options
        )
