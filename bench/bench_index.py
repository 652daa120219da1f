"""CPU time of the project index build alone (project_index.build), cold, across builds.

    python3 bench/bench_index.py --repo /tmp/real/crewAIInc+crewAI \
        --build main=/work/main/.venv/bin/python --build mine=.venv/bin/python --rounds 5

Each run is a fresh process of the build's Python, inside the repository: it lists the
project's files as `check --isolated --no-cache .` does, then times `build` (process_time,
with no cache directory, the garbage collector tuned and trees kept as a one-process run
of the CLI has them). Rounds interleave the builds (the machine is shared: compare builds
within one run of this script). Prints the median per repository and build, and whether
every build produced the same wrapper table (`--tables DIR` also writes each build's
table as JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess

CHILD = r"""
import json, sys, time
from promptlint import config, trees, tune_gc
tune_gc()  # as the CLI does
from promptlint.discovery import discover, display_path
from promptlint.project_index import build
settings = config.load_settings(isolated=True, overrides=config.Overrides(no_cache=True))
files = sorted({display_path(f) for f in discover(["."], settings) if f.endswith(".py")})
trees.keep()
start = time.process_time()
table = build(files, settings)
spent = time.process_time() - start
print(json.dumps({"cpu": spent, "table": [list(row) for row in table]}))
"""


def run_once(python: str, repo: str) -> dict:
    done = subprocess.run([python, "-c", CHILD], cwd=repo, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", action="append", required=True, help="a checked-out project (repeatable)")
    parser.add_argument("--build", action="append", required=True,
                        help="NAME=PYTHON of a venv with promptlint installed (repeatable; the first is the reference)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tables", help="a directory to write each build's wrapper table to (JSON)")
    args = parser.parse_args()
    builds = [tuple(b.split("=", 1)) for b in args.build]
    for repo in args.repo:
        cpu: dict[str, list[float]] = {name: [] for name, _ in builds}
        tables: dict[str, list] = {}
        for _ in range(args.rounds):
            for name, python in builds:
                out = run_once(os.path.abspath(python) if os.sep in python else python, repo)
                cpu[name].append(out["cpu"])
                tables.setdefault(name, out["table"])
        label = os.path.basename(os.path.normpath(repo))
        reference = statistics.median(cpu[builds[0][0]])
        same = all(t == tables[builds[0][0]] for t in tables.values())
        print(f"{label}: {len(tables[builds[0][0]])} rows, tables {'identical' if same else 'DIFFER'}")
        for name, _ in builds:
            median = statistics.median(cpu[name])
            print(f"  {name:10s} build cpu {median:6.3f} s  x{median / reference:.2f}  "
                  f"(each round: {', '.join(f'{c:.3f}' for c in cpu[name])})")
        if args.tables:
            os.makedirs(args.tables, exist_ok=True)
            for name, table in tables.items():
                with open(os.path.join(args.tables, f"{label}.{name}.json"), "w", encoding="utf-8") as fh:
                    json.dump(table, fh)


if __name__ == "__main__":
    main()
