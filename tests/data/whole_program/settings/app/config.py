from pydantic import BaseModel


class RetrievalSettings(BaseModel):
    top_k: int = 20
    collection: str = "manuals"


class FaqSettings(BaseModel):
    # Negative look-alike: a small default.
    top_k: int = 3


class LLMConfig(BaseModel):
    model: str = "gpt-4o"
    max_tokens: int | None = None


settings = RetrievalSettings()
faq_settings = FaqSettings()
