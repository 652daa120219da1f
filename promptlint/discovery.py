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
import re
from functools import lru_cache
from pathlib import Path

from promptlint.errors import DiscoveryError
from promptlint.settings import Settings
from promptlint.analysis.templates import TEMPLATE_SUFFIXES

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


# A named group in one of pathspec's pattern regexes (`(?P<ps_d>/)` marks a directory
# match); the combined regex needs them unnamed, as a name may appear only once.
_NAMED_GROUP = re.compile(r"(?<!\\)\(\?P<\w+>")


class _Patterns:
    """A gitignore-style pattern list: pathspec's verdict, behind a quick "does any pattern match?".

    Most paths match no pattern at all, and then the list has no opinion. One regex made of
    every pattern's own regex answers that in a single search; only a path it matches goes
    through pathspec's pattern-by-pattern, last-match-wins check.
    """

    def __init__(self, lines) -> None:
        from pathspec import GitIgnoreSpec

        self.spec = GitIgnoreSpec.from_lines(lines)
        regexes = [p.regex for p in self.spec.patterns if p.include is not None and p.regex is not None]
        self.empty = not regexes  # only comments and blank lines: never an opinion
        self.any = _combined(regexes)

    def could_match(self, target: str) -> bool:
        return self.any is None or self.any.search(target) is not None


@lru_cache(maxsize=256)
def _patterns(lines: tuple[str, ...]) -> _Patterns:
    """The compiled pattern list of these lines (compiling costs more than the rest of a warm walk;
    the same lines come back for each discovery of a run)."""
    return _Patterns(lines)


# How pathspec starts a pattern that may match at any depth (`name`, `**/name`).
_ANY_DEPTH = "^(?:.+/)?"


def _combined(regexes: list) -> re.Pattern | None:
    """One regex that matches where any of `regexes` matches; None when they cannot be combined.

    The any-depth patterns share their prefix, `^(?:.+/)?(?:a|b|...)`, and the other anchored
    ones their `^`: the same language as `a|b|...` whole, but with one scan of the path's
    directories instead of one per pattern.
    """
    if not regexes:
        return re.compile(r"(?!)")  # matches nothing
    if any(not isinstance(r.pattern, str) or r.flags != re.UNICODE for r in regexes):
        return None
    texts = [_NAMED_GROUP.sub("(?:", r.pattern) for r in regexes]
    any_depth = [t[len(_ANY_DEPTH):] for t in texts if t.startswith(_ANY_DEPTH)]
    anchored = [t[1:] for t in texts if t.startswith("^") and not t.startswith(_ANY_DEPTH)]
    parts = [f"(?:{t})" for t in texts if not t.startswith("^")]
    if any_depth:
        parts.append(_ANY_DEPTH + "(?:" + "|".join(f"(?:{t})" for t in any_depth) + ")")
    if anchored:
        parts.append("^(?:" + "|".join(f"(?:{t})" for t in anchored) + ")")
    try:
        combined = re.compile("|".join(parts))
    except re.error:  # e.g. a group name the substitution missed: check pattern by pattern
        return None
    # A capturing group left over could be the target of a numbered back-reference.
    return combined if combined.groups == 0 else None


