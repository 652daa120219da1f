"""`promptlint inventory`: every LLM call site, what its static prompt weighs and
what a call costs at its output cap, grouped and subtotaled by task.

The static half of "measure cost per task before you touch anything": the
numbers come from the same analysis as `check` (no request is sent).
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field

from promptlint.cost.prices import UNTAGGED, PriceBook, call_cost, sites_by_path, sites_of

FORMATS = ("table", "json", "csv", "markdown")
COLUMNS = ("path", "line", "provider", "api", "task", "model", "static_tokens", "cacheable_prefix_tokens",
           "output_cap", "usd_per_1k_calls", "codes", "note", "usage_recorded")

# How each usage state (analysis/usage.py) reads in the inventory.
USAGE_LABELS = {"read": "yes", "caller": "via caller", "instrumented": "via instrumentation", "none": "no",
                "not-sent": "no (stream sends none)", "unknown": "?", None: "?"}
RECORDED = ("read", "caller", "instrumented")


@dataclass(slots=True)
class Row:
    path: str
    line: int
    column: int
    provider: str
    api: str
    callee: str
    task: str
    model: str | None
    static_tokens: int  # a lower bound when `prompt_partial` (so is usd_per_1k_calls)
    prompt_partial: bool
    cacheable_prefix_tokens: int | None
    output_cap: int | None
    usd_per_1k_calls: float | None  # input + output at the cap: a ceiling of the output, not a forecast
    codes: list[str] = field(default_factory=list)
    note: str | None = None  # why a figure is missing
    cell: int | None = None  # in a notebook: the cell, and `line` is a line of that cell
    wrapper: str | None = None  # a wrapper site: the project function it goes through (JSON key only then)
    templates: list[str] = field(default_factory=list)  # template files its prompt text is read from
    usage: str | None = None  # where the response's usage goes (analysis/usage.py), see USAGE_LABELS
    usage_cached: bool | None = None  # the cached-input field is recorded too (None: cannot tell)
    # The two halves of usd_per_1k_calls, never to be read as one kind of number: the static
    # input is counted (a minimum when `prompt_partial`); the output at the cap is the most a
    # call may write (a worst case).
    input_usd_per_1k_calls: float | None = None
    output_usd_per_1k_calls_at_cap: float | None = None
    # A call of a wrapper whose body holds several requests (a retry, a streaming and a plain
    # branch): how many it may send. The row is the call's; its figures are the costliest
    # request's (JSON key only when above 1).
    requests: int = 1
    # A call site whose request the report also shows at the calls of its wrapper (the rows
    # here whose layers pass through it): their locations. Its request is counted there, once,
    # so the totals leave this row out (JSON key only when there are some).
    counted_at_callers: list[str] = field(default_factory=list)

    def usage_label(self) -> str:
        label = USAGE_LABELS.get(self.usage, "?")
        return label + ", not cached tokens" if self.usage == "read" and self.usage_cached is False else label

    def location(self) -> str:
        return f"{self.path}:{self.where()}"

    def where(self) -> str:
        return f"cell {self.cell}:{self.line}" if self.cell else str(self.line)


def build_rows(result, settings, book: PriceBook | None = None) -> list[Row]:
    """One row per call site of an engine RunResult, sorted by task then location."""
    from promptlint.cost.estimate import output_cap, prompt_is_partial, static_tokens
    from promptlint.cost.prefix import cacheable_prefix_tokens

    tokenizer = settings.tokenizer
    book = book or PriceBook(settings)
    by_path = sites_by_path(result.callsites)
    codes: dict[int, set[str]] = {}
    for f in result.findings:
        if f.suppressed:
            continue
        for site in sites_of(f, by_path):
            codes.setdefault(id(site), set()).add(f.code)
    rows = []
    reached = calls_reaching(result.callsites)
    for site in result.callsites:
        partial = prompt_is_partial(site)
        notes = ["prompt partly unknown"] if partial else []
        usd = input_usd = output_usd = None
        if site.output != "text":
            notes.append(f"{site.output} output")  # an image or audio request: billed, but no text to cap
        if not site.billed:
            notes.append("local runtime, not billed")
        elif not site.model:
            notes.append("model not visible")
        else:
            rates = book.rates(site.model, site.provider)
            if rates is None:
                notes.append(f"no price for {site.model}")
            else:
                usd, why = call_cost(rates, site, tokenizer, lower_bound=True)
                if usd is not None:
                    usd = round(usd * 1000, 6)
                    input_usd = round(rates.cost(input_tokens=static_tokens(site, tokenizer)) * 1000, 6)
                    output_usd = round(rates.cost(output_tokens=output_cap(site)) * 1000, 6)
                elif why:
                    notes.append("no output cap" if "sets no" in why else "output cap not visible")
        if site.through:  # a wrapper site: the project function it goes through
            notes.append(f"through {' -> '.join(site.through)}")
        callers = reached.get((site.path, site.span.line, site.span.column), [])
        if callers:
            shown = ", ".join(callers[:3]) + (f" and {len(callers) - 3} more" if len(callers) > 3 else "")
            notes.append(f"counted at the call{'s' if len(callers) > 1 else ''} of its wrapper: {shown}")
        rows.append(Row(
            path=site.path, line=site.span.line, column=site.span.column, provider=site.provider, api=site.api,
            callee=site.callee, task=site.task or UNTAGGED, model=site.model,
            static_tokens=static_tokens(site, tokenizer), prompt_partial=partial,
            cacheable_prefix_tokens=cacheable_prefix_tokens(site, tokenizer), output_cap=output_cap(site),
            usd_per_1k_calls=usd, codes=sorted(codes.get(id(site), ())), note="; ".join(notes) or None,
            wrapper=site.wrapper,
            templates=template_files(site), usage=site.usage, usage_cached=site.usage_cached,
            input_usd_per_1k_calls=input_usd, output_usd_per_1k_calls_at_cap=output_usd,
            counted_at_callers=callers,
        ))
    rows = one_row_per_call(rows)
    _notebook_cells(rows)
    rows.sort(key=lambda r: (r.task == UNTAGGED, r.task, r.path, r.cell or 0, r.line, r.column))
    return rows


def calls_reaching(sites) -> dict[tuple[str, int, int], list[str]]:
    """Per call site (path, line, column) that a wrapper site's layers pass through (the SDK call
    in the wrapper's body, a call of the next layer), the locations of the wrapper sites where
    its request is counted instead. Both rows are one request: `answer()` at main.py:76 sends
    the request of answer.py:42; per 1k calls of each, the sum would count it twice. A site is
    counted at those of its callers that are counted themselves, and where none is (recursive
    wrappers passing the request round), at its own row."""
    by: dict[tuple[str, int, int], set[tuple[str, int, int]]] = {}
    for site in sites:
        for path, line, column in site.through_at or ():
            by.setdefault((path, line, column), set()).add((site.path, site.span.line, site.span.column))
    counted: dict[tuple[str, int, int], bool] = {}  # decided so far: counted at its own row?
    undecided = set(by)
    while undecided:
        ready = [at for at in undecided if all(c in counted or c not in by for c in by[at])]
        if not ready:
            break  # a cycle: the rest keep their own rows
        for at in ready:
            counted[at] = not any(counted.get(c, True) for c in by[at])
        undecided -= set(ready)
    return {at: [f"{path}:{line}" for path, line in sorted({c[:2] for c in by[at] if counted.get(c, True)})]
            for at, alone in counted.items() if not alone}


def one_row_per_call(rows: list[Row]) -> list[Row]:
    """One row per call: a wrapper site yields a site for each request the wrapper's body may
    send (the analysis keeps them apart for the rules), but the caller makes one call. Its row
    takes the costliest request's figures, which for branches a call takes one of is the worst
    case, the codes of all, and says how many requests there are: summing them would count
    the alternatives of one call as several calls."""
    groups: dict[tuple, list[Row]] = {}
    for row in rows:
        key = (row.path, row.line, row.column, row.wrapper) if row.wrapper else (id(row),)
        groups.setdefault(key, []).append(row)
    out = []
    for group in groups.values():
        if len(group) == 1:
            out.append(group[0])
            continue
        row = max(group, key=lambda r: (r.usd_per_1k_calls is not None, r.usd_per_1k_calls or 0.0,
                                        r.static_tokens))  # the first of equals: the sites' order
        row.codes = sorted({code for r in group for code in r.codes})
        row.requests = len(group)
        costliest = "the costliest's" if row.usd_per_1k_calls is not None else "those of the largest prompt"
        row.note = "; ".join(filter(None, [row.note, f"one of {len(group)} requests the call may send through "
                                                     f"{row.wrapper}; figures are {costliest}"]))
        out.append(row)
    return out


def template_files(site) -> list[str]:
    """The prompt template files (not Python modules) whose text this call sends."""
    from promptlint.analysis.templates import is_template_path

    found = set()
    for part in site.parts:
        for seg in part.segments:
            origins = [seg.origin, *(p[2] for p in seg.pieces or ())]
            span = seg.span
            if span is not None and getattr(span, "path", None):
                origins.append(span.path)
            found.update(o for o in origins if is_template_path(o))
    return sorted(found)


@dataclass(slots=True)
class WrapperRow:
    """A project function inferred to send LLM requests (`inventory --wrappers`)."""

    wrapper: str  # "name (path:line of the request it sends)"
    calls: int  # wrapper sites that go through it
    files: int  # files those calls are in
    sends: str  # the SDK call(s) it reaches
    leaves: list[str]  # what it leaves to its callers: cap, model, prompt


def wrapper_rows(result) -> list[WrapperRow]:
    """One row per wrapper a call goes through first, most called first."""
    groups: dict[str, list] = {}
    for site in result.callsites:
        if site.through:
            groups.setdefault(site.through[0], []).append(site)
    rows = []
    for name, sites in groups.items():
        calls = {(s.path, s.span.line, s.span.column) for s in sites}
        rows.append(WrapperRow(name, len(calls), len({s.path for s in sites}),
                               ", ".join(sorted({s.through[-1] for s in sites})),
                               sorted({x for s in sites for x in (s.leaves or [])})))
    rows.sort(key=lambda r: (-r.calls, r.wrapper))
    return rows


def render_wrappers(rows: list[WrapperRow], fmt: str, stream) -> None:
    if fmt == "json":
        json.dump({"wrappers": [asdict(r) for r in rows]}, stream, indent=2, sort_keys=True, ensure_ascii=False)
        stream.write("\n")
        return
    if not rows:
        stream.write("No wrappers found: no call reaches an LLM request through a project function.\n")
        return
    header = ("WRAPPER", "CALLS", "FILES", "LEAVES TO CALLERS", "SENDS")
    table = [header] + [(r.wrapper, str(r.calls), str(r.files), ", ".join(r.leaves) or "-", r.sends) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        stream.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n")


def by_task(rows: list[Row]) -> list[tuple[str, list[Row]]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.task, []).append(row)
    return list(groups.items())


def subtotal(rows: list[Row]) -> dict:
    """Sums over a task's call sites; the dollar sum counts only the priced rows. A row counted
    at the calls of its wrapper is in the count of call sites, not in the sums."""
    every = rows
    rows = [r for r in rows if not r.counted_at_callers]
    priced = [r for r in rows if r.usd_per_1k_calls is not None]
    return {
        "call_sites": len(every),
        "counted_at_callers": len(every) - len(rows),
        "static_tokens": sum(r.static_tokens for r in rows),
        "static_tokens_complete": not any(r.prompt_partial for r in rows),
        "usd_per_1k_calls": round(sum(r.usd_per_1k_calls for r in priced), 6) if priced else None,
        # Some priced rows have a partly unknown prompt: the sum is a minimum.
        "usd_is_minimum": any(r.prompt_partial for r in priced),
        # The two kinds apart: the static input (counted; a minimum when usd_is_minimum) and the
        # output at the caps (the most the calls may write: a worst case).
        "input_usd_per_1k_calls": round(sum(r.input_usd_per_1k_calls for r in priced), 6) if priced else None,
        "output_usd_per_1k_calls_at_cap": (round(sum(r.output_usd_per_1k_calls_at_cap for r in priced), 6)
                                           if priced else None),
        "unpriced": len(rows) - len(priced),
    }


def usage_summary(rows: list[Row]) -> dict:
    """How many call sites record their usage (read it, hand it on, or are instrumented),
    and how many of those keep the cached-input tokens apart."""
    recorded = [r for r in rows if r.usage in RECORDED]
    states: dict[str, int] = {}
    for r in rows:
        states[r.usage or "unknown"] = states.get(r.usage or "unknown", 0) + 1
    return {"call_sites": len(rows), "recorded": len(recorded),
            "cached_recorded": sum(1 for r in recorded if r.usage_cached), "by_state": dict(sorted(states.items()))}


def usage_sentence(rows: list[Row]) -> str:
    """"31 of 44 call sites record usage; 12 of them cached tokens"."""
    total = usage_summary(rows)
    return (f"{total['recorded']} of {total['call_sites']} call site{'s' if total['call_sites'] != 1 else ''} "
            f"record usage; {total['cached_recorded']} of them cached tokens")


# ---------------------------------------------------------------- rendering


def _tokens(row: Row) -> str:
    return f"≥{row.static_tokens:,}" if row.prompt_partial else f"{row.static_tokens:,}"


def _num(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _usd(value: float | None, minimum: bool = False) -> str:
    from promptlint.money import money

    return "?" if value is None else ("≥" if minimum else "") + money(value)


def _cells(row: Row) -> list[str]:
    return [row.location(), f"{row.provider} {row.api}", row.model or "?", _tokens(row),
            _num(row.cacheable_prefix_tokens), _num(row.output_cap), _row_usd(row),
            row.usage_label(), ",".join(row.codes),
            "; ".join(filter(None, [row.note, *(f"prompt in {t}" for t in row.templates)]))]


def _row_usd(row: Row) -> str:
    """`$0.12 + $0.40`: the static input (≥ when the prompt is partly unknown), then the output at the cap."""
    if row.usd_per_1k_calls is None:
        return "?"
    return f"{_usd(row.input_usd_per_1k_calls, row.prompt_partial)} + {_usd(row.output_usd_per_1k_calls_at_cap)}"


HEADERS = ["LOCATION", "PROVIDER API", "MODEL", "STATIC TOK", "CACHEABLE PREFIX", "OUTPUT CAP", "$/1K IN + OUT AT CAP",
           "USAGE", "CODES", "NOTE"]
_RIGHT = {3, 4, 5, 6}


def _subtotal_text(rows: list[Row]) -> str:
    """`12 call sites, ≥5,767 static tokens, ≥$2.85 input + up to $6.34 output at the caps per 1k
    calls of every site`; the rows counted at their wrapper's calls are said apart."""
    total = subtotal(rows)
    if total["usd_per_1k_calls"] is None:
        usd = "?"
    else:  # never one sum of a counted input and a worst-case output
        usd = (f"{_usd(total['input_usd_per_1k_calls'], total['usd_is_minimum'])} input + up to "
               f"{_usd(total['output_usd_per_1k_calls_at_cap'])} output at the caps")
    if total["unpriced"]:
        usd += f" (+{total['unpriced']} unpriced)"
    sites = f"{total['call_sites']} call site{'s' if total['call_sites'] != 1 else ''}"
    tokens = ("" if total["static_tokens_complete"] else "≥") + f"{total['static_tokens']:,}"
    inner = total["counted_at_callers"]
    if not inner:
        return f"{sites}, {tokens} static tokens, {usd} per 1k calls of every site"
    return (f"{sites}, {inner} of them counted at the calls of their wrapper; {tokens} static tokens, {usd} "
            f"per 1k calls of each of the other {total['call_sites'] - inner}")


