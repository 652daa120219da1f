"""promptlint: static analysis of LLM call sites for prompt-cost problems."""

__version__ = "0.1.0"
