import re
from collections.abc import Iterator
from functools import cache

import libcst as cst

from promptlint.analysis.evaluator import EvalContext
from promptlint.analysis.request import from_llm, read_request
from promptlint.analysis.values import Dyn
from promptlint.analysis.walk import visit
from promptlint.checks.base import Check, FileContext
from promptlint.cost.estimate import count_tokens
from promptlint.model import CallSite, Finding, Location
from promptlint.ruledocs import load_data


@cache
def router_phrases() -> list[re.Pattern]:
    return [re.compile(p, re.IGNORECASE) for p in load_data("routing.yaml")["router_phrases"]]


def asks_to_route(site: CallSite) -> str | None:
    """The phrase of the call's static prompt that asks for a model or a difficulty grade."""
    for part in site.parts:
        for seg in part.segments:
            if seg.kind != "static" or not seg.text:
                continue
            for pattern in router_phrases():
                m = pattern.search(seg.text)
                if m:
                    return m.group(0)
    return None


MODEL_KEYWORDS = ("model", "modelId", "model_id")


def chosen_by_llm_answer(ctx: FileContext, req) -> Dyn | None:
    """`model = BIG if label == "hard" else SMALL`, or the same with if / elif / else blocks:
    a condition on a model's answer picks between literal models."""
    call = req.info.node
    expr = next((a.value for a in call.args if a.keyword is not None and a.keyword.value in MODEL_KEYWORDS), None)
    if expr is None:
        return None
    tests: list[tuple[cst.BaseExpression, cst.CSTNode]] = []
    if isinstance(expr, cst.IfExp):
        tests.append((expr.test, expr))
    elif isinstance(expr, cst.Name) and req.info.func is not None:
        finder = _ConditionsOf(expr.value, req.info.func.node)
        visit(req.info.func.node, finder)
        tests = finder.tests
    for test, value in tests:
        ectx = EvalContext(req.info.func, ctx.evaluator.pos(value), ())
        for sub in _operands(test):
            found = from_llm(ctx.evaluator.evaluate(sub, ectx))
            if found is not None:
                return found
    return None


class _ConditionsOf(cst.CSTVisitor):
    """The `if` tests (and conditional expressions) under which a name is assigned in one function."""

    def __init__(self, name: str, root: cst.FunctionDef) -> None:
        self.name, self.root = name, root
        self.stack: list[cst.BaseExpression] = []
        self.tests: list[tuple[cst.BaseExpression, cst.CSTNode]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root  # nested functions have their own names

    def visit_If(self, node: cst.If) -> None:
        self.stack.append(node.test)

    def leave_If(self, node: cst.If) -> None:
        self.stack.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(isinstance(t.target, cst.Name) and t.target.value == self.name for t in node.targets):
            self.tests += [(test, node.value) for test in self.stack]
            if isinstance(node.value, cst.IfExp):
                self.tests.append((node.value.test, node.value))


class _Operands(cst.CSTVisitor):
    """Module level: walk.py caches hooks per visitor class (a local class would leak)."""

    def __init__(self) -> None:
        self.found: list[cst.BaseExpression] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.found.append(node)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.found.append(node)
        return False

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        self.found.append(node)
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        self.found.append(node)
        return True


def _operands(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The names, attributes, subscripts and calls a condition reads."""
    visitor = _Operands()
    visit(test, visitor)
    return visitor.found


def response_metadata(source: str) -> bool:
    """`model=previous.model`: the response's own model field, not something the model wrote."""
    written = ("content", "text", "choices", "output", "message", "loads", "parts", "[")
    return bool(re.search(r"\.model$", source)) and not any(w in source for w in written)


def static_input_tokens(site: CallSite, tokenizer: str) -> int | None:
    texts = [s.text for p in site.parts for s in p.segments if s.kind == "static"]
    if any(t is None for t in texts):
        return None
    return sum(count_tokens(t, tokenizer) for t in texts)


class RouterLlmPerRequest(Check):
    """An extra LLM call on every request only to pick the model (or grade difficulty) for the next one."""

    code = "PL501"

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        routers: dict[int, tuple[CallSite, str, tuple]] = {}  # id(router site) -> (site, why, related)
        for site in ctx.callsites:
            req = read_request(ctx, site)
            if req is None:
                continue
            answer = from_llm(req.value("model")) or chosen_by_llm_answer(ctx, req)
            if answer is None or answer.origin_span is None or response_metadata(answer.source):
                continue
            router = next((r for r in ctx.callsites if r is not site and r.call_span == answer.origin_span), None)
            if router is not None and id(router) not in routers:
                why = f"its answer picks the model of `{site.callee}` at line {site.span.line}"
                routers[id(router)] = (router, why, (Location.at(site.path, site.span, "the call whose model it picks"),))
        for site in ctx.callsites:
            if id(site) in routers or not site.billed:
                continue
            phrase = asks_to_route(site)
            if phrase is not None:
                quoted = phrase if len(phrase) <= 40 else phrase[:37] + "..."
                routers[id(site)] = (site, f"its prompt asks a model to route (\"{quoted}\")", ())
        for site, why, related in sorted(routers.values(), key=lambda r: (r[0].span.line, r[0].span.column)):
            yield self._finding(ctx, site, why, related)

    def _finding(self, ctx: FileContext, site: CallSite, why: str, related: tuple = ()) -> Finding:
        tokens = static_input_tokens(site, ctx.settings.tokenizer)
        waste = None
        if tokens is not None and site.cap_value is not None:
            waste = tokens + site.cap_value
            cost = (f"{tokens:,} static input tokens plus up to {site.cap_value:,} output tokens per request"
                    if tokens else f"its per-request input plus up to {site.cap_value:,} output tokens per request")
        elif tokens is not None:
            cost = f"{tokens:,} static input tokens per request plus its uncapped output, so no figure is given"
        else:
            cost = "a whole extra call per request (its prompt size is not visible here, so no figure is given)"
        message = (f"`{site.callee}` is a router call: {why}; it costs {cost}. Prefer a deterministic signal "
                   f"(task type, input length, a small classifier) or a cascade")
        return self.finding(ctx, site.span, message, call_span=site.call_span, scope=site.in_function, site=site, related=related,
                            snippet=site.callee, waste_tokens_per_call=waste,
                            waste_kind="extra-call" if waste is not None else None, model=site.model)
