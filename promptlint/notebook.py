"""Jupyter notebooks (`.ipynb`): the Python source the engine analyses, and the way back to cells.

A notebook is analysed as one module: its code cells joined in order (each
ending with a newline), so a client made in cell 1 is known in cell 5, as it is
in the kernel. Spans in findings and call sites stay in the coordinates of that
joined source (as ruff does): suppression comments, fingerprints, sorting and
the cache all work on it unchanged, and the reporters translate a line to
`(cell, line in cell)` with `Notebook.locate`, or to the line and column of the
notebook file itself with `Notebook.file_position` (SARIF, GitHub annotations).

- Read with the stdlib `json` only. nbformat 4 (`cells`) and 3 (`worksheets`).
- Cells are numbered from 1 over every cell of the notebook, markdown and raw
  ones included (ruff's numbering: the n-th cell as you scroll).
- Skipped: markdown and raw cells, cells whose VS Code language is not Python,
  every cell of a notebook whose kernel language is not Python (a superset such
  as Coconut is read as Python where its cells parse, the others are left out
  without a PL000), and cells
  starting with a cell magic whose body is not Python (`%%bash`, `%%sql`, ...);
  `%%time`, `%%timeit`, `%%capture`, `%%debug`, `%%prun`, `%%python` keep their
  body (ruff's list).
- IPython syntax (`%magic`, `!cmd`, `x = !cmd`, `obj?`, `??obj`) at the start of
  a statement becomes `pass` at the same indentation (its continuation lines
  become blank), so the cell parses and every line keeps its number. Text that
  only looks like a magic inside a string or brackets is left alone.
- A cell that still does not parse is left out (blank lines) and reported as
  PL000 at its own line; the rest of the notebook is analysed.
- A file that is not a notebook (not UTF-8, not JSON, wrong structure) raises
  NotebookError with a message saying what is wrong. An empty (0-byte or blank)
  file is an empty notebook, as VS Code opens it.
- Size: `max-file-bytes` applies to the joined code cells; the file itself, whose
  outputs (images) are often megabytes, is read up to 50 times that (engine._read).
"""

from __future__ import annotations

import ast
import bisect
import io
import json
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["NOT_A_NOTEBOOK", "Notebook", "NotebookError", "parse", "relabel_findings"]

NOT_A_NOTEBOOK = "not a valid notebook: "  # PL000 message prefix; its span is a position in the file

# Cell magics whose body is Python (ruff's allow-list); a cell starting with any other is skipped.
PYTHON_CELL_MAGICS = frozenset({"capture", "debug", "prun", "pypy", "python", "python3", "time", "timeit"})

_NEWLINE = re.compile(r"\r\n|\r|\n")  # Python's own line ends (not str.splitlines' \f, \u2028, ...)
_MAGIC_START = re.compile(r"[ \t]*(?:[%!?]|[\w.\[\](), \t]+=[ \t]*[%!])")
_LINE_REF = re.compile(r"\bline (\d+)\b(?! of (?!this file\b))")
_HELP_END = re.compile(r"^[ \t]*[\w.\[\]()]+[ \t]*\?\??[ \t]*$")


