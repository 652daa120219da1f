import ast
import json
import re
from dataclasses import replace
from collections.abc import Iterator

from promptlint.checks._prompt_text import as_span, display, file_text
from promptlint.checks.base import Check, FileContext, call_location
from promptlint.cost.estimate import count_tokens
from promptlint.cost.prefix import part_label
from promptlint.model import CallSite, Finding, Segment


class VerboseSerialization(Check):
    """Pretty-printed data (indented JSON, pprint, block YAML) placed in a prompt."""

    code = "PL406"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        yield from self._findings(ctx.callsites, foreign=False, path=ctx.path)

    def run_project(self, callsites: list[CallSite]) -> Iterator[Finding]:
        """Dumps in constants of sibling modules (`SCHEMA_TEXT = json.dumps(SCHEMA, indent=2)`
        in prompts.py), reported there once."""
        from promptlint.state.template_comments import directives_for

        for finding in self._findings(callsites, foreign=True):
            finding.suppressed = directives_for(finding.path, file_text(finding.path)).suppresses(finding)
            yield finding

    def _findings(self, callsites: list[CallSite], foreign: bool, path: str | None = None) -> Iterator[Finding]:
        seen = set()
        for site in callsites:
            if not site.billed:
                continue
            for part in site.parts:
                for seg in part.segments:
                    seg = with_model_dump_note(seg)
                    if seg.note is None or seg.span is None or (seg.origin is not None) != foreign:
                        continue
                    span = as_span(seg.span)
                    where_path = display(seg.origin) if foreign else path
                    key = (where_path, span.line, span.column)
                    if key in seen:
                        continue
                    seen.add(key)
                    waste = self._waste(seg)
                    if waste is not None and waste <= 0:
                        continue  # measured: the compact form is no shorter
                    if waste is None and seg.note.startswith("yaml."):
                        continue  # block YAML of flat data is no longer than flow style: only judge it measured
                    where = f"{part_label(site, part)} of `{site.callee}` at line {site.span.line}"
                    if waste is not None:
                        tail = (f"; the indentation and line breaks cost ~{waste:,} tokens per call "
                                f"over the compact form")
                    else:
                        tail = "; the data is not visible here, so no figure is given"
                    if foreign:
                        where += f" ({site.path})"
                    message = f"pretty-printed `{seg.note}` enters {where}{tail}"
                    yield Finding(code=self.code, name=self.name, message=message, severity=self.severity,
                                  path=where_path, span=span, suppress_lines=(span.line, span.end_line),
                                  scope=None if foreign else site.in_function, snippet=seg.note,
                                  waste_tokens_per_call=waste, waste_kind="input" if waste is not None else None,
                                  model=site.model, call_site=call_location(site))

    def _waste(self, seg: Segment) -> int | None:
        """tokens(pretty) - tokens(compact), when the dumped data is a literal."""
        if seg.kind != "static" or seg.text is None:
            return None
        compact = compact_form(seg.note or "", seg.text)
        if compact is None:
            return None
        tokenizer = self.settings.tokenizer
        return count_tokens(seg.text, tokenizer) - count_tokens(compact, tokenizer)


# Pydantic: `model.model_dump_json(indent=2)` (v2), `model.json(indent=2)` (v1). The evaluator
# sees an unknown method call; its source text says what it does.
MODEL_DUMP = re.compile(r"\.(model_dump_json|json)\((?:[^()]|\([^()]*\))*\bindent\s*=\s*(?!None\b)([^,)\s]+)")


def with_model_dump_note(seg: Segment) -> Segment:
    if seg.note is None and seg.kind == "dynamic" and seg.source:
        found = MODEL_DUMP.search(seg.source)
        if found:
            return replace(seg, note=f"{found.group(1)}(indent={found.group(2)})")
    return seg


def compact_form(note: str, text: str) -> str | None:
    """The same data on one line, as the fix would send it."""
    try:
        if note.startswith(("json.dumps", "orjson.dumps")):
            return json.dumps(json.loads(text), ensure_ascii="\\u" in text)
        if note.startswith("pprint.pformat"):
            import pprint

            return pprint.pformat(ast.literal_eval(text), width=10**9)
        if note.startswith("yaml."):
            import yaml

            return yaml.safe_dump(yaml.safe_load(text), default_flow_style=True, width=10**9).strip()
    except Exception:  # noqa: BLE001 - text we cannot read back: no figure
        return None
    return None
