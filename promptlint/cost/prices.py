"""Dollar figures for findings and call sites, from offline price data only.

Prices come from genai-prices' bundled snapshot (`genai_prices.calc_price`)
or from `[tool.promptlint.prices]`; promptlint never starts genai-prices'
auto-update, so a run never touches the network. genai-prices is imported
only when a finding with a known model needs a dollar figure.

Config (USD per million tokens; the key is a model id or an fnmatch pattern):

    [tool.promptlint.prices."gpt-4.1"]
    input = 2.0
    cache-read = 0.5
    output = 8.0

    [tool.promptlint.traffic]      # calls per day of each call site of a task, or `default`
    default = 20000
    answer-question = 5000

How each waste kind becomes dollars (shared/spec/rules.md, "Token waste"):
uncached-input = (input - cache-read price) x tokens; input = input price x
tokens; output = output price x tokens; extra-call = the named call's static
input plus its output cap (times N when the rule states N calls);
batch-discount = the rule's share (about 50 %) of that call's cost. See
docs/estimates.md.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass
from functools import cache

from promptlint.errors import UsageError

DAYS_PER_MONTH = 30
UNTAGGED = "(untagged)"


@dataclass(slots=True)
class Rates:
    """What one model costs, as a function of a call's token counts."""

    model: str
    source: str  # "genai-prices 0.2.3" or "config"
    input: float | None  # USD per million tokens, for the note only
    cache_read: float | None
    output: float | None
    provider: str | None = None  # genai-prices' provider id
    lookup: tuple[str, str | None] | None = None  # genai-prices: the (model, provider id) that found it

    def cost(self, input_tokens: int = 0, cache_read_tokens: int = 0, output_tokens: int = 0) -> float:
        """USD for one call with these counts (cache reads are part of `input_tokens`)."""
        if self.lookup is None:
            fresh = input_tokens - cache_read_tokens
            return ((self.input or 0) * fresh + (self.cache_read or 0) * cache_read_tokens
                    + (self.output or 0) * output_tokens) / 1e6
        return _snapshot_cost(self.lookup, input_tokens, cache_read_tokens, output_tokens)

    def note(self) -> str:
        parts = [f"{_usd(v)}/M {label}" for label, v in
                 (("input", self.input), ("cache read", self.cache_read), ("output", self.output)) if v is not None]
        if self.source == "config":
            return f"priced as {self.model} at {', '.join(parts)} (from the config)"
        return f"priced as {self.provider} {self.model} at {', '.join(parts)} ({self.source} bundled data)"


def _usd(value: float) -> str:
    return f"${value:g}"


# ---------------------------------------------------------------- price data


def _pricing_time() -> dt.datetime:
    """Noon UTC today: prices in effect now, and the same figures all day."""
    return dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time(12), tzinfo=dt.UTC)


@cache
def genai_prices_version() -> str:
    from promptlint.cost.facts import dist_version

    return dist_version("genai-prices", "genai_prices")


@cache
def prices_as_of() -> str:
    """The date of the newest price change in the bundled data that is in effect today.

    genai-prices does not stamp its snapshot with a date; this is the closest
    honest one: the data knows prices up to at least this day."""
    from promptlint.cost import facts

    today = _pricing_time().date()
    return facts.remembered(f"prices-as-of:{today}", lambda: _newest_price_change(today),
                            lambda known: isinstance(known, str))


def _newest_price_change(today: dt.date) -> str:
    from genai_prices.data import providers

    newest = None
    for provider in providers:
        for model in provider.models:
            conditional = model.prices if isinstance(model.prices, list) else []
            constraints = [getattr(p, "constraint", None) for p in conditional]
            constraints += [v.constraint for v in model.price_variants or ()]
            for c in constraints:
                start = getattr(c, "start_date", None)
                if start is not None and start <= today and (newest is None or start > newest):
                    newest = start
    return newest.isoformat() if newest else today.isoformat()


