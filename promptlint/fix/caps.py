"""PL301 (add an output cap) and PL302 (lower it to the ceiling). Both unsafe:
a cap can cut an answer short, so a person decides whether the ceiling suits the task."""

from __future__ import annotations

import libcst as cst

from promptlint.fix.args import add_path_value
from promptlint.model import Fix
from promptlint.ruledocs import rule_option

def fix_uncapped_output(finding, source, env) -> Fix | None:
    from promptlint.checks.pl302_oversized_output_cap import reasons

    site = next((s for s in env.callsites if s.span == finding.span and s.path == finding.path), None)
    ctor = None if site is not None else next(
        (c for c in env.constructors if c.span == finding.span and c.path == finding.path), None)
    target = site or ctor
    if target is None:
        return None
    keyword = cap_keyword(site, ctor, env.settings)
    call = source.node_at(target.call_span, cst.Call)
    if keyword is None or call is None or any(a.star == "**" for a in call.args):
        return None  # a `**dict` might gain the same key later: a duplicate keyword is a TypeError
    if site is not None and reasons(site):
        limit, what = rule_option(env.settings, "PL302", "reasoning-ceiling"), "reasoning ceiling"
    else:
        limit, what = rule_option(env.settings, "PL302", "ceiling"), "ceiling"
    edits = add_path_value(source, call, keyword, cst.Integer(str(limit)))
    if edits is None:
        return None
    return Fix("unsafe", f"add `{keyword}={limit}` (PL302's {what})", edits)


def cap_keyword(site, ctor, settings) -> str | None:
    """The keyword (or `container.key` path) that caps output for this call, from the catalog:
    the first one listed for its request shape, its wrapper or its chat-model class (every
    catalog class of that name must list the same one first)."""
    from promptlint.analysis.catalog import sdk_data

    data = sdk_data()
    if site is not None:
        if site.shape == "wrapper":
            wrapper = next((w for w in settings.wrappers if w.name == site.api), None)
            return wrapper.cap if wrapper is not None else None
        caps = data["shapes"].get(site.shape, {}).get("cap", [])
        return caps[0] if caps else None
    name = ctor.callee.strip().split(".")[-1]
    firsts = {(entry.get("cap") or [None])[0] for qual, entry in data["model_classes"].items()
              if qual.split(".")[-1] == name and not entry.get("cap_at_call")}
    return firsts.pop() if len(firsts) == 1 else None


def fix_oversized_cap(finding, source, env) -> Fix | None:
    """Lower a literal cap to the ceiling named in the finding (value - waste)."""
    node = source.node_at(finding.span, cst.Integer)
    if node is None or finding.waste_tokens_per_call is None:
        return None  # a named constant or an expression: other code may share it
    try:
        value = int(node.value.replace("_", ""), 0)
    except ValueError:
        return None
    limit = value - finding.waste_tokens_per_call
    if limit <= 0 or limit >= value:
        return None
    return Fix("unsafe", f"lower the cap from {value:,} to {limit:,}",
               (source.replace(node, cst.Integer(str(limit))),))
