from app.config import faq_settings, settings


def manuals_retriever(store):
    return store.as_retriever(search_kwargs={"k": settings.top_k})


def faq_retriever(store):
    return store.as_retriever(search_kwargs={"k": faq_settings.top_k})
