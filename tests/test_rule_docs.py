"""The rule documents in rules/PL*.yaml: complete, and the one place a rule is declared.

conventions.md §3-§4: every check has a document and every document a check; the document
declares the rule's name, default severity and options, and the code reads them from there
(the class is found from the name); the sections are all there, non-empty and in order; the
examples are usable as tests (tests/test_rule_examples.py runs them); the generated pages
under docs/rules/ are up to date.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from promptlint.checks import (  # noqa: E402
    ENGINE_CODES, PROJECT_PHASE, REGISTRY, RESERVED_FOR_TESTS, all_codes, load_check)
from promptlint.config import read_config_table, settings_from_table  # noqa: E402
from promptlint.ruledocs import SECTIONS  # noqa: E402
from promptlint.settings import Settings  # noqa: E402

RULES = ROOT / "rules"
DOC_PATHS = sorted(RULES.glob("PL[0-9][0-9][0-9].yaml"))
HEAD_KEYS = ("code", "name", "severity", "summary", "tags")
KEY_ORDER = (*HEAD_KEYS, "parameters", *SECTIONS, "fixes", "examples")
OPTIONAL_KEYS = {"parameters", "fixes"}  # only rules with options / with an autofix (tests/test_fix_examples.py)
SEVERITIES = {"error", "warning", "info"}
MARKER = re.compile(r"#\s*<-\s*(?P<code>PL\d{3})(?:\s+waste=(?P<waste>\S+)|\s+latent)?\s*$")
MIN_EXAMPLES = 2


def _raw(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


RAW = {path.stem: _raw(path) for path in DOC_PATHS}
DOC_IDS = sorted(RAW)


def _gen_module():
    spec = importlib.util.spec_from_file_location("gen_rule_docs", ROOT / "scripts" / "gen_rule_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- registry <-> documents -------------------------------------------------------------


def test_there_are_rule_documents():
    assert DOC_PATHS, f"no rule documents under {RULES}"


def test_every_registered_code_has_a_document():
    missing = [code for code in all_codes() if code not in RAW]
    assert not missing, f"codes without a rules/<CODE>.yaml document: {missing}"


def test_every_document_has_a_registered_code():
    registered = set(REGISTRY) | set(ENGINE_CODES)
    orphans = [code for code in RAW if code not in registered]
    assert not orphans, f"documents for codes that are neither in REGISTRY nor ENGINE_CODES: {orphans}"


@pytest.mark.parametrize("code", DOC_IDS)
def test_file_name_matches_code(code):
    assert RAW[code]["code"] == code


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_check_class_is_found_from_the_document(code):
    """The document declares name and severity once; the class is found from the name and
    reads both back (nothing to keep in agreement)."""
    cls = load_check(code)
    check = cls(Settings())
    assert (check.code, check.name, check.severity) == (code, RAW[code]["name"], RAW[code]["severity"])
    assert "name" not in vars(cls) and "severity" not in vars(cls), f"{code}: declared in rules/{code}.yaml only"


def test_reserved_test_codes_are_never_registered():
    assert not set(RESERVED_FOR_TESTS) & {*REGISTRY, *ENGINE_CODES, *RAW}
    assert RESERVED_FOR_TESTS[0] == "PL900" and RESERVED_FOR_TESTS[-1] == "PL999"


@pytest.mark.parametrize("code", DOC_IDS)
def test_option_examples_in_the_document_are_valid_configuration(code, tmp_path):
    """The TOML examples of a rule's `options` section pass the same validation as a user's
    configuration (declared keys, types and ranges)."""
    blocks = re.findall(r"```toml\n(.*?)```", RAW[code]["options"], re.S)
    for block in blocks:
        (tmp_path / "pyproject.toml").write_text(block)
        settings_from_table(read_config_table(tmp_path / "pyproject.toml"), "pyproject.toml", str(tmp_path))


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_every_option_the_rule_reads_is_declared(code):
    """`self.option("x")` in the rule's module (and its helpers) names a declared option: read
    from the source, so a new option without a declaration fails here, not in a user's run."""
    declared = set(RAW[code].get("parameters") or {})
    module = Path(importlib.import_module(load_check(code).__module__).__file__).read_text()
    used = set(re.findall(r'self\.option\("([^"]+)"\)', module))
    assert used <= declared, f"{code}: options read but not declared in rules/{code}.yaml: {used - declared}"
    for other, key in re.findall(r'rule_option\([^,]+, "(PL\d{3})", "([^"]+)"\)', module):
        assert key in (RAW[other].get("parameters") or {}), f"{code} reads {other}'s undeclared option {key}"


# --- document shape ----------------------------------------------------------------------


