"""Time and peak memory of `promptlint check` on generated modules of 20,000, 50,000 and
200,000 lines with one LLM call (bench/gen_large_file.py), the size limit raised.

    python3 bench/bench_large_file.py [--promptlint .venv/bin/promptlint] [--lines 20000,50000,200000]

Each run is `promptlint check --no-cache --config DIR/promptlint.toml --output-format json FILE`
in a fresh directory holding only the file (so the project index reads nothing else),
measured by /usr/bin/time (wall, user and system CPU seconds, peak resident memory), next to a
run on a two-line file: the start-up every run pays. Compare CPU seconds across machines
and loads; wall time only on an idle machine. `--base DIR` also runs a checkout of another
commit (its `promptlint` package directory's parent, e.g. one made by `git worktree add`)
with the same Python, and says whether the JSON outputs are byte-identical.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_large_file import generate  # noqa: E402

TINY = 'import openai\nopenai.OpenAI().chat.completions.create(model="gpt-4o", messages=[])\n'


def measure(command: list[str], cwd: str) -> tuple[str, bytes]:
    """('wall s, user s, sys s, peak MB', stdout) of one run."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        done = subprocess.run(["/usr/bin/time", "-o", timing.name, "-f", "%e %U %S %M", *command],
                              cwd=cwd, capture_output=True, check=False)
        wall, user, system, kb = timing.read().split()[-4:]
    return f"{float(wall):6.2f} s wall, {float(user) + float(system):5.2f} s CPU, {int(kb) / 1024:6.0f} MB", done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--promptlint", default=str(Path(sys.executable).parent / "promptlint"))
    parser.add_argument("--lines", default="20000,50000,200000")
    parser.add_argument("--base", help="a checkout of another commit to run the same way")
    args = parser.parse_args()
    if not os.path.exists("/usr/bin/time"):
        sys.exit("needs /usr/bin/time (GNU time) for peak memory")
    tools = {"this": [os.path.abspath(args.promptlint)]}
    if args.base:
        base = os.path.abspath(args.base)
        tools["base"] = [sys.executable, "-c", f"import sys; sys.path.insert(0, {base!r}); "
                         "from promptlint.cli import main; sys.argv[0] = 'promptlint'; main()"]
    sizes = [("two lines", TINY)] + [(f"{int(n):,} lines", generate(int(n))) for n in args.lines.split(",")]
    for label, text in sizes:
        outputs = {}
        for name, tool in tools.items():
            with tempfile.TemporaryDirectory() as folder:
                Path(folder, "promptlint.toml").write_text("max-file-bytes = 100000000\n")
                Path(folder, "generated.py").write_text(text, encoding="utf-8")
                figures, outputs[name] = measure([*tool, "check", "--no-cache", "--config", "promptlint.toml",
                                                  "--output-format", "json", "generated.py"], folder)
            print(f"{label:>15} {len(text.encode()) / 1e6:5.1f} MB  {name:4}: {figures}", flush=True)
        if len(outputs) == 2:
            print(f"{'':>15} JSON outputs {'identical' if len(set(outputs.values())) == 1 else 'DIFFER'}")


if __name__ == "__main__":
    main()