def _config_rates(model: str, table: dict) -> Rates | None:
    for pattern, entry in table.items():
        if pattern == model or fnmatch.fnmatchcase(model, str(pattern)):
            if not isinstance(entry, dict):
                raise UsageError(f"prices.{pattern}: expected a table with input / cache-read / output (USD per "
                                 f"million tokens), got {entry!r}")
            values = {}
            for key in ("input", "cache-read", "output"):
                value = entry.get(key, entry.get(key.replace("-", "_")))
                if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                    raise UsageError(f"prices.{pattern}.{key}: expected a number of USD per million tokens, "
                                     f"got {value!r}")
                values[key] = None if value is None else float(value)
            return Rates(model, "config", values["input"], values["cache-read"], values["output"])
    return None


@cache
def _snapshot_rates(model: str, provider_id: str | None) -> Rates | None:
    """The bundled snapshot's token prices for a model (remembered in the cache's facts,
    so a warm run does not import genai-prices)."""
    from promptlint.cost import facts

    def look_up() -> list:
        found = _snapshot_rates_uncached(model, provider_id)
        return [] if found is None else [found.model, found.provider, found.input, found.cache_read, found.output,
                                         *found.lookup]

    known = facts.remembered(f"prices-rates:{_pricing_time().date()}:{model}|{provider_id}", look_up,
                             lambda known: isinstance(known, list) and len(known) in (0, 7))
    if not known:
        return None
    found_id, provider, input_price, cache_read, output, *lookup = known
    return Rates(found_id, f"genai-prices {genai_prices_version()}", input_price, cache_read, output,
                 provider=provider, lookup=(lookup[0], lookup[1]))


def _snapshot_rates_uncached(model: str, provider_id: str | None) -> Rates | None:
    entry = _snapshot_entry(model, provider_id)
    if entry is None:
        if provider_id is None:
            return None
        return _snapshot_rates_uncached(model, None)  # e.g. a langchain model id that names another provider
    found_provider, info, when = entry
    price = info.get_prices(when)

    def per_million(name):
        value = getattr(price, name, None)
        value = getattr(value, "base", value)  # tiered prices: the base tier (requests under the threshold)
        return None if value is None else float(value)

    if per_million("input_mtok") is None and per_million("output_mtok") is None:
        return None  # priced per request or per second only: no token price
    return Rates(info.id, f"genai-prices {genai_prices_version()}", per_million("input_mtok"),
                 per_million("cache_read_mtok"), per_million("output_mtok"),
                 provider=found_provider.id, lookup=(model, provider_id))


@cache
def _snapshot_entry(model: str, provider_id: str | None):
    """(provider, model info, pricing time) in the bundled snapshot, or None."""
    # Importing genai_prices does not start its auto-update; only UpdatePrices() would.
    from genai_prices import data_snapshot

    try:
        found_provider, info = data_snapshot.get_snapshot().find_provider_model(model, None, provider_id, None)
    except LookupError:
        return None
    return found_provider, info, _pricing_time()


def _snapshot_cost(lookup: tuple[str, str | None], input_tokens: int, cache_read_tokens: int,
                   output_tokens: int) -> float:
    """genai-prices' own figure for one call (tiered prices depend on the counts)."""
    from promptlint.cost import facts

    def calc() -> float:
        from genai_prices import Usage

        provider, info, when = _snapshot_entry(*lookup)  # the entries found once (same as calc_price's lookup)
        usage = Usage(input_tokens=input_tokens, cache_read_tokens=cache_read_tokens, output_tokens=output_tokens)
        return float(info.calc_price(usage, provider, genai_request_timestamp=when).total_price)

    key = f"prices-cost:{_pricing_time().date()}:{lookup[0]}|{lookup[1]}|{input_tokens}|{cache_read_tokens}|{output_tokens}"
    return float(facts.remembered(key, calc, lambda known: isinstance(known, (int, float))))


@cache
def prices_provider_id(provider: str | None) -> str | None:
    """genai-prices' id for a promptlint provider name (rules/providers.yaml); None: let it
    infer the provider from the model id. Remembered in the facts (keyed by the digest of
    rules/), so a warm run neither imports PyYAML nor reads the file."""
    from promptlint.cost import facts
    from promptlint.ruledocs import load_data

    def look_up() -> str:
        return load_data("providers.yaml")["providers"].get(provider or "", {}).get("prices") or ""

    return facts.remembered(f"prices-provider:{provider}", look_up, lambda known: isinstance(known, str)) or None


