from openai import OpenAI

from app.llm.summary import Summarizer


class RemoteSummarizer(Summarizer):
    def _complete(self, prompt):
        reply = OpenAI().chat.completions.create(
            model="gpt-4.1-mini", max_tokens=60, messages=[{"role": "user", "content": prompt}]
        )
        return reply.choices[0].message.content


def check_remote_summary_is_short():
    assert len(RemoteSummarizer().summarize("a\nb")) <= 80
