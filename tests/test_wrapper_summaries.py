"""A wrapper's body is worked out once for all its callers (issue 13): what the body computes
without reading the caller's arguments is shared (the evaluator's memo, keyed by the bindings'
shape once nothing bound was read); what reads them is worked out per caller. These tests pin
that the shared answers never leak one caller's values into another's site."""

from pathlib import Path

import libcst as cst
import pytest

from promptlint import engine
from promptlint.analysis.binding import bind
from promptlint.analysis.evaluator import BindingReads, EvalContext, Evaluator
from promptlint.analysis.index import ModuleIndex
from promptlint.analysis.positions import LazyPositions
from promptlint.analysis.values import Client, Num, static_text
from promptlint.analysis.walk import visit
from promptlint.settings import Settings

LLM = (
    "from openai import OpenAI\n"
    "\n"
    "client = OpenAI()\n"
    "GUIDE = \"You are a careful editor. Keep the author's voice and never add facts. \" * 30\n"
    "\n"
    "\n"
    "def ask(prompt, cap=None, retries=3):\n"
    "    messages = [{'role': 'system', 'content': prompt}, {'role': 'user', 'content': GUIDE}]\n"
    "    return client.chat.completions.create(model='gpt-4o', messages=messages, max_tokens=cap)\n"
)

CALLERS = {
    "plain": "def {name}(text):\n    return ask('Summarise this: ' + text, cap=256)\n",
    "dated": ("def {name}(text):\n"
              "    return ask(f'Today is {{datetime.now()}}. Translate this: ' + text, cap=256, retries=1)\n"),
    "uncapped": "def {name}(text):\n    return ask('Shorten this: ' + text, retries=5)\n",
}


def _jobs(order: list[str]) -> tuple[str, dict[str, int]]:
    """A caller module with one function per kind, in `order`; the line of each call."""
    text = "from datetime import datetime\n\nfrom app.llm import ask\n"
    lines = {}
    for i, kind in enumerate(order):
        text += "\n\n" + CALLERS[kind].format(name=f"job_{i}")
        lines[kind] = text.count("\n")
    return text, lines


def _lint(tmp_path, monkeypatch, files: dict[str, str], select: list[str]):
    """Lint a small project written into tmp_path; the result of app/jobs.py."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    paths = sorted(str(Path(name)) for name in files)
    settings = engine.with_project_index(paths, Settings(jobs=1, select=select))
    return {r.path: r for r in engine.lint_many(paths, settings)}["app/jobs.py"]


def _check(tmp_path, monkeypatch, jobs: str):
    return _lint(tmp_path, monkeypatch, {"app/__init__.py": "", "app/llm.py": LLM, "app/jobs.py": jobs}, ["PL1", "PL3"])


@pytest.mark.parametrize("order", [["plain", "dated", "uncapped"], ["dated", "uncapped", "plain"],
                                   ["uncapped", "plain", "dated"]])
def test_callers_of_one_wrapper_keep_their_own_prompt_and_cap(order, tmp_path, monkeypatch):
    """Three callers of `ask` in one file, in every order: only the one that puts the clock in its
    prompt gets PL101, and each site has the cap its own caller passed. The wrapper's own text
    (GUIDE, the model) is worked out once and shared; the prompt and the cap are not."""
    jobs, lines = _jobs(order)
    result = _check(tmp_path, monkeypatch, jobs)
    assert {(f.code, f.span.line) for f in result.findings} == {("PL101", lines["dated"])}
    caps = {s.span.line: s.cap_value for s in result.callsites if s.via == "wrapper"}
    assert caps == {lines["plain"]: 256, lines["dated"]: 256, lines["uncapped"]: None}
    static = {s.span.line: s.parts[0].segments[0].text for s in result.callsites if s.via == "wrapper"}
    assert static[lines["plain"]].startswith("Summarise") and static[lines["uncapped"]].startswith("Shorten")


# -- the evaluator's shared memo, asked directly -------------------------------------
WRAPPER = (
    "from langchain_openai import ChatOpenAI\n"
    "\n"
    "HEADER = 'You answer in one short paragraph.'\n"
    "\n"
    "\n"
    "def ask(prompt, cap=None, tag='x'):\n"
    "    system = HEADER + ' Be kind.'\n"
    "    model = ChatOpenAI(model='gpt-4o', max_tokens=cap)\n"
    "    return model.invoke([system, prompt])\n"
)
CALLS = "ask('first', cap=100)\nask('second', tag='y')\n"


def _evaluator(source: str) -> Evaluator:
    module = cst.parse_module(source)
    import ast

    index = ModuleIndex(LazyPositions(module, ast.parse(source)))
    visit(module, index)
    return Evaluator(index, module)


def _bound():
    """The wrapper's evaluator, its function, and the bindings of the two calls in CALLS."""
    ev, caller = _evaluator(WRAPPER), _evaluator(CALLS)
    func = ev.index.functions["ask"]
    out = []
    for info in caller.index.calls:
        ctx = EvalContext(None, info.pos, info.path)
        out.append(bind(caller, info.node, ctx, ev, func, bound_self=False))
    return ev, func, out


