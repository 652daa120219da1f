"""Score a promptlint run against hand labels of real projects (issue 7).

    python bench/accuracy/score.py --repos-dir /tmp/real [--promptlint promptlint]
                                   [--labels-dir bench/accuracy/labels] [--repo owner/name]
                                   [--markdown]

Each labels file (labels/<owner>+<name>.yaml) names a repository, the commit it
was labelled at, every LLM call site (`callsites`), every true rule instance
(`findings`), findings judged false (`rejected`) and LLM calls deliberately not
counted (`out_of_scope`). The checkout is expected at <repos-dir>/<owner>+<name>
with HEAD at that commit; otherwise the repository is skipped with a warning.

promptlint runs on the checkout (`inventory` for call sites, `check` for
findings, both --isolated --no-cache). In a notebook a position is a cell
(numbered from 1 over all cells, as promptlint reports it) and a line of that
cell: notebook labels carry `cell`. A reported item matches a label of the
same path (and, for findings, the same code) when its line lies in
[line, end_line]; each label matches at most one reported item. A reported item
inside an `out_of_scope` range is not counted either way. Every other reported
item is a false positive: `rejected` ones carry the labeller's reason, the rest
are "unlabelled" (labels must be complete). Labels nothing matched are misses.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
TARGET = 0.95          # recall / precision target from issue 7
MIN_INSTANCES = 5      # per-rule precision target applies from this many labelled instances
CALLSITES = "call sites"


class LabelError(Exception):
    """A labels file that cannot be scored; the message says where and why."""


@dataclass(frozen=True)
class Label:
    path: str
    line: int
    end_line: int
    code: str          # CALLSITES for call-site labels
    reason: str
    cell: int | None = None   # notebooks: the cell (numbered from 1 over all cells); lines are the cell's

    def covers(self, path: str, line: int, code: str, cell: int | None = None) -> bool:
        return (self.path == path and self.code == code and self.cell == cell
                and self.line <= line <= self.end_line)


@dataclass(frozen=True)
class Reported:
    path: str
    line: int
    code: str
    text: str          # callee or message, for the mismatch list
    cell: int | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:cell {self.cell}:{self.line}" if self.cell else f"{self.path}:{self.line}"


@dataclass
class Score:
    """Matches for one repository and one kind (call sites or one rule code)."""

    tp: list[tuple[Reported, Label]] = field(default_factory=list)
    fp: list[tuple[Reported, Label | None]] = field(default_factory=list)   # label = the rejected entry, if any
    fn: list[Label] = field(default_factory=list)
    ignored: list[tuple[Reported, Label]] = field(default_factory=list)     # inside out_of_scope
    stale: list[Label] = field(default_factory=list)                        # rejected, no longer reported

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.ignored += other.ignored
        self.stale += other.stale


@dataclass
class RepoLabels:
    repo: str
    commit: str
    callsites: list[Label]
    findings: list[Label]
    rejected: list[Label]
    out_of_scope: list[Label]
    source: str


# ---------------------------------------------------------------- labels

def _entry(raw: object, where: str, need_code: bool) -> Label:
    if not isinstance(raw, dict):
        raise LabelError(f"{where}: expected a mapping, got {raw!r}")
    for key in ("path", "line", "reason") + (("code",) if need_code else ()):
        if key not in raw:
            raise LabelError(f"{where}: missing `{key}` in {raw!r}")
    line, end = raw["line"], raw.get("end_line", raw["line"])
    if not isinstance(line, int) or not isinstance(end, int) or not 0 < line <= end:
        raise LabelError(f"{where}: bad line/end_line in {raw!r}")
    path = str(raw["path"])
    if path.startswith("/") or "\\" in path:
        raise LabelError(f"{where}: path must be POSIX and relative to the repo root: {path!r}")
    code = str(raw["code"]) if need_code else CALLSITES
    if need_code and not (len(code) == 5 and code.startswith("PL") and code[2:].isdigit()):
        raise LabelError(f"{where}: bad rule code {code!r}")
    cell = raw.get("cell")
    if cell is not None and (not path.endswith(".ipynb") or not isinstance(cell, int) or cell < 1):
        raise LabelError(f"{where}: `cell` (from 1) belongs to notebook labels only: {raw!r}")
    return Label(path, line, end, code, str(raw["reason"]), cell)


def load_labels(path: Path) -> RepoLabels:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LabelError(f"{path}: {exc}") from None
    if not isinstance(data, dict) or not data.get("repo") or not data.get("commit"):
        raise LabelError(f"{path}: needs `repo` and `commit` at the top level")

    def entries(key: str, need_code: bool) -> list[Label]:
        raw = data.get(key) or []
        if not isinstance(raw, list):
            raise LabelError(f"{path}: `{key}` must be a list")
        return [_entry(item, f"{path}: {key}[{i}]", need_code) for i, item in enumerate(raw)]

    labels = RepoLabels(
        repo=str(data["repo"]), commit=str(data["commit"]),
        callsites=entries("callsites", False), findings=entries("findings", True),
        rejected=entries("rejected", True), out_of_scope=entries("out_of_scope", False),
        source=str(path),
    )
    truth = {(f.path, f.cell, f.line, f.code) for f in labels.findings}
    for label in labels.rejected:
        if (label.path, label.cell, label.line, label.code) in truth:
            raise LabelError(f"{path}: {label.path}:{label.line} {label.code} is both a finding and rejected")
    seen: set[tuple] = set()
    for label in labels.callsites + labels.findings + labels.rejected:
        key = (label.path, label.cell, label.line, label.code)
        if key in seen:
            raise LabelError(f"{path}: {label.path}:{label.line} {label.code} is labelled twice")
        seen.add(key)
    return labels


# ---------------------------------------------------------------- matching

def match(reported: list[Reported], truth: list[Label], rejected: list[Label],
          out_of_scope: list[Label]) -> Score:
    """One-to-one matching of reported items to labels of the same code.

    Exact start-line matches are taken first, then range matches, so a label
    with an end_line never steals the item another label names exactly."""
    score = Score()
    free = list(truth)
    unmatched: list[Reported] = []
    pending = sorted(reported, key=lambda r: (r.path, r.cell or 0, r.line, r.code, r.text))
    for exact in (True, False):
        unmatched = []
        for item in pending:
            hit = next((lab for lab in free if lab.covers(item.path, item.line, item.code, item.cell)
                        and (not exact or lab.line == item.line)), None)
            if hit is None:
                unmatched.append(item)
            else:
                free.remove(hit)
                score.tp.append((item, hit))
        pending = unmatched
    for item in unmatched:
        scope = next((lab for lab in out_of_scope if lab.path == item.path and lab.cell == item.cell
                      and lab.line <= item.line <= lab.end_line), None)
        if scope is not None:
            score.ignored.append((item, scope))
            continue
        why = next((lab for lab in rejected if lab.covers(item.path, item.line, item.code, item.cell)), None)
        score.fp.append((item, why))
    score.fn = free
    used = {id(why) for _, why in score.fp if why is not None}
    score.stale = [lab for lab in rejected if id(lab) not in used]
    return score


def score_repo(labels: RepoLabels, inventory: dict, check: dict) -> dict[str, Score]:
    """Scores keyed by CALLSITES and by every rule code seen in labels or output."""
    sites = [Reported(s["path"], int(s["line"]), CALLSITES, s.get("callee") or "", s.get("cell"))
             for s in inventory.get("call_sites", [])]
    found = [Reported(f["path"], int(f["location"]["line"]), f["code"], f.get("message") or "", f.get("cell"))
             for f in check.get("findings", [])]
    scores = {CALLSITES: match(sites, labels.callsites, [], labels.out_of_scope)}
    codes = {f.code for f in found} | {lab.code for lab in labels.findings + labels.rejected}
    for code in sorted(codes):
        scores[code] = match([f for f in found if f.code == code],
                             [lab for lab in labels.findings if lab.code == code],
                             [lab for lab in labels.rejected if lab.code == code],
                             labels.out_of_scope)
    return scores


# ---------------------------------------------------------------- running promptlint

def run_json(cmd: list[str], cwd: Path) -> dict:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"error: `{' '.join(cmd)}` in {cwd} gave no JSON (exit {proc.returncode}):\n"
                         f"{proc.stderr.strip()[-2000:]}") from None


COMMON = [".", "--isolated", "--no-cache", "--output-format", "json"]


def run_promptlint(exe: str, checkout: Path) -> tuple[dict, dict]:
    inventory = run_json([exe, "inventory", *COMMON], checkout)
    check = run_json([exe, "check", *COMMON, "--exit-zero"], checkout)
    return inventory, check


def head_commit(checkout: Path) -> str | None:
    proc = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


# ---------------------------------------------------------------- report

def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def counts(score: Score) -> tuple[int, int, int]:
    return len(score.tp), len(score.fp), len(score.fn)


def mismatch_lines(repo: str, scores: dict[str, Score]) -> list[str]:
    out = []
    for code, score in scores.items():
        for item, why in score.fp:
            reason = f"rejected: {why.reason}" if why else "unlabelled"
            out.append(f"  FP   {repo} {item.where} {code}  ({reason}) {item.text[:100]}")
        for lab in score.fn:
            out.append(f"  MISS {repo} {_where(lab)} {code}  ({lab.reason})")
        for lab in score.stale:
            out.append(f"  STALE rejected label, not reported: {repo} {_where(lab)} {code}")
    return out


def _where(lab: Label) -> str:
    return f"{lab.path}:cell {lab.cell}:{lab.line}" if lab.cell else f"{lab.path}:{lab.line}"


def text_report(results: list[tuple[RepoLabels, dict[str, Score]]]) -> str:
    lines = []
    total: dict[str, Score] = {}
    for labels, scores in results:
        tp, fp, fn = counts(scores[CALLSITES])
        lines.append(f"{labels.repo} @ {labels.commit[:12]}: call sites TP {tp} FP {fp} FN {fn}  "
                     f"recall {pct(ratio(tp, tp + fn))}  precision {pct(ratio(tp, tp + fp))}")
        for code, score in scores.items():
            total.setdefault(code, Score()).add(score)
            if code != CALLSITES:
                tp, fp, fn = counts(score)
                lines.append(f"    {code}: TP {tp} FP {fp} FN {fn}")
        lines += mismatch_lines(labels.repo, scores)
    lines.append("")
    lines.append("overall:")
    for code in sorted(total, key=lambda c: (c != CALLSITES, c)):
        tp, fp, fn = counts(total[code])
        lines.append(f"  {code:10} TP {tp:4} FP {fp:3} FN {fn:3}  "
                     f"precision {pct(ratio(tp, tp + fp)):>8}  recall {pct(ratio(tp, tp + fn)):>8}")
    return "\n".join(lines)


def markdown_report(results: list[tuple[RepoLabels, dict[str, Score]]]) -> str:
    lines = ["| repo | commit | labelled call sites | reported | TP | FP | FN | recall | precision | out of scope |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    total: dict[str, Score] = {}
    for labels, scores in results:
        site = scores[CALLSITES]
        tp, fp, fn = counts(site)
        lines.append(f"| {labels.repo} | `{labels.commit[:12]}` | {tp + fn} | {tp + fp} | {tp} | {fp} | {fn} | "
                     f"{pct(ratio(tp, tp + fn))} | {pct(ratio(tp, tp + fp))} | {len(labels.out_of_scope)} |")
        for code, score in scores.items():
            total.setdefault(code, Score()).add(score)
    tp, fp, fn = counts(total.get(CALLSITES, Score()))
    lines.append(f"| **all** | | {tp + fn} | {tp + fp} | {tp} | {fp} | {fn} | "
                 f"{pct(ratio(tp, tp + fn))} | {pct(ratio(tp, tp + fp))} | |")
    lines += ["", "| rule | labelled (true) | reported | TP | FP | FN | precision | recall | precision target |",
              "|---|---|---|---|---|---|---|---|---|"]
    for code in sorted(c for c in total if c != CALLSITES):
        tp, fp, fn = counts(total[code])
        prec = ratio(tp, tp + fp)
        if tp + fn < MIN_INSTANCES:
            target = f"n/a (< {MIN_INSTANCES} labelled)"
        else:
            target = "met" if prec is not None and prec >= TARGET else "**not met**"
        lines.append(f"| {code} | {tp + fn} | {tp + fp} | {tp} | {fp} | {fn} | {pct(prec)} | "
                     f"{pct(ratio(tp, tp + fn))} | {target} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos-dir", required=True, type=Path)
    parser.add_argument("--labels-dir", type=Path, default=HERE / "labels")
    parser.add_argument("--promptlint", default="promptlint")
    parser.add_argument("--repo", action="append", help="score only this owner/name (repeatable)")
    parser.add_argument("--markdown", action="store_true", help="print the tables for docs/accuracy.md")
    args = parser.parse_args(argv)

    files = sorted(args.labels_dir.glob("*.yaml"))
    if not files:
        print(f"error: no labels files in {args.labels_dir}", file=sys.stderr)
        return 2
    results = []
    for path in files:
        try:
            labels = load_labels(path)
        except LabelError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.repo and labels.repo not in args.repo:
            continue
        checkout = args.repos_dir / labels.repo.replace("/", "+")
        head = head_commit(checkout)
        if head != labels.commit:
            print(f"warning: skipping {labels.repo}: {checkout} is at {head or 'no git checkout'}, "
                  f"labels are for {labels.commit}", file=sys.stderr)
            continue
        missing = sorted({lab.path for lab in labels.callsites + labels.findings + labels.rejected
                          + labels.out_of_scope if not (checkout / lab.path).is_file()})
        for rel in missing:
            print(f"warning: {labels.repo}: labelled path {rel} does not exist in the checkout", file=sys.stderr)
        for lab in labels.callsites + labels.findings + labels.rejected + labels.out_of_scope:
            if lab.path.endswith(".ipynb") and lab.cell is None:
                print(f"warning: {labels.repo}: {lab.path}:{lab.line} has no `cell`; notebook positions are "
                      f"(cell, line in cell) as promptlint reports them, so it cannot match", file=sys.stderr)
        inventory, check = run_promptlint(args.promptlint, checkout)
        results.append((labels, score_repo(labels, inventory, check)))
    if not results:
        print("error: no repository could be scored", file=sys.stderr)
        return 2
    print(markdown_report(results) if args.markdown else text_report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
