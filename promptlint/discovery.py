"""Paths on the command line -> the sorted list of Python files to analyse.

- Directories are walked in sorted order; `.py` files and `.ipynb` notebooks are
  kept (notebooks are analysed cell by cell, see notebook.py), `.pyi` stubs are
  skipped.
- Excludes (`exclude` – the defaults unless overridden – plus `extend-exclude`
  and `--exclude`) use gitignore pattern semantics, anchored at Settings.root.
- `.gitignore` files are honoured (`respect-gitignore`): every `.gitignore` from
  the repository root (the nearest ancestor holding `.git`) down to the file,
  deeper files overriding shallower ones, plus `.git/info/exclude`.
- Explicitly named files and directories are still subject to excludes
  (`force-exclude`, on by default) so pre-commit's file lists obey the config.
- Symlinked directories and files are followed only while their target stays
  inside the project root (or inside the path being checked when that lies
  outside the root); a directory is never walked twice, so symlink loops end.
- Returned paths are display paths: relative to the current directory in POSIX
  form when the file is below it, else absolute. The engine opens them as-is.
"""

from __future__ import annotations

import os
from pathlib import Path

from promptlint.errors import DiscoveryError
from promptlint.settings import Settings

__all__ = ["discover", "display_path", "Excluder"]


def display_path(path: str, cwd: str | None = None) -> str:
    """Relative POSIX path when below `cwd`, else the absolute POSIX path."""
    cwd = cwd or os.getcwd()
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, cwd) if _is_within(absolute, cwd) else absolute
    return Path(rel).as_posix()


def _is_within(path: str, directory: str) -> bool:
    try:
        return os.path.commonpath([path, directory]) == directory
    except ValueError:  # different drives on Windows
        return False


def _spec(lines):
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(lines)


class Excluder:
    """Answers "is this path excluded?" for configured patterns and .gitignore files."""

    def __init__(self, settings: Settings) -> None:
        self.root = os.path.abspath(settings.root)
        self.patterns = _spec([*settings.exclude, *settings.extend_exclude])
        self.respect_gitignore = settings.respect_gitignore
        self._gitignores: dict[str, object | None] = {}  # directory -> spec or None
        self._git_roots: dict[str, str | None] = {}
        # Directories named on the command line with force-exclude off: patterns that
        # exclude them do not exclude their contents either.
        self.forced: list[str] = []

    # -- configured patterns

    def _rel(self, path: str, base: str) -> str:
        # The common case, a path under `base`, without os.path.relpath (it calls
        # getcwd twice per call: a third of a warm run on a large tree).
        prefix = base.rstrip("/\\") + os.sep
        if path.startswith(prefix):
            return path[len(prefix):].replace(os.sep, "/")
        if path == base:
            return "."
        rel = os.path.relpath(path, base) if _is_within(path, base) else path.lstrip("/\\")
        return Path(rel).as_posix()

    def _verdict(self, spec, base: str, path: str, is_dir: bool) -> bool | None:
        """True / False when `spec` (anchored at `base`) ignores / re-includes `path`; None: no opinion."""
        rel = self._rel(path, base)
        if rel == ".":
            return None
        target = rel + "/" if is_dir else rel
        result = spec.check_file(target)
        forced = [self._rel(f, base) for f in self.forced if path != f and _is_within(path, f)]
        forced = [f + "/" for f in forced if f != "."]
        if not (result.include and forced):
            return result.include
        # Last matching pattern wins, skipping those that only exclude a directory the
        # user asked for by name (and so everything in it).
        for pattern in reversed(spec.patterns):
            if pattern.include is None or not pattern.match_file(target):
                continue
            if pattern.include and any(pattern.match_file(f) for f in forced):
                continue
            return pattern.include
        return None

    def configured(self, path: str, is_dir: bool) -> bool:
        return bool(self._verdict(self.patterns, self.root, path, is_dir))

    # -- .gitignore

    def _git_root(self, directory: str) -> str | None:
        if directory not in self._git_roots:
            parent = os.path.dirname(directory)
            if os.path.exists(os.path.join(directory, ".git")):
                self._git_roots[directory] = directory
            elif parent == directory:
                self._git_roots[directory] = None
            else:
                self._git_roots[directory] = self._git_root(parent)
        return self._git_roots[directory]

    def _gitignore_spec(self, directory: str):
        if directory not in self._gitignores:
            spec = None
            try:
                with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as fh:
                    spec = _spec(fh.read().splitlines())
            except OSError:
                pass
            self._gitignores[directory] = spec
        return self._gitignores[directory]

    def _info_exclude(self, git_root: str):
        key = os.path.join(git_root, ".git", "info", "exclude")
        if key not in self._gitignores:
            try:
                with open(key, encoding="utf-8", errors="replace") as fh:
                    self._gitignores[key] = _spec(fh.read().splitlines())
            except OSError:
                self._gitignores[key] = None
        return self._gitignores[key]

    def gitignored(self, path: str, is_dir: bool) -> bool:
        if not self.respect_gitignore:
            return False
        parent = os.path.dirname(path)
        git_root = self._git_root(parent)
        # Outside a repository, .gitignore files from the project root down still count.
        top = git_root or (self.root if _is_within(parent, self.root) else parent)
        directory = parent
        while True:  # deepest .gitignore first: the first one with an opinion decides
            spec = self._gitignore_spec(directory)
            if spec is not None:
                verdict = self._verdict(spec, directory, path, is_dir)
                if verdict is not None:
                    return verdict
            if directory == top or os.path.dirname(directory) == directory:
                break
            directory = os.path.dirname(directory)
        if git_root:
            spec = self._info_exclude(git_root)
            if spec is not None:
                return bool(self._verdict(spec, git_root, path, is_dir))
        return False

    def excluded(self, path: str, is_dir: bool) -> bool:
        return self.configured(path, is_dir) or self.gitignored(path, is_dir)

    def excluded_with_parents(self, path: str, is_dir: bool) -> bool:
        """For explicit arguments: the path or any directory above it (up to the root) is excluded."""
        if self.excluded(path, is_dir):
            return True
        top = self.root if _is_within(path, self.root) else os.path.dirname(path)
        directory = os.path.dirname(path)
        while _is_within(directory, top) and directory != top:
            if self.excluded(directory, True):
                return True
            directory = os.path.dirname(directory)
        return False


