"""PL701: an LLM call repeated with no iteration cap (`while True`, `while not done`,
recursion without a depth limit), or an agent framework configured without one."""

from __future__ import annotations

import re

from collections.abc import Iterator
from functools import cache, lru_cache

import libcst as cst

from promptlint.analysis.evaluator import EvalContext
from promptlint.analysis.index import dotted
from promptlint.analysis.values import Map, Num, Ref
from promptlint.checks._structure import call_cost_tokens, called_project_function, walk
from promptlint.checks.base import Check, FileContext
from promptlint.model import Finding, Location
from promptlint.ruledocs import load_data

ORDERING = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)
STOPPERS = (cst.Break, cst.Return, cst.Raise)
UNBOUNDED_REFS = {"sys.maxsize", "math.inf", "numpy.inf", "float.inf"}


@cache
def framework_data() -> dict:
    return load_data("agent_frameworks.yaml")


class UnboundedAgentLoop(Check):
    code = "PL701"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        if ctx.index is None:
            return
        yield from self._loops(ctx)
        yield from self._recursion(ctx)
        if not ctx.memo.get("wrapper-sites"):  # file-level: run once per file
            yield from self._frameworks(ctx, self.option("max-iterations"))

    # -- loops ---------------------------------------------------------------------------
    def _loops(self, ctx: FileContext) -> Iterator[Finding]:
        by_loop: dict[int, tuple[cst.CSTNode, list]] = {}
        for site in ctx.callsites:
            info = ctx.infos.get(id(site))
            if info is None or not site.billed:
                continue
            for loop in info.loops:
                if self._unbounded(ctx, info, loop):
                    by_loop.setdefault(id(loop), (loop, []))[1].append(site)
        # One level of helpers in this module: `while True: reply = self._ask(messages)`.
        helpers = self._helpers(ctx)
        via: dict[int, str] = {}
        for info in ctx.index.calls:
            name = dotted(info.node.func)
            found = helpers.get(name[5:] if name.startswith("self.") else name)
            if not found or not info.loops or (name.startswith("self.") != found[0]):
                continue
            for loop in info.loops:
                if self._unbounded(ctx, info, loop):
                    entry = by_loop.setdefault(id(loop), (loop, []))[1]
                    entry += [s for s in found[1] if s not in entry]
                    via.setdefault(id(loop), name)
        for loop, sites in by_loop.values():
            head = loop.test if isinstance(loop, cst.While) else loop.iter
            shown = ctx.evaluator.code(head).strip()
            keyword = "while" if isinstance(loop, cst.While) else "for ... in"
            waste, cost_text, assumptions = iteration_cost(sites, ctx.settings.tokenizer)
            calls = ", ".join(f"`{s.callee}`" for s in sites[:2]) + (" ..." if len(sites) > 2 else "")
            if id(loop) in via:
                calls += f" (through `{via[id(loop)]}()`)"
            infinite = self._infinite_bound(ctx, loop, sites) if isinstance(loop, cst.While) else None
            cause = (f"its limit `{infinite}` is infinite" if infinite
                     else "nothing counts the iterations against a limit")
            message = (f"`{keyword} {shown[:40]}` repeats {calls} with no iteration cap: {cause}, so a model "
                       f"that keeps asking for another step keeps the loop (and the bill) running")
            if waste is not None:
                message += f"; each extra iteration costs {cost_text}"
            else:
                message += "; a call in it has no output cap, so no figure is given"
            span = ctx.evaluator.span(head)
            yield self.finding(ctx, span, message, scope=sites[0].in_function, snippet=f"{keyword} {shown[:60]}",
                               site=sites[0],
                               related=tuple(Location.at(s.path, s.span, "another call the loop repeats")
                                             for s in sites[1:]),
                               waste_tokens_per_call=waste, waste_kind="extra-call" if waste is not None else None,
                               model=sites[0].model, assumptions=assumptions)

    @staticmethod
    def _helpers(ctx) -> dict[str, tuple[bool, list]]:
        """Functions and methods of this module that make an LLM call outside any loop of
        their own: name -> (is a method, their call sites)."""
        out: dict[str, tuple[bool, list]] = {}
        for site in ctx.callsites:
            info = ctx.infos.get(id(site))
            if info is None or info.func is None or info.func.parent is not None or info.loops or not site.billed:
                continue
            is_method = info.func.class_name is not None
            out.setdefault(info.func.name, (is_method, []))[1].append(site)
        return out

    def _unbounded(self, ctx, info, loop) -> bool:
        if isinstance(loop, cst.For):
            it = loop.iter
            return (isinstance(it, cst.Call) and dotted(it.func) in ("itertools.count", "count")
                    and not it.args)
        if _has_ordering(loop.test) and not _infinite_operand(ctx, info, loop.test):
            return False  # while step < MAX_STEPS (but not `< max_turns` with max_turns=float("inf"))
        counted = _names(loop.test)
        cleared = _cleared(loop.body) & counted  # continuation values each turn resets
        for node in walk(loop.test):
            if isinstance(node, cst.Call) and self._input_call(ctx, info, node, pacing=True):
                return False  # while (line := input("> ")) != "quit"
        for node in walk(loop.body):
            if isinstance(node, cst.If) and _has_ordering(node.test) and _stops(node.body):
                return False  # if step >= MAX_STEPS: break
            if isinstance(node, cst.If) and _names_a_limit(node.test) and _stops(node.body):
                return False  # if has_reached_max_iterations(self.iterations, self.max_iter): break
            if cleared and isinstance(node, cst.If) and _has_ordering(node.test) and _assigned(node.body) & cleared:
                return False  # while prompt: ... prompt = None; if tries < MAX: prompt = retry_prompt
            if isinstance(node, cst.Assert) and _has_ordering(node.test):
                return False
            if isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.SubtractAssign):
                if dotted(node.target) in counted:
                    return False  # while turns_left: ... turns_left -= 1
            if isinstance(node, cst.Call) and self._input_call(ctx, info, node, pacing=True):
                return False  # driven by outside input (a chat prompt, a queue), not by the model
            if isinstance(node, cst.Call) and self._helper_reads_input(ctx, info, node):
                return False  # the same, read in a helper: `record_audio(path)`, `ask_user()`
        return True

    @staticmethod
    def _infinite_bound(ctx, loop, sites) -> str | None:
        """The source of the infinite operand of the loop's comparison, if that is why it fires."""
        for info in [*(ctx.infos.get(id(s)) for s in sites), *ctx.index.calls]:
            if info is not None and loop in info.loops:
                return _infinite_operand(ctx, info, loop.test)
        return None

    @staticmethod
    def _input_call(ctx, info, call: cst.Call, pacing: bool) -> bool:
        """A call that waits for outside input: a user's (`input()`, a microphone), another
        process's (a socket, a queue), or, with `pacing`, for time to pass (`sleep`). A
        function of this module is judged by its body instead (`_helper_reads_input`)."""
        return not _project_call(ctx.evaluator, info, call) and reads_input(ctx.evaluator, info, call, pacing)

    def _helper_reads_input(self, ctx, info, call: cst.Call) -> bool:
        """Does the call run a function of the project whose own body reads outside input (one
        level deep)? Pacing calls do not count there: a helper that sleeps is as often the
        back-off of an LLM call's retry as a poller."""
        target = _called_function(ctx, info, call)
        if target is None:
            return False
        evaluator, func = target
        memo = ctx.memo.setdefault("pl701-input-helpers", {})
        if id(func) not in memo:  # the function is kept with its answer: its id is never reused meanwhile
            requests = {id(ctx.infos[id(s)].node) for s in ctx.callsites if id(s) in ctx.infos}
            memo[id(func)] = func, any(
                inner.func is func and id(inner.node) not in requests
                and not _project_call(evaluator, inner, inner.node) and reads_input(evaluator, inner, inner.node, False)
                for inner in evaluator.index.calls)
        return memo[id(func)][1]

    # -- recursion -------------------------------------------------------------------------
    def _recursion(self, ctx: FileContext) -> Iterator[Finding]:
        funcs = {}
        for site in ctx.callsites:
            info = ctx.infos.get(id(site))
            if info is not None and info.func is not None and site.billed:
                funcs.setdefault(id(info.func), (info.func, site))
        for func, site in funcs.values():
            own = func.name if func.class_name is None else f"self.{func.name}"
            if func.parent is not None:
                continue
            for info in ctx.index.calls:
                if info.func is not func or dotted(info.node.func) != own:
                    continue
                if _depth_limited(func, info.node):
                    continue
                waste, cost_text, assumptions = iteration_cost([site], ctx.settings.tokenizer)
                message = (f"`{func.name}` calls itself (line {ctx.evaluator.span(info.node).line}) around "
                           f"`{site.callee}` with no depth limit: no parameter counts the depth against a "
                           f"bound, so a model that keeps triggering the recursion keeps calling")
                if waste is not None:
                    message += f"; each extra level costs {cost_text}"
                yield self.finding(ctx, ctx.evaluator.span(info.node.func), message,
                                   call_span=ctx.evaluator.span(info.node), scope=func.qualname, site=site,
                                   snippet=own, waste_tokens_per_call=waste,
                                   waste_kind="extra-call" if waste is not None else None, model=site.model,
                                   assumptions=assumptions)
                break

    # -- agent frameworks ------------------------------------------------------------------
    def _frameworks(self, ctx: FileContext, ceiling: int) -> Iterator[Finding]:
        modules = {q.lstrip(".").split(".")[0] for q in ctx.index.imports.values()}
        names, chain_ends = _framework_names()
        for info in ctx.index.calls:
            func = info.node.func
            last = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
            if not isinstance(last, str) or (last not in names and not last.endswith(chain_ends)):
                continue  # no entry can match: the name test of `_framework_matches`, for all entries at once
            for entry in framework_data()["frameworks"]:
                if not self._framework_matches(ctx, info, entry, modules):
                    continue
                found = self._cap(ctx, info, entry, ceiling)
                if found is not None:
                    node, reason = found
                    message = (f"{entry['framework']} run {reason}; a run that keeps looping bills one model "
                               f"call per step (ceiling: {ceiling} calls); the framework builds the prompts, "
                               f"so no figure is given")
                    yield self.finding(ctx, ctx.evaluator.span(node), message, call_span=ctx.evaluator.span(info.node),
                                       scope=info.func.qualname if info.func else None,
                                       snippet=ctx.evaluator.code(node).strip()[:80])
                break

    @staticmethod
    def _framework_matches(ctx, info, entry, modules) -> bool:
        func = info.node.func
        if entry.get("imports") and not modules & set(entry["imports"]) and not _literal_key(info.node, entry):
            return False  # (a literal `config={"recursion_limit": ...}` names the framework by itself)
        if entry.get("chain"):
            return dotted(func).endswith(entry["chain"])
        if entry.get("methods"):
            return isinstance(func, cst.Attribute) and func.attr.value in entry["methods"]
        last = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
        if not isinstance(last, str) or last not in {q.split(".")[-1] for q in entry["calls"]}:
            return False
        val = ctx.evaluator.evaluate(func, EvalContext(info.func, info.pos, info.path))
        return isinstance(val, Ref) and val.qual.lstrip(".") in entry["calls"]

    @staticmethod
    def _bounded_otherwise(ctx, info, entry) -> bool:
        """A `bounded_by` keyword given (AutoGen's `termination_condition=`), or positional
        arguments past the first, which may give it: the run stops another way."""
        if not entry.get("bounded_by"):
            return False
        if len([a for a in info.node.args if a.keyword is None and not a.star]) > 1:
            return True
        return _keyword_given(ctx, info, entry["bounded_by"])

    @staticmethod
    def _loops_at_all(ctx, info, entry) -> bool:
        """One of the `only_with` keywords given and not None (agno's Agent loops only with
        `tools`; tools that may sit in `**kwargs` are not known to be there: quiet)."""
        return not entry.get("only_with") or _keyword_given(ctx, info, entry["only_with"])

    def _cap(self, ctx, info, entry, ceiling):
        """(node to report, reason) when the configured cap is missing, None or too high."""
        node = info.node
        if not self._loops_at_all(ctx, info, entry):
            return None
        head, _, sub = entry["param"].partition(".")
        unit = entry.get("unit", "steps")
        arg = next((a for a in node.args if a.keyword is not None and a.keyword.value == head), None)
        if arg is None and entry.get("pos") is not None:
            positional = [a for a in node.args if a.keyword is None and not a.star]
            if len(positional) > entry["pos"]:
                arg = positional[entry["pos"]]
        if self._bounded_otherwise(ctx, info, entry):
            return None
        if arg is None:
            if entry.get("default_unbounded") and not any(a.star for a in node.args):
                also = "".join(f" or `{k}`" for k in entry.get("bounded_by", ()))
                return node.func, f"without `{entry['param']}`{also}: the default is no cap at all"
            return None
        evctx = EvalContext(info.func, info.pos, info.path)
        val = ctx.evaluator.evaluate(arg.value, evctx)
        report = arg.value
        if sub:
            if not isinstance(val, Map) or sub not in val.items:
                return None
            val = val.items[sub]
            report = _dict_value(arg.value, sub) or arg.value
        if isinstance(val, Ref) and val.qual == "builtins.None":
            if entry.get("none_unbounded"):
                return report, f"with `{sub or head}=None`: no cap on {unit}"
            return None
        if isinstance(val, Ref) and val.qual in UNBOUNDED_REFS:
            return report, f"with `{sub or head}={val.qual}`: effectively no cap on {unit}"
        if isinstance(val, Num) and isinstance(val.value, (int, float)) and not isinstance(val.value, bool):
            calls = val.value * entry.get("calls_per_step", 1)
            if calls > ceiling:
                per = "" if entry.get("calls_per_step", 1) == 1 else f" (about {int(calls)} model calls)"
                return report, f"allows `{sub or head}={val.value}` {unit}{per}, above the ceiling of {ceiling}"
        return None


