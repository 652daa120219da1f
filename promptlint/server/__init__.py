"""`promptlint server`: a language server (LSP over stdio) for editors.

Diagnostics as you type (debounced), on open and on save, for Python files and
notebook documents; quick fixes and "disable for this line"; the inventory row
of a call on hover. Built on pygls, an optional dependency:

    pip install 'promptlint-cost[server]'

The top layer: it may import everything below it and nothing imports it; cli.py
imports it only inside the `server` command, so no other command loads pygls.

    app.py            the pygls server: handlers, debounce, publishing, the lint thread
    session.py        the engine side: lint a snapshot, the project phase
    documents.py      open files and notebook documents as the engine reads them
    configuration.py  settings per file: the CLI's config discovery + client settings
    convert.py        spans, findings and edits as LSP ranges, diagnostics, text edits
    actions.py        code actions (fixes, disable for this line, fix all)
    hover.py          the inventory row of a call site
"""

from __future__ import annotations

INSTALL_HINT = "pip install 'promptlint-cost[server]'"


def serve() -> int:
    """Run the server on stdin/stdout until the client says exit; returns the exit code."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        from promptlint.errors import UsageError

        raise UsageError(f"the language server needs pygls, which is not installed: {INSTALL_HINT}") from None
    from promptlint.server.app import run

    return run()
