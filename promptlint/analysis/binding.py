"""A function's parameters bound to the arguments of one call of it: how a wrapper's body
is read for one caller (wholeprogram.py) and a retrieval helper's k for one call (PL402)."""

from __future__ import annotations

import libcst as cst

from promptlint.analysis.evaluator import BindingReads, EvalContext, Evaluator
from promptlint.analysis.index import END, FunctionInfo
from promptlint.analysis.values import Map, Seq, Unk


def bind(caller: Evaluator, node: cst.Call, ctx: EvalContext, target: Evaluator, func: FunctionInfo,
         bound_self: bool) -> Bindings:
    """The parameters of `func` (defined where `target` evaluates) bound to the arguments of
    call `node` (evaluated by `caller` in `ctx`): defaults for what is not passed, `**kwargs`
    as a Map of the extra keywords, unknown after a `*args`/`**kwargs` the analysis cannot list."""
    params = [*func.node.params.posonly_params, *func.node.params.params]
    if bound_self and params and params[0].name.value in ("self", "cls"):
        params = params[1:]
    kwonly = list(func.node.params.kwonly_params)
    named = {p.name.value for p in (*params, *kwonly)}
    star_kwarg = func.node.params.star_kwarg
    bindings = Bindings()
    # Every call of `func` binds the same names: a value that reads none of them is shared.
    bindings.shape = ("bound", id(func.node), bound_self)
    extra = Map({})
    unknown_rest = False
    positional = 0
    for arg in node.args:
        if arg.star == "*":
            unknown_rest = True
        elif arg.star == "**":
            val = caller.evaluate(arg.value, ctx)
            if isinstance(val, Map):
                for key, item in val.items.items():
                    if key in named:
                        bindings.setdefault(key, item)
                    else:
                        extra.items[key] = item
                extra.opaque = extra.opaque or val.opaque
            else:
                extra.opaque = True
            unknown_rest = unknown_rest or not isinstance(val, Map) or val.opaque
        elif arg.keyword is not None:
            if arg.keyword.value in named:
                bindings[arg.keyword.value] = _Lazy(caller, arg.value, ctx)
            else:
                extra.items[arg.keyword.value] = caller.evaluate(arg.value, ctx)
                extra.spans[arg.keyword.value] = caller.span(arg.value)
        else:
            if positional < len(params):
                bindings[params[positional].name.value] = _Lazy(caller, arg.value, ctx)
            positional += 1
    for p in (*params, *kwonly):
        name = p.name.value
        if name in bindings:
            continue
        if unknown_rest:
            bindings[name] = Unk(f"{name} (from *args/**kwargs)")
        elif p.default is not None:
            bindings[name] = _Lazy(target, p.default, EvalContext(None, END, ()))
        else:
            bindings[name] = Unk(f"{name} not passed")
    if isinstance(star_kwarg, cst.Param):
        bindings[star_kwarg.name.value] = extra
    if isinstance(func.node.params.star_arg, cst.Param):
        bindings[func.node.params.star_arg.name.value] = Seq([], node=None) if not unknown_rest else Unk("*args")
    return bindings


class _Lazy:
    """An argument not evaluated yet."""

    __slots__ = ("ev", "node", "ctx")

    def __init__(self, ev, node, ctx) -> None:
        self.ev, self.node, self.ctx = ev, node, ctx


class Bindings(dict):
    """A wrapper's parameters bound to a call's arguments. An argument is evaluated when the
    wrapper's body first reads it: most parameters (callbacks, flags, the caller's agent) never
    reach the request. Every way of reading a value goes through __getitem__ (overriding
    __iter__ also makes `{**bindings}` and dict(bindings) read through it)."""

    shape: tuple | None = None  # set by bind()

    def __getitem__(self, name: str):
        BindingReads.count += 1
        val = dict.__getitem__(self, name)
        if isinstance(val, _Lazy):
            val = val.ev.evaluate(val.node, val.ctx)
            dict.__setitem__(self, name, val)
        return val

    def get(self, name: str, default=None):
        return self[name] if name in self else default

    def __iter__(self):
        return iter(list(dict.keys(self)))

    def values(self):
        return [self[name] for name in self]

    def items(self):
        return [(name, self[name]) for name in self]

    def copy(self):
        return dict(self.items())
