"""PL201: tag the call with its task and a prompt version, in the provider's own
mechanism; PL202: add the prompt version next to a task tag written in the call.
Unsafe: it adds request data (metadata is stored by the provider, headers reach
gateways), which a person should agree to.

The task name is the enclosing function's qualified name (`triage`,
`Agent.run`); the version starts at "1", to be raised whenever the prompt
changes. Where they go, per request shape (rules/attribution.yaml):

| shape | added |
| --- | --- |
| OpenAI chat / responses, LiteLLM | `metadata={"task": ..., "prompt_version": "1"}` |
| Anthropic messages | `extra_headers={"X-Task": ..., "X-Prompt-Version": "1"}` (its `metadata` takes only `user_id`) |
| Bedrock converse | `requestMetadata={"task": ..., "prompt_version": "1"}` |
| LangChain `invoke` and friends | `config={"metadata": {"task": ..., "prompt_version": "1"}}` |

An existing dict literal in that place gains the keys instead. Left unfixed: calls
outside a function, calls made through a retry helper or a declared wrapper,
calls on a client the analysis did not see (matched by the method chain alone),
calls with `**kwargs`, Gemini (`config.labels` exists only on Vertex AI; the
Gemini Developer API rejects it) and every other shape.
"""

from __future__ import annotations

import libcst as cst

from promptlint.fix.args import add_keyword, quoted, with_entry
from promptlint.model import Fix
from promptlint.ruledocs import rule_option

PLACES = {
    "openai-chat": ("metadata", "task"),
    "openai-responses": ("metadata", "task"),
    "litellm-chat": ("metadata", "task"),
    "anthropic-messages": ("extra_headers", "X-Task"),
    "bedrock-converse": ("requestMetadata", "task"),
    "langchain-call": ("config", "metadata.task"),
}
FIRST_VERSION = "1"
# Calls reached through a helper or a wrapper, or matched by the method chain alone (the
# client was not seen: an `instructor` patch or an OpenAI-compatible server may reject the tag).
UNSEEN = ("retry-helper", "wrapper", "chain-shape")


def version_key(task_key: str) -> str:
    """The version key spelled like the task key: `X-Task` -> `X-Prompt-Version`."""
    if task_key[:1].isupper() or "-" in task_key:
        return "X-Prompt-Version" if task_key.lower().startswith("x-") else "Prompt-Version"
    return "promptVersion" if any(c.isupper() for c in task_key) else "prompt_version"


def task_name(qualname: str | None) -> str | None:
    if not qualname:
        return None
    parts = [p for p in qualname.split(".") if p and not p.startswith("<")]
    return ".".join(parts) or None


def fix_missing_task_tag(finding, source, env) -> Fix | None:
    site = next((s for s in env.callsites if s.span == finding.span and s.path == finding.path), None)
    if site is None or site.via in UNSEEN or site.shape not in PLACES:
        return None
    task = task_name(site.in_function)
    call = source.node_at(site.call_span, cst.Call)
    if task is None or call is None or any(a.star for a in call.args):
        return None
    argument, key = PLACES[site.shape]
    outer, _, inner = key.partition(".")
    task_key = inner or outer
    pair = [cst.DictElement(quoted(task_key), quoted(task)),
            cst.DictElement(quoted(version_key(task_key)), quoted(FIRST_VERSION))]
    pair[0] = pair[0].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    existing = next((a for a in call.args if a.keyword is not None and a.keyword.value == argument), None)
    if existing is None:
        if site.shape == "langchain-call" and len([a for a in call.args if a.keyword is None]) > 1:
            return None  # config passed by position
        value = cst.Dict([cst.DictElement(quoted(outer), cst.Dict(pair))]) if inner else cst.Dict(pair)
        edits = add_keyword(source, call, argument, value)
    elif _plain_dict(existing.value):
        if inner:
            if _has_key(existing.value, outer):
                return None  # e.g. a `metadata` entry already in the LangChain config: not merged by hand
            edits = (source.replace(existing.value, with_entry(existing.value, outer, cst.Dict(pair))),)
        else:
            if _has_key(existing.value, task_key) or _has_key(existing.value, version_key(task_key)):
                return None
            grown = with_entry(with_entry(existing.value, task_key, quoted(task)),
                               version_key(task_key), quoted(FIRST_VERSION))
            edits = (source.replace(existing.value, grown),)
    else:
        return None
    if not edits:
        return None
    shown = f"{argument}[{outer!r}]" + (f"[{inner!r}]" if inner else "")
    return Fix("unsafe", f"tag the call with task {task!r} and prompt version {FIRST_VERSION!r} in `{shown}`", edits)


def _plain_dict(node) -> bool:
    return isinstance(node, cst.Dict) and not any(isinstance(e, cst.StarredDictElement) for e in node.elements)


def _has_key(node: cst.Dict, key: str) -> bool:
    return any(isinstance(e.key, cst.SimpleString) and e.key.evaluated_value == key for e in node.elements)


def fix_missing_prompt_version(finding, source, env) -> Fix | None:
    """PL202: a dict literal in the call holds the task tag: add the version key beside it."""
    from promptlint.analysis.attribution import key_matches

    site = next((s for s in env.callsites if s.span == finding.span and s.path == finding.path), None)
    if site is None or site.via in ("retry-helper", "wrapper"):
        return None
    call = source.node_at(site.call_span, cst.Call)
    if call is None:
        return None
    task_keys = list(rule_option(env.settings, "PL201", "keys"))
    for arg in call.args:
        containers = [arg.value] if _plain_dict(arg.value) else []
        if arg.keyword is not None and arg.keyword.value == "config" and _plain_dict(arg.value):
            containers += [e.value for e in arg.value.elements
                           if isinstance(e.key, cst.SimpleString) and e.key.evaluated_value == "metadata"
                           and _plain_dict(e.value)]
        for node in containers:
            keys = [e.key.evaluated_value for e in node.elements if isinstance(e.key, cst.SimpleString)]
            tagged = [k for k in keys if isinstance(k, str) and key_matches(k, task_keys)]
            if not tagged:
                continue
            name = version_key(tagged[0])
            if name in keys:
                return None
            return Fix("unsafe", f"add `{name}: {FIRST_VERSION!r}` next to the task tag `{tagged[0]}`",
                       (source.replace(node, with_entry(node, name, quoted(FIRST_VERSION))),))
    return None