def _value_of(ev, func, name: str, bindings):
    """What `name` holds at the `return` of `ask`, under `bindings`."""
    return ev.lookup(name, EvalContext(func, ev.pos(func.returns[0]), (), bindings))


def test_a_value_that_reads_no_argument_is_worked_out_once():
    """`system` reads nothing the caller passed: the second caller is served the first caller's
    value itself, without reading its bindings; `prompt` differs per caller."""
    ev, func, (first, second) = _bound()
    a = _value_of(ev, func, "system", first)
    reads = BindingReads.count
    b = _value_of(ev, func, "system", second)
    assert b is a and BindingReads.count == reads
    assert static_text(_value_of(ev, func, "prompt", first)) == "first"
    assert static_text(_value_of(ev, func, "prompt", second)) == "second"


def test_a_client_built_from_an_argument_is_not_shared():
    """`ChatOpenAI(max_tokens=cap)` keeps the context it was built in (its constructor's arguments
    are read later, in it): each caller's client keeps that caller's own cap."""
    ev, func, (first, second) = _bound()
    one, two = _value_of(ev, func, "model", first), _value_of(ev, func, "model", second)
    assert isinstance(one, Client) and isinstance(two, Client) and one is not two
    cap = one.ctor.args[1].value
    assert ev.evaluate(cap, one.ctor_ctx) == Num(100)
    assert not isinstance(ev.evaluate(cap, two.ctor_ctx), Num)  # not passed: the default, None


def test_a_value_read_from_the_arguments_stays_per_caller_after_a_memo_hit():
    """A memo hit on a value that read the bindings counts as a read again: the value built on it
    (here the list handed to `invoke`) is not shared either."""
    ev, func, (first, second) = _bound()
    ret = func.returns[0]
    arg = ret.args[0].value  # [system, prompt]
    for bindings in (first, second):  # `prompt` alone first: the list's own evaluation then hits the memo
        ev.evaluate(arg.elements[1].value, EvalContext(func, ev.pos(ret), (), bindings))
    one = ev.evaluate(arg, EvalContext(func, ev.pos(ret), (), first))
    two = ev.evaluate(arg, EvalContext(func, ev.pos(ret), (), second))
    assert [static_text(item) for item in one.items] == ["You answer in one short paragraph. Be kind.", "first"]
    assert [static_text(item) for item in two.items] == ["You answer in one short paragraph. Be kind.", "second"]


# -- resolving the callee once per way of writing it ----------------------------------
CLASSES = (
    "from openai import OpenAI\n"
    "\n"
    "client = OpenAI()\n"
    "\n"
    "\n"
    "class Fast:\n"
    "    def send(self, prompt):\n"
    "        return client.chat.completions.create(model='gpt-4o-mini', messages=[{'role': 'user', 'content': prompt}])\n"
    "\n"
    "\n"
    "class Slow:\n"
    "    def send(self, prompt):\n"
    "        return client.chat.completions.create(model='gpt-4o', messages=[{'role': 'user', 'content': prompt}],\n"
    "                                              max_tokens=300)\n"
)
RUN = (
    "from app.llm import Fast, Slow\n"
    "\n"
    "\n"
    "def run(text):\n"
    "    bot = Fast()\n"
    "    bot.send('Summarise: ' + text)\n"
    "    bot = Slow()\n"
    "    bot.send('Translate: ' + text)\n"
    "    return bot.send('Shorten: ' + text)\n"
    "\n"
    "\n"
    "def other(text):\n"
    "    bot = Slow()\n"
    "    return bot.send('Again: ' + text)\n"
)


def test_a_callee_whose_name_is_reassigned_is_resolved_at_each_call(tmp_path, monkeypatch):
    """`bot.send` written three times in `run`: `bot` is assigned twice there, so each call is
    resolved where it stands (Fast, then Slow); the memo of callees serves only names that read
    the same at every line of a function."""
    files = {"app/__init__.py": "", "app/llm.py": CLASSES, "app/jobs.py": RUN}
    jobs = _lint(tmp_path, monkeypatch, files, ["PL3"])
    assert sorted((s.span.line, s.wrapper, s.cap_value) for s in jobs.callsites if s.via == "wrapper") == [
        (6, "Fast.send", None), (8, "Slow.send", 300), (9, "Slow.send", 300), (14, "Slow.send", 300)]


