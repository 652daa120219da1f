"""The report for a person at a terminal: findings grouped by file, in colour (rich).

    app/rewrite.py  3 findings
      28:62  error    PL102  `request_id` enters the system prompt of `client.chat.completions.create`
                      at line 23, ahead of 62 static tokens that can no longer be cached
                      ~62 tok/call, $0.0046/1k calls
                      28 │ {"role": "system", "content": f"request_id: {request_id}\n\n{REWRITE_SYSTEM}…
                         │                                              ^^^^^^^^^^ unique-id-in-prefix

`check` uses it when stdout is a terminal or colour is forced (--color always,
FORCE_COLOR); piped output stays the plain concise / full format. rich costs
about 80 ms to import, so this module is imported only when there is
something to show.
"""

from __future__ import annotations

from itertools import groupby

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from promptlint.money import money
from promptlint.report import RULE_URL, ReportOptions, cell_position, fix_mark, visible, waste_text

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
SEVERITY_ORDER = ("error", "warning", "info")
WASTE_STYLE = "magenta"
CONTEXT = 12  # characters kept before the caret when a long source line is cut


class _Console(Console):
    def on_broken_pipe(self) -> None:
        raise BrokenPipeError  # `promptlint check | head`: the CLI stops quietly (rich would exit 1 itself)


def console(stream, color: bool) -> Console:
    """A console on `stream`; `color` decides (the CLI has read --color, NO_COLOR and FORCE_COLOR)."""
    tty = hasattr(stream, "isatty") and stream.isatty()
    return _Console(file=stream, force_terminal=color or None, no_color=not color,
                   color_system=("auto" if tty else "standard") if color else None,
                   highlight=False, markup=False, emoji=False, soft_wrap=False)


def render(result, stream, options: ReportOptions, full: bool = False, summary: bool = True) -> None:
    """Findings grouped by file; with `summary`, the waste table and the count line after them."""
    out = console(stream, options.color)
    findings = visible(result.findings, options)
    width = max((len(_position(f, options)[0]) for f in findings), default=0)
    for path, group in groupby(findings, key=lambda f: f.path):
        group = list(group)
        out.print(Text.assemble((path, "bold underline"), "  ", (_count(len(group), "finding"), "dim")))
        gutter = max(len(str(_position(f, options)[1])) for f in group)
        for finding in group:
            for line in _block(out, finding, options, full, width, gutter):
                out.print(line, no_wrap=True, overflow="ellipsis")
        out.print()
    if summary:
        if options.waste:
            waste_table(out, options.waste)
        out.print(found_line(findings, options))


def _block(out: Console, finding, options: ReportOptions, full: bool, width: int, gutter: int) -> list[Text]:
    """`  12:8  error    PL101  message  figures`, wrapped under the message, then the snippet."""
    style = "dim" if finding.suppressed else ""
    head = Text.assemble("  ", (_position(finding, options)[0].rjust(width), "bold"), "  ",
                         (finding.severity.ljust(7), SEVERITY_STYLE.get(finding.severity, "")), "  ")
    indent = Text(" " * len(head))
    body = Text.assemble((finding.code, "bold"), "  ", fix_mark(finding, options), finding.message, style=style)
    if finding.suppressed:
        body.append("  (suppressed)", style="italic")
    room = max(out.width - len(head), 30)
    wrapped = list(body.wrap(out, room))
    figures = waste_text(finding).strip("[]")  # `~1,840 tok/call, $0.42/1k calls`, or ""
    if figures and len(wrapped[-1]) + 2 + len(figures) <= room:  # after the message, or on a line of its own
        wrapped[-1] = Text.assemble(wrapped[-1], (f"  {figures}", WASTE_STYLE))
    elif figures:
        wrapped.append(Text(figures, style=WASTE_STYLE))
    lines = [head + wrapped[0], *(indent + line for line in wrapped[1:])]
    lines += [indent + line for line in _snippet(finding, options, room, gutter)]
    if full:
        notes = [f"= assumes: {note}" for note in finding.assumptions or []]
        notes.append(f"= docs: {RULE_URL.format(code=finding.code)}")
        lines += [indent + line for note in notes for line in Text(note, style="dim").wrap(out, room)]
    return [line.rstrip() or line for line in lines]


