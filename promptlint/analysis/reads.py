"""Which files each module's values were read from: other modules, template files, folders.

A sibling module is analysed once per process and answers later files from its memo, without
reading what it read again: a checked file's dependencies are closed over this graph, and a
sibling whose sources changed since is analysed again (project.py). Kept apart from project.py
so that template loading (loading.py), which project.py's evaluator uses, can record its reads.
"""

from __future__ import annotations

import os

from promptlint.analysis.templates import file_stamp

# importer (absolute path) -> {file it read (absolute path): that file's stamp then}
READS: dict[str, dict[str, tuple]] = {}


def note(importer: str | None, path: str) -> None:
    """Module `importer`'s values were read from `path`: a later file answered from
    `importer`'s memo depends on `path` too."""
    if importer:
        READS.setdefault(os.path.abspath(importer), {})[os.path.abspath(path)] = file_stamp(path)


def read_from(paths) -> set[str]:
    """The files (absolute paths) the values of `paths` were read from, transitively."""
    out: set[str] = set()
    todo = [os.path.abspath(path) for path in paths]
    while todo:
        for read in READS.get(todo.pop(), ()):
            if read not in out:
                out.add(read)
                todo.append(read)
    return out


def still_fresh(path: str) -> bool:
    """Is every file `path`'s values were read from (transitively) as it was then?"""
    return all(file_stamp(read) == stamp for module in {os.path.abspath(path)} | read_from([path])
               for read, stamp in READS.get(module, {}).items())
