"""Benchmark promptlint against its peers, in virtual environments of its own.

    python bench/bench_peers.py --repos-dir DIR [--only owner/name,...] [DIR ...] [--runs 5]
    python bench/bench_peers.py --scale DIR [--factors 1,4,16] [--runs 3]
    python bench/bench_peers.py --startup-only

Set-up (once, or again with --reinstall): one venv per tool under --work-dir
(default bench/.work, git-ignored), each installed from the package index:
promptlint from this checkout (editable) and ruff; llmdoctor, cachedrift,
agentguard-lint, llm-promptlint (its command is also called `promptlint`, hence
the separate venvs) and aiproof (a Python function only, driven by
bench/aiproof_driver.py over the files promptlint checks); tokentoll, pcdlint,
overllm and tokenlint (published since); erabot only with --tools (offline it
cannot load its Python grammar, see TOOLS).

Repositories: bench/repos.txt lists `owner/name commit`; the person running the
benchmark clones them into DIR/<owner>+<name> and checks out that commit. A
checkout at another commit is skipped unless --any-commit. Nothing here writes
into a checkout (every tool runs without a cache there, promptlint warm uses a
cache in a temporary directory) and nothing fetched is ever committed. Extra
directories can be given as arguments.

Per repository, every tool runs --runs times, interleaved: run 1 of each tool,
then run 2 of each, ... Reported: the median wall time, its ratio to promptlint
cold, CPU seconds, the peak RSS (from /usr/bin/time, else wait4: the largest
single process of the command's process tree, so for promptlint's worker pool it
is the largest worker or the parent, never their sum), exit codes, how many
files each tool looked at and how many findings it reported. A crash, a timeout
or an unexpected exit code is marked in the table and does not stop the run.
Then the start-up time: `promptlint check small.py`, median of 20 runs.

--scale builds 16 copies of a repository's .py files (and its .gitignore files)
under distinct directory names and times promptlint cold on the first 1, 4 and
16 of them, sampling the memory of every process of the run (VmHWM from /proc)
to report the parent's and the largest worker's peak.

Everything prints as markdown on stdout (progress goes to stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- tools


@dataclass
class Tool:
    name: str  # column name
    venv: str  # venv directory name under work_dir/venvs
    packages: list[str]  # pip install arguments
    dist: str  # distribution whose version is reported
    ok_codes: tuple[int, ...]  # exit codes that mean "ran" (findings or not)
    invocation: str = ""  # how it is run, for the report


TOOLS = {
    "promptlint": Tool("promptlint", "promptlint", ["-e", str(REPO_ROOT)], "promptlint-cost", (0, 1)),
    "ruff": Tool("ruff", "ruff", ["ruff"], "ruff", (0, 1)),
    "llmdoctor": Tool("llmdoctor", "llmdoctor", ["llmdoctor"], "llmdoctor", (0, 1)),
    "cachedrift": Tool("cachedrift", "cachedrift", ["cachedrift"], "cachedrift", (0, 1, 2)),
    "agentguard-lint": Tool("agentguard-lint", "agentguard-lint", ["agentguard-lint"], "agentguard-lint", (0, 1)),
    "llm-promptlint": Tool("llm-promptlint", "llm-promptlint", ["llm-promptlint"], "llm-promptlint", (0, 1)),
    "aiproof": Tool("aiproof", "aiproof", ["aiproof"], "aiproof", (0,)),
    # Peers published since the first bench (issue 13).
    "tokentoll": Tool("tokentoll", "tokentoll", ["tokentoll"], "tokentoll", (0,)),
    "pcdlint": Tool("pcdlint", "pcdlint", ["pcdlint"], "pcdlint", (0, 1, 2)),   # 2 = some path not analysable
    "overllm": Tool("overllm", "overllm", ["overllm"], "overllm", (0,)),        # run with --exit-zero
    "tokenlint": Tool("tokenlint", "tokenlint", ["tokenlint"], "tokenlint", (0,)),  # run with --fail-on never
    # erabot parses with tree-sitter-language-pack >= 1.0, which downloads its grammars at run time:
    # offline it loads no Python grammar and reports nothing, so it is not run unless asked (--tools).
    "erabot": Tool("erabot", "erabot", ["erabot"], "erabot", (0,)),
}
PEERS = ["llmdoctor", "cachedrift", "agentguard-lint", "llm-promptlint", "aiproof",
         "tokentoll", "pcdlint", "overllm", "tokenlint"]


class Envs:
    """The venvs: created on first use, reused afterwards (--reinstall rebuilds)."""

    def __init__(self, work_dir: Path, reinstall: bool) -> None:
        self.root = work_dir / "venvs"
        self.reinstall = reinstall

    def bin(self, tool: str, exe: str) -> str:
        return str(self.root / TOOLS[tool].venv / "bin" / exe)

    def setup(self, names: list[str]) -> dict[str, str]:
        versions = {}
        for name in names:
            tool = TOOLS[name]
            venv = self.root / tool.venv
            marker = venv / "bench-installed.json"
            # promptlint is installed editable: its code is always current, its dependencies only
            # as of the install, so a changed pyproject.toml reinstalls it.
            pyproject = (REPO_ROOT / "pyproject.toml").read_text() if name == "promptlint" else ""
            wanted = json.dumps([tool.packages, pyproject])
            if self.reinstall or not marker.exists() or marker.read_text() != wanted:
                log(f"setup: installing {name} into {venv}")
                shutil.rmtree(venv, ignore_errors=True)
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
                subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                                "--disable-pip-version-check", *tool.packages], check=True)
                marker.write_text(wanted)
            out = subprocess.run(
                [str(venv / "bin" / "python"), "-c",
                 f"import importlib.metadata as m; print(m.version({tool.dist!r}))"],
                capture_output=True, text=True, check=True)
            versions[name] = out.stdout.strip()
        return versions


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "FORCE_COLOR", "PYTHONHOME")}
    env.update(NO_COLOR="1", TERM="dumb", COLUMNS="200", PYTHONUTF8="1")
    return env


ENV = clean_env()


# --------------------------------------------------------------------------- commands


@dataclass
class Command:
    """One timed command line and how to read its output."""

    label: str  # table column: promptlint cold, promptlint warm, a peer, ruff
    tool: str
    argv: list[str]
    parse: object  # stdout text -> (files or None, findings or None)


def parse_promptlint(out: str):
    summary = json.loads(out)["summary"]
    return summary["files_checked"] + summary["files_skipped"], summary["findings"]


def parse_llmdoctor(out: str):
    return None, len(json.loads(out))


def parse_cachedrift(out: str):
    data = json.loads(out)
    return data["files_scanned"], len(data["findings"])


def parse_agentguard(out: str):
    summary = json.loads(out)["summary"]
    return summary["files"], summary["findings"]


def parse_llm_promptlint(out: str):
    if "no issues found" in out:
        return None, 0
    match = re.search(r"promptlint: (\d+) issue\(s\)", out)
    return None, int(match.group(1)) if match else None


def parse_aiproof(out: str):
    data = json.loads(out.strip().splitlines()[-1])
    return data["files"], data["findings"]


def parse_tokentoll(out: str):
    return None, len(json.loads(out)["calls"])   # call sites it prices; it has no rules


def parse_pcdlint(out: str):
    return None, len(json.loads(out))


def parse_overllm(out: str):
    return None, len(json.loads(out))


def parse_tokenlint(out: str):
    if "No cost anti-patterns found" in out:
        return None, 0
    match = re.search(r"(\d+) fail\s+(\d+) warn\s+(\d+) info", out)   # no JSON output: its summary line
    return None, sum(int(n) for n in match.groups()) if match else None


def parse_erabot(out: str):
    if "No LLM API calls detected" in out:
        return None, 0
    data = json.loads(out)
    sites = data.get("call_sites", data.get("sites", [])) if isinstance(data, dict) else data
    return None, len(sites)


def parse_ruff(out: str):
    return None, sum(row["count"] for row in json.loads(out or "[]"))


def commands(envs: Envs, file_list: Path, cache_dir: str) -> list[Command]:
    pl = envs.bin("promptlint", "promptlint")
    pl_args = ["check", ".", "--isolated", "--output-format", "json"]
    return [
        Command("promptlint cold", "promptlint", [pl, *pl_args, "--no-cache"], parse_promptlint),
        Command("promptlint warm", "promptlint", [pl, *pl_args, "--cache-dir", cache_dir], parse_promptlint),
        Command("llmdoctor", "llmdoctor", [envs.bin("llmdoctor", "llmdoctor"), "doctor", ".", "--json"],
                parse_llmdoctor),
        Command("cachedrift", "cachedrift",
                [envs.bin("cachedrift", "cachedrift"), "--format", "json", "--min-severity", "info", "."],
                parse_cachedrift),
        Command("agentguard-lint", "agentguard-lint",
                [envs.bin("agentguard-lint", "agentguard"), "-f", "json", "--no-config", "."], parse_agentguard),
        Command("llm-promptlint", "llm-promptlint", [envs.bin("llm-promptlint", "promptlint"), "--no-color", "."],
                parse_llm_promptlint),
        Command("aiproof", "aiproof",
                [envs.bin("aiproof", "python"), str(HERE / "aiproof_driver.py"), str(file_list)], parse_aiproof),
        Command("tokentoll", "tokentoll", [envs.bin("tokentoll", "tokentoll"), "scan", "--format", "json", "."],
                parse_tokentoll),
        Command("pcdlint", "pcdlint", [envs.bin("pcdlint", "pcdlint"), "--format", "json", "."], parse_pcdlint),
        Command("overllm", "overllm",
                [envs.bin("overllm", "overllm"), "--format", "json", "--all", "--exit-zero", "--no-color", "."],
                parse_overllm),
        Command("tokenlint", "tokenlint", [envs.bin("tokenlint", "tokenlint"), "--fail-on", "never", "."],
                parse_tokenlint),
        Command("erabot", "erabot", [envs.bin("erabot", "erabot"), "estimate", "--json", "."], parse_erabot),
        Command("ruff ALL", "ruff",
                [envs.bin("ruff", "ruff"), "check", "--select", "ALL", "--no-cache", "--isolated",
                 "--statistics", "--output-format", "json", "."], parse_ruff),
    ]


def file_probes(envs: Envs) -> dict[str, list[str]]:
    """Untimed commands that print how many files a tool walks (where its timed output does not say)."""
    return {
        "llmdoctor": [envs.bin("llmdoctor", "python"), "-c",
                      "from pathlib import Path; from llmdoctor.scanner import iter_python_files; "
                      "print(sum(1 for _ in iter_python_files(Path('.'))))"],
        "llm-promptlint": [envs.bin("llm-promptlint", "python"), "-c",
                           "from promptlint.cli import _iter_files; fs = list(_iter_files(['.'])); "
                           "print(len(fs), sum(f.endswith('.py') for f in fs))"],
        "ruff ALL": [envs.bin("ruff", "ruff"), "check", "--select", "ALL", "--isolated", "--show-files", "."],
    }


def files_seen(label: str, argv: list[str], cwd: str) -> str:
    text = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=ENV, check=False).stdout
    if label == "ruff ALL":  # one path per line
        return str(sum(1 for line in text.splitlines() if line.strip()))
    out = text.split()
    if label == "llm-promptlint" and len(out) == 2:
        return f"{out[0]} ({out[1]} .py)"
    return out[0] if len(out) == 1 else "?"


PROBE_PROMPTLINT = """
import json, sys
from promptlint.config import load_settings
from promptlint.discovery import discover
files = discover(sys.argv[2:] or ["."], load_settings(isolated=True, start="."))
lines = 0
for f in files:
    with open(f, "rb") as fh:
        lines += len(fh.read().splitlines())
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("\\n".join(files) + "\\n")
print(json.dumps({"files": len(files), "lines": lines}))
"""


# --------------------------------------------------------------------------- running


@dataclass
class Sample:
    seconds: float
    code: int | None  # None: timed out
    rss_kib: int
    cpu: float  # user + system seconds of the process and its waited-for children
    stdout: str
    stderr: str


# GNU time measures the command's peak RSS from a process of about 1 MiB. Without it,
# wait4's figure has this script's own RSS as a floor: the child is forked from it.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_once(argv: list[str], cwd: str, timeout: float, sampler: TreeMemory | None = None) -> Sample:
    """Run one command; a crash, a timeout or a missing executable becomes a Sample, never an exception."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        wrapped = [GNU_TIME, "-f", "%M", "-o", rss.name, *argv] if GNU_TIME else argv
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(wrapped, cwd=cwd, stdout=out, stderr=err, env=ENV, start_new_session=True)
        except OSError as exc:
            return Sample(0.0, 127, 0, 0.0, "", str(exc))
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the whole group: worker processes too

        timer = threading.Timer(timeout, kill)
        timer.start()
        if sampler:
            sampler.start_watching(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        timer.cancel()
        if sampler:
            sampler.stop_watching()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        rss_kib = usage.ru_maxrss
        if GNU_TIME:  # its last line is the peak (a line before it may say how the command ended)
            lines = rss.read().split()
            rss_kib = int(lines[-1]) if lines and lines[-1].isdigit() else 0
        out.seek(0)
        err.seek(0)
        return Sample(seconds, None if expired.is_set() else code, rss_kib, usage.ru_utime + usage.ru_stime,
                      out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


class TreeMemory:
    """Samples VmHWM (peak RSS) of every process below a root every 0.1 s, with its depth."""

    def __init__(self) -> None:
        self.peaks: dict[int, tuple[int, int]] = {}  # pid -> (depth, peak KiB)
        self.root = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start_watching(self, pid: int) -> None:
        self.root, self.peaks = pid, {}
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop_watching(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(0.1):
            for pid, depth in self._tree():
                try:
                    with open(f"/proc/{pid}/status") as fh:
                        hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
                except (OSError, StopIteration, ValueError):
                    continue
                self.peaks[pid] = (depth, max(self.peaks.get(pid, (0, 0))[1], hwm))

    def _tree(self) -> list[tuple[int, int]]:
        children: dict[int, list[int]] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(name))
        tree, todo = [], [(self.root, 0)]
        while todo:
            pid, depth = todo.pop()
            tree.append((pid, depth))
            todo.extend((child, depth + 1) for child in children.get(pid, []))
        return tree

    def parent_and_workers(self) -> tuple[int, list[int]]:
        """The command's own peak and its children's (one level deeper when GNU time wraps it)."""
        top = 1 if GNU_TIME else 0
        parent = max((kib for depth, kib in self.peaks.values() if depth == top), default=0)
        return parent, [kib for depth, kib in self.peaks.values() if depth > top]


# --------------------------------------------------------------------------- repositories


@dataclass
class Repo:
    name: str
    path: Path
    pinned: str = ""
    commit: str = ""


def read_repos_txt(repos_dir: Path, only: set[str]) -> list[Repo]:
    repos = []
    for raw in (HERE / "repos.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        slug, pinned = line.split()
        if only and slug not in only:
            continue
        repos.append(Repo(slug.replace("/", "+"), repos_dir / slug.replace("/", "+"), pinned))
    return repos


def git_head(path: Path) -> str:
    out = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else ""


def checked_repos(repos: list[Repo], any_commit: bool) -> tuple[list[Repo], list[str]]:
    usable, notes = [], []
    for repo in repos:
        if not repo.path.is_dir():
            notes.append(f"{repo.name}: not found at {repo.path} (clone it and check out {repo.pinned})")
            continue
        repo.commit = git_head(repo.path)
        if repo.pinned and not repo.commit.startswith(repo.pinned):
            msg = f"{repo.name}: checkout is at {repo.commit[:10] or 'no git commit'}, repos.txt pins {repo.pinned}"
            if not any_commit:
                notes.append(msg + ": skipped (--any-commit to run it anyway)")
                continue
            notes.append(msg)
        usable.append(repo)
    for note in notes:
        log("warning: " + note)
    return usable, notes


# --------------------------------------------------------------------------- formatting


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f}"


def machine(versions: dict[str, str]) -> list[str]:
    with open("/proc/meminfo") as fh:
        mem = next((int(line.split()[1]) for line in fh if line.startswith("MemTotal")), 0)
    head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "promptlint", "rules",
                            "pyproject.toml"], capture_output=True, text=True).stdout.strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"- Machine: {os.cpu_count()} cores, {mem / 1024 / 1024:.0f} GiB RAM, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}",
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; load average at start: {load}",
        f"- promptlint commit {head}" + (" (plus uncommitted changes in promptlint/, rules/ or pyproject.toml)"
                                         if dirty else ""),
    ]
    if versions:
        lines.append("- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    return lines


def shown(arg: str, work_dir: Path) -> str:
    """An argument as the report shows it: no machine-specific paths."""
    if arg.startswith(str(work_dir)):
        return Path(arg).name  # a venv's executable
    if arg.startswith(str(HERE)):
        return str(Path(arg).relative_to(REPO_ROOT))
    if "bench-peers-" in arg:
        return "FILES.txt" if arg.endswith("files.txt") else "CACHE_DIR"
    return arg


def cell(samples: list[Sample], tool: Tool) -> str:
    bad = [s for s in samples if s.code is None or s.code not in tool.ok_codes]
    med = statistics.median(s.seconds for s in samples)
    if not bad:
        return f"{med:.2f}"
    codes = sorted({"timeout" if s.code is None else f"exit {s.code}" for s in bad})
    return f"{med:.2f} ✗ ({', '.join(codes)})"


# --------------------------------------------------------------------------- modes


@dataclass
class RepoResult:
    repo: Repo
    files: int  # what promptlint discovers
    lines: int
    cmds: list[Command]
    samples: dict[str, list[Sample]]  # label -> one Sample per run
    counts: dict[str, tuple]  # label -> (files the tool walked, findings), None where unknown

    def median(self, label: str) -> float:
        return statistics.median(s.seconds for s in self.samples[label])


def measure_repo(args, envs: Envs, repo: Repo, notes: list[str]) -> RepoResult | None:
    cwd = str(repo.path)
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        file_list = Path(tmp) / "files.txt"
        probe = subprocess.run([envs.bin("promptlint", "python"), "-c", PROBE_PROMPTLINT, str(file_list)],
                               cwd=cwd, capture_output=True, text=True, env=ENV, check=False)
        if probe.returncode != 0:
            notes.append(f"{repo.name}: promptlint file discovery failed: {probe.stderr.strip()[-300:]}")
            log("warning: " + notes[-1])
            return None
        info = json.loads(probe.stdout)
        cmds = [c for c in commands(envs, file_list, str(Path(tmp) / "cache"))
                if c.tool in args.tools or c.tool == "promptlint"]
        log(f"{repo.name}: {info['files']} files, {info['lines']:,} lines; filling the warm cache")
        run_once(cmds[1].argv, cwd, args.timeout)
        samples: dict[str, list[Sample]] = {c.label: [] for c in cmds}
        for i in range(args.runs):
            for c in cmds:  # interleaved: run i of every command before run i + 1 of any
                s = run_once(c.argv, cwd, args.timeout)
                samples[c.label].append(s)
                log(f"  run {i + 1}/{args.runs} {c.label:16} {s.seconds:7.2f}s cpu {s.cpu:6.2f}s "
                    f"exit {s.code} rss {mib(s.rss_kib)} MiB")
    counts = {}
    for c in cmds:
        first = samples[c.label][0]
        try:
            counts[c.label] = c.parse(first.stdout)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            counts[c.label] = (None, None)
            notes.append(f"{repo.name} {c.label}: output not understood (exit {first.code}): "
                         f"{(first.stderr or first.stdout).strip()[-300:]!r}")
        if first.code is None or first.code not in TOOLS[c.tool].ok_codes:
            notes.append(f"{repo.name} {c.label}: exit {first.code}: {first.stderr.strip()[-300:]!r}")
    for label, argv in file_probes(envs).items():
        if label in counts and counts[label][0] is None:
            counts[label] = (files_seen(label, argv, cwd), counts[label][1])
    return RepoResult(repo, info["files"], info["lines"], cmds, samples, counts)


def table(head: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def time_cell(r: RepoResult, c: Command) -> str:
    text = cell(r.samples[c.label], TOOLS[c.tool])
    cold = r.median("promptlint cold")
    if c.label != "promptlint cold" and cold > 0:
        text += f" ({r.median(c.label) / cold:.2f}x)"
    return text


def print_repos(args, versions: dict[str, str], results: list[RepoResult], notes: list[str]) -> None:
    print("## promptlint and its peers\n")
    print(*machine(versions), sep="\n")
    print(f"- {args.runs} runs of each command, interleaved (run 1 of every command, then run 2, ...); "
          "wall-clock medians in seconds; `(0.50x)` = the tool's time / promptlint cold's, so above 1x "
          "promptlint cold is faster.")
    print("- ✗ marks a command that crashed, timed out or exited with a code that does not mean "
          "'ran, with or without findings'.\n")
    if not results:
        print("No repository could be measured.\n")
    else:
        cmds = results[0].cmds
        labels = [c.label for c in cmds]
        table(["tool", "version", "invocation (in the repository root)"],
              [[c.label, versions.get(c.tool, "?"), f"`{' '.join(shown(a, args.work_dir) for a in c.argv)}`"]
               for c in cmds])
        has_ruff = "ruff ALL" in labels
        table(["repository", "commit", "files", "lines", *labels, *(["warm / ruff"] if has_ruff else [])],
              [[r.repo.name, r.repo.commit[:9] or "-", str(r.files), f"{r.lines:,}",
                *(time_cell(r, c) for c in cmds),
                *([f"{r.median('promptlint warm') / max(r.median('ruff ALL'), 1e-9):.1f}x"] if has_ruff else [])]
               for r in results])
        print("Peak RSS in MiB (the largest single process of the command, over all runs; promptlint may run a "
              "pool of worker processes: this is the largest of the parent and each worker, not their sum"
              + ("" if GNU_TIME else "; no /usr/bin/time here, so never below this script's own RSS") + "):\n")
        table(["repository", *labels],
              [[r.repo.name, *(mib(max(s.rss_kib for s in r.samples[c.label])) for c in cmds)] for r in results])
        print("CPU seconds (user + system of the whole process tree, median; less sensitive than wall time to "
              "other load on the machine, but blind to parallelism):\n")
        table(["repository", *labels],
              [[r.repo.name, *(f"{statistics.median(s.cpu for s in r.samples[c.label]):.2f}" for c in cmds)]
               for r in results])
        print("What each tool looked at and reported (files it walked / findings). The peers walk their own "
              "way: cachedrift also reads .js/.ts/.go/.rb, llm-promptlint also .md/.txt/.yaml/.js and more; "
              "none of them reads .gitignore.\n")
        table(["repository", *labels],
              [[r.repo.name, *("{} / {}".format(*("?" if v is None else v for v in r.counts[c.label]))
                               for c in cmds)] for r in results])
    print(f"- Load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for note in notes:
        print(f"- Note: {note}")
    print()


def bench_startup(args, envs: Envs) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        Path(tmp, "small.py").write_text('"""A module with no LLM call."""\n\n\ndef add(a, b):\n    return a + b\n')
        pl = envs.bin("promptlint", "promptlint")
        py = envs.bin("promptlint", "python")
        cases = [
            ("`promptlint check small.py` (defaults; cache in the temp dir)", [pl, "check", "small.py"]),
            ("`promptlint check small.py --no-cache`", [pl, "check", "small.py", "--no-cache"]),
            ("`python -c pass` (interpreter floor)", [py, "-c", "pass"]),
            ("`python -c 'import promptlint.cli'`", [py, "-c", "import promptlint.cli"]),
        ]
        run_once(cases[0][1], tmp, args.timeout)  # fill the cache and the bytecode caches
        times: dict[str, list[float]] = {label: [] for label, _ in cases}
        codes: dict[str, set] = {label: set() for label, _ in cases}
        for _ in range(args.startup_runs):
            for label, argv in cases:
                s = run_once(argv, tmp, args.timeout)
                times[label].append(s.seconds)
                codes[label].add(s.code)
    print(f"## Start-up: one small file with no call site ({args.startup_runs} runs each, interleaved)\n")
    print("| command | median ms | min ms | exit |")
    print("|---|---|---|---|")
    for label, _ in cases:
        print(f"| {label} | {statistics.median(times[label]) * 1000:.0f} | {min(times[label]) * 1000:.0f} | "
              f"{','.join(str(c) for c in sorted(codes[label], key=str))} |")
    print()


def bench_scale(args, envs: Envs, source: Path) -> None:
    factors = [int(f) for f in args.factors.split(",")]
    # Not under the work dir: it is git-ignored, and promptlint honours .gitignore.
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        log(f"scale: copying the .py and .gitignore files of {source} {max(factors)} times")

        def keep(d, names):  # copytree's ignore: the names to leave out
            return [n for n in names if n == ".git" or not (
                os.path.isdir(os.path.join(d, n)) or n.endswith(".py") or n == ".gitignore")]

        copies = []
        for i in range(max(factors)):
            name = f"copy{i:02d}"
            shutil.copytree(source, Path(tmp) / name, ignore=keep, symlinks=True)
            copies.append(name)
        pl = envs.bin("promptlint", "promptlint")
        sampler = TreeMemory()
        rows = []
        for factor in factors:
            argv = [pl, "check", *copies[:factor], "--isolated", "--no-cache", "--output-format", "json"]
            probe = subprocess.run([envs.bin("promptlint", "python"), "-c", PROBE_PROMPTLINT, os.devnull,
                                    *copies[:factor]], cwd=tmp, capture_output=True, text=True, env=ENV, check=True)
            files, lines = json.loads(probe.stdout)["files"], json.loads(probe.stdout)["lines"]
            samples, parents, workers = [], [], []
            for i in range(args.runs):
                s = run_once(argv, tmp, args.timeout, sampler)
                parent, worker_peaks = sampler.parent_and_workers()
                samples.append(s)
                parents.append(parent)
                workers.append(worker_peaks)
                log(f"  {factor}x run {i + 1}: {s.seconds:.2f}s cpu {s.cpu:.2f}s exit {s.code} "
                    f"tree peak {mib(s.rss_kib)} MiB, "
                    f"{len(worker_peaks)} child processes")
            try:
                findings = parse_promptlint(samples[0].stdout)[1]
            except (ValueError, KeyError):
                findings = f"? ({samples[0].stderr.strip()[-200:]!r})"
            rows.append((factor, files, lines, samples, parents, workers, findings))
    base = statistics.median(s.seconds for s in rows[0][3])
    base_cpu = statistics.median(s.cpu for s in rows[0][3])
    print(f"## Scaling: promptlint cold on {', '.join(f'{f}x' for f in factors)} copies of {source.name}\n")
    print(f"- Command: `promptlint check copy00 ... copyNN --isolated --no-cache --output-format json` in a tree of "
          f"copies of the repository's .py and .gitignore files; {args.runs} runs each, median. "
          "Findings should grow exactly with the number of copies.")
    print("- Memory: VmHWM of the parent and of each child process, sampled every 0.1 s "
          "(a lower bound for a process that grows in its last 0.1 s).\n")
    out = []
    for factor, files, lines, samples, parents, workers, findings in rows:
        med = statistics.median(s.seconds for s in samples)
        cpu = statistics.median(s.cpu for s in samples)
        per_copy = rows[0][0] / factor  # relative to the first size, normally 1x
        n_workers = max(len(w) for w in workers)
        worker_peak = mib(max(max(w) for w in workers if w)) if n_workers else "-"
        out.append([f"{factor}x", f"{files:,}", f"{lines:,}", f"{med:.2f}", f"{cpu:.2f}", f"{lines / med:,.0f}",
                    f"{med / base:.2f}", f"{med / base * per_copy:.2f}", f"{cpu / base_cpu * per_copy:.2f}",
                    mib(max(parents)), worker_peak, str(n_workers), str(findings),
                    ",".join(sorted({str(s.code) for s in samples}))])
    table(["size", "files", "lines", "seconds", "CPU s", "lines/s", "time vs 1x", "time per copy vs 1x",
           "CPU per copy vs 1x", "parent peak MiB", "largest worker peak MiB", "workers", "findings", "exit"], out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="*", type=Path, help="extra directories to benchmark (no commit check)")
    parser.add_argument("--repos-dir", type=Path, help="directory holding <owner>+<name> checkouts of bench/repos.txt")
    parser.add_argument("--only", default="", help="comma list of owner/name from repos.txt to run")
    parser.add_argument("--any-commit", action="store_true", help="run checkouts that are not at the pinned commit")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tools", default=",".join(["ruff", *PEERS]), help="peers to run besides promptlint")
    parser.add_argument("--work-dir", type=Path, default=HERE / ".work")
    parser.add_argument("--reinstall", action="store_true", help="rebuild the virtual environments")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a command is killed")
    parser.add_argument("--startup-runs", type=int, default=20)
    parser.add_argument("--no-startup", action="store_true")
    parser.add_argument("--startup-only", action="store_true")
    parser.add_argument("--scale", type=Path, help="run the scaling benchmark on this repository instead")
    parser.add_argument("--factors", default="1,4,16")
    args = parser.parse_args()
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in args.tools if t not in TOOLS]
    if unknown:
        parser.error(f"unknown tools: {', '.join(unknown)} (known: {', '.join(TOOLS)})")
    args.work_dir = args.work_dir.resolve()
    args.work_dir.mkdir(parents=True, exist_ok=True)

    envs = Envs(args.work_dir, args.reinstall)
    if args.scale or args.startup_only:
        versions = envs.setup(["promptlint"])
        print(*machine(versions), sep="\n", end="\n\n")
        if args.scale:
            bench_scale(args, envs, args.scale.resolve())
        else:
            bench_startup(args, envs)
        return

    only = {s.strip() for s in args.only.split(",") if s.strip()}
    repos = read_repos_txt(args.repos_dir.resolve(), only) if args.repos_dir else []
    missing = only - {r.name.replace("+", "/", 1) for r in repos}
    if missing:
        parser.error(f"not in bench/repos.txt: {', '.join(sorted(missing))}")
    repos, notes = checked_repos(repos, args.any_commit)
    for d in args.dirs:
        d = d.resolve()
        repos.append(Repo(d.name, d, "", git_head(d)))
    if not repos:
        parser.error("no repository to benchmark: give --repos-dir (see bench/repos.txt) and/or directories")
    versions = envs.setup(["promptlint", *args.tools])
    results = [r for r in (measure_repo(args, envs, repo, notes) for repo in repos) if r]
    print_repos(args, versions, results, notes)
    if not args.no_startup:
        bench_startup(args, envs)


if __name__ == "__main__":
    main()