def _position(finding, options: ReportOptions) -> tuple[str, int]:
    """`line:col` and the line number, or in a notebook `cell 3:2:1` and the line in the cell."""
    cell = cell_position(finding, options)
    if cell is None:
        return f"{finding.span.line}:{finding.span.column}", finding.span.line
    return f"cell {cell[0]}:{cell[1]}:{finding.span.column}", cell[1]


def _snippet(finding, options: ReportOptions, room: int, gutter: int) -> list[Text]:
    """The source line, without its indentation, and a caret under the flagged code;
    nothing when the line is not at hand."""
    span = finding.span
    lines = options.lines_of(finding.path)  # a notebook's code cells, joined
    if not lines or not 1 <= span.line <= len(lines):
        return []
    raw = lines[span.line - 1].rstrip("\r\n")
    if not raw.strip():
        return []  # e.g. a notebook cell that does not parse (left out of the joined source)
    start = max(span.column - 1, 0)
    end = span.end_column - 1 if span.end_line == span.line else len(raw)
    end = max(min(end, len(raw)), start + 1)
    cut = min(len(raw) - len(raw.lstrip()), start)

    def shown(text: str) -> str:
        return text.replace("\t", "    ")

    text = shown(raw[cut:])
    caret_at, caret_len = len(shown(raw[cut:start])), max(len(shown(raw[start:end])), 1)
    number = str(_position(finding, options)[1]).rjust(gutter)
    room -= gutter + 3
    if caret_at > room - 20:  # keep the caret in view on a long line
        text, caret_at = "…" + text[caret_at - CONTEXT:], CONTEXT + 1
    style = SEVERITY_STYLE.get(finding.severity, "bold")
    source = Text.assemble((f"{number} │ ", "dim"), text)
    marks = Text.assemble((f"{' ' * gutter} │ ", "dim"), " " * caret_at, ("^" * caret_len, style))
    if caret_at + caret_len + 1 + len(finding.name) <= room:
        marks.append(f" {finding.name}", style="dim")
    return [source, marks]


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 or noun == 'info' else 's'}"


def found_line(findings, options: ReportOptions | None = None) -> Text:
    """`Found 6 findings in 3 files: 1 error, 5 warnings.`"""
    active = [f for f in findings if not f.suppressed]
    if not active:
        return Text("All checks passed (the findings above are suppressed).", style="bold green")
    files = len({f.path for f in active})
    line = Text.assemble(("Found ", "bold"), (_count(len(active), "finding"), "bold"),
                         f" in {_count(files, 'file')}")
    fixable = sum(1 for f in active if options is not None and fix_mark(f, options))
    if fixable:
        line.append(f" ({fixable:,} fixable)")
    counts = [(s, sum(1 for f in active if f.severity == s)) for s in SEVERITY_ORDER]
    parts = [Text(_count(n, s), style=SEVERITY_STYLE[s]) for s, n in counts if n]
    if parts:
        line.append(": ")
        line.append(Text(", ").join(parts))
    line.append(".")
    return line


