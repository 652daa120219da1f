"""Time `promptlint check` on real trees: lines per second, cold and warm, and
how much the byte pre-check and the `ast` pre-pass skip.

    python bench/bench_check.py DIR [DIR ...] [--runs 3] [--jobs N]

Each DIR is a checked-out project (see bench/repos.txt). Wall-clock times are
medians of --runs runs of the real command line in a subprocess; the skip
counts come from the engine. `ruff check --select ALL --no-cache`, when ruff
is installed, is timed in the same run as the native-speed reference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def python_files(root: str) -> list[str]:
    from promptlint.discovery import discover
    from promptlint.config import load_settings

    settings = load_settings(isolated=True, start=root)
    return discover([root], settings)


def timed(cmd: list[str], cwd: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()

    from promptlint.engine import lint_paths
    from promptlint.settings import Settings

    exe = [sys.executable, "-m", "promptlint"]
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    ruff = shutil.which("ruff")
    print("| project | files | lines | text-skipped | ast-only | parsed (libcst) | call sites | cold s | lines/s cold | warm s | ruff ALL s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for root in args.dirs:
        root = os.path.abspath(root)
        files = python_files(root)
        cwd = os.getcwd()
        os.chdir(root)
        try:
            run = lint_paths([os.path.relpath(f, root) for f in files], Settings(jobs=args.jobs))
        finally:
            os.chdir(cwd)
        parsed = run.files_checked - run.files_prefiltered
        cold = timed([*exe, "check", ".", "--isolated", "--no-cache", "--exit-zero", "-q", *jobs], root, args.runs)
        with tempfile.TemporaryDirectory() as cache:
            warm_cmd = [*exe, "check", ".", "--isolated", "--cache-dir", cache, "--exit-zero", "-q", *jobs]
            subprocess.run(warm_cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            warm = timed(warm_cmd, root, args.runs)
        ruff_s = (f"{timed([ruff, 'check', '--select', 'ALL', '--no-cache', '--exit-zero', '-q', '.'], root, args.runs):.2f}"
                  if ruff else "n/a")
        print(f"| {os.path.basename(root)} | {len(files)} | {run.lines:,} | {run.files_skipped} | "
              f"{run.files_prefiltered} | {parsed} | {len(run.callsites)} | {cold:.2f} | "
              f"{run.lines / cold:,.0f} | {warm:.2f} | {ruff_s} |")


if __name__ == "__main__":
    main()
