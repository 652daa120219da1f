"""PL105: ask for prompt caching on the static system prompt. Unsafe: it changes
billing (a cache write costs more than plain input, a read far less), so a person
decides whether the traffic makes it pay.

| request | fix |
| --- | --- |
| Anthropic `messages.create` with `system="..."` | `system=[{"type": "text", "text": ..., "cache_control": {"type": "ephemeral"}}]` |
| Anthropic with `system=[{...}, ...]` (a list of dict blocks) | `"cache_control": {"type": "ephemeral"}` on the last block |
| Bedrock `converse` with `system=[{"text": ...}]` | `{"cachePoint": {"type": "default"}}` appended to `system` |
| LiteLLM with an Anthropic model | `cache_control_injection_points=[{"location": "message", "role": "system"}]` |

The breakpoint goes on the system prompt, which the provider caches together with
the tools before it. The fix is offered only when the system prompt is entirely
static text and alone reaches the model's minimum cacheable length: a breakpoint
on a prompt that changes per request would pay a cache write on every call.
"""

from __future__ import annotations

import libcst as cst

from promptlint.fix.args import add_keyword, with_entry
from promptlint.model import Fix
from promptlint.ruledocs import rule_option

EPHEMERAL = '{"type": "ephemeral"}'


def _static_system_tokens(site, settings) -> int | None:
    """Tokens of the system prompt when every piece of it is static text, else None."""
    from promptlint.cost.estimate import count_tokens

    parts = [p for p in site.parts if p.role == "system"]
    if not parts or any(p.opaque or p.cache_marker for p in parts):
        return None
    segments = [s for p in parts for s in p.segments]
    if not segments or any(s.kind != "static" or s.text is None for s in segments):
        return None
    return count_tokens("".join(s.text for s in segments), settings.tokenizer)


def fix_uncached_static_prefix(finding, source, env) -> Fix | None:
    from promptlint.cost.estimate import min_cacheable_tokens

    site = next((s for s in env.callsites if s.span == finding.span and s.path == finding.path), None)
    if site is None or site.via in ("retry-helper", "wrapper"):
        return None
    tokens = _static_system_tokens(site, env.settings)
    minimum = rule_option(env.settings, "PL105", "min-cacheable-tokens") or \
        min_cacheable_tokens(site.provider, site.model)
    if tokens is None or tokens < minimum:
        return None
    call = source.node_at(site.call_span, cst.Call)
    if call is None or any(a.star for a in call.args):
        return None
    if site.provider == "litellm":
        value = cst.parse_expression('[{"location": "message", "role": "system"}]')
        edits = add_keyword(source, call, "cache_control_injection_points", value)
        return Fix("unsafe", "let LiteLLM put a cache breakpoint on the system message", edits) if edits else None
    system = next((a for a in call.args if a.keyword is not None and a.keyword.value == "system"), None)
    if system is None:
        return None
    if site.provider == "bedrock":
        if not isinstance(system.value, cst.List) or not system.value.elements:
            return None
        point = cst.Element(cst.parse_expression('{"cachePoint": {"type": "default"}}'))
        elements = list(system.value.elements)
        last = elements[-1]
        grown = system.value.with_changes(elements=[*elements[:-1], last.with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), point.with_changes(comma=last.comma)])
        return Fix("unsafe", "append a `cachePoint` block to `system`", (source.replace(system.value, grown),))
    if site.provider != "anthropic":
        return None
    value = system.value
    if isinstance(value, cst.List):
        if not value.elements or not isinstance(value.elements[-1].value, cst.Dict):
            return None
        block = value.elements[-1].value
        if any(isinstance(e, cst.StarredDictElement) or (isinstance(e.key, cst.SimpleString)
               and e.key.evaluated_value == "cache_control") for e in block.elements):
            return None
        grown = with_entry(block, "cache_control", cst.parse_expression(EPHEMERAL))
        return Fix("unsafe", "put `cache_control` on the last system block", (source.replace(block, grown),))
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.Name, cst.Attribute, cst.BinaryOperation)):
        blocks = cst.List([cst.Element(cst.Dict([
            cst.DictElement(cst.SimpleString('"type"'), cst.SimpleString('"text"')),
            cst.DictElement(cst.SimpleString('"text"'), value),
            cst.DictElement(cst.SimpleString('"cache_control"'), cst.parse_expression(EPHEMERAL)),
        ]))])
        return Fix("unsafe", "send `system` as a text block with `cache_control`",
                   (source.replace(value, blocks),))
    return None
