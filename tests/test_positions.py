"""Lazy positions equal libcst's PositionProvider on every node, in awkward layouts."""

import ast
import textwrap

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from promptlint.index import ModuleIndex
from promptlint.positions import LazyPositions

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
    "two-space class body": "class A:\n  x = 1\n  def f(self):\n      return x\n",
    "crlf": "class A:\r\n    def f(self):\r\n        return 1\r\n",
}


@pytest.mark.parametrize("name", LAYOUTS)
def test_lazy_positions_match_position_provider(name):
    source = LAYOUTS[name]
    source = textwrap.dedent(source).lstrip("\n") if "\t" not in source and "\r" not in source else source
    module = cst.parse_module(source)
    full = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    lazy = LazyPositions(module, ast.parse(source))
    module.visit(ModuleIndex(lazy))
    checked = 0
    for node, expected in full.items():
        if isinstance(node, (cst.BaseExpression, cst.BaseStatement, cst.BaseSmallStatement)):
            assert lazy[node] == expected, (type(node).__name__, expected, lazy[node])
            checked += 1
    assert checked > 5