class PriceBook:
    """Rates by (model, provider), config first, then the bundled snapshot; remembers what it used."""

    def __init__(self, settings) -> None:
        self.overrides = dict(settings.rule_options.get("_prices") or {}) if settings else {}
        self.used_snapshot = False

    def rates(self, model: str | None, provider: str | None) -> Rates | None:
        if not model:
            return None
        found = _config_rates(model, self.overrides)
        if found is not None:
            return found
        found = _snapshot_rates(model, prices_provider_id(provider))
        self.used_snapshot = True
        return found


# ---------------------------------------------------------------- matching findings to call sites


def sites_by_path(callsites) -> dict[str, list]:
    out: dict[str, list] = {}
    for site in callsites or ():
        out.setdefault(site.path, []).append(site)
    return out


def _within(span, outer) -> bool:
    return (outer.line, outer.column) <= (span.line, span.column) and \
        (span.end_line, span.end_column) <= (outer.end_line, outer.end_column)


def site_at(location, by_path: dict[str, list]):
    """The call site whose callee starts at `location` (a model.Location), or None."""
    if location is None:
        return None
    for site in by_path.get(location.path, ()):
        if site.span.line == location.line and site.span.column == location.column:
            return site
    return None


def named_sites(finding, by_path: dict[str, list]) -> list:
    """The calls a finding refers to: `Finding.call_site`, then the calls among `Finding.related`."""
    out = []
    for location in (finding.call_site, *finding.related):
        site = site_at(location, by_path)
        if site is not None and site not in out:
            out.append(site)
    return out


def containing_site(finding, by_path: dict[str, list]):
    """The innermost call whose source holds the finding's span, or None."""
    inside = [s for s in by_path.get(finding.path, ()) if _within(finding.span, s.call_span)]
    if not inside:
        return None
    return min(inside, key=lambda s: (s.call_span.end_line - s.call_span.line, s.call_span.end_column))


def site_of(finding, by_path: dict[str, list]):
    """The call site a finding is about: the innermost call containing its span, else the first call it
    refers to."""
    site = containing_site(finding, by_path)
    if site is not None:
        return site
    named = named_sites(finding, by_path)
    return named[0] if named else None


def sites_of(finding, by_path: dict[str, list]) -> list:
    """Every call a finding concerns: the one containing it and the ones it refers to."""
    first = site_of(finding, by_path)
    return ([first] if first is not None else []) + [s for s in named_sites(finding, by_path) if s is not first]


def task_of(finding, site) -> str:
    # Findings carry no task of their own (yet); a future `Finding.task` would win.
    return getattr(finding, "task", None) or (site.task if site is not None else None) or UNTAGGED


# ---------------------------------------------------------------- pricing


def call_cost(rates: Rates, site, tokenizer: str, lower_bound: bool = False) -> tuple[float | None, str | None]:
    """USD of one call at its static input and output cap, or (None, why).

    With `lower_bound`, a call whose prompt is partly unknown is priced on the
    static text the analysis sees (the caller must label the figure as a minimum)."""
    from promptlint.cost.estimate import output_cap, prompt_is_partial, static_tokens

    if prompt_is_partial(site) and not lower_bound:
        return None, "part of the call's prompt is not visible to the analysis"
    cap = output_cap(site)
    if cap is None:
        if site.cap_keyword is None and not site.cap_unknown and not site.kwargs_opaque:
            return None, "the call sets no output cap"
        return None, "the call's output cap is not visible to the analysis"
    return rates.cost(input_tokens=static_tokens(site, tokenizer), output_tokens=cap), None


def usd_per_call(finding, rates: Rates) -> tuple[float | None, str | None]:
    """A token-kind finding's waste in USD per call, or (None, why)."""
    kind, tokens = finding.waste_kind, finding.waste_tokens_per_call
    if tokens is None:
        return None, "the token count is unknown"
    if kind == "uncached-input":
        if rates.cache_read is None:
            return None, f"the price data has no cache-read price for {rates.model}"
        return rates.cost(input_tokens=tokens) - rates.cost(input_tokens=tokens, cache_read_tokens=tokens), None
    if kind == "input":
        if rates.input is None:
            return None, f"the price data has no input price for {rates.model}"
        return rates.cost(input_tokens=tokens), None
    if kind == "output":
        if rates.output is None:
            return None, f"the price data has no output price for {rates.model}"
        return rates.cost(output_tokens=tokens), None
    return None, None  # a kind without a price formula: no figure, nothing to explain


