"""The text of checked files as findings point into it, read lazily and once: for a
notebook, its code cells joined (notebook.py). Reports, baselines and `inventory` read
lines through this."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class SourceFiles:
    # Source text by display path for files not on disk (stdin); others are read lazily.
    sources: dict[str, str] = field(default_factory=dict)
    _lines: dict[str, list[str] | None] = field(default_factory=dict)
    _notebooks: dict[str, object] = field(default_factory=dict)

    def text_of(self, path: str) -> str | None:
        if path in self.sources:
            return self.sources[path]
        try:
            with open(path, "rb") as fh:
                # Undecodable bytes become U+FFFD, as Node's utf8 reader (GitHub's hasher) does.
                return fh.read().decode("utf-8", errors="replace")
        except OSError:
            return None

    def lines_of(self, path: str) -> list[str] | None:
        """The lines spans point into: for a notebook, its code cells joined as written (notebook.py)."""
        if path not in self._lines:
            notebook = self.notebook(path) if path.endswith(".ipynb") else None
            text = notebook.text if notebook is not None else self.text_of(path)
            self._lines[path] = None if text is None else text.splitlines()
        return self._lines[path]

    def notebook(self, path: str):
        """The parsed notebook (notebook.Notebook) at `path`, or None (not one, or unreadable)."""
        if path not in self._notebooks:
            from promptlint.notebook import NotebookError, parse

            data: str | bytes | None = self.sources.get(path)
            if data is None and path.endswith(".ipynb"):
                try:
                    with open(path, "rb") as fh:
                        data = fh.read()  # bytes: a file that is not UTF-8 is not a notebook here either
                except OSError:
                    data = None
            try:
                self._notebooks[path] = None if data is None else parse(data, analyse=False)
            except NotebookError:
                self._notebooks[path] = None
        return self._notebooks[path]
