"""PL702: a conversation list appended to on every iteration of a loop and re-sent in
full on each call, with no trimming or summarising: input grows quadratically with turns."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from promptlint.analysis.catalog import sdk_data
from promptlint.analysis.evaluator import EvalContext
from promptlint.analysis.index import dotted
from promptlint.analysis.prompts import message_parts
from promptlint.analysis.values import Seq
from promptlint.checks._structure import walk
from promptlint.checks.base import Check, FileContext
from promptlint.cost.estimate import count_tokens
from promptlint.model import Finding, Location

TURNS = 10
# Callee name fragments of helpers that bound a history: trim_messages, summarize_history,
# compact(), truncate_conversation, prune_context, fit_to_budget...
TRIM_FRAGMENTS = ("trim", "summar", "compact", "compress", "truncat", "prune", "condense", "shorten",
                  "fit_", "budget", "window", "reduce_", "evict", "forget")
# Request keywords that let the provider drop old turns itself.
SERVER_TRIMMING = ("context_management", "truncation")
GROWTH_METHODS = ("append", "extend", "insert")
SHRINK_METHODS = ("pop", "remove", "popleft")


class GrowingHistory(Check):
    code = "PL702"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        if ctx.index is None:
            return
        extra = tuple(self.option("trim-functions"))
        reported: set[tuple[int, int]] = set()
        for site in ctx.callsites:
            info = ctx.infos.get(id(site))
            if info is None or not site.billed or any(k in site.keywords for k in SERVER_TRIMMING):
                continue
            found = self._history_arg(site, info.node, info.func)
            if found is None:
                continue
            arg_node, history = found
            if info.loops:
                finding = self._check(ctx, site, info, arg_node, history, extra, None)
                if finding is not None:
                    yield finding
            else:  # a helper that sends its parameter: look at the loops that call it
                for finding in self._via_helper(ctx, site, info, history, extra):
                    key = (finding.span.line, finding.span.column)
                    if key not in reported:
                        reported.add(key)
                        yield finding

    def _check(self, ctx, site, info, arg_node, history, extra, via) -> Finding | None:
        loop, growth = self._growing_loop(info.loops, history)
        if loop is None or self._trimmed(ctx, info.func, history, loop, extra):
            return None
        per_turn, complete = self._per_turn_tokens(ctx, info, growth)
        loop_line = ctx.evaluator.span(loop).line
        grow_line = ctx.evaluator.span(growth[0]).line
        sender = f"`{site.callee}`" if via is None else f"`{via}()` (which passes it to `{site.callee}`)"
        message = (f"`{history}` grows on every iteration of the loop at line {loop_line} (line {grow_line}) and "
                   f"{sender} re-sends all of it each time, with no trimming or summarising: each turn "
                   f"pays again for every earlier one")
        waste = per_turn * (TURNS - 1) if per_turn > 0 else None
        if waste is not None and complete:
            message += f"; turn {TURNS} re-sends ~{waste:,} tokens of earlier turns"
        elif waste is not None:
            message += (f"; turn {TURNS} re-sends at least ~{waste:,} tokens of earlier turns (their static "
                        f"text; the per-request content comes on top)")
        else:
            message += "; what each turn adds is per-request content, so no figure is given"
        return self.finding(ctx, ctx.evaluator.span(arg_node), message, call_span=ctx.evaluator.span(info.node),
                            scope=info.func.qualname if info.func else None, snippet=history,
                            waste_tokens_per_call=waste, waste_kind="input" if waste is not None else None,
                            model=site.model, site=site,
                            related=(Location.at(ctx.path, ctx.evaluator.span(loop), "the loop it grows in"),
                                     Location.at(ctx.path, ctx.evaluator.span(growth[0]), "where it grows")))

    def _via_helper(self, ctx, site, info, param: str, extra) -> Iterator[Finding]:
        """`def ask(messages): client...create(messages=messages)` called as `ask(history)` in a loop."""
        func = info.func
        if func is None or func.parent is not None or param not in func.params:
            return
        if self._trimmed(ctx, func, param, None, extra):
            return
        names = [p.name.value for p in [*func.node.params.posonly_params, *func.node.params.params]]
        if func.class_name and names and names[0] in ("self", "cls"):
            names = names[1:]
        own = f"self.{func.name}" if func.class_name else func.name
        for caller in ctx.index.calls:
            if dotted(caller.node.func) != own or not caller.loops:
                continue
            arg = next((a for a in caller.node.args if a.keyword is not None and a.keyword.value == param), None)
            if arg is None and param in names:
                positional = [a for a in caller.node.args if a.keyword is None and not a.star]
                index = names.index(param)
                arg = positional[index] if index < len(positional) else None
            if arg is None or not isinstance(arg.value, (cst.Name, cst.Attribute)):
                continue
            finding = self._check(ctx, site, caller, arg.value, dotted(arg.value), extra, own)
            if finding is not None:
                yield finding

    # -- which list is the history ---------------------------------------------------------
    @staticmethod
    def _history_arg(site, call: cst.Call, func=None):
        """(argument node, the list's source text) of the messages argument, when it is a
        plain list variable, possibly spread into a literal (`[system, *history]`). Inside a
        function, one local step is followed: `**params` of a local dict literal, and a local
        bound once to such a list (`messages = [system] + history`)."""
        shape = sdk_data()["shapes"].get(site.shape, {})
        specs = [p for p in shape.get("parts", []) if p["role"] == "messages"]
        if site.shape == "wrapper":
            specs = [{"key": "messages"}]
        for spec in specs:
            key = spec["key"].split(".")[0]
            arg = next((a for a in call.args if a.keyword is not None and a.keyword.value == key), None)
            if arg is None and "pos" in spec:
                positional = [a for a in call.args if a.keyword is None and not a.star]
                arg = positional[spec["pos"]] if len(positional) > spec["pos"] else None
            value = arg.value if arg is not None else _from_params_dict(call, key, func)
            if value is None:
                continue
            if isinstance(value, cst.Name) and func is not None and value.value not in func.params:
                value = _single_local(func, value.value) or value
            if isinstance(value, (cst.Name, cst.Attribute)):
                return value, dotted(value)
            if isinstance(value, (cst.List, cst.Tuple)):
                for el in value.elements:
                    if isinstance(el, cst.StarredElement) and isinstance(el.value, (cst.Name, cst.Attribute)):
                        return value, dotted(el.value)
            if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
                for side in (value.left, value.right):
                    if isinstance(side, (cst.Name, cst.Attribute)):
                        return value, dotted(side)
        return None

    # -- where it grows ------------------------------------------------------------------------
    def _growing_loop(self, loops, history: str):
        """The innermost enclosing loop whose body grows the history, and the growth nodes."""
        if not history:
            return None, []
        for loop in reversed(loops):
            growth = [n for n in walk(loop.body) if _grows(n, history)]
            if growth:
                if any(_resets(n, history) for n in walk(loop.body)):
                    return None, []  # rebuilt (or trimmed) inside the loop
                return loop, growth
        return None, []

    @staticmethod
    def _trimmed(ctx, func, history: str, loop, extra) -> bool:
        """Trimming anywhere the list lives: its function, or for `self.x` the whole class."""
        scopes = []
        if history.startswith("self.") and func is not None:
            top = func
            while top.parent is not None:
                top = top.parent
            cls = ctx.index.classes.get(top.class_name or "")
            scopes = [m.node for m in cls.methods.values()] if cls else [func.node]
        elif func is not None:
            scopes = [func.node]
        else:
            scopes = [ctx.evaluator.module_code]
        for scope in scopes:
            for n in walk(scope.body if isinstance(scope, cst.FunctionDef) else scope):
                if _resets(n, history, in_loop=False):
                    return True
                if isinstance(n, cst.Call):
                    last = dotted(n.func).split(".")[-1].lower()
                    if any(f in last for f in TRIM_FRAGMENTS) or last in extra:
                        return True
        return False

    # -- the estimate --------------------------------------------------------------------------
    @staticmethod
    def _per_turn_tokens(ctx, info, growth) -> tuple[int, bool]:
        """Static tokens appended per iteration, and whether that is all of it (False when
        some appended content is per-request: the model's reply, a tool result)."""
        total, complete = 0, True
        evctx = EvalContext(info.func, info.pos, info.path)
        for node in growth:
            values = _appended(node)
            if values is None:
                return total, False
            for value, spread in values:
                val = ctx.evaluator.evaluate(value, evctx)
                for part in message_parts(val if spread else Seq([val])):
                    for seg in part.segments:
                        if seg.kind == "static" and seg.text is not None:
                            total += count_tokens(seg.text, ctx.settings.tokenizer)
                        else:
                            complete = False
        return total, complete


# -- syntax helpers ------------------------------------------------------------------------


def _assigned(func, name: str) -> list[cst.BaseExpression]:
    """Values assigned to a plain local `name` anywhere in the function."""
    out = []
    for n in walk(func.node.body):
        if isinstance(n, cst.Assign) and any(isinstance(t.target, cst.Name) and t.target.value == name
                                             for t in n.targets):
            out.append(n.value)
        elif isinstance(n, (cst.AugAssign, cst.AnnAssign)) and isinstance(n.target, cst.Name) \
                and n.target.value == name:
            out.append(n.value)
    return out


def _single_local(func, name: str):
    """What a local is bound to when it is bound exactly once to another list spread into a
    literal or added to one (`messages = [system] + history`), else None."""
    values = _assigned(func, name)
    if len(values) != 1:
        return None
    value = values[0]
    if isinstance(value, cst.List) and any(isinstance(el, cst.StarredElement) for el in value.elements):
        return value
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add) \
            and any(isinstance(side, (cst.Name, cst.Attribute)) for side in (value.left, value.right)):
        return value
    return None


def _from_params_dict(call: cst.Call, key: str, func):
    """`create(**params)` with `params = {"messages": ..., ...}` built once in the function."""
    if func is None:
        return None
    for a in call.args:
        if a.star != "**" or not isinstance(a.value, cst.Name):
            continue
        values = _assigned(func, a.value.value)
        if len(values) != 1 or not isinstance(values[0], cst.Dict):
            return None
        for el in values[0].elements:
            if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString) \
                    and el.key.evaluated_value == key:
                return el.value
    return None


