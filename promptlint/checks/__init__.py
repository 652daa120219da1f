"""Rule registry: code -> "module:Class", imported only when the rule is selected."""

from __future__ import annotations

import importlib

REGISTRY: dict[str, str] = {
    "PL101": "pl101_volatile_timestamp_in_prefix:VolatileTimestampInPrefix",
    "PL102": "pl102_unique_id_in_prefix:UniqueIdInPrefix",
    "PL103": "pl103_unstable_prefix_order:UnstablePrefixOrder",
    "PL104": "pl104_dynamic_before_static:DynamicBeforeStatic",
    "PL301": "pl301_uncapped_output:UncappedOutput",
    # -- caching, attribution, output caps, routing (PL105, PL106, PL201, PL202, PL302, PL501, PL502)
    "PL105": "pl105_uncached_static_prefix:UncachedStaticPrefix",
    "PL106": "pl106_varying_tool_choice:VaryingToolChoice",
    "PL201": "pl201_missing_task_tag:MissingTaskTag",
    "PL202": "pl202_missing_prompt_version:MissingPromptVersion",
    "PL302": "pl302_oversized_output_cap:OversizedOutputCap",
    "PL501": "pl501_router_llm_per_request:RouterLlmPerRequest",
    "PL502": "pl502_frontier_model_for_simple_task:FrontierModelForSimpleTask",
    # -- prompt text (PL401, PL403, PL404, PL405, PL406)
    "PL401": "pl401_excessive_few_shot:ExcessiveFewShot",
    "PL403": "pl403_prompt_padding:PromptPadding",
    "PL404": "pl404_repeated_instruction:RepeatedInstruction",
    "PL405": "pl405_duplicated_prompt:DuplicatedPrompt",
    "PL406": "pl406_verbose_serialization:VerboseSerialization",
    # -- structure: retrieval, batching, loops (PL402, PL601, PL701, PL702)
    "PL402": "pl402_oversized_retrieval_k:OversizedRetrievalK",
    "PL601": "pl601_batch_candidate:BatchCandidate",
    "PL701": "pl701_unbounded_agent_loop:UnboundedAgentLoop",
    "PL702": "pl702_growing_history:GrowingHistory",
}

# Rules with a second, project-wide phase (`run_project`), so the engine imports only these
# after the files are done (tests/test_rule_docs.py checks the list against the modules).
PROJECT_PHASE = ("PL403", "PL404", "PL405", "PL406")

# PL000 (parse-error) is emitted by the engine itself, not by a check module.
ENGINE_CODES = {"PL000": ("parse-error", "error")}


def all_codes() -> list[str]:
    return sorted([*REGISTRY, *ENGINE_CODES])


def load_check(code: str):
    module_name, class_name = REGISTRY[code].split(":")
    module = importlib.import_module(f"promptlint.checks.{module_name}")
    return getattr(module, class_name)


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
