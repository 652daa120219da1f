from .client import chat

__all__ = ["chat"]