class NotebookError(ValueError):
    """The file is not a readable notebook; the message says why."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line, self.column = line, column


@dataclass(slots=True)
class Cell:
    number: int  # 1-based over all cells of the notebook
    start: int  # its first line in the joined source (1-based)
    text: str  # its source as written
    line_starts: list[int]  # offset in `text` of each of its lines

    @property
    def line_count(self) -> int:
        return len(self.line_starts)


@dataclass(slots=True)
class Notebook:
    raw: str  # the notebook file's text
    source: str = ""  # the joined Python source the engine analyses
    text: str = ""  # the same cells as written (magics, cells that do not parse): what reports show
    cells: list[Cell] = field(default_factory=list)  # the cells in `source`, in order
    # (line in `source`, column, message) for cells left out because they do not parse
    problems: list[tuple[int, int, str]] = field(default_factory=list)
    python: bool = True  # False: the kernel's language is not Python (nothing is analysed)
    # The kernel's language extends Python (Coconut): cells that parse as Python are
    # analysed, the others are that language's own syntax, left out without a PL000.
    superset: bool = False
    _starts: list[int] = field(default_factory=list)
    _located: list | None = None  # the cells' JSON strings with their offsets in `raw`

    def cell_at(self, line: int) -> Cell | None:
        i = bisect.bisect_right(self._starts, line) - 1
        if i < 0:
            return None
        cell = self.cells[i]
        return cell if line < cell.start + cell.line_count else None

    def locate(self, line: int) -> tuple[int, int] | None:
        """(cell number, line in the cell) of a line of `source`, or None."""
        cell = self.cell_at(line)
        return None if cell is None else (cell.number, line - cell.start + 1)

    def relabel(self, text: str, path: str, own: bool = True) -> str:
        """`nb.ipynb:8` -> `nb.ipynb:cell 2:2` and `line 8 of nb.ipynb` -> `cell 2, line 2 of
        nb.ipynb` in a message about this notebook (at `path`); with `own` (the finding is
        in this notebook) also a bare `at line 8` -> `at cell 2, line 2`. A line of another
        file (`line 3 of prompts.py`) is left alone."""
        def cell_line(match: re.Match, form: str) -> str:
            where = self.locate(int(match[1]))
            return match[0] if where is None else form.format(*where)

        name = re.escape(path)
        text = re.sub(name + r":(\d+)\b", lambda m: cell_line(m, f"{path}:cell {{}}:{{}}"), text)
        text = re.sub(r"\bline (\d+) of " + name + r"(?![\w/.])",
                      lambda m: cell_line(m, f"cell {{}}, line {{}} of {path}"), text)
        return _LINE_REF.sub(lambda m: cell_line(m, "cell {}, line {}"), text) if own else text

    def file_position(self, line: int, column: int) -> tuple[int, int] | None:
        """Line and column (1-based, code points) in the notebook file of a position in
        `source`: where that character is written inside the cell's JSON string."""
        cell = self.cell_at(line)
        if cell is None:
            return None
        row = line - cell.start
        start = cell.line_starts[row]
        newline = _NEWLINE.search(cell.text, start)
        offset = min(start + max(column - 1, 0), newline.start() if newline else len(cell.text))
        if self._located is None:
            self._located = _located_sources(self.raw)
        pieces = self._located[cell.number - 1] if cell.number - 1 < len(self._located) else None
        if not pieces:
            return None
        for piece in pieces:  # the string holding `offset`; the end of the last one at worst
            if offset < len(piece) or piece is pieces[-1]:
                raw_offset = _raw_offset(self.raw, piece.at, min(offset, len(piece)))
                break
            offset -= len(piece)
        line_start = self.raw.rfind("\n", 0, raw_offset) + 1
        return self.raw.count("\n", 0, raw_offset) + 1, raw_offset - line_start + 1


def relabel_findings(findings: list) -> None:
    """Project-wide findings (a prompt duplicated across files) name call sites in other
    files, `nb.ipynb:263`; in a notebook that is a line of its joined cells: say the cell.
    The notebooks are the ones the finding refers to (`call_site`, `related`)."""
    notebooks: dict[str, Notebook | None] = {}
    for finding in findings:
        places = (finding.call_site, *finding.related)
        for path in sorted({p.path for p in places if p is not None and p.path.endswith(".ipynb")}):
            if path not in notebooks:
                try:
                    with open(path, "rb") as fh:
                        notebooks[path] = parse(fh.read(), analyse=False)
                except (OSError, NotebookError):
                    notebooks[path] = None
            if notebooks[path] is not None:
                finding.message = notebooks[path].relabel(finding.message, path, own=path == finding.path)