def render_table(rows: list[Row], stream) -> None:
    groups = by_task(rows)
    cells = [_cells(r) for r in rows]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(HEADERS)]

    def line(values):
        out = [v.rjust(w) if i in _RIGHT else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths))]
        return "  " + "  ".join(out).rstrip() + "\n"

    for n, (task, group) in enumerate(groups):
        if n:
            stream.write("\n")
        stream.write(f"task: {task}  ({_subtotal_text(group)})\n")
        stream.write(line(HEADERS))
        for row in group:
            stream.write(line(_cells(row)))
    if not rows:
        stream.write("No LLM call sites found.\n")
    elif len(groups) > 1:
        stream.write(f"\ntotal: {_subtotal_text(rows)}\n")
    if rows:
        stream.write(f"usage: {usage_sentence(rows)}\n")


def render_markdown(rows: list[Row], stream) -> None:
    for n, (task, group) in enumerate(by_task(rows)):
        if n:
            stream.write("\n")
        stream.write(f"### Task: {task}\n\n{_subtotal_text(group)}.\n\n")
        stream.write("| " + " | ".join(HEADERS) + " |\n")
        stream.write("| " + " | ".join("---:" if i in _RIGHT else "---" for i in range(len(HEADERS))) + " |\n")
        for row in group:
            cells = [c.replace("|", "\\|") for c in _cells(row)]
            cells[0] = f"`{cells[0]}`"
            stream.write("| " + " | ".join(cells) + " |\n")
    if not rows:
        stream.write("No LLM call sites found.\n")
    else:
        stream.write(f"\nUsage: {usage_sentence(rows)}.\n")


