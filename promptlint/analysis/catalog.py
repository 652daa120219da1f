"""Look-ups in the catalog under `rules/` (sdks.yaml, volatile.yaml, retrievers.yaml,
agent_frameworks.yaml): SDK names, calls that read the clock or mint ids, and the byte
markers and call names that rules need parsed even where no LLM call is visible (a
retrieval call for PL402, an agent framework for PL701).

Kept free of libcst and of the rule modules so the pre-check can import it: a file
with nothing to check should cost a regular expression, not a libcst import.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import cache

from promptlint.ruledocs import load_data


@cache
def sdk_data():
    return load_data("sdks.yaml")


@cache
def shadowed_requests(shipped: frozenset[str]) -> frozenset[str]:
    """The request names that only the catalog entries of frameworks the project ships define
    (sdks.yaml `shadowed_by_project`): in crewAI's own package `crew.kickoff()` calls the
    project's own code, as the analysis reads it (callsites.CallSiteFinder._shadowed), so there
    it makes no function a wrapper (project_index.ProjectIndex.requests_at): crewAI's methods
    become wrappers only through the requests they reach (litellm, openai). Counted as requests,
    they made most of its Agent, Crew and Task methods wrappers that no call site could expand,
    and each file calling one was parsed. Outside the package (its CLI, its tools) the
    framework is a dependency, and they are requests (prefilter.uses_framework)."""
    if not shipped:
        return frozenset()
    sdk = sdk_data()
    roots: dict[str, set[str]] = {}  # client kind -> the packages of the classes of that kind
    for qual, kind in sdk["clients"].items():
        roots.setdefault(kind if isinstance(kind, str) else kind.get("kind"), set()).add(qual.split(".")[0])
    for qual, entry in sdk["model_classes"].items():
        roots.setdefault(entry.get("kind"), set()).add(qual.split(".")[0])
    mine, others = set(), set()
    for table in (sdk["methods"], sdk["call_methods"]):
        for kind, paths in table.items():
            shadowed = bool(roots.get(kind)) and roots[kind] <= shipped
            (mine if shadowed else others).update(path.split(".")[-1] for path in paths)
    for qual in sdk["functions"]:
        (mine if qual.split(".")[0] in shipped else others).add(qual.split(".")[-1])
    return frozenset(mine - others)


@cache
def volatile_data():
    return load_data("volatile.yaml")


@cache
def sdk_roots() -> frozenset[str]:
    """Top-level packages of the SDKs and stdlib modules: never looked up on disk."""
    sdk = sdk_data()
    names = {q.split(".")[0] for q in [*sdk["clients"], *sdk["functions"], *sdk["model_classes"]]}
    return frozenset(names | {"os", "sys", "json", "time", "datetime", "random", "uuid", "typing", "re"})


def reexported(qual: str) -> str:
    """`from app.llm import litellm`: a project module re-exporting an SDK module under
    its own name (often a lazy loader) is taken to be that SDK module."""
    head, _, last = qual.rpartition(".")
    if head and last in sdk_roots() and head.split(".")[0].lstrip(".") not in sdk_roots():
        return last
    return qual


def volatile_kind_of_call(qual: str) -> str | None:
    data = volatile_data()
    for kind in ("unordered", "timestamp", "unique-id"):
        for pattern in data[kind]["calls"]:
            if qual == pattern or (pattern.endswith(".*") and fnmatchcase(qual, pattern)):
                return kind
    return None


@cache
def _volatile_names() -> frozenset[str]:
    return frozenset(volatile_data()["unique-id"]["names"])


def volatile_name(name: str) -> bool:
    return name.lower() in _volatile_names()


@cache
def precheck_chains() -> tuple[str, ...]:
    """The pre-check's method-chain markers, derived from the catalog (catalog_check.precheck_chains)."""
    from promptlint.catalog_check import precheck_chains as derive

    return derive(sdk_data())


@cache
def candidate_names(wrappers: tuple[str, ...]) -> frozenset[str]:
    """Last identifiers of every request method, function and chat-model class in the catalog."""
    sdk = sdk_data()
    names = set()
    for table in (sdk["methods"], sdk["call_methods"]):
        for entries in table.values():
            names |= {path.split(".")[-1] for path in entries}
    names |= {q.split(".")[-1] for q in [*sdk["functions"], *sdk["model_classes"]]}
    names |= {w.split(".")[-1] for w in wrappers}
    return frozenset(names - set(sdk.get("prefilter", {}).get("names_by_import", {})))


@cache
def sdk_names_by_import() -> dict[str, frozenset[str]]:
    """Request-method names too common to count on their own (`post`, `run`, `query`):
    name -> the packages one of which the module must import for it to be a candidate."""
    table = sdk_data().get("prefilter", {}).get("names_by_import", {})
    return {name: frozenset(modules) for name, modules in table.items()}


@cache
def http_roots() -> frozenset[str]:
    """The packages of the catalog's raw HTTP calls (`requests.post`, `httpx.Client`)."""
    sdk = sdk_data()
    found = {qual.split(".")[0] for qual, kinds in sdk["functions"].items() if "http" in kinds}
    found |= {qual.split(".")[0] for qual, kind in sdk["clients"].items() if kind == "http"}
    return frozenset(found)


def retrieval_hints() -> tuple[tuple[str, ...], tuple[str, ...]]:
    markers, names = set(), set()
    for entry in load_data("retrievers.yaml")["retrievers"]:
        markers.update(entry.get("imports", []))
        if not entry.get("imports"):  # the method or class name itself is the evidence
            markers.update(m + "(" for m in entry.get("methods", []))
            markers.update(entry.get("classes", []))
            names.update(m.split(".")[-1] for m in entry.get("methods", []))
            names.update(entry.get("classes", []))
    return tuple(sorted(markers)), tuple(sorted(names))


def retrieval_names_by_import() -> dict[str, frozenset[str]]:
    """Generic retrieval names (`query`, `search`, `limit`) that PL402 considers only in a
    module importing their library: name -> those libraries. A module without them
    need not be parsed for these calls (most `.search(` calls are not vector stores)."""
    found: dict[str, set[str]] = {}
    for entry in load_data("retrievers.yaml")["retrievers"]:
        if entry.get("imports"):
            for name in [m.split(".")[-1] for m in entry.get("methods", [])] + entry.get("classes", []):
                found.setdefault(name, set()).update(entry["imports"])
    return {name: frozenset(modules) for name, modules in found.items()}


def agent_framework_hints() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A framework is reported only when its cap keyword is written (or, for a runner
    whose default is no cap, its method is called), so those are the byte markers."""
    markers, names = set(), set()
    for entry in load_data("agent_frameworks.yaml")["frameworks"]:
        if entry.get("default_unbounded") and entry.get("chain"):
            markers.add(entry["chain"].split(".")[-1])
        else:  # written as a keyword (`max_iter=`) or a config key (`"recursion_limit"`)
            param = entry["param"].split(".")[-1]
            markers.update({f"{param}=", f'"{param}"', f"'{param}'"})
        names.update(q.split(".")[-1] for q in entry.get("calls", []))
        names.update(entry.get("methods", []))
        if entry.get("chain"):
            names.add(entry["chain"].split(".")[-1])
    return tuple(sorted(markers)), tuple(sorted(names))


# code -> function returning (byte markers, call names)
HINTS = {"PL402": retrieval_hints, "PL701": agent_framework_hints}
# code -> function returning {call name: modules one of which the file must import}
NAMES_BY_IMPORT = {"PL402": retrieval_names_by_import}
