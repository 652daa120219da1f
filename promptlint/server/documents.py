"""What the server lints: a snapshot of an open Python file or notebook, as the engine
wants it (a display path and bytes), and the way from the engine's lines back to the
client's documents (a notebook's findings land in its cells).

A notebook the client sends as a notebook document (LSP 3.17) is written out as a
minimal nbformat-4 JSON of its cells, in order, and linted like an `.ipynb` file:
notebook.py joins the code cells and numbers cells over all of them, so cell
number n is the n-th cell of the notebook document.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from promptlint.discovery import display_path

_NEWLINE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as Python (and LSP) count them: \\n, \\r\\n and \\r only."""
    return _NEWLINE.split(text)


def uri_to_path(uri: str) -> str | None:
    """The local file of a `file:` URI, else None (untitled buffers, other schemes)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if os.name == "nt" and re.match(r"^/[A-Za-z]:", path):
        path = path[1:]
    return os.path.normpath(path)


def path_to_uri(path: str) -> str:
    from pathlib import Path

    return Path(os.path.abspath(path)).as_uri()


@dataclass(slots=True)
class CellRef:
    uri: str
    number: int  # 1-based over all cells of the notebook (notebook.py's numbering)
    code: bool
    language: str


@dataclass(slots=True)
class Snapshot:
    """One version of an open document, ready for the engine."""

    uri: str
    path: str  # absolute path on disk (it need not exist yet)
    version: int | None
    text: str  # a Python file's text; a notebook's joined cells as written (notebook.Notebook.text)
    data: bytes  # what lint_source reads
    cells: list[CellRef] = field(default_factory=list)  # a notebook document's cells, in order

    @property
    def shown(self) -> str:
        """The display path (relative to the working directory), as the CLI prints it."""
        return display_path(self.path)

    @property
    def notebook(self) -> bool:
        return self.path.endswith(".ipynb")


def python_snapshot(uri: str, path: str, version: int | None, text: str) -> Snapshot:
    return Snapshot(uri, path, version, text, text.encode("utf-8", "surrogatepass"))


def notebook_snapshot(uri: str, path: str, version: int | None, cells: list[tuple[str, bool, str, str]]) -> Snapshot:
    """`cells`: (cell uri, is code, language id, text) for each cell in order."""
    raw_cells = []
    refs = []
    for number, (cell_uri, code, language, text) in enumerate(cells, start=1):
        raw_cells.append({"cell_type": "code" if code else "markdown", "source": text,
                          "metadata": {"vscode": {"languageId": language}} if code else {}})
        refs.append(CellRef(cell_uri, number, code, language))
    data = json.dumps({"cells": raw_cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
                      ensure_ascii=False).encode("utf-8")
    return Snapshot(uri, path, version, "", data, refs)


def notebook_lines(snapshot: Snapshot):
    """The parsed notebook of a notebook snapshot (for mapping lines to cells), or None."""
    from promptlint.notebook import NotebookError, parse

    try:
        return parse(snapshot.data, analyse=False)
    except NotebookError:
        return None