def iteration_cost(sites, tokenizer: str) -> tuple[int | None, str, list[str] | None]:
    """What one more iteration can cost, per call: every call in it once, its static prompt plus its
    full output cap. A worst case of the output (the cap is what a call may write, not what it
    usually writes); the number of iterations is unbounded, so no total is given.
    Returns (tokens, the clause for the message, the assumptions), or (None, "", None) without a cap."""
    static, output, complete = 0, 0, True
    for site in sites:
        cost = call_cost_tokens(site, tokenizer)
        if cost is None:
            return None, "", None
        cap = site.cap_value if site.cap_value is not None else site.default_cap
        static += cost[0] - cap
        output += cap
        complete = complete and cost[1]
    if complete:
        text = f"up to ~{static + output:,} tokens: {static:,} static prompt tokens plus up to {output:,} output tokens"
    else:  # the input is a minimum and the output a maximum: the sum is neither, so say each
        text = (f"~{static + output:,} tokens: {static:,} static prompt tokens or more (part of the prompt is not "
                f"visible) plus up to {output:,} output tokens")
    assumptions = ["figure per extra iteration: each call in the loop once, its static prompt plus its full "
                   "output cap (a worst case of the output); the number of iterations is unbounded"]
    return static + output, text, assumptions


def _keyword_given(ctx, info, names) -> bool:
    """Is one of the keywords `names` written in the call with a value other than None?"""
    for a in info.node.args:
        if a.keyword is not None and a.keyword.value in names:
            val = ctx.evaluator.evaluate(a.value, EvalContext(info.func, info.pos, info.path))
            if not (isinstance(val, Ref) and val.qual == "builtins.None"):
                return True
    return False


