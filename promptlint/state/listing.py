"""The listing cache: which files a directory walk keeps, remembered between runs.

A one-file pre-commit run still lists the whole project (the project index and the
instrumentation scan need every module), and walking a large tree with its .gitignore
files costs more than the rest of a warm run. The walk's result is kept per directory,
with the directory's stat: adding, removing or renaming an entry changes a directory's
mtime, so a directory whose stat is unchanged holds the same entries and is not read
again; one whose stat changed (or that is new) is read as usual. Only the listing is
kept this way: file contents are still keyed by their hash everywhere else.

What else decides the walk is checked too, and any doubt means a full walk:
- the cache file belongs to the same walk (top, boundary, excludes, .gitignore use);
- every .gitignore and .git/info/exclude the walk could read, in the walked
  directories and above the top, has its recorded stat (an edit there can change
  the verdict for any directory below, so it is never patched in place);
- every symlink still resolves to the same place.
A stat taken within RACY_NS of the walk is not trusted (a change in the same clock tick
would leave it equal), as git does with its index: such a directory is read again next
time. A corrupt or foreign cache file is ignored and replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

FORMAT = 2
RACY_NS = 2_000_000_000  # stats this close to the walk are re-checked next run


class Stale(Exception):
    """The recorded listing cannot be patched: walk everything again."""


def _stat(path: str, now: int) -> list | None:
    """The stat fields that change when a directory's entries (or a file) change; None if
    missing or too recent to trust."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if max(st.st_mtime_ns, st.st_ctime_ns) >= now - RACY_NS:
        return None
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev, st.st_size]


NO_IGNORES = [False, False, False]  # Listing._ignores of a directory without .gitignore or .git
UNKNOWN = "unknown"  # an ignore file's stat too recent to trust: never matches


def _holds(recorded, now: list) -> bool:
    """The recorded ignore-file facts (one directory's, or a list of them) still hold, and
    none of them was too recent to trust."""
    return recorded == now and UNKNOWN not in now and not any(isinstance(x, list) and UNKNOWN in x for x in now)


def _file_stat(path: str, now: int):
    """False for a missing file, UNKNOWN for one changed too recently, else its stat."""
    if not os.path.lexists(path):
        return False
    return _stat(path, now) or UNKNOWN


class Listing:
    """The recorded walk of one directory tree; `lister` is discovery._walk's hook."""

    def __init__(self, cache_dir: str, key: dict) -> None:
        from promptlint import __version__

        self.key = json.dumps(key, sort_keys=True)
        name = hashlib.sha256(self.key.encode()).hexdigest()[:16]
        self.target = os.path.join(cache_dir, __version__, f"listing-{name}.json")
        self.now = time.time_ns()
        self.old: dict = {}
        self.new: dict = {}
        self.changed = False
        self.top = key["top"]
        self._load(key["top"])

    def _load(self, top: str) -> None:
        try:
            with open(self.target, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            return
        if not (isinstance(data, dict) and data.get("format") == FORMAT and data.get("key") == self.key
                and isinstance(data.get("dirs"), dict)):
            return  # foreign, corrupt or another walk's
        if not _holds(data.get("above"), self._above(top)):
            return  # an ignore file or a repository appeared, changed or went above the top
        self.old = data["dirs"]

    def _above(self, top: str) -> list:
        """What the directories above the top contribute to the verdicts: their .gitignore,
        whether they are a repository root, and its info/exclude."""
        out = []
        directory = os.path.dirname(top)
        while True:
            out.append(self._ignores(directory))
            parent = os.path.dirname(directory)
            if parent == directory:
                return out
            directory = parent

    def _ignores(self, directory: str) -> list:
        """[.gitignore, .git, .git/info/exclude] of one directory, each False when missing."""
        git = os.path.join(directory, ".git")
        has_git = os.path.lexists(git)
        return [_file_stat(os.path.join(directory, ".gitignore"), self.now), has_git,
                has_git and _file_stat(os.path.join(git, "info", "exclude"), self.now)]

    def forget(self) -> None:
        self.old, self.new, self.changed = {}, {}, True

    # A directory's record, keyed by its path below the top: [stat, ignore files (0: none),
    # files, subdirectories], an entry being its name, or [name, real path] for a symlink.

    def lister(self, directory: str, directory_real: str, scan):
        """The directory's (files, subdirectories) as discovery.scan_directory gives them:
        the recorded ones while the directory and its ignore files are unchanged, else `scan()`."""
        key = directory[len(self.top):]
        old = self.old.get(key)
        sig = _stat(directory, self.now)
        if old is not None and sig is not None:
            try:
                if old[0] == sig:
                    listed = self._replay(directory, directory_real, old)
                    self.new[key] = old
                    return listed
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                raise Stale(str(exc)) from exc
        listed = scan()
        self.changed = True
        if listed is None:
            return None  # unreadable: read (and reported) again next time
        files, subdirs = listed
        ignores = self._ignores(directory)
        if old is not None:  # changed: the verdicts below may change too if its ignore files did
            recorded = old[1] if isinstance(old, list) and len(old) == 4 else None
            if recorded is None or not _holds(recorded or NO_IGNORES, ignores):
                raise Stale(f"{directory}: ignore files changed")
        self.new[key] = [sig, 0 if ignores == NO_IGNORES else ignores, [_entry(*e) for e in files],
                         [_entry(*e) for e in subdirs]]
        return listed

    def _replay(self, directory: str, directory_real: str, record: list):
        # Unchanged entries: a .gitignore or .git is still missing if it was; one that is there
        # may have been edited in place.
        if record[1] and not _holds(record[1], self._ignores(directory)):
            raise Stale(f"{directory}: ignore files changed")
        prefix = directory if directory.endswith(os.sep) else directory + os.sep
        real_prefix = directory_real if directory_real.endswith(os.sep) else directory_real + os.sep
        out = []
        for is_dir, recorded in ((False, record[2]), (True, record[3])):
            entries = []
            for entry in recorded:
                if isinstance(entry, str):
                    entries.append((prefix + entry, False, real_prefix + entry))
                    continue
                name, link = entry
                path = prefix + name
                # A symlink: it must still lead to the same place, and to the same kind of entry.
                if os.path.realpath(path) != link or not (os.path.isdir if is_dir else os.path.isfile)(path):
                    raise Stale(f"{path}: symlink changed")
                entries.append((path, True, link))
            out.append(entries)
        return out[0], out[1]

    def save(self) -> None:
        if not self.changed and self.new.keys() == self.old.keys():
            return
        from promptlint.state.cache import write_atomically

        write_atomically(self.target, {"format": FORMAT, "key": self.key, "above": self._above(self.top),
                                       "dirs": self.new})


def _entry(path: str, is_link: bool, real: str):
    """The name of a plain entry (its real path follows from the directory's); [name, real
    path] for a symlink."""
    return [os.path.basename(path), real] if is_link else os.path.basename(path)
