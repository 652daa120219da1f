"""What the peers find on the hand-labelled applications (issue 13).

    python bench/accuracy/peers.py --repos-dir DIR [--repo owner/name ...] [--trust-checkout]
                                   [--work-dir bench/.work] [--tools tokentoll,pcdlint,...]

Runs each peer (from the virtual environments bench/bench_peers.py installs under
WORK_DIR/venvs; run that script once first) in each labelled checkout, keeps what
it reports inside the labels file's `scope`, and counts, per peer and repository:

- `sites`: reported items on a labelled call site, direct or wrapper (tokentoll
  reports call sites only, so for it the rest is `other`; the others' findings
  are also counted in one of the columns below);
- `true`: findings that fall on a labelled true finding whose rule means the same
  thing (RULE_MAP below; a peer rule with no promptlint counterpart never counts);
- `on a finding, other rule`: findings on a labelled finding's position whose rule
  does not correspond;
- `rejected`: findings on a position the labeller judged false;
- `other`: everything else in scope (not a labelled instance of anything).

A position is a label's path and line range (or one of its `also` positions). This is a
count of agreement with the labels, not a score of the peers' own rule sets.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import score  # noqa: E402  (the labels loader and matching of bench/accuracy)

# peer rule -> promptlint rules it corresponds to
RULE_MAP = {
    "pcdlint": {"PCL001": {"PL101", "PL102", "PL104"}, "PCL002": {"PL103"}, "PCL003": {"PL103"}},
    "overllm": {"llm-in-loop": {"PL601", "PL701"}},
    "tokenlint": {"R001": {"PL502"}, "R002": {"PL301"}, "R003": {"PL105"}, "R004": {"PL601", "PL701"}},
    "tokentoll": {},
}
TOOLS = list(RULE_MAP)


@dataclass(frozen=True)
class PeerItem:
    path: str
    line: int
    rule: str


@dataclass
class Tally:
    reported: int = 0
    sites: int = 0
    true: int = 0
    other_rule: int = 0
    rejected: int = 0
    other: int = 0
    matched: list[str] = field(default_factory=list)
    listing: list[str] = field(default_factory=list)   # every in-scope item with its column, for --verbose


def run(argv: list[str], cwd: Path) -> str:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=1800,
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"})
    return proc.stdout


def peer_items(tool: str, venvs: Path, checkout: Path) -> list[PeerItem]:
    exe = str(venvs / tool / "bin" / tool)
    if tool == "tokentoll":
        data = json.loads(run([exe, "scan", "--format", "json", "."], checkout))
        return [PeerItem(c["file_path"], int(c["line_number"]), "call") for c in data["calls"]]
    if tool == "pcdlint":
        data = json.loads(run([exe, "--format", "json", "."], checkout) or "[]")
        return [PeerItem(f["file_path"], int(f["lineno"]), f["rule_id"]) for f in data]
    if tool == "overllm":
        data = json.loads(run([exe, "--format", "json", "--all", "--exit-zero", "--no-color", "."], checkout))
        return [PeerItem(f["path"], int(f["line"]), f["rule"]) for f in data]
    if tool == "tokenlint":   # text only: a file header, then "FAIL|WARN|INFO Rnnn-name  line N"
        items, current = [], None
        for line in run([exe, "--fail-on", "never", "."], checkout).splitlines():
            hit = re.match(r"\s+(?:FAIL|WARN|INFO) (R\d+)[-\w]*\s+line (\d+)", line)
            if hit and current:
                items.append(PeerItem(current, int(hit.group(2)), hit.group(1)))
            elif re.match(r"^  \S.*\.py$", line):
                current = line.strip()
        return items
    raise ValueError(tool)


def tally(tool: str, labels: score.RepoLabels, items: list[PeerItem]) -> Tally:
    t = Tally()
    for item in items:
        path = item.path.removeprefix("./")
        if not labels.in_scope(path) or any(lab.covers(path, item.line, lab.code) for lab in labels.out_of_scope):
            continue
        t.reported += 1
        on_site = any(lab.covers(path, item.line, score.CALLSITES) for lab in labels.callsites)
        t.sites += on_site
        before = (t.true, t.other_rule, t.rejected, t.other)
        if tool == "tokentoll":   # call sites only, no rules
            t.other += not on_site
            t.listing.append(f"{path}:{item.line} {item.rule} {'site' if on_site else 'other'}")
            continue
        wanted = RULE_MAP[tool].get(item.rule, set())
        on_true = [lab for lab in labels.findings if lab.covers(path, item.line, lab.code)]
        if any(lab.code in wanted for lab in on_true):
            t.true += 1
            t.matched.append(f"{path}:{item.line} {item.rule} = {'/'.join(sorted(wanted & {l.code for l in on_true}))}")
        elif on_true:
            t.other_rule += 1
        elif any(lab.covers(path, item.line, lab.code) for lab in labels.rejected):
            t.rejected += 1
        else:
            t.other += 1
        column = ("true", "other rule", "rejected", "other")[
            [a != b for a, b in zip(before, (t.true, t.other_rule, t.rejected, t.other))].index(True)]
        t.listing.append(f"{path}:{item.line} {item.rule} {column}{' (on a site)' if on_site else ''}")
    return t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos-dir", required=True, type=Path)
    parser.add_argument("--labels-dir", type=Path, default=HERE / "labels")
    parser.add_argument("--work-dir", type=Path, default=HERE.parent / ".work")
    parser.add_argument("--repo", action="append")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--verbose", action="store_true", help="list every in-scope item and its column")
    parser.add_argument("--trust-checkout", action="store_true", help="accept trees that are not git checkouts")
    args = parser.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    venvs = args.work_dir / "venvs"
    missing = [t for t in tools if t not in RULE_MAP or not (venvs / t / "bin" / t).exists()]
    if missing:
        print(f"error: no venv for {', '.join(missing)} under {venvs} (run bench/bench_peers.py once)",
              file=sys.stderr)
        return 2
    print("| repository | peer | in scope | on a labelled call site | true (same meaning) | "
          "on a finding, other rule | on a rejected label | other |")
    print("|---|---|---|---|---|---|---|---|")
    notes = []
    for path in sorted(args.labels_dir.glob("*.yaml")):
        labels = score.load_labels(path)
        if args.repo and labels.repo not in args.repo:
            continue
        checkout = args.repos_dir / labels.repo.replace("/", "+")
        head = score.head_commit(checkout)
        if head != labels.commit and not (head is None and args.trust_checkout and checkout.is_dir()):
            print(f"warning: skipping {labels.repo} ({checkout} is at {head})", file=sys.stderr)
            continue
        for tool in tools:
            t = tally(tool, labels, peer_items(tool, venvs, checkout))
            print(f"| {labels.repo} | {tool} | {t.reported} | {t.sites} | {t.true} | {t.other_rule} | "
                  f"{t.rejected} | {t.other} |")
            notes += [f"{labels.repo} {tool}: {m}" for m in (t.listing if args.verbose else t.matched)]
    for note in notes:
        print(f"- {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