# -- outside input -----------------------------------------------------------------------


def reads_input(evaluator, info, call: cst.Call, pacing: bool) -> bool:
    """The call waits for outside input (`rules/agent_frameworks.yaml`): an input call by its
    last name, a capture device, `queue.get()`, or (with `pacing`) a call that waits for time."""
    data = framework_data()
    name = dotted(call.func)
    last = name.split(".")[-1]
    if last in data["input_calls"] or (pacing and last in data.get("pacing_calls", ())):
        return True
    if any(a.keyword is not None and a.keyword.value in data.get("input_keywords", ())
           and isinstance(a.value, cst.Name) and a.value.value == "True" for a in call.args):
        return True  # pa.open(format=..., input=True): a microphone stream
    at = EvalContext(info.func, info.pos, info.path)
    if last in _device_names():
        val = evaluator.evaluate(call.func, at)
        if isinstance(val, Ref) and val.qual in data.get("input_devices", ()):
            return True
    if last != "get" or not isinstance(call.func, cst.Attribute):
        return False
    if "queue" in name.lower():
        return True
    recv = evaluator.evaluate(call.func.value, at)
    return isinstance(recv, Map) and "queue" in (recv.obj or "").lower()  # jobs = queue.Queue()


@cache
def _device_names() -> frozenset[str]:
    return frozenset(q.split(".")[-1] for q in framework_data().get("input_devices", ()))


