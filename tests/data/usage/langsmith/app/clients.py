from langsmith.wrappers import wrap_openai
from openai import OpenAI

openai_client = wrap_openai(OpenAI())
