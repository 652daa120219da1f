"""Lazy positions equal libcst's PositionProvider on every node the index visits.

Run as a script to check real repositories too:
`python tests/test_positions.py /path/to/repo ...` (every .py file, whole and sliced).
"""

import ast
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from promptlint.analysis import slicing
from promptlint.analysis.index import ModuleIndex
from promptlint.analysis.positions import LazyPositions
from promptlint.analysis.walk import visit

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = frozenset({"create", "OpenAI", "completion", "chat", "invoke"})

LAYOUTS = {
    "class members, decorators, continuation lines": '''
        # header comment
        import functools


        @functools.total_ordering
        class Bot(object):
            """Doc."""

            LIMIT = 3; OTHER = (1,
                                2)

            @property
            def name(self):
                return call(a,
                            b=[x for x in y],
                     c="""multi
        line""")

            async def ask(self, q):
                if q:
                    return await self.client.chat.completions.create(
                        model="m",   messages=[{"role": "user", "content": q}])


        def f(): return 1
        ''',
    "tabs": "class A:\n\tdef f(self):\n\t\treturn g(1,\n\t\t\t2)\n\nx = A()\n",
    "tabs then spaces": "def f(x):\n\tif x:\n\t    return g(x,\n\t\t  1)\n\telse:\n\t\tpass\n",
    "two-space class body": "class A:\n  x = 1\n  def f(self):\n      return x\n",
    "crlf": "class A:\r\n    def f(self):\r\n        if x:\r\n            return g(1,\r\n                2)\r\n",
    "nested classes and functions": '''
        class Outer:
            class Inner:
                @staticmethod
                # a comment between decorator and def
                def deep(a, *, b: int = 2) -> "str":
                    def local(c):

                        # comment before a statement

                        return c + a  # trailing
                    return local(b)

            def method(self):
                class Local(Base, metaclass=Meta):
                    attr = client.chat.completions.create(model="m",
                                                          messages=[])
                return Local
        ''',
    "if, elif, else and inline suites": '''
        def f(x):
            if x == 1: return "one"
            elif x == 2:
                y = call(x,
                         2)
                return y
            elif x == 3: pass
            else:
                while x:
                    x -= 1
                else:
                    x = 0
            for i in range(x): print(i)
            else: print("done")
            return x; y = 2
        ''',
    "try, except, else, finally, with, async": '''
        async def g(items):
            try:
                async with session() as s, other(
                        1) as t:
                    async for item in s.stream(items):
                        await s.send(item)
            except (ValueError,
                    KeyError) as exc:
                log(exc)
            except Exception: raise
            else:
                ok = True
            finally:
                cleanup(
                    items)
            try: x = 1
            finally: y = 2
        ''',
    "except star": '''
        def h():
            try:
                run()
            except* ValueError as group:
                report(group)
        ''',
    "match": '''
        def route(command):
            match command.split(
                    " "):
                case [action]:
                    return act(action)
                case [action, obj] if obj:
                    return act(action,
                               obj)
                case _: return None
        ''',
    "module-level compound statements": '''
        import os
        a = 1; b = 2
        if os.environ.get("X"):
            PROMPT = ("a"
                      "b")
        else:
            PROMPT = "c"
        x = \\
            3
        with open("f") as fh: data = fh.read()
        if __name__ == "__main__":
            main(PROMPT,
                 data)
        ''',
    "decorated header spans": '''
        class A(
            Base,
            metaclass=M,
        ):
            @decorate(
                1,
            )
            def f(self, a,
                  b=[1, 2]) -> dict[
                    str, int]:
                for k, v in (
                        a.items()):
                    yield k
        ''',
}


def layout(name: str) -> str:
    source = LAYOUTS[name]
    return textwrap.dedent(source).lstrip("\n") if "\t" not in source and "\r" not in source else source


def check(source: bytes | str, tree: ast.Module | None = None, exact_places: bool = True) -> tuple[int, int]:
    """Compare every visited node's lazy range with the whole-module provider's.
    Returns (nodes checked, nodes whose statement could not be placed)."""
    module = cst.parse_module(source)
    lazy = LazyPositions(module, tree or ast.parse(source))
    visit(module, ModuleIndex(lazy))
    full = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    checked = unplaced = 0
    for node, expected in full.items():
        if id(node) in lazy.top_of and node is not module:
            assert lazy[node] == expected, (type(node).__name__, expected, lazy[node])
            checked += 1
            held = lazy.top_of[id(node)]
            if lazy._place(getattr(held, "stmt", held)) is None:  # the coarse unit was rendered
                assert not exact_places, type(node).__name__
                unplaced += 1
    assert checked == len(lazy.top_of) - 1  # every visited node but the module
    assert lazy._full is None  # the whole module was never rendered
    return checked, unplaced


