"""The rule documents in rules/PL*.yaml: complete, consistent with the registry and the catalog.

conventions.md §3-§4: every check has a document and every document a check; names and
default severities agree with the catalog (shared/spec/rules.md); the sections are all there,
non-empty and in order; the examples are usable as tests (tests/test_rule_examples.py runs
them); the generated pages under docs/rules/ are up to date.
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

from promptlint.checks import ENGINE_CODES, PROJECT_PHASE, REGISTRY, all_codes, load_check  # noqa: E402
from promptlint.ruledocs import SECTIONS  # noqa: E402

RULES = ROOT / "rules"
CATALOG = ROOT.parent / "shared" / "spec" / "rules.md"
DOC_PATHS = sorted(RULES.glob("PL[0-9][0-9][0-9].yaml"))
HEAD_KEYS = ("code", "name", "severity", "summary", "tags")
KEY_ORDER = (*HEAD_KEYS, *SECTIONS, "examples")
SEVERITIES = {"error", "warning", "info"}
MARKER = re.compile(r"#\s*<-\s*(?P<code>PL\d{3})(?:\s+waste=(?P<waste>\S+))?\s*$")
MIN_EXAMPLES = 2


def _raw(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


RAW = {path.stem: _raw(path) for path in DOC_PATHS}
DOC_IDS = sorted(RAW)


def _catalog_rows() -> dict[str, dict[str, str]]:
    """code -> {name, default} from the rule table in rules.md."""
    rows = {}
    for line in CATALOG.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"PL\d{3}", cells[0]):
            rows[cells[0]] = {"name": cells[1], "default": cells[3]}
    return rows


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
def test_registry_module_is_named_after_the_rule(code):
    if code not in RAW:
        pytest.skip("no document (reported by test_every_registered_code_has_a_document)")
    module_name = REGISTRY[code].split(":")[0]
    expected = f"{code.lower()}_{RAW[code]['name'].replace('-', '_')}"
    assert module_name == expected, f"{code}: registry module {module_name!r}, document name implies {expected!r}"


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_check_class_agrees_with_document(code):
    if code not in RAW:
        pytest.skip("no document")
    module_name, class_name = REGISTRY[code].split(":")
    if importlib.util.find_spec(f"promptlint.checks.{module_name}") is None:
        pytest.skip(f"promptlint/checks/{module_name}.py is not written yet")
    module = importlib.import_module(f"promptlint.checks.{module_name}")
    cls = getattr(module, class_name)
    doc = RAW[code]
    assert (cls.code, cls.name, cls.severity) == (doc["code"], doc["name"], doc["severity"])


@pytest.mark.parametrize("code", sorted(ENGINE_CODES))
def test_engine_code_agrees_with_document(code):
    if code not in RAW:
        pytest.skip("no document")
    name, severity = ENGINE_CODES[code]
    assert (RAW[code]["name"], RAW[code]["severity"]) == (name, severity)


@pytest.mark.parametrize("code", DOC_IDS)
def test_name_and_severity_agree_with_catalog(code):
    if not CATALOG.is_file():
        pytest.skip(f"{CATALOG} not found (shared/ is expected beside the repository)")
    rows = _catalog_rows()
    assert code in rows, f"{code} is not in the rule table of {CATALOG.name}"
    assert RAW[code]["name"] == rows[code]["name"]
    assert RAW[code]["severity"] == rows[code]["default"]


# --- document shape ----------------------------------------------------------------------


@pytest.mark.parametrize("code", DOC_IDS)
def test_keys_present_and_in_order(code):
    keys = list(RAW[code])
    missing = [k for k in KEY_ORDER if k not in keys]
    assert not missing, f"{code}: missing keys {missing}"
    unknown = [k for k in keys if k not in KEY_ORDER]
    assert not unknown, f"{code}: unknown keys {unknown}"
    assert keys == list(KEY_ORDER), f"{code}: keys must be in this order: {list(KEY_ORDER)}"


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
