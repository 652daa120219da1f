"""CPU time (user + sys) of cold `promptlint check` runs, interleaved across builds.

    python bench/bench_cold.py --repo /tmp/real/crewAIInc+crewAI --repo /tmp/real/mem0ai+mem0 \
        --build base=/tmp/base-pl --build main=/work/main/.venv/bin/promptlint \
        --build mine=.venv/bin/promptlint --rounds 3

Each round runs every build once on each repository, one after the other, so that a
busy machine slows them alike (the machine is shared: compare builds within one run of
this script, never across runs). The command is the speed reference of the team rules:
`check --isolated --exit-zero -q --no-cache .` inside the repository. Prints, per
repository and build, the median CPU and wall seconds and the CPU ratio to the first
build. Byte-compile the builds first (`python -m compileall -q promptlint`): an
installed wheel is.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import time

COMMAND = ["check", "--isolated", "--exit-zero", "-q", "--no-cache", "."]


def run_once(executable: str, repo: str, extra: list[str]) -> tuple[float, float]:
    """(CPU seconds of the child, user + sys; wall seconds) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([executable, *COMMAND[:-1], *extra, COMMAND[-1]], cwd=repo, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", action="append", required=True, help="a checked-out project (repeatable)")
    parser.add_argument("--build", action="append", required=True,
                        help="NAME=EXECUTABLE of a promptlint build (repeatable; the first is the reference)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", help="pass -j JOBS (default: promptlint's own default)")
    args = parser.parse_args()
    builds = [tuple(b.split("=", 1)) for b in args.build]
    extra = ["-j", args.jobs] if args.jobs else []
    for repo in args.repo:
        cpu: dict[str, list[float]] = {name: [] for name, _ in builds}
        wall: dict[str, list[float]] = {name: [] for name, _ in builds}
        for _ in range(args.rounds):
            for name, executable in builds:
                spent, took = run_once(os.path.abspath(executable) if os.sep in executable else executable,
                                       repo, extra)
                cpu[name].append(spent)
                wall[name].append(took)
        reference = statistics.median(cpu[builds[0][0]])
        print(os.path.basename(os.path.normpath(repo)))
        for name, _ in builds:
            median = statistics.median(cpu[name])
            print(f"  {name:10s} cpu {median:6.2f} s  wall {statistics.median(wall[name]):6.2f} s  "
                  f"x{median / reference:.2f}  (cpu of each round: {', '.join(f'{c:.2f}' for c in cpu[name])})")


if __name__ == "__main__":
    main()
