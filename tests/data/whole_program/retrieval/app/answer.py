from openai import OpenAI

from app.search import store
from app.search.store import manual_retriever, search, search_faq, search_wide

client = OpenAI()


def ask(question, docs):
    context = "\n\n".join(d.page_content for d in docs)
    return client.chat.completions.create(
        model="gpt-4.1-mini",
        max_tokens=500,
        messages=[{"role": "system", "content": "Answer from the manual excerpts only."},
                  {"role": "user", "content": context + "\n\n" + question}],
    )


def answer(question):
    return ask(question, search(question))


def answer_briefly(question):
    return ask(question, search(question, k=4))


def answer_faq(question):
    return ask(question, search_faq(question))


def answer_faq_widely(question):
    return ask(question, search_faq(question, k=30))


def answer_from_chain(question):
    docs = manual_retriever().invoke(question)
    return ask(question, docs)


def answer_wide(question):
    return ask(question, search_wide(question))


def answer_by_module(question):
    return ask(question, store.search(question))


def _local_search(query, n=25):
    return store.store.similarity_search(query, k=n)


def answer_locally(question):
    return ask(question, _local_search(question))