def sliced(source: bytes) -> tuple[bytes, ast.Module]:
    return slicing.relevant_source(source, slicing.outline(ast.parse(source), CANDIDATES))


@pytest.mark.parametrize("name", LAYOUTS)
def test_lazy_positions_match_position_provider(name):
    assert check(layout(name))[0] > 10


@pytest.mark.parametrize("path", sorted(ROOT.glob("fixtures/**/*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_fixture_files_whole_and_sliced(path):
    source = path.read_bytes()
    try:
        ast.parse(source)
    except SyntaxError:
        pytest.skip("not Python 3 (the engine reports a parse error)")
    check(source)
    out, tree = sliced(source)
    check(out, tree)


def test_sliced_class_keeps_positions():
    source = textwrap.dedent('''
        from openai import OpenAI


        class Agent:
            def unrelated(self, rows):
                if rows:
                    return [r for r in rows]

            def ask(self, q):
                if q:
                    return OpenAI().chat.completions.create(
                        model="m", messages=[q])


        class Other:
            def skip(self):
                return 1

            def more(self):
                return 2
        ''').encode()
    out, tree = sliced(source)
    assert out != source and len(out.splitlines()) == len(source.splitlines())
    check(out, tree)


def test_a_deep_node_renders_its_statement_not_its_method():
    source = layout("class members, decorators, continuation lines")
    module = cst.parse_module(source)
    lazy = LazyPositions(module, ast.parse(source))
    visit(module, ModuleIndex(lazy))
    ask = module.body[1].body.body[-1]
    stmt = ask.body.body[0].body.body[0]  # `return await ...create(...)` inside `if q:`
    call = stmt.body[0].value.expression
    assert (lazy[call].start.line, lazy[call].start.column) == (21, 25)
    assert list(lazy._rendered) == [(id(stmt), False)]
    lazy[ask.body.body[0].test]  # the `if q:` test: only the header is rendered
    assert (id(ask.body.body[0]), True) in lazy._rendered and (id(ask.body.body[0]), False) not in lazy._rendered


def test_trees_that_disagree_fall_back_to_the_unit():
    source = "def f(x):\n    if x:\n        return g(x,\n                 1)\n"
    module = cst.parse_module(source)
    tree = ast.parse("def f(x):\n    if x:\n        pass\n        return g(x, 1)\n")  # one more statement
    lazy = LazyPositions(module, tree)
    visit(module, ModuleIndex(lazy))
    call = module.body[0].body.body[0].body.body[0].body[0].value
    assert lazy[call] == MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)[call]
    assert list(lazy._rendered) == [(id(module.body[0]), False)]  # the function, as a whole


def test_too_deep_reports_the_unit_line():
    source = "def f():\n    x = 1\n    return " + " + ".join(["'a'"] * 500) + "\n"
    module = cst.parse_module(source)
    lazy = LazyPositions(module, ast.parse(source))
    visit(module, ModuleIndex(lazy))
    ret = module.body[0].body.body[1].body[0]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    try:
        with pytest.raises(RecursionError):
            lazy[ret.value]
        with pytest.raises(RecursionError):  # never retried
            lazy[ret.value]
    finally:
        sys.setrecursionlimit(limit)
    assert lazy.first_line(ret.value) == 1


def main(roots: list[str]) -> None:
    files = nodes = unplaced = skipped = 0
    for root in roots:
        for path in sorted(Path(root).rglob("*.py")):
            source = path.read_bytes()
            try:
                tree = ast.parse(source)
                cst.parse_module(source)
            except Exception:  # noqa: BLE001 - not parseable by one of the two: the engine skips it
                skipped += 1
                continue
            try:
                out, pruned = sliced(source)
                for text, ast_tree in [(source, tree)] + ([(out, pruned)] if out is not source else []):
                    counts = check(text, ast_tree, exact_places=False)
                    nodes, unplaced = nodes + counts[0], unplaced + counts[1]
            except RecursionError:
                skipped += 1
                continue
            except AssertionError as exc:
                print(f"MISMATCH {path}: {exc}")
                raise
            files += 1
    print(f"{files} files, {nodes} nodes identical ({unplaced} rendered with their coarse unit), {skipped} skipped")


if __name__ == "__main__":
    main(sys.argv[1:])
