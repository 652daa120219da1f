"""Save what promptlint reports on real trees, and compare two saves byte for byte: a
speed change must not change the output.

    python bench/output_snapshot.py save OUT --promptlint .venv/bin/promptlint DIR [DIR ...]
    python bench/output_snapshot.py compare OUT_BEFORE OUT_AFTER

`save` writes, per DIR, `check --isolated --no-cache --exit-zero --output-format json .`
(NAME.check), `inventory --isolated --no-cache --output-format json .` (NAME.inv) and
`inventory --wrappers --isolated --no-cache .` (NAME.wrappers), run inside DIR; NAME is the
directory's name. `compare` lists the files that differ or are missing (exit 1 if any).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

COMMANDS = {
    "check": ["check", "--isolated", "--no-cache", "--exit-zero", "--output-format", "json", "."],
    "inv": ["inventory", "--isolated", "--no-cache", "--output-format", "json", "."],
    "wrappers": ["inventory", "--wrappers", "--isolated", "--no-cache", "."],
}


def save(out: str, executable: str, dirs: list[str]) -> None:
    os.makedirs(out, exist_ok=True)
    for directory in dirs:
        name = os.path.basename(os.path.normpath(directory))
        for suffix, command in COMMANDS.items():
            done = subprocess.run([executable, *command], cwd=directory, capture_output=True, check=False)
            with open(os.path.join(out, f"{name}.{suffix}"), "wb") as fh:
                fh.write(done.stdout)
        print(name, flush=True)


def compare(before: str, after: str) -> int:
    names = sorted(set(os.listdir(before)) | set(os.listdir(after)))
    differ = []
    for name in names:
        paths = [os.path.join(before, name), os.path.join(after, name)]
        if not all(os.path.exists(p) for p in paths):
            differ.append(f"{name}: missing in {' and '.join(p for p in paths if not os.path.exists(p))}")
            continue
        with open(paths[0], "rb") as a, open(paths[1], "rb") as b:
            if a.read() != b.read():
                differ.append(f"{name}: differs")
    print("\n".join(differ) if differ else f"{len(names)} files identical")
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    saving = sub.add_parser("save")
    saving.add_argument("out")
    saving.add_argument("dirs", nargs="+")
    saving.add_argument("--promptlint", default="promptlint")
    comparing = sub.add_parser("compare")
    comparing.add_argument("before")
    comparing.add_argument("after")
    args = parser.parse_args()
    if args.action == "save":
        executable = os.path.abspath(args.promptlint) if os.sep in args.promptlint else args.promptlint
        save(args.out, executable, args.dirs)
    else:
        sys.exit(compare(args.before, args.after))


if __name__ == "__main__":
    main()