def _mentions(node, history: str) -> bool:
    return any(isinstance(n, (cst.Name, cst.Attribute)) and dotted(n) == history for n in walk(node))


def _is_growth_value(value, history: str) -> bool:
    """`history + [...]` or `[*history, ...]`."""
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        return dotted(value.left) == history
    if isinstance(value, cst.List) and value.elements:
        first = value.elements[0]
        return isinstance(first, cst.StarredElement) and dotted(first.value) == history
    return False


def _grows(node, history: str) -> bool:
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value in GROWTH_METHODS and dotted(node.func.value) == history
    if isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.AddAssign):
        return dotted(node.target) == history
    if isinstance(node, cst.Assign):
        return any(dotted(t.target) == history for t in node.targets) and _is_growth_value(node.value, history)
    return False


def _resets(node, history: str, in_loop: bool = True) -> bool:
    """Sliced, deleted from, popped, or reassigned from itself (`x = x[-20:]`, `x = trim(x)`).
    Inside the loop, any reassignment or `clear()` also counts (the list is rebuilt per
    iteration); outside it, a fresh definition (`x = []`) is just where it starts."""
    if isinstance(node, cst.Assign):
        for t in node.targets:
            target = t.target
            if dotted(target) == history and not _is_growth_value(node.value, history):
                return in_loop or _mentions(node.value, history)
            if isinstance(target, cst.Subscript) and dotted(target.value) == history:
                return any(isinstance(s.slice, cst.Slice) for s in target.slice)
    if isinstance(node, cst.Del):
        return _mentions(node.target, history)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and dotted(node.func.value) == history:
        return node.func.attr.value in SHRINK_METHODS or (in_loop and node.func.attr.value == "clear")
    return False


def _appended(node):
    """[(value node, is it a list spread into the history?)] of one growth statement."""
    if isinstance(node, cst.Call):
        args = [a for a in node.args if a.keyword is None]
        if not args:
            return []
        method = node.func.attr.value
        if method == "insert":
            return [(args[1].value, False)] if len(args) > 1 else []
        return [(args[0].value, method == "extend")]
    if isinstance(node, cst.AugAssign):
        return [(node.value, True)]
    if isinstance(node, cst.Assign):
        value = node.value
        if isinstance(value, cst.BinaryOperation):
            return [(value.right, True)]
        if isinstance(value, cst.List):
            return [(el.value, isinstance(el, cst.StarredElement)) for el in value.elements[1:]]
    return None