def parse(data: bytes | str, analyse: bool = True) -> Notebook:
    """The notebook in `data`. `analyse=False` (reports): cells and lines only; `source`
    and `problems` are left empty (no magic rewriting, no syntax check)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotebookError(f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    raw = data
    data = data.removeprefix("\ufeff")
    if not data.strip():
        return Notebook(raw=raw)  # an empty file: VS Code opens it as an empty notebook
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise NotebookError("invalid JSON: nested too deeply") from None
    cells = _cells(doc)
    language = _language(doc)
    notebook = Notebook(raw=raw, python=language in PYTHON_LANGUAGES | PYTHON_SUPERSETS,
                        superset=language in PYTHON_SUPERSETS)
    if not notebook.python:
        return notebook
    out: list[str] = []
    shown: list[str] = []
    for number, cell in enumerate(cells, start=1):
        text = _source(cell, number)
        if not _is_python_cell(cell) or not text.strip():
            continue
        lines = _NEWLINE.split(text)
        if lines[-1] == "" and len(lines) > 1:
            lines.pop()  # the newline ending the last line starts no line of its own
        code = _python_lines(lines) if analyse else None if _foreign_cell_magic(lines) else lines
        if code is None:
            continue  # a cell magic whose body is not Python
        start = len(shown) + 1
        error = _syntax_error("\n".join(code) + "\n") if analyse else None
        if error is not None:
            line, column, message = error
            if not notebook.superset:
                notebook.problems.append((start + line - 1, column, f"cannot parse: {message}"))
            code = [""] * len(code)
        starts = [m.end() for m in _NEWLINE.finditer(text)]
        notebook.cells.append(Cell(number, start, text, [0, *starts][:len(lines)]))
        out += code if analyse else []
        shown += lines
    notebook.source = "".join(line + "\n" for line in out)
    notebook.text = "".join(line + "\n" for line in shown)
    notebook._starts = [c.start for c in notebook.cells]
    return notebook


# ---------------------------------------------------------------- structure


def _cells(doc) -> list:
    if not isinstance(doc, dict):
        raise NotebookError(f"the top level is a JSON {_kind(doc)}, not an object")
    if "cells" in doc:
        cells = doc["cells"]
    elif "worksheets" in doc:  # nbformat 3
        sheets = doc["worksheets"]
        if not isinstance(sheets, list) or not all(isinstance(s, dict) for s in sheets):
            raise NotebookError("'worksheets' is not a list of objects")
        cells = [c for s in sheets for c in (s.get("cells") or [])]
    else:
        raise NotebookError("no 'cells' list (is this a Jupyter notebook?)")
    if not isinstance(cells, list):
        raise NotebookError(f"'cells' is a JSON {_kind(cells)}, not a list")
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"cell {number} is a JSON {_kind(cell)}, not an object")
        if not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f"cell {number} has no 'cell_type'")
    return cells


def _source(cell: dict, number: int) -> str:
    """A code cell's text (nbformat 3 calls it `input`); "" for other cells."""
    if cell["cell_type"] != "code":
        return ""
    key = "source" if "source" in cell or "input" not in cell else "input"
    value = cell.get(key, "")
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    raise NotebookError(f"cell {number}: '{key}' is not a string or a list of strings")


