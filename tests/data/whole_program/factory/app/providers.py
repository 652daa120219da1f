from anthropic import AsyncAnthropic
from langchain_anthropic import ChatAnthropic
from langchain_openai import ChatOpenAI
from openai import OpenAI


def get_client():
    return OpenAI()


def make_anthropic():
    return AsyncAnthropic()


class Backend:
    def __init__(self, provider):
        if provider == "anthropic":
            self.chat_model = ChatAnthropic(model="claude-3-5-sonnet-latest", max_tokens=1024)
        else:
            self.chat_model = ChatOpenAI(model="gpt-4o", max_tokens=1024)
