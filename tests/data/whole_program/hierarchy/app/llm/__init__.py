from .base import ChatBackend

__all__ = ["ChatBackend"]