class Excluder:
    """Answers "is this path excluded?" for configured patterns and .gitignore files."""

    def __init__(self, settings: Settings) -> None:
        self.root = os.path.abspath(settings.root)
        self._exclude = (*settings.exclude, *settings.extend_exclude)
        self.respect_gitignore = settings.respect_gitignore
        self._gitignores: dict[str, _Patterns | None] = {}  # directory -> its .gitignore
        self._git_roots: dict[str, str | None] = {}
        self._no_git: set[str] = set()  # directories known to hold no .git
        # directory -> the patterns that judge its entries: (.gitignore, its directory) from
        # the deepest up, then .git/info/exclude (or None). The same for every entry.
        self._chains: dict[str, tuple[list[tuple[_Patterns, str]], tuple[_Patterns, str] | None]] = {}
        # Directories named on the command line with force-exclude off: patterns that
        # exclude them do not exclude their contents either.
        self.forced: list[str] = []

    # -- configured patterns

    @property
    def patterns(self) -> _Patterns:
        # Built on first use: a warm walk from the listing cache asks for no verdict.
        return _patterns(self._exclude)

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

    def _verdict(self, patterns: _Patterns, base: str, path: str, is_dir: bool) -> bool | None:
        """True / False when `patterns` (anchored at `base`) ignore / re-include `path`; None: no opinion."""
        rel = self._rel(path, base)
        if rel == ".":
            return None
        target = rel + "/" if is_dir else rel
        if not patterns.could_match(target):
            return None
        spec = patterns.spec
        result = spec.check_file(target)
        if not (result.include and self.forced):
            return result.include
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

    def holds_no_dotfiles(self, directory: str) -> None:
        """The walk found no name starting with "." in `directory`: no .git or .gitignore to look for.

        (Any dotfile means a look, as a case-insensitive file system may call .GitIgnore .gitignore.)
        """
        self._gitignores.setdefault(directory, None)
        self._no_git.add(directory)

    def _git_root(self, directory: str) -> str | None:
        if directory not in self._git_roots:
            parent = os.path.dirname(directory)
            if directory not in self._no_git and os.path.exists(os.path.join(directory, ".git")):
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
                    spec = _patterns(tuple(fh.read().splitlines()))
            except OSError:
                pass
            self._gitignores[directory] = spec
        return self._gitignores[directory]

    def _info_exclude(self, git_root: str):
        key = os.path.join(git_root, ".git", "info", "exclude")
        if key not in self._gitignores:
            try:
                with open(key, encoding="utf-8", errors="replace") as fh:
                    self._gitignores[key] = _patterns(tuple(fh.read().splitlines()))
            except OSError:
                self._gitignores[key] = None
        return self._gitignores[key]

    def _chain(self, parent: str):
        if parent not in self._chains:
            git_root = self._git_root(parent)
            # Outside a repository, .gitignore files from the project root down still count.
            top = git_root or (self.root if _is_within(parent, self.root) else parent)
            spec = self._gitignore_spec(parent)
            own = [(spec, parent)] if spec is not None and not spec.empty else []
            above = os.path.dirname(parent)
            if parent == top or above == parent:
                info = self._info_exclude(git_root) if git_root else None
                self._chains[parent] = (own, (info, git_root) if info is not None and not info.empty else None)
            else:  # the directory above has the same top: its chain continues this one
                chain, info = self._chain(above)
                self._chains[parent] = (own + chain, info)  # deepest .gitignore first
        return self._chains[parent]

    def gitignored(self, path: str, is_dir: bool) -> bool:
        if not self.respect_gitignore:
            return False
        chain, info = self._chain(os.path.dirname(path))
        for spec, directory in chain:
            verdict = self._verdict(spec, directory, path, is_dir)
            if verdict is not None:
                return verdict
        if info is not None:
            return bool(self._verdict(info[0], info[1], path, is_dir))
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
    below_cwd = cwd if cwd.endswith(os.sep) else cwd + os.sep

    def add(path: str, via_link: bool = False, real: str | None = None) -> None:
        # The same file reached twice (through a symlink) is listed once, preferably by its own path.
        real = real or os.path.realpath(path)
        # `path` is absolute and normalised: below the cwd, its display path is the rest of it.
        shown = path[len(below_cwd):].replace(os.sep, "/") if path.startswith(below_cwd) else display_path(path, cwd)
        if via_link:
            found.setdefault(real, shown)
        else:
            found[real] = shown

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
            if path.endswith(TEMPLATE_SUFFIXES):  # a prompt template (pre-commit passes it alone)
                for loader in _loaders_of(path, root_real, excluder, notices, cwd):
                    add(loader)
            elif not path.endswith(".pyi"):
                add(path)  # an explicit file is analysed whatever its extension
            continue
        real = os.path.realpath(path)
        boundary = root_real if _is_within(real, root_real) else real
        if settings.cache_dir:
            _cached_walk(path, boundary, excluder, add, notices, cwd, settings)
        else:
            _walk(path, boundary, excluder, add, notices, cwd)
    return sorted(set(found.values()))


def _cached_walk(top: str, boundary: str, excluder: Excluder, add, notices: list[str], cwd: str,
                 settings: Settings) -> None:
    """_walk, reading only the directories changed since the last run (state/listing.py)."""
    from promptlint.state.listing import Listing, Stale

    key = {"top": top, "top_real": os.path.realpath(top), "boundary": boundary, "root": excluder.root,
           "exclude": [*settings.exclude, *settings.extend_exclude], "gitignore": settings.respect_gitignore,
           "forced": excluder.forced}
    listing = Listing(settings.cache_dir, key)
    for _attempt in range(2):
        kept: list[tuple] = []
        heard: list[str] = []
        try:
            _walk(top, boundary, excluder, lambda *entry: kept.append(entry), heard, cwd, listing.lister)
        except Stale:
            listing.forget()  # an ignore file or a symlink changed: the second round reads everything
            continue
        break
    for entry in kept:
        add(*entry)
    notices += heard
    listing.save()


