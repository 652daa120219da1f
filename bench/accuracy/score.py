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

Site kinds (issue 13/14). A call-site label with `via: <wrapper>` is a wrapper
site (a call of the project's own function that reaches an LLM request); a
finding label with `via` is a finding at or through a wrapper site; a finding
label whose path is not Python (a YAML/TOML/Jinja/text template) is a template
finding; every other label is direct. Reported items take the kind of the
label they match; an unmatched one is a template finding when its path is not
Python, a wrapper item when its line lies in a wrapper-site label or its row
names a wrapper, and direct otherwise. Recall and precision are reported per
kind and rule besides the totals (labels without `via` or templates give the
old output unchanged).

A labels file may also give `scope: {include: [...], exclude: [...]}` (paths or
folders ending in "/"): reported items outside the scope are not counted. A
label may list `also: [{path, line, end_line}]`: other positions where a
correct linter may report the same instance (the wrapper's caller, the template
placeholder, the clock call); a report at any of them matches the label.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
TARGET = 0.95          # recall / precision target from issue 7
MIN_INSTANCES = 5      # per-rule precision target applies from this many labelled instances
CALLSITES = "call sites"
DIRECT, WRAPPER, TEMPLATE = "direct", "wrapper", "template"
KINDS = (DIRECT, WRAPPER, TEMPLATE)
PYTHON_SUFFIXES = (".py", ".pyi", ".ipynb")
NOT_WRAPPER_VIA = ("", "bound-method", "retry-helper")   # promptlint's own `via` values for direct calls


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
    kind: str = DIRECT        # DIRECT, WRAPPER or TEMPLATE
    also: tuple[tuple[str, int, int], ...] = ()   # other (path, line, end_line) a report may name

    def positions(self) -> tuple[tuple[str, int, int], ...]:
        return ((self.path, self.line, self.end_line),) + self.also

    def covers(self, path: str, line: int, code: str, cell: int | None = None) -> bool:
        return (self.code == code and self.cell == cell
                and any(p == path and lo <= line <= hi for p, lo, hi in self.positions()))

    def starts_at(self, path: str, line: int) -> bool:
        return any(p == path and lo == line for p, lo, _ in self.positions())


@dataclass(frozen=True)
class Reported:
    path: str
    line: int
    code: str
    text: str          # callee or message, for the mismatch list
    cell: int | None = None
    kind: str = DIRECT  # for unmatched items; a matched item takes its label's kind

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
    include: tuple[str, ...] = ()   # scope: reported items elsewhere are not counted
    exclude: tuple[str, ...] = ()

    def in_scope(self, path: str) -> bool:
        def under(prefixes: tuple[str, ...]) -> bool:
            return any(path == p or (p.endswith("/") and path.startswith(p)) for p in prefixes)
        return (not self.include or under(self.include)) and not under(self.exclude)


# ---------------------------------------------------------------- labels

def _position(raw: object, where: str) -> tuple[str, int, int]:
    if not isinstance(raw, dict):
        raise LabelError(f"{where}: expected a mapping, got {raw!r}")
    for key in ("path", "line"):
        if key not in raw:
            raise LabelError(f"{where}: missing `{key}` in {raw!r}")
    line, end = raw["line"], raw.get("end_line", raw["line"])
    if not isinstance(line, int) or not isinstance(end, int) or not 0 < line <= end:
        raise LabelError(f"{where}: bad line/end_line in {raw!r}")
    path = str(raw["path"])
    if path.startswith("/") or "\\" in path:
        raise LabelError(f"{where}: path must be POSIX and relative to the repo root: {path!r}")
    return path, line, end


def is_python(path: str) -> bool:
    return path.endswith(PYTHON_SUFFIXES)


def _entry(raw: object, where: str, need_code: bool) -> Label:
    if not isinstance(raw, dict):
        raise LabelError(f"{where}: expected a mapping, got {raw!r}")
    for key in ("path", "line", "reason") + (("code",) if need_code else ()):
        if key not in raw:
            raise LabelError(f"{where}: missing `{key}` in {raw!r}")
    path, line, end = _position(raw, where)
    code = str(raw["code"]) if need_code else CALLSITES
    if need_code and not (len(code) == 5 and code.startswith("PL") and code[2:].isdigit()):
        raise LabelError(f"{where}: bad rule code {code!r}")
    cell = raw.get("cell")
    if cell is not None and (not path.endswith(".ipynb") or not isinstance(cell, int) or cell < 1):
        raise LabelError(f"{where}: `cell` (from 1) belongs to notebook labels only: {raw!r}")
    via = raw.get("via")
    if via is not None and (not isinstance(via, str) or not via.strip()):
        raise LabelError(f"{where}: `via` names the wrapper the site goes through: {raw!r}")
    also = raw.get("also") or []
    if not isinstance(also, list):
        raise LabelError(f"{where}: `also` must be a list of positions")
    alts = tuple(_position(item, f"{where}: also[{i}]") for i, item in enumerate(also))
    kind = TEMPLATE if need_code and not is_python(path) else WRAPPER if via else DIRECT
    return Label(path, line, end, code, str(raw["reason"]), cell, kind, alts)


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

    scope = data.get("scope") or {}
    if not isinstance(scope, dict) or not all(
            isinstance(scope.get(k, []), list) and all(isinstance(p, str) and p for p in scope.get(k, []))
            for k in ("include", "exclude")) or set(scope) - {"include", "exclude"}:
        raise LabelError(f"{path}: `scope` takes `include` and `exclude`, lists of paths or folders/")
    labels = RepoLabels(
        repo=str(data["repo"]), commit=str(data["commit"]),
        callsites=entries("callsites", False), findings=entries("findings", True),
        rejected=entries("rejected", True), out_of_scope=entries("out_of_scope", False),
        source=str(path), include=tuple(scope.get("include", [])), exclude=tuple(scope.get("exclude", [])),
    )
    for label in labels.callsites + labels.findings + labels.rejected:
        if not labels.in_scope(label.path):
            raise LabelError(f"{path}: {label.path}:{label.line} lies outside the file's own `scope`")
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
                        and (not exact or lab.starts_at(item.path, item.line))), None)
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