def _called_function(ctx, info, call: cst.Call):
    """(evaluator of its module, FunctionInfo) of the project function or method a call in a
    loop runs (_structure.called_project_function), another module read only when its text
    names an input call at all."""
    from promptlint.analysis import project

    found = called_project_function(ctx, info, call, lambda path, _name: _may_read_input(project.module_text(path)),
                                    own_methods=True)
    return found[:2] if found is not None else None


@lru_cache(maxsize=256)
def _may_read_input(text: str) -> bool:
    """A module that reads outside input spells the call (`input(`, `.listen(`, `input=True`, a
    queue): a text check before any parse of another module."""
    data = framework_data()
    names = [*(f"{n}(" for n in (*data["input_calls"], *_device_names())),
             *(f"{k}=True" for k in data.get("input_keywords", ())), "queue", "Queue"]
    return any(n in text for n in names)


def _project_call(evaluator, info, call: cst.Call) -> bool:
    """A call of a function or method this module defines, whose name may be an input call's
    (`self.ask(messages)` asking the model): what it reads is decided by its body."""
    func, index = call.func, evaluator.index
    if isinstance(func, cst.Name):
        return func.value in index.functions and func.value not in index.imports
    if isinstance(func, cst.Attribute) and dotted(func.value) in ("self", "cls") and info.func is not None:
        cls = index.classes.get(info.func.class_name or "")
        return cls is not None and func.attr.value in cls.methods
    return False


