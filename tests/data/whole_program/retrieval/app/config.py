"""Retrieval settings shared by the search helpers."""

DEFAULT_K = 20
FAQ_K = 3