# -- every fast path answers as the slow reference does -------------------------------------
SHAPES = (
    "import pathlib\n"
    "from datetime import datetime\n"
    "\n"
    "from app.llm import Fast, Slow\n"
    "\n"
    "\n"
    "def local_send(prompt):\n"
    "    return prompt\n"
    "\n"
    "\n"
    "class Local:\n"
    "    send = local_send\n"
    "\n"
    "\n"
    "def built(text):\n"
    "    bot = Fast()\n"
    "    bot.send('One: ' + text)\n"
    "    return bot.send(f'Two at {datetime.now()}: ' + text)\n"
    "\n"
    "\n"
    "def keyword_named_like_the_method(text):\n"
    "    bot = Slow(send=local_send)\n"
    "    return bot.send('Three: ' + text)\n"
    "\n"
    "\n"
    "def positional(text):\n"
    "    bot = Slow('gpt-4o')\n"
    "    return bot.send('Four: ' + text)\n"
    "\n"
    "\n"
    "def annotated(text):\n"
    "    bot: Slow = Fast()\n"
    "    return bot.send('Five: ' + text)\n"
    "\n"
    "\n"
    "def not_a_project_class(text):\n"
    "    bot = pathlib.Path()\n"
    "    return bot.send('Six: ' + text)\n"
    "\n"
    "\n"
    "def class_attribute(text):\n"
    "    bot = Local()\n"
    "    return bot.send('Seven: ' + text)\n"
    "\n"
    "\n"
    "def used_before_assigned(text, bot):\n"
    "    bot.send('Eight: ' + text)\n"
    "    bot = Fast()\n"
    "    return bot.send('Nine: ' + text)\n"
)


def _no_constructor_shortcut(monkeypatch):
    monkeypatch.setattr(Evaluator, "constructed_class", lambda self, name, ctx, attr: None)


def _no_callee_memo(monkeypatch):
    from promptlint import wholeprogram

    monkeypatch.setattr(wholeprogram, "_callee_key", lambda mod, fn, ctx: None)


def _no_shared_values(monkeypatch):
    from promptlint.analysis import binding

    real = binding.bind

    def unshaped(*args, **kw):
        found = real(*args, **kw)
        found.shape = None
        return found

    from promptlint import wholeprogram

    monkeypatch.setattr(wholeprogram, "bind", unshaped)


def _sites(tmp_path, monkeypatch):
    files = {"app/__init__.py": "", "app/llm.py": CLASSES, "app/jobs.py": SHAPES}
    jobs = _lint(tmp_path, monkeypatch, files, ["PL1", "PL3"])
    sites = sorted((s.span.line, s.wrapper, s.model, s.cap_value, s.via) for s in jobs.callsites)
    return sites, sorted((f.code, f.span.line, f.message) for f in jobs.findings)


@pytest.mark.parametrize("slow", [_no_constructor_shortcut, _no_callee_memo, _no_shared_values])
def test_each_fast_path_answers_as_the_slow_reference(slow, tmp_path, monkeypatch):
    """The callers above, resolved and expanded with one fast path turned off and then on: the
    same sites, through the same wrappers, with the same findings."""
    fast = _sites(tmp_path / "fast", monkeypatch)
    slow(monkeypatch)
    assert _sites(tmp_path / "slow", monkeypatch) == fast
    lines = {line for line, wrapper, *_ in fast[0] if wrapper}
    assert lines == {17, 18, 28, 33, 49}  # not 23 (its `send` is local_send), 38, 43, nor 48 (Fast or Slow?)


def test_a_wrapper_modules_sites_found_per_function_are_the_whole_modules():
    """wholeprogram reads a wrapper module's direct sites one function at a time (Module.sites_in):
    the same sites, in the same order, as the whole module's run keeps for that function."""
    from promptlint.analysis.callsites import CallSiteFinder
    from promptlint.wholeprogram import _analyse

    source = (CLASSES + "\n\n"
              "def helper(text):\n"
              "    return client.embeddings.create(model='text-embedding-3-small', input=text)\n"
              "\n\n"
              "def both(text):\n"
              "    client.chat.completions.create(model='gpt-4o', messages=[{'role': 'user', 'content': text}])\n"
              "    return Slow().send(text)\n").encode()
    settings = Settings()
    mod = _analyse("app/llm.py", source, settings)
    whole = _analyse("app/llm.py", source, settings)
    sites, _ = CallSiteFinder(whole.ev, whole.index, "app/llm.py", settings).run()
    for name in ("Fast.send", "Slow.send", "helper", "both"):
        func = mod.by_qualname[name]
        lazy = [(s.span.line, s.callee, s.model, s.cap_value) for s, _ in mod.sites_in(func)]
        full = [(s.span.line, s.callee, s.model, s.cap_value) for s in sites
                if s.in_function == name]
        assert lazy == full
    assert [s.span.line for s, _ in mod.sites_in(mod.by_qualname["both"])] == [22]