@pytest.mark.parametrize("code", DOC_IDS)
def test_keys_present_and_in_order(code):
    keys = list(RAW[code])
    missing = [k for k in KEY_ORDER if k not in keys and k not in OPTIONAL_KEYS]
    assert not missing, f"{code}: missing keys {missing}"
    unknown = [k for k in keys if k not in KEY_ORDER]
    assert not unknown, f"{code}: unknown keys {unknown}"
    assert keys == [k for k in KEY_ORDER if k in keys], f"{code}: keys must be in this order: {list(KEY_ORDER)}"


@pytest.mark.parametrize("code", DOC_IDS)
def test_sections_are_non_empty_text(code):
    for section in SECTIONS:
        body = RAW[code][section]
        assert isinstance(body, str) and body.strip(), f"{code}: section {section!r} is empty"


@pytest.mark.parametrize("code", DOC_IDS)
def test_head_fields(code):
    doc = RAW[code]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", doc["name"]), f"{code}: name must be kebab-case"
    assert doc["severity"] in SEVERITIES
    summary = doc["summary"]
    assert isinstance(summary, str) and "\n" not in summary.strip(), f"{code}: summary must be one line"
    assert summary.strip().endswith("."), f"{code}: summary must be a sentence"
    assert not re.search(r"[.!?] +[A-Z]", summary.strip()), f"{code}: summary must be one sentence"
    tags = doc["tags"]
    assert isinstance(tags, list) and tags and len(tags) <= 20
    assert all(isinstance(t, str) and re.fullmatch(r"[a-z0-9-]+", t) for t in tags)
    # SARIF: a "security" tag (or security-severity) would turn cost findings into security alerts.
    assert "security" not in tags


@pytest.mark.parametrize("code", DOC_IDS)
def test_what_it_does_fits_sarif_full_description(code):
    # conventions.md §10: SARIF fullDescription is the "what it does" section, at most 1,024
    # characters because GitHub truncates it.
    assert len(RAW[code]["what it does"].strip()) <= 1024


def test_loader_reads_every_document():
    docs = _gen_module().load_docs()
    assert sorted(docs) == DOC_IDS
    for code, doc in docs.items():
        assert doc.summary and doc.markdown().startswith(f"# {code} {doc.name}\n")
        assert all(doc.sections[s].strip() for s in SECTIONS)


# --- examples ----------------------------------------------------------------------------


def _examples(code: str, kind: str) -> list[str]:
    return list((RAW[code].get("examples") or {}).get(kind) or [])


@pytest.mark.parametrize("code", DOC_IDS)
def test_enough_examples(code):
    examples = RAW[code]["examples"]
    assert set(examples) <= {"fire", "quiet"}, f"{code}: examples has keys other than fire/quiet"
    for kind in ("fire", "quiet"):
        items = _examples(code, kind)
        assert len(items) >= MIN_EXAMPLES, f"{code}: needs at least {MIN_EXAMPLES} {kind} examples"
        assert all(isinstance(src, str) and src.strip() for src in items)


@pytest.mark.parametrize("code", DOC_IDS)
def test_examples_parse(code):
    for kind in ("fire", "quiet"):
        for i, src in enumerate(_examples(code, kind)):
            if code == "PL000" and kind == "fire":
                with pytest.raises(SyntaxError):
                    ast.parse(src)
                continue
            try:
                ast.parse(src)
            except SyntaxError as exc:
                pytest.fail(f"{code}-{kind}-{i} does not parse: line {exc.lineno}: {exc.msg}")


def test_parse_error_examples_do_not_parse_with_libcst_either():
    libcst = pytest.importorskip("libcst")
    for i, src in enumerate(_examples("PL000", "fire") if "PL000" in RAW else []):
        with pytest.raises(libcst.ParserSyntaxError):
            libcst.parse_module(src)


@pytest.mark.parametrize("code", DOC_IDS)
def test_example_markers(code):
    for i, src in enumerate(_examples(code, "fire")):
        marks = [MARKER.search(line) for line in src.splitlines()]
        marks = [m for m in marks if m]
        assert marks, f"{code}-fire-{i}: mark the reported line with a trailing '# <- {code}'"
        for m in marks:
            assert m["code"] == code, f"{code}-fire-{i}: marker names {m['code']}"
            assert m["waste"] is None or m["waste"].isdigit(), f"{code}-fire-{i}: waste must be an integer"
    for i, src in enumerate(_examples(code, "quiet")):
        assert not any(MARKER.search(line) for line in src.splitlines()), f"{code}-quiet-{i} has a marker"


# --- generated pages ---------------------------------------------------------------------


def test_generated_rule_pages_are_up_to_date():
    gen = _gen_module()
    problems = gen.stale_pages(gen.render(gen.load_docs()))
    assert not problems, "docs/rules/ is stale; run `python scripts/gen_rule_docs.py`:\n" + "\n".join(problems)


def test_project_phase_list_matches_the_modules():
    with_phase = {code for code in REGISTRY if "run_project" in vars(load_check(code))}
    assert with_phase == set(PROJECT_PHASE)
