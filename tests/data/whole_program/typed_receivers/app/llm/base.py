from abc import ABC, abstractmethod


class LLMBase(ABC):
    """The interface every provider implements; callers only know this class."""

    @abstractmethod
    def complete(self, messages, **options):
        raise NotImplementedError