def _loaders_of(template: str, root: str, excluder, notices: list[str], cwd: str) -> list[str]:
    """The Python files of the project that may read `template`: those that name the
    file in a string (`"answer.txt"`), or its folder and its stem (`HERE / "prompts"` and
    `PROMPTS["answer"]`). A cheap byte search, so an edit to a template alone re-checks
    the code that loads it."""
    name, folder = os.path.basename(template), os.path.basename(os.path.dirname(template))
    stem = os.path.splitext(name)[0]

    def quoted(word: str) -> list[bytes]:
        return [f"{q}{word}".encode() for q in ('"', "'", "/")] if word else []

    def names_it(data: bytes) -> bool:  # the file's name, or its folder and its stem (`PROMPTS["triage"]`)
        return any(n in data for n in quoted(name)) or (
            any(n in data for n in quoted(folder)) and any(n in data for n in quoted(stem)))

    boundary = root if _is_within(os.path.realpath(template), root) else os.path.dirname(template)
    candidates: list[str] = []
    _walk(boundary, boundary, excluder, lambda p, via_link=False, real=None: candidates.append(p), notices, cwd)
    out = []
    for path in candidates:
        if not path.endswith(".py"):
            continue
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        if names_it(data):
            out.append(path)
    return out


def _name(entry: os.DirEntry) -> str:
    return entry.name


def _walk(top: str, boundary: str, excluder: Excluder, add, notices: list[str], cwd: str, lister=None) -> None:
    """Walk `top` in sorted order, calling `add` for every file kept. `lister(directory, its real
    path, scan)`, if given, returns a directory's entries in place of `scan()` (the listing cache)."""
    top_real = os.path.realpath(top)
    visited = {top_real}
    stack = [(top, top_real, False)]  # (directory, its real path, reached through a symlink)
    while stack:
        directory, directory_real, via_link = stack.pop()

        def scan(directory=directory, directory_real=directory_real):
            return scan_directory(directory, directory_real, boundary, top_real, excluder, notices, cwd)

        listed = lister(directory, directory_real, scan) if lister is not None else scan()
        if listed is None:
            continue  # unreadable (a notice says so)
        files, subdirs = listed
        for path, is_link, real in files:
            add(path, via_link or is_link, real)
        below = []
        for path, is_link, real in subdirs:
            if real not in visited:
                visited.add(real)
                below.append((path, real, via_link or is_link))
        stack.extend(reversed(below))  # keep the walk in sorted order


def scan_directory(directory: str, directory_real: str, boundary: str, top_real: str, excluder: Excluder,
                   notices: list[str], cwd: str):
    """One directory's entries that the walk keeps, in sorted order: (files, subdirectories),
    each a list of (path, is a symlink, real path). None when the directory cannot be read."""
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=_name)
    except OSError as exc:
        notices.append(f"cannot read directory {display_path(directory, cwd)}: {exc.strerror or exc}")
        return None
    if not any(entry.name.startswith(".") for entry in entries):
        excluder.holds_no_dotfiles(directory)  # spares two system calls
    files, subdirs = [], []
    real_prefix = directory_real if directory_real.endswith(os.sep) else directory_real + os.sep
    for entry in entries:
        name = entry.name
        try:
            is_dir = entry.is_dir()  # follows symlinks
            if not is_dir and not name.endswith((".py", ".ipynb")):
                continue  # the bulk of a tree: no need to look any closer
            is_file = not is_dir and entry.is_file()
            is_link = entry.is_symlink()
        except OSError:
            continue
        if not (is_dir or is_file):
            continue  # broken symlink, socket, ...
        path = entry.path  # os.path.join(directory, name)
        # realpath costs a system call per path component: only links need it.
        real = os.path.realpath(path) if is_link else real_prefix + name
        if is_link and not _is_within(real, boundary):
            continue  # never leave the project through a symlink
        if is_dir:
            # A linked directory inside the walked tree is walked under its own name.
            if is_link and _is_within(real, top_real):
                continue
            if not excluder.excluded(path, True):
                subdirs.append((path, is_link, real))
        elif not excluder.excluded(path, False):
            files.append((path, is_link, real))
    return files, subdirs
