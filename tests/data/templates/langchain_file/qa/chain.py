"""LangChain prompt templates kept in files: PromptTemplate.from_file and load_prompt."""

from pathlib import Path

from langchain_core.prompts import PromptTemplate, load_prompt
from langchain_openai import ChatOpenAI

PROMPTS = Path(__file__).parent / "prompts"
llm = ChatOpenAI(model="gpt-4o", max_tokens=400)


def ask(context: str, question: str) -> str:
    prompt = PromptTemplate.from_file(PROMPTS / "qa.txt")
    return llm.invoke(prompt.format(context=context, question=question)).content


def grade(answer: str) -> str:
    prompt = load_prompt(str(PROMPTS / "grade.yaml"))
    return llm.invoke(prompt.format(answer=answer)).content
