"""The worker pool (pool.py): what forked workers need is loaded once, in the parent, before
the fork (issue 13, cold speed), and results come back in the order files were offered."""

from __future__ import annotations

import os

import pytest

from promptlint import pool
from promptlint.pool import Workers
from promptlint.settings import Settings


def lines_and_pid(shown: str, source: bytes, settings: Settings):
    return shown, source.count(b"\n"), os.getpid()


def test_forked_workers_are_warmed_once_in_the_parent(monkeypatch):
    warmed = []
    monkeypatch.setattr(pool, "forks", lambda: True)
    workers = Workers(Settings(jobs=2), lines_and_pid, warm=lambda settings: warmed.append(os.getpid()))
    offered = [(f"f{i}.py", b"x = 1\n" * i) for i in range(1, 4)]
    for shown, source in offered:
        workers.offer(shown, source)
    results = list(workers.results([(i, shown, source, None) for i, (shown, source) in enumerate(offered)]))
    assert warmed == [os.getpid()]  # here, before the workers started
    assert [(shown, count) for shown, count, _pid in results] == [("f1.py", 1), ("f2.py", 2), ("f3.py", 3)]
    assert all(pid != os.getpid() for _shown, _count, pid in results)


@pytest.mark.parametrize("forked", [True, False])
def test_nothing_is_warmed_without_forked_workers(monkeypatch, forked):
    warmed = []
    monkeypatch.setattr(pool, "forks", lambda: forked)
    jobs = 1 if forked else 2  # forked but one job: no pool; a pool of spawned workers: they load their own
    workers = Workers(Settings(jobs=jobs), lines_and_pid, warm=lambda settings: warmed.append(1))
    workers.offer("a.py", b"x = 1\n")
    workers.offer("b.py", b"y = 2\n")
    list(workers.results([(0, "a.py", b"x = 1\n", None), (1, "b.py", b"y = 2\n", None)]))
    assert warmed == []


def test_the_engine_warms_libcst_the_selected_rules_and_the_tokenizer():
    import subprocess
    import sys

    code = ("import sys\n"
            "from promptlint.engine import _warm\n"
            "from promptlint.cost.estimate import encoding\n"
            "from promptlint.settings import Settings\n"
            "assert 'libcst' not in sys.modules\n"
            "_warm(Settings(select=['PL301']))\n"
            "assert 'libcst' in sys.modules and 'promptlint.checks.pl301_uncapped_output' in sys.modules\n"
            "assert 'promptlint.checks.pl405_duplicated_prompt' not in sys.modules\n"
            "assert encoding.cache_info().currsize == 1\n")
    subprocess.run([sys.executable, "-c", code], check=True)  # a fresh process: nothing loaded before
