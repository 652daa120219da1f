from langchain_chroma import Chroma

from app.config import DEFAULT_K, FAQ_K

store = Chroma(collection_name="manuals")


def search(query, k=DEFAULT_K):
    return store.similarity_search(query, k=k)


def search_faq(query, k=FAQ_K):
    return store.similarity_search(query, k=k)


def manual_retriever(k=DEFAULT_K):
    return store.as_retriever(search_kwargs={"k": k})


def search_wide(query):
    # k is fixed in here: the finding belongs to this line, not to the callers.
    return store.similarity_search(query, k=30)
