"""Rule registry: code -> "module:Class", imported only when the rule is selected."""

from __future__ import annotations

import importlib

# The registered rules. A rule's name, default severity and options are declared once, in
# its document rules/<CODE>.yaml; its module is checks/<code>_<name>.py and its class the
# name in CamelCase, both derived from that name (scripts/add_rule.py writes all three).
REGISTRY: tuple[str, ...] = (
    # -- prompt caching (PL101-PL106)
    "PL101", "PL102", "PL103", "PL104", "PL105", "PL106",
    # -- attribution (PL201-PL203)
    "PL201", "PL202", "PL203",
    # -- output caps (PL301, PL302)
    "PL301", "PL302",
    # -- prompt text and retrieval (PL401-PL406)
    "PL401", "PL402", "PL403", "PL404", "PL405", "PL406",
    # -- routing (PL501, PL502)
    "PL501", "PL502",
    # -- batching and loops (PL601, PL701, PL702)
    "PL601", "PL701", "PL702",
)

# Rules with a second, project-wide phase (`run_project`), so the engine imports only these
# after the files are done (tests/test_rule_docs.py checks the list against the modules).
PROJECT_PHASE = ("PL401", "PL403", "PL404", "PL405", "PL406")

# PL000 (parse-error) is emitted by the engine itself, not by a check module.
ENGINE_CODES = ("PL000",)

# Test modules (model.TEST_FILE). One that mocks or replays the SDK (a mock, a cassette) bills
# nothing and is not analysed at all (prefilter.is_mocked_test). In any other, a request runs a
# few times per CI run, against whatever the test points it at (a fake, a local or staging
# server, sometimes the real provider), with a prompt, tag and format that are test data. So a
# finding whose value is a saving per call times production traffic (caching, attribution and
# usage, prompt size, retrieval, routing, batching, history) is noise there, while a worst-case
# exposure (a request with no or an oversized output cap, a loop the model can keep running:
# cost/prices.py WORST_CASE_CODES) costs real money on every CI run of a test that does reach
# a paid API: only these rules report in test modules. Applied by the engine, for every rule.
# (A raw HTTP post whose host a test does not spell is not billed: analysis/callsites.py; PL301
# judges a test's own requests, not the chat models it builds, mostly handed to fakes.)
REPORTED_IN_TESTS = ("PL301", "PL302", "PL701")

# Never assigned to a rule: tests that need a code promptlint does not know use these, so
# registering a new rule never breaks them (tests/test_rule_docs.py keeps it so).
RESERVED_FOR_TESTS = tuple(f"PL{n}" for n in range(900, 1000))


def all_codes() -> list[str]:
    return sorted([*REGISTRY, *ENGINE_CODES])


def load_check(code: str):
    """The Check class of a registered rule, its module imported only now."""
    from promptlint.ruledocs import rule_meta

    meta = rule_meta(code)
    module = importlib.import_module(f"promptlint.checks.{meta.module}")
    return getattr(module, meta.class_name)


def is_selected(code: str, select: list[str], ignore: list[str]) -> bool:
    """Ruff-style prefix matching: the longest matching prefix wins; ties go to ignore.

    PL000 (a file that cannot be parsed) is reported whatever `select` says, as ruff
    reports syntax errors: only an `ignore` prefix that matches it turns it off. This is
    the one place that decides it (engine, reports and baseline all ask here)."""
    if code in ENGINE_CODES:
        return not any(code.startswith(p.upper()) for p in ignore)
    best_select = max((len(p) for p in select if code.startswith(p.upper())), default=-1)
    best_ignore = max((len(p) for p in ignore if code.startswith(p.upper())), default=-1)
    return best_select > best_ignore


def selected_codes(select: list[str], ignore: list[str]) -> list[str]:
    return [c for c in all_codes() if is_selected(c, select, ignore)]


def codes_for_path(codes: tuple[str, ...], path: str) -> tuple[str, ...]:
    """The rules of `codes` that report in the module at `path` (REPORTED_IN_TESTS)."""
    from promptlint.model import TEST_FILE

    if not TEST_FILE.search(path):
        return codes
    return tuple(c for c in codes if c in REPORTED_IN_TESTS)


def outside_tests(callsites: list) -> list:
    """The call sites the project phase (PL401, PL403-PL406) compares: those of test modules are
    test data (REPORTED_IN_TESTS), not a second copy of a production prompt."""
    from promptlint.model import TEST_FILE

    return [s for s in callsites if not TEST_FILE.search(s.path)]