# -- syntax helpers ----------------------------------------------------------------------


def _infinite_operand(ctx, info, test) -> str | None:
    """An operand of an ordering comparison in `test` that is infinite: `float("inf")`,
    `math.inf`, `sys.maxsize`, or a parameter defaulting to one that the function never
    reassigns (`while turns < max_turns` with `max_turns=float("inf")`)."""
    for node in walk(test):
        if not isinstance(node, cst.Comparison) or not any(isinstance(c.operator, ORDERING) for c in node.comparisons):
            continue
        for operand in [node.left, *(c.comparator for c in node.comparisons)]:
            if _infinite(ctx, info, operand):
                return ctx.evaluator.code(operand).strip()
    return None


def _infinite(ctx, info, expr) -> bool:
    func = info.func
    if isinstance(expr, cst.Name) and func is not None and expr.value in func.params:
        default = func.params[expr.value].default
        reassigned = any(isinstance(n, (cst.Assign, cst.AugAssign, cst.AnnAssign))
                         and any(dotted(t) == expr.value for t in _targets(n)) for n in walk(func.node.body))
        return default is not None and not reassigned and _infinite(ctx, info, default)
    if isinstance(expr, cst.Call) and dotted(expr.func) == "float" and len(expr.args) == 1:
        arg = expr.args[0].value
        return isinstance(arg, cst.SimpleString) and arg.evaluated_value.strip().lower() in ("inf", "+inf", "infinity")
    val = ctx.evaluator.evaluate(expr, EvalContext(func, info.pos, info.path))
    return isinstance(val, Ref) and val.qual in UNBOUNDED_REFS


