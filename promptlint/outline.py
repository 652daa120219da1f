"""Which calls of a module may reach an LLM request, read from its `ast` tree (slicing.py's
outline, with the names of the SDK catalog, the rules' hints and the project's own wrappers):
what the engine parses with libcst, and what a wrapper module's reader parses (wholeprogram.py),
the same for both so that one parse serves both."""

from __future__ import annotations

from functools import cache

from promptlint.prefilter import (
    check_hints, may_hold_callsite, names_by_import, rule_codes, without_wrappers, wrapper_names_here,
)
from promptlint.settings import Settings


def module_outline(tree, settings: Settings, source: bytes | None = None, path: str | None = None):
    """The module's definitions and the names through which it may call an LLM
    (`candidates` is empty when no call can reach one); see slicing.py. Given the file's
    bytes and display path, a project wrapper's name counts only where the file may reach
    that wrapper (prefilter.wrapper_names_here): `kickoff(` in a file that names no module
    defining a `kickoff` wrapper neither keeps its callers in the slice nor, alone, gets the
    file parsed."""
    from promptlint.analysis.catalog import candidate_names
    from promptlint.analysis.slicing import outline

    plan = outline(tree, *outline_names(settings))
    project = tuple(row[0] for row in settings.project_wrappers)
    if source is not None and path is not None and project and plan.candidates:
        codes = rule_codes(settings)
        configured = tuple(w.name for w in settings.wrappers)
        called = plan.called & _names(project)
        named, roots = modules_named(tree) if called else (frozenset(), frozenset())
        here = wrapper_names_here(source, path, settings.project_wrappers, called, named, roots) if called else frozenset()
        # Names that are there for another reason stay: the SDK catalog, configured wrappers,
        # the rules' hints, local aliases (`from app.llm import chat as ask`) and the names that
        # count in a module importing their library (`requests.post`).
        by_import = {name for name, modules in names_by_import(codes).items() if modules & plan.modules}
        unreached = (_names(project) - here - candidate_names(configured) - check_hints(codes)[1] - plan.aliases
                     - by_import)
        if unreached:
            plan.candidates -= unreached
            if not plan.called & plan.candidates:
                plan.candidates = set()
        if not here and plan.candidates and not may_hold_callsite(source, without_wrappers(settings), path=path):
            plan.candidates = set()  # let in for a wrapper's name only, and it reaches none: nothing to find
    return plan


def outline_names(settings: Settings) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """The catalog names that make a call a candidate, and those that count only in a module
    importing one of their libraries."""
    from promptlint.analysis.catalog import candidate_names

    codes = rule_codes(settings)
    wrappers = tuple(w.name for w in settings.wrappers) + tuple(row[0] for row in settings.project_wrappers)
    return candidate_names(wrappers) | check_hints(codes)[1], names_by_import(codes)


@cache
def _names(project: tuple[str, ...]) -> frozenset[str]:
    return frozenset(project)


def modules_named(tree) -> tuple[frozenset[str], frozenset[str]]:
    """(every module name the file's imports spell, the local names of plainly imported packages):
    `from app.llm import chat` names app, llm and chat; `from . import gateway` names gateway;
    `import app` makes `app` a root, through which `app.llm.chat(...)` names llm (see
    prefilter.wrapper_names_here). Imports anywhere count (in functions, under `if TYPE_CHECKING:`)."""
    import ast

    from promptlint.analysis.slicing import nested_blocks

    named: set[str] = set()
    roots: set[str] = set()
    todo = [tree.body]
    while todo:
        for node in todo.pop():
            if isinstance(node, ast.Import):
                for alias in node.names:
                    named.update(alias.name.split("."))
                    roots.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                named.update((node.module or "").split("."))
                named.update(alias.name for alias in node.names)
            else:
                todo.extend(nested_blocks(node))
    named.discard("")
    return frozenset(named), frozenset(roots)