def waste_table(out: Console, waste: dict) -> None:
    """prices.waste_summary as two tables, never added together: expected waste (what the fixes
    save on a typical call), then worst-case exposure (what a runaway could cost)."""
    expected = [r for r in waste["by_rule"] if r.get("estimate", "expected") == "expected"]
    worst = [r for r in waste["by_rule"] if r.get("estimate") == "worst-case"]
    if expected:
        _figures_table(out, "Expected waste per call of each site: what the fixes save on a typical call",
                       expected, [r for r in waste["by_task"] if r["findings"]], lambda r: r, monthly=True)
    if worst:
        _figures_table(out, "Worst-case exposure per call of each site: what a runaway could cost "
                            "(not added to the expected waste)",
                       worst, [r["worst_case"] | {"task": r["task"]} for r in waste["by_task"]
                               if r.get("worst_case", {}).get("findings")], lambda r: r, monthly=False)
    notes = []
    if waste.get("monthly"):
        m = waste["monthly"]
        text = f"Expected waste per month at the configured traffic: ~{m['waste_tokens']:,} tokens, {money(m['usd'])}"
        if m["findings_without_traffic"]:
            text += f" ({m['findings_without_traffic']} findings have no traffic figure)"
        if m.get("worst_case_findings_not_projected"):
            text += "; worst-case exposure is not projected per month"
        notes.append(text + ".")
    if waste.get("prices_as_of"):
        notes.append(f"Prices: {waste['prices_source']}, in effect {waste['prices_as_of']}.")
    for note in notes:
        out.print(Text(note, style="dim"))
    out.print()


def _figures_table(out: Console, title: str, rules: list, tasks: list, pick, monthly: bool) -> None:
    monthly = monthly and any(row.get("usd_per_month") is not None for row in tasks)
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False, show_edge=False)
    table.add_column("Rule / task")
    table.add_column("Findings", justify="right")
    table.add_column("Tokens/call", justify="right")
    table.add_column("$/1k calls", justify="right", style=WASTE_STYLE)
    if monthly:
        table.add_column("$/month", justify="right", style=WASTE_STYLE)
    for rows, label in ((rules, lambda r: f"{r['code']} {r['name']}"), (tasks, lambda r: r["task"])):
        for i, row in enumerate(rows):
            row = pick(row)
            usd = money(row["usd_per_1k_calls"]) if row["usd_per_1k_calls"] else ""
            if row["unpriced"]:
                usd = f"{usd} ({row['unpriced']} unpriced)".strip()
            cells = [label(row), f"{row['findings']:,}", f"~{row['waste_tokens_per_call']:,}", usd]
            if monthly:
                per_month = row.get("usd_per_month")
                cells.append("" if per_month is None else money(per_month))
            table.add_row(*cells, end_section=i == len(rows) - 1)
    out.print(table)


def statistics(result, stream, options: ReportOptions, summary: bool = True) -> None:
    """--statistics at a terminal: a count per rule, most frequent first, with its waste figures."""
    out = console(stream, options.color)
    active = [f for f in result.findings if not f.suppressed]
    waste = {row["code"]: row for row in (options.waste or {}).get("by_rule", [])}
    rows: dict[str, list] = {}
    for f in active:
        rows.setdefault(f.code, [0, f.name, f.severity])[0] += 1
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("Count", justify="right", style="bold")
    table.add_column("Code")
    table.add_column("Rule")
    table.add_column("Severity")
    if waste:
        table.add_column("Tokens/call", justify="right")
        table.add_column("$/1k calls", justify="right", style=WASTE_STYLE)
    for code, (count, name, severity) in sorted(rows.items(), key=lambda kv: (-kv[1][0], kv[0])):
        cells = [f"{count:,}", code, name, Text(severity, style=SEVERITY_STYLE.get(severity, ""))]
        if waste:
            row = waste.get(code)
            cells += ["", ""] if row is None else [
                f"~{row['waste_tokens_per_call']:,}",
                money(row["usd_per_1k_calls"]) if row["usd_per_1k_calls"] else ""]
        table.add_row(*cells)
    out.print(table)
    if summary:
        out.print()
        out.print(found_line(active))


def progress_bar(done: int, total: int):
    """A transient bar on stderr, started; returns (progress, task id)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("Checking"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                   TimeElapsedColumn(), console=Console(stderr=True, highlight=False), transient=True)
    task = bar.add_task("check", total=total, completed=done)
    bar.start()
    return bar, task