def names_a_wrapper(row: dict) -> bool:
    """Whether a reported inventory row or finding says it goes through the project's own wrapper."""
    via = row.get("via")
    return (any(isinstance(row.get(k), (str, dict)) and row.get(k) for k in ("wrapper", "through"))
            or row.get("shape") == "wrapper"
            or (isinstance(via, str) and via not in NOT_WRAPPER_VIA)
            or (isinstance(via, dict) and bool(via)))


def one_row_per_call(rows: list[dict]) -> list[dict]:
    """A wrapper that makes several requests (a first try and a retry) gives its caller one
    inventory row per request; the labels count the caller's call once, so rows of the same
    call (position and wrapper) count as one call site."""
    seen, out = set(), []
    for row in rows:
        key = (row.get("path"), row.get("cell"), row.get("line"), row.get("column"), row.get("wrapper"))
        if row.get("wrapper") and key in seen:
            continue
        seen.add(key)
        out.append(row)
    return out


def score_repo(labels: RepoLabels, inventory: dict, check: dict) -> dict[str, Score]:
    """Scores keyed by CALLSITES and by every rule code seen in labels or output."""
    wrapper_lines = [lab for lab in labels.callsites if lab.kind == WRAPPER]

    def kind_of_site(row: dict) -> str:
        return WRAPPER if names_a_wrapper(row) else DIRECT

    def kind_of_finding(row: dict, path: str, line: int, cell: int | None) -> str:
        if not is_python(path):
            return TEMPLATE
        on_wrapper = any(lab.path == path and lab.cell == cell and lab.line <= line <= lab.end_line
                         for lab in wrapper_lines)
        return WRAPPER if on_wrapper or names_a_wrapper(row) else DIRECT

    sites = [Reported(s["path"], int(s["line"]), CALLSITES, s.get("callee") or "", s.get("cell"), kind_of_site(s))
             for s in one_row_per_call(inventory.get("call_sites", [])) if labels.in_scope(s["path"])]
    found = [Reported(f["path"], int(f["location"]["line"]), f["code"], f.get("message") or "", f.get("cell"),
                      kind_of_finding(f, f["path"], int(f["location"]["line"]), f.get("cell")))
             for f in check.get("findings", []) if labels.in_scope(f["path"])]
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
    """HEAD of the checkout's own repository; None when the directory is not the top of one
    (an extracted tree inside another repository must not report that repository's HEAD)."""
    proc = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--show-toplevel", "HEAD"],
                          capture_output=True, text=True, check=False)
    lines = proc.stdout.split()
    if proc.returncode != 0 or len(lines) != 2 or Path(lines[0]).resolve() != checkout.resolve():
        return None
    return lines[1]


