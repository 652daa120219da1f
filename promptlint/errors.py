"""Errors that end a run with exit code 2 and one line on stderr."""

from __future__ import annotations


class UsageError(Exception):
    """A problem with how promptlint was invoked: bad flag, path, or config."""


class ConfigError(UsageError):
    """An invalid configuration file or value (the message names key and file)."""


class DiscoveryError(UsageError):
    """A path given on the command line cannot be used (e.g. it does not exist)."""


class CatalogError(UsageError):
    """promptlint's own data under rules/ (the SDK catalog, a rule's data or document) is
    invalid: the message names the file, the key and what is wrong."""