@cache
def _framework_names() -> tuple[frozenset[str], tuple[str, ...]]:
    """The last names a call needs to match some entry (`calls`, `methods`), and the ends of
    the `chain` entries (the written callee ends with the chain)."""
    names, ends = set(), set()
    for entry in framework_data()["frameworks"]:
        if entry.get("chain"):
            ends.add(entry["chain"].split(".")[-1])
        elif entry.get("methods"):
            names.update(entry["methods"])
        else:
            names.update(q.split(".")[-1] for q in entry["calls"])
    return frozenset(names), tuple(sorted(ends))


def _literal_key(call: cst.Call, entry) -> bool:
    """The call passes the entry's dotted param as a literal dict key (`config={"recursion_limit": 200}`)."""
    head, _, sub = entry["param"].partition(".")
    arg = next((a for a in call.args if a.keyword is not None and a.keyword.value == head), None)
    return bool(sub) and arg is not None and isinstance(arg.value, cst.Dict) and any(
        isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString) and el.key.evaluated_value == sub
        for el in arg.value.elements)


def _targets(node) -> list:
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets]
    return [node.target]


LIMIT_NAME = re.compile(r"(^|_)(max|limit)(_|$)|^max[A-Z]", re.IGNORECASE)


def _names_a_limit(test) -> bool:
    """A test that reads a limit by name (`self.max_iter`, `step_limit`), e.g. through a helper call."""
    return any(LIMIT_NAME.search(name.split(".")[-1]) for name in _names(test))


def _has_ordering(expr) -> bool:
    return any(isinstance(n, cst.Comparison) and any(isinstance(c.operator, ORDERING) for c in n.comparisons)
               for n in walk(expr))


def _stops(body) -> bool:
    return any(isinstance(n, STOPPERS) for n in walk(body))


def _assigned(block) -> set[str]:
    """The names `block` assigns (`x = ...`), at any depth."""
    return {name for n in walk(block) if isinstance(n, cst.Assign) for name in _targets(n)}


def _cleared(body: cst.BaseSuite) -> set[str]:
    """The names the loop body sets to a false constant (`None`, `False`, `""`, `0`) in its own
    statements, not under a condition: the loop goes on only if something sets them again."""
    return {name for statement in getattr(body, "body", ()) if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body if isinstance(small, cst.Assign) and _false_constant(small.value)
            for name in _targets(small)}


def _targets(assign: cst.Assign) -> set[str]:
    return {dotted(t.target) for t in assign.targets if isinstance(t.target, (cst.Name, cst.Attribute))}


def _false_constant(value) -> bool:
    if isinstance(value, cst.Name):
        return value.value in ("None", "False")
    if isinstance(value, cst.SimpleString):
        return value.evaluated_value in ("", b"")
    return isinstance(value, cst.Integer) and value.evaluated_value == 0


def _names(expr) -> set[str]:
    return {dotted(n) for n in walk(expr) if isinstance(n, (cst.Name, cst.Attribute)) and dotted(n)}


def _depth_limited(func, recursive_call: cst.Call) -> bool:
    """A parameter that the recursive call changes (`depth + 1`) and that the function
    compares, or any parameter in an ordering comparison (`if depth > MAX: return`)."""
    params = set(func.params) - {"self", "cls"}
    changed = set()
    for a in recursive_call.args:
        if isinstance(a.value, cst.BinaryOperation):
            changed |= _names(a.value) & params
    for n in walk(func.node.body):
        if isinstance(n, cst.Comparison):
            names = _names(n) & params
            if names & changed:
                return True
            if names and any(isinstance(c.operator, ORDERING) for c in n.comparisons):
                return True
        if isinstance(n, cst.If) and not isinstance(n.test, cst.Comparison):
            # `if not remaining: return` with `remaining - 1` passed down
            if _names(n.test) & changed and _stops(n.body):
                return True
    return False


def _dict_value(node, key: str):
    if isinstance(node, cst.Dict):
        for el in node.elements:
            if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString):
                if el.key.evaluated_value == key:
                    return el.value
    return None