# ---------------------------------------------------------------- report

def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def counts(score: Score) -> tuple[int, int, int]:
    return len(score.tp), len(score.fp), len(score.fn)


def by_kind(score: Score) -> dict[str, Score]:
    """The same matches split by site kind: true positives and misses by the label's kind,
    false positives by the reported item's kind."""
    out = {kind: Score() for kind in KINDS}
    for item, lab in score.tp:
        out[lab.kind].tp.append((item, lab))
    for item, why in score.fp:
        out[item.kind].fp.append((item, why))
    for lab in score.fn:
        out[lab.kind].fn.append(lab)
    return out


def has_kinds(total: dict[str, Score]) -> bool:
    """Whether anything in the run is a wrapper or template item (else the split is not printed)."""
    return any(k != DIRECT and counts(s) != (0, 0, 0) for score in total.values() for k, s in by_kind(score).items())


def kind_rows(total: dict[str, Score]) -> list[tuple[str, str, Score]]:
    rows = []
    for code in sorted(total, key=lambda c: (c != CALLSITES, c)):
        for kind, score in by_kind(total[code]).items():
            if counts(score) != (0, 0, 0):
                rows.append((code, kind, score))
    return rows


def mismatch_lines(repo: str, scores: dict[str, Score]) -> list[str]:
    out = []
    for code, score in scores.items():
        for item, why in score.fp:
            reason = f"rejected: {why.reason}" if why else "unlabelled"
            tag = "" if item.kind == DIRECT else f" [{item.kind}]"
            out.append(f"  FP   {repo} {item.where} {code}{tag}  ({reason}) {item.text[:100]}")
        for lab in score.fn:
            tag = "" if lab.kind == DIRECT else f" [{lab.kind}]"
            out.append(f"  MISS {repo} {_where(lab)} {code}{tag}  ({lab.reason})")
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
    if has_kinds(total):
        lines.append("")
        lines.append("by site kind (direct SDK calls, wrapper sites, template files):")
        for code, kind, score in kind_rows(total):
            tp, fp, fn = counts(score)
            lines.append(f"  {code:10} {kind:8} TP {tp:4} FP {fp:3} FN {fn:3}  "
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
    if has_kinds(total):
        lines += ["", "| rule | kind | labelled (true) | reported | TP | FP | FN | precision | recall |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for code, kind, score in kind_rows(total):
            tp, fp, fn = counts(score)
            lines.append(f"| {code} | {kind} | {tp + fn} | {tp + fp} | {tp} | {fp} | {fn} | "
                         f"{pct(ratio(tp, tp + fp))} | {pct(ratio(tp, tp + fn))} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos-dir", required=True, type=Path)
    parser.add_argument("--labels-dir", type=Path, default=HERE / "labels")
    parser.add_argument("--promptlint", default="promptlint")
    parser.add_argument("--repo", action="append", help="score only this owner/name (repeatable)")
    parser.add_argument("--markdown", action="store_true", help="print the tables for docs/accuracy.md")
    parser.add_argument("--trust-checkout", action="store_true",
                        help="score a tree that is not a git checkout (an extracted snapshot) as if it were "
                             "at the labelled commit; a git checkout at another commit is still skipped")
    args = parser.parse_args(argv)
    if os.sep in args.promptlint:  # a relative path names a file here, not in each checkout it runs in
        args.promptlint = os.path.abspath(args.promptlint)

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
        if head is None and args.trust_checkout and checkout.is_dir():
            print(f"warning: {labels.repo}: {checkout} is not a git checkout; trusting that it holds "
                  f"{labels.commit[:12]} (--trust-checkout)", file=sys.stderr)
        elif head != labels.commit:
            print(f"warning: skipping {labels.repo}: {checkout} is at {head or 'no git checkout'}, "
                  f"labels are for {labels.commit}", file=sys.stderr)
            continue
        missing = sorted({path for lab in labels.callsites + labels.findings + labels.rejected
                          + labels.out_of_scope for path, _, _ in lab.positions()
                          if not (checkout / path).is_file()})
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