def discover(paths: list[str], settings: Settings, notices: list[str] | None = None,
             cwd: str | None = None) -> list[str]:
    """Files to analyse, as sorted, de-duplicated display paths.

    `notices` (if given) receives one-line messages for stderr: unreadable directories. A path that does not exist raises DiscoveryError.
    """
    notices = notices if notices is not None else []
    cwd = os.path.abspath(cwd or os.getcwd())
    excluder = Excluder(settings)
    root_real = os.path.realpath(settings.root)
    found: dict[str, str] = {}  # real path -> display path (first seen wins)

    def add(path: str, via_link: bool = False) -> None:
        # The same file reached twice (through a symlink) is listed once, preferably by its own path.
        real = os.path.realpath(path)
        if via_link:
            found.setdefault(real, display_path(path, cwd))
        else:
            found[real] = display_path(path, cwd)

    for arg in paths:
        path = os.path.abspath(os.path.join(cwd, arg))
        if not os.path.exists(path):
            raise DiscoveryError(f"{arg}: no such file or directory")
        is_dir = os.path.isdir(path)
        if settings.force_exclude and excluder.excluded_with_parents(path, is_dir):
            continue
        if is_dir and not settings.force_exclude:
            excluder.forced.append(path)
        if not is_dir:
            if not path.endswith(".pyi"):
                add(path)  # an explicit file is analysed whatever its extension
            continue
        real = os.path.realpath(path)
        boundary = root_real if _is_within(real, root_real) else real
        _walk(path, boundary, excluder, add, notices, cwd)
    return sorted(set(found.values()))


def _walk(top: str, boundary: str, excluder: Excluder, add, notices: list[str], cwd: str) -> None:
    top_real = os.path.realpath(top)
    visited = {top_real}
    stack = [(top, top_real, False)]  # (directory, its real path, reached through a symlink)
    while stack:
        directory, directory_real, via_link = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            notices.append(f"cannot read directory {display_path(directory, cwd)}: {exc.strerror or exc}")
            continue
        subdirs = []
        for entry in entries:
            path = os.path.join(directory, entry.name)
            try:
                is_dir = entry.is_dir()  # follows symlinks
                is_file = not is_dir and entry.is_file()
                is_link = entry.is_symlink()
            except OSError:
                continue
            if not (is_dir or is_file):
                continue  # broken symlink, socket, ...
            # realpath costs a system call per path component: only links need it.
            real = os.path.realpath(path) if is_link else os.path.join(directory_real, entry.name)
            if is_link and not _is_within(real, boundary):
                continue  # never leave the project through a symlink
            if is_dir:
                # A linked directory inside the walked tree is walked under its own name.
                if is_link and _is_within(real, top_real):
                    continue
                if real in visited or excluder.excluded(path, True):
                    continue
                visited.add(real)
                subdirs.append((path, real, via_link or is_link))
            elif entry.name.endswith((".py", ".ipynb")):
                if not excluder.excluded(path, False):
                    add(path, via_link or is_link)
        stack.extend(reversed(subdirs))  # keep the walk in sorted order