def _notebook_cells(rows: list[Row]) -> None:
    """Rows in notebooks: the cell and the line in it (call sites hold lines of the joined cells)."""
    from promptlint.sources import SourceFiles

    notebooks = SourceFiles()
    for row in rows:
        notebook = notebooks.notebook(row.path) if row.path.endswith(".ipynb") else None
        where = notebook.locate(row.line) if notebook is not None else None
        if where is not None:
            row.cell, row.line = where


def row_dict(row: Row) -> dict:
    data = asdict(row)
    if data["wrapper"] is None:
        del data["wrapper"]  # the key is there for wrapper sites only: other rows keep their bytes
    if data["requests"] == 1:
        del data["requests"]  # only for a call that may send several (one_row_per_call)
    if not data["counted_at_callers"]:
        del data["counted_at_callers"]
    # A partly unknown prompt: static_tokens and usd_per_1k_calls are minimums.
    data["static_tokens_complete"] = not row.prompt_partial
    return data


def render_json(rows: list[Row], stream, prices_as_of: str | None = None) -> None:
    data = {
        "call_sites": [row_dict(r) for r in rows],
        "tasks": [{"task": task, **subtotal(group)} for task, group in by_task(rows)],
        "total": subtotal(rows),
        "usage": usage_summary(rows),
        "prices_as_of": prices_as_of,
    }
    stream.write(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n")


def render_csv(rows: list[Row], stream) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([*COLUMNS[:7], "static_tokens_complete", *COLUMNS[7:]])
    for r in rows:
        writer.writerow([r.path, r.where(), r.provider, r.api, r.task, r.model or "", r.static_tokens,
                         str(not r.prompt_partial).lower(), "" if r.cacheable_prefix_tokens is None else
                         r.cacheable_prefix_tokens, "" if r.output_cap is None else r.output_cap,
                         "" if r.usd_per_1k_calls is None else r.usd_per_1k_calls, " ".join(r.codes), r.note or "",
                         r.usage_label()])


def render(rows: list[Row], fmt: str, stream, prices_as_of: str | None = None) -> None:
    if fmt == "json":
        render_json(rows, stream, prices_as_of)
    elif fmt == "csv":
        render_csv(rows, stream)
    elif fmt == "markdown":
        render_markdown(rows, stream)
    else:
        render_table(rows, stream)
