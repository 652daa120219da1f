"""PL201: tag the call with its task, in the provider's own mechanism. Unsafe: it
adds request data (metadata is stored by the provider, headers reach gateways),
which a person should agree to.

The task name is the enclosing function's qualified name (`triage`,
`Agent.run`). Where the tag goes, per request shape (rules/attribution.yaml):

| shape | added |
| --- | --- |
| OpenAI chat / responses, LiteLLM | `metadata={"task": ...}` |
| Anthropic messages | `extra_headers={"X-Task": ...}` (its `metadata` takes only `user_id`) |
| Bedrock converse | `requestMetadata={"task": ...}` |
| LangChain `invoke` and friends | `config={"metadata": {"task": ...}}` |

An existing dict literal in that place gains the key instead. Left unfixed: calls
outside a function, calls made through a retry helper or a declared wrapper,
calls with `**kwargs`, Gemini (`config.labels` exists only on Vertex AI; the
Gemini Developer API rejects it) and every other shape.
"""

from __future__ import annotations

import libcst as cst

from promptlint.fix.args import add_keyword, with_entry
from promptlint.model import Fix

PLACES = {
    "openai-chat": ("metadata", "task"),
    "openai-responses": ("metadata", "task"),
    "litellm-chat": ("metadata", "task"),
    "anthropic-messages": ("extra_headers", "X-Task"),
    "bedrock-converse": ("requestMetadata", "task"),
    "langchain-call": ("config", "metadata.task"),
}


def task_name(qualname: str | None) -> str | None:
    if not qualname:
        return None
    parts = [p for p in qualname.split(".") if p and not p.startswith("<")]
    return ".".join(parts) or None


def _string(text: str) -> cst.SimpleString:
    return cst.SimpleString('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')


def fix_missing_task_tag(finding, source, env) -> Fix | None:
    site = next((s for s in env.callsites if s.span == finding.span and s.path == finding.path), None)
    if site is None or site.via in ("retry-helper", "wrapper") or site.shape not in PLACES:
        return None
    task = task_name(site.in_function)
    call = source.node_at(site.call_span, cst.Call)
    if task is None or call is None or any(a.star for a in call.args):
        return None
    argument, key = PLACES[site.shape]
    outer, _, inner = key.partition(".")
    value = _string(task)
    entry = cst.Dict([cst.DictElement(_string(inner), value)]) if inner else value
    existing = next((a for a in call.args if a.keyword is not None and a.keyword.value == argument), None)
    if existing is None:
        if site.shape == "langchain-call" and len([a for a in call.args if a.keyword is None]) > 1:
            return None  # config passed by position
        edits = add_keyword(source, call, argument, cst.Dict([cst.DictElement(_string(outer), entry)]))
    elif isinstance(existing.value, cst.Dict) and not any(
            isinstance(e, cst.StarredDictElement) for e in existing.value.elements):
        if any(isinstance(e.key, cst.SimpleString) and e.key.evaluated_value == outer
               for e in existing.value.elements):
            return None  # e.g. a `metadata` entry already in the LangChain config: not merged by hand
        edits = (source.replace(existing.value, with_entry(existing.value, outer, entry)),)
    else:
        return None
    if not edits:
        return None
    shown = f"{argument}[{outer!r}]" + (f"[{inner!r}]" if inner else "")
    return Fix("unsafe", f"tag the call with task {task!r} in `{shown}`", edits)