def calls_of(finding, by_path: dict[str, list]) -> list:
    """The call sites an extra-call / batch-discount finding prices: the call it sits on, else
    every call it refers to (a loop head: the calls the loop repeats; a recursive call: the
    call in the function)."""
    site = containing_site(finding, by_path)
    return [site] if site is not None else named_sites(finding, by_path)


def price_calls(finding, sites, book: PriceBook, tokenizer: str) -> tuple[float | None, str | None, list[str]]:
    """extra-call and batch-discount: the finding's tokens are whole calls (static input plus output
    cap). Each call is priced at its own model; the figure is used only when the finding's token
    count is a whole number of those calls (extra-call, e.g. 10 iterations) or a share of them
    (batch-discount), so the dollars always describe the same calls as the tokens."""
    from promptlint.cost.estimate import output_cap, prompt_is_partial, static_tokens

    if not sites:
        return None, "the call behind the finding is not known", []
    tokens, usd, notes = 0, 0.0, []
    for site in sites:
        cap = output_cap(site)
        if cap is None:
            return None, "the call's output cap is not known", []
        if not site.model:
            return None, "the model is not a literal or constant the analysis can see", []
        rates = book.rates(site.model, site.provider)
        if rates is None:
            return None, f"{site.model} is not in the price data or [tool.promptlint.prices]", []
        static = static_tokens(site, tokenizer)
        tokens += static + cap
        usd += rates.cost(input_tokens=static, output_tokens=cap)
        if rates.note() not in notes:
            notes.append(rates.note())
        if prompt_is_partial(site):
            notes.append("a minimum: part of the prompt is not visible")
    waste = finding.waste_tokens_per_call
    if not tokens or not waste:
        return None, "the token count is unknown", []
    if finding.waste_kind == "extra-call":
        if waste % tokens:
            return None, "the token figure cannot be split into input and output", []
        return usd * (waste // tokens), None, notes
    share = round(waste / tokens, 2)  # the provider's batch discount, e.g. 0.5
    if not 0 < share <= 1:
        return None, "the token figure cannot be split into input and output", []
    return usd * share, None, notes


def price_findings(findings, settings, callsites=None) -> PriceBook:
    """Set `usd_per_1k_calls` on every finding that has an honest dollar figure.

    Runs once after the run, before rendering. A finding whose rule already set
    a figure keeps it. Where no figure exists, `assumptions` says why."""
    book = PriceBook(settings)
    tokenizer = getattr(settings, "tokenizer", "cl100k_base")
    by_path = sites_by_path(callsites)
    for f in findings:
        if f.usd_per_1k_calls is not None or f.waste_kind is None or f.waste_tokens_per_call is None:
            continue
        if f.waste_kind in ("extra-call", "batch-discount"):
            usd, why, notes = price_calls(f, calls_of(f, by_path), book, tokenizer)
            if usd is None:
                _note(f, f"no dollar figure: {why}")
            else:
                f.usd_per_1k_calls = round(usd * 1000, 6)
                for note in notes:
                    _note(f, note)
            continue
        site = site_of(f, by_path)
        if site is not None and not site.billed:
            continue
        model = f.model or (site.model if site is not None else None)
        if not model:
            _note(f, "no dollar figure: the model is not a literal or constant the analysis can see")
            continue
        rates = book.rates(model, site.provider if site is not None else None)
        if rates is None:
            _note(f, f"no dollar figure: {model} is not in the price data (genai-prices "
                     f"{genai_prices_version()}) or [tool.promptlint.prices]")
            continue
        usd, why = usd_per_call(f, rates)
        if usd is None:
            if why:
                _note(f, f"no dollar figure: {why}")
            continue
        f.usd_per_1k_calls = round(usd * 1000, 6)
        _note(f, rates.note())
    return book


def _note(finding, text: str) -> None:
    finding.assumptions = [*(finding.assumptions or []), text]


# ---------------------------------------------------------------- run totals


def _traffic(settings) -> tuple[dict[str, float], float | None]:
    table = dict(settings.rule_options.get("_traffic") or {}) if settings else {}
    tasks = dict(table.pop("tasks", None) or {})
    default = table.pop("default", None)
    tasks.update(table)
    for key, value in [("default", default), *tasks.items()]:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            raise UsageError(f"traffic.{key}: expected calls per day (a number), got {value!r}")
    return {str(k): float(v) for k, v in tasks.items()}, None if default is None else float(default)


EXPECTED, WORST_CASE = "expected", "worst-case"
# Rules whose figure is a worst-case exposure (what a runaway could cost: a full output window,
# an oversized cap, one more loop iteration), not an expected saving. Summaries keep the two
# kinds apart and never add them.
WORST_CASE_CODES = ("PL301", "PL302", "PL701")


def figure_kind(finding) -> str | None:
    """"expected" (what the fix saves on a typical call) or "worst-case" (what a runaway could
    cost); None for a finding without a figure. The two are never added together."""
    if finding.waste_tokens_per_call is None and finding.usd_per_1k_calls is None:
        return None
    return WORST_CASE if finding.code in WORST_CASE_CODES else EXPECTED


def _totals() -> dict:
    return {"findings": 0, "waste_tokens_per_call": 0, "usd_per_1k_calls": 0.0, "unpriced": 0}


def _add(row: dict, f) -> None:
    row["findings"] += 1
    row["waste_tokens_per_call"] += f.waste_tokens_per_call or 0
    if f.usd_per_1k_calls is not None:
        row["usd_per_1k_calls"] += f.usd_per_1k_calls
    elif f.waste_tokens_per_call is not None:
        row["unpriced"] += 1


def _round(row: dict) -> dict:
    row["usd_per_1k_calls"] = round(row["usd_per_1k_calls"], 6)
    return row


def waste_summary(findings, settings, callsites=None, book: PriceBook | None = None) -> dict | None:
    """Totals by rule and by task, largest first; None when no finding carries a figure.

    Expected waste and worst-case exposure are kept apart: the top-level totals, each task
    row's own figures and the monthly figure are expected waste only; `worst_case` and the
    `worst_case` entry of each task row hold the exposure (PL301, PL302, PL701), which is
    never projected per month."""
    active = [f for f in findings if not f.suppressed and figure_kind(f) is not None]
    if not active:
        return None
    by_path = sites_by_path(callsites)
    tasks_traffic, default_traffic = _traffic(settings)
    traffic = bool(tasks_traffic) or default_traffic is not None
    by_rule: dict = {}
    by_task: dict = {}
    expected, worst = _totals(), _totals()
    monthly_usd, monthly_tokens, monthly_unknown = 0.0, 0, 0
    for f in active:
        kind = figure_kind(f)
        task = task_of(f, site_of(f, by_path))
        _add(by_rule.setdefault(f.code, {**_totals(), "code": f.code, "name": f.name, "estimate": kind}), f)
        row = by_task.setdefault(task, {**_totals(), "task": task, "worst_case": _totals()})
        if kind == WORST_CASE:
            _add(row["worst_case"], f)
            _add(worst, f)
            continue
        _add(row, f)
        _add(expected, f)
        per_day = tasks_traffic.get(task, default_traffic)
        if per_day is None:
            monthly_unknown += 1
            continue
        calls = per_day * DAYS_PER_MONTH
        monthly_tokens += round((f.waste_tokens_per_call or 0) * calls)
        if f.usd_per_1k_calls is not None:
            monthly_usd += f.usd_per_1k_calls * calls / 1000

    def order(row):  # largest first
        return -row["usd_per_1k_calls"], -row["waste_tokens_per_call"], row.get("code") or row.get("task")

    for row in by_rule.values():
        _round(row)
    for row in by_task.values():
        _round(row)
        _round(row["worst_case"])
        if traffic:
            per_day = tasks_traffic.get(row["task"], default_traffic)
            row["calls_per_day"] = per_day
            row["usd_per_month"] = (None if per_day is None
                                    else round(row["usd_per_1k_calls"] * per_day * DAYS_PER_MONTH / 1000, 2))
    rules_expected = sorted((r for r in by_rule.values() if r["estimate"] == EXPECTED), key=order)
    rules_worst = sorted((r for r in by_rule.values() if r["estimate"] == WORST_CASE), key=order)
    summary = {
        # Expected waste: what fixing the findings saves per call of every site, summed over sites.
        "findings_with_estimates": expected["findings"],
        "waste_tokens_per_call": expected["waste_tokens_per_call"],
        "usd_per_1k_calls": round(expected["usd_per_1k_calls"], 6),
        "unpriced": expected["unpriced"],
        # Worst-case exposure: what a runaway could cost per call (PL301, PL302, PL701); never added above.
        "worst_case": _round(worst),
        "includes_worst_case_output": False,  # schema 1 key: worst cases are no longer in the totals
        "by_rule": rules_expected + rules_worst,
        "by_task": sorted(by_task.values(), key=lambda r: (order(r), -r["worst_case"]["usd_per_1k_calls"])),
        "prices_as_of": prices_as_of() if book is not None and book.used_snapshot else None,
        "prices_source": (f"genai-prices {genai_prices_version()} (bundled snapshot)"
                          if book is not None and book.used_snapshot else None),
        "monthly": None,
    }
    if traffic:
        summary["monthly"] = {"usd": round(monthly_usd, 2), "waste_tokens": monthly_tokens,
                              "days": DAYS_PER_MONTH, "findings_without_traffic": monthly_unknown,
                              "estimate": EXPECTED, "worst_case_findings_not_projected": worst["findings"]}
    return summary


def figures_text(row: dict, unit: str = "tok/call") -> str:
    from promptlint.money import money

    text = f"~{row['waste_tokens_per_call']:,} {unit}"
    if row["usd_per_1k_calls"]:
        text += f", {money(row['usd_per_1k_calls'])}/1k calls"
    if row["unpriced"]:
        text += f" ({row['unpriced']} unpriced)"
    return text


def summary_lines(summary: dict) -> list[str]:
    """The human summary printed on stderr after concise / full output: expected waste first,
    then worst-case exposure in its own block, never added together."""
    from promptlint.money import money

    expected = [r for r in summary["by_rule"] if r.get("estimate", EXPECTED) == EXPECTED]
    worst = [r for r in summary["by_rule"] if r.get("estimate") == WORST_CASE]
    tasks_expected = [r for r in summary["by_task"] if r["findings"]]
    tasks_worst = [r for r in summary["by_task"] if r.get("worst_case", {}).get("findings")]
    labels = [f"{r['code']} {r['name']}" for r in summary["by_rule"]] + [r["task"] for r in summary["by_task"]]
    width = max(len(label) for label in labels)

    def block(title: str, rules: list, tasks: list, pick) -> list[str]:
        lines = [title]
        for heading, group in (("by rule", rules), ("by task", tasks)):
            if not group:
                continue
            lines.append(f"  {heading}:")
            for row in group:
                label = f"{row['code']} {row['name']}" if "code" in row else row["task"]
                figures = pick(row)
                count = f"{figures['findings']} finding{'s' if figures['findings'] != 1 else ''}"
                text = f"    {label:<{width}}  {count:>11}  {figures_text(figures)}"
                if pick is _own and row.get("usd_per_month") is not None:
                    text += f"; {money(row['usd_per_month'])}/month at {row['calls_per_day']:,.0f} calls/day"
                lines.append(text)
        return lines

    lines = []
    if expected:
        lines += block("Expected waste per call of each site, what the fixes save on a typical call "
                       "(summed over findings, largest first):", expected, tasks_expected, _own)
    if worst:
        lines += block("Worst-case exposure per call of each site, what a runaway could cost "
                       "(not added to the expected waste):", worst, tasks_worst, _worst)
    monthly = summary.get("monthly")
    if monthly:
        text = (f"  expected waste per month at the configured traffic: ~{monthly['waste_tokens']:,} tokens, "
                f"{money(monthly['usd'])}")
        if monthly["findings_without_traffic"]:
            text += f" ({monthly['findings_without_traffic']} findings have no traffic figure)"
        if monthly.get("worst_case_findings_not_projected"):
            text += "; worst-case exposure is not projected per month"
        lines.append(text)
    if summary.get("prices_as_of"):
        lines.append(f"  prices: {summary['prices_source']}, in effect {summary['prices_as_of']}")
    return lines


def _own(row: dict) -> dict:
    return row


def _worst(row: dict) -> dict:
    return row.get("worst_case", row) if "task" in row else row
