"""The worker pool: files that need parsing go to worker processes once there is enough work."""

from __future__ import annotations

import os

from promptlint.settings import Settings

PARALLEL_LINES = 4000


class Workers:
    """Worker processes, started once enough parsing work has been found (each one
    imports libcst: about half a second, worth it only for a few thousand lines).
    From then on every file goes to them as soon as the pre-check passes it, so
    reading and pre-checking the rest of the tree overlaps with their work."""

    def __init__(self, settings: Settings, compute, warm=None) -> None:
        self.settings = settings
        self.compute = compute  # compute(shown, source, settings): a module-level function (pickled by name)
        self.warm = warm  # warm(settings): load here what every worker needs, once (see _start)
        self.jobs = settings.jobs or os.cpu_count() or 1
        self.waiting: list[tuple[str, bytes]] = []
        self.lines = 0
        self.pool = None
        self.futures: list = []

    def offer(self, shown: str, source: bytes) -> None:
        if self.pool is not None:
            self.futures.append(self.pool.submit(self.compute, shown, source, self.settings))
            return
        self.waiting.append((shown, source))
        self.lines += source.count(b"\n")
        if self.jobs > 1 and (self.lines >= PARALLEL_LINES or self.settings.jobs) and len(self.waiting) > 1:
            self._start()

    def _start(self) -> None:
        from concurrent.futures import ProcessPoolExecutor

        from promptlint import tune_gc

        if self.warm is not None and forks():
            # Forked workers share what this process has loaded (libcst, the rules, the catalogs):
            # loaded here once instead of once in each worker (crewAI, 2 workers: about 0.3 s of CPU).
            self.warm(self.settings)
        self.pool = ProcessPoolExecutor(max_workers=self.jobs, initializer=tune_gc)
        self.futures = [self.pool.submit(self.compute, s, src, self.settings) for s, src in self.waiting]
        self.waiting = []

    def results(self, pending):
        """(result, dependencies) of each file, in the order they were offered, as they finish."""
        if self.pool is None:
            for _, shown, source, _ in pending:
                yield self.compute(shown, source, self.settings)
            return
        try:
            for future in self.futures:
                yield future.result()
        finally:
            self.pool.shutdown()


def forks() -> bool:
    """Are worker processes forked copies of this one (Python's default on Linux before 3.14)?"""
    import sys

    loaded = sys.modules.get("multiprocessing")  # not imported for this alone: a warm run has no pool
    method = loaded.get_start_method(allow_none=True) if loaded is not None else None
    if method is None:
        return sys.platform.startswith("linux") and sys.version_info < (3, 14)
    return method == "fork"