def _kind(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


# Kernel languages read as Python; supersets are read where their cells parse as Python.
PYTHON_LANGUAGES = frozenset({"python", "python3", "ipython", "ipython3"})
PYTHON_SUPERSETS = frozenset({"coconut"})


def _language(doc: dict) -> str:
    """The kernel's language, lower case; "python" when the notebook does not say."""
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    for outer, key in (("kernelspec", "language"), ("language_info", "name")):
        value = meta.get(outer, {}).get(key) if isinstance(meta.get(outer), dict) else None
        if isinstance(value, str) and value:
            return value.lower()
    language = doc.get("language")  # nbformat 3 worksheets carry it per cell; some tools at the top
    return language.lower() if isinstance(language, str) and language else "python"


def _is_python_cell(cell: dict) -> bool:
    if cell["cell_type"] != "code":
        return False
    meta = cell.get("metadata")
    vscode = meta.get("vscode") if isinstance(meta, dict) else None
    language = vscode.get("languageId") if isinstance(vscode, dict) else cell.get("language")
    return not isinstance(language, str) or language.lower() in PYTHON_LANGUAGES | PYTHON_SUPERSETS


# ---------------------------------------------------------------- IPython syntax


def _python_lines(lines: list[str]) -> list[str] | None:
    """The cell's lines with IPython syntax made into Python (same count), or None to skip it."""
    if _foreign_cell_magic(lines):
        return None
    lines = list(lines)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        lines[first] = ""
    if _syntax_error("\n".join(lines) + "\n") is None:
        return lines  # plain Python: the common case, nothing to look for
    i = base = 0  # lines[:base] end outside brackets and strings: tokenize only from there
    while i < len(lines):
        line = lines[i]
        if _MAGIC_START.match(line) or _HELP_END.match(line):
            inside = _continues(lines[base:i])
            if inside is None:  # the piece alone does not tokenize (indentation): take it all
                inside = bool(_continues(lines[:i]))
            if not inside:
                indent = line[:len(line) - len(line.lstrip(" \t"))]
                lines[i] = indent + "pass"
                while line.rstrip().endswith("\\") and i + 1 < len(lines):
                    i += 1
                    line, lines[i] = lines[i], ""
                base = i + 1
        i += 1
    return lines


def _foreign_cell_magic(lines: list[str]) -> bool:
    """Does the cell start with a cell magic whose body is not Python (`%%bash`)?"""
    first = next((line.strip() for line in lines if line.strip()), "")
    if not first.startswith("%%"):
        return False
    name = first[2:].split(maxsplit=1)
    return not name or name[0] not in PYTHON_CELL_MAGICS


def _continues(lines: list[str]) -> bool | None:
    """Do these lines end inside brackets, a string or a backslash continuation?
    None: they do not tokenize at all."""
    if not lines:
        return False
    try:
        for _ in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            pass
    except tokenize.TokenError:
        return True  # EOF in a multi-line statement or string
    except (SyntaxError, ValueError):
        return None
    return False


@lru_cache(maxsize=8)  # a plain cell is checked twice: before looking for magics, then as kept
def _syntax_error(text: str) -> tuple[int, int, str] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as err:
        return err.lineno or 1, err.offset or 1, err.msg
    except (ValueError, RecursionError, MemoryError) as err:
        return 1, 1, str(err) or type(err).__name__
    return None


# ---------------------------------------------------------------- positions in the file


class _At(str):
    """A JSON string value that remembers where its opening quote is in the file."""

    at: int


def _located_sources(raw: str) -> list[list[_At] | None]:
    """Each cell's source strings (None for a cell without them), parsed again with the
    pure-Python scanner so every string knows its offset in `raw`."""
    from json.decoder import scanstring
    from json.scanner import py_make_scanner

    def parse_string(text, end, strict):
        value, after = scanstring(text, end, strict)
        located = _At(value)
        located.at = end - 1
        return located, after

    decoder = json.JSONDecoder()
    decoder.parse_string = parse_string
    decoder.scan_once = py_make_scanner(decoder)
    text = raw.removeprefix("\ufeff")
    shift = len(raw) - len(text)
    try:
        doc = decoder.decode(text)
    except (ValueError, RecursionError):
        return []
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if cells is None and isinstance(doc, dict):
        cells = [c for s in doc.get("worksheets") or [] if isinstance(s, dict) for c in s.get("cells") or []]
    out = []
    for cell in cells or []:
        value = cell.get("source", cell.get("input")) if isinstance(cell, dict) else None
        pieces = [value] if isinstance(value, str) else value if isinstance(value, list) else None
        if pieces and all(isinstance(p, _At) for p in pieces):
            for p in pieces:
                p.at += shift
            out.append(pieces)
        else:
            out.append(None)
    return out


def _raw_offset(raw: str, quote: int, index: int) -> int:
    """Offset in `raw` of character `index` of the JSON string whose quote is at `quote`."""
    pos = quote + 1
    for _ in range(index):
        if raw[pos] != "\\":
            pos += 1
        elif raw[pos + 1] != "u":
            pos += 2
        else:
            code = int(raw[pos + 2:pos + 6], 16)
            pos += 6
            if 0xD800 <= code < 0xDC00 and raw[pos:pos + 2] == "\\u":
                pos += 6  # a surrogate pair is one character
    return pos
