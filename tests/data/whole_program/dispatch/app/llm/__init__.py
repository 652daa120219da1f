from .router import LLM

__all__ = ["LLM"]
