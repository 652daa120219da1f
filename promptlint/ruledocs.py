"""Rule documents and data files under `rules/` (shipped in the wheel as `promptlint/_rules`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SECTIONS = (
    "what it does",
    "why it costs",
    "example",
    "use instead",
    "cost estimate",
    "options",
    "known false positives",
)


@cache
def rules_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_rules", here.parent / "rules"):
        if (candidate / "sdks.yaml").is_file():
            return candidate
    raise FileNotFoundError("promptlint's rules/ data directory is missing from this installation")


def _loader():
    """libyaml's safe loader when PyYAML was built with it: ten times faster."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path):
    """A YAML file's data; CatalogError (exit 2) naming the file when it cannot be read or parsed."""
    import yaml

    from promptlint.errors import CatalogError

    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_loader())
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise CatalogError(f"{path}: invalid YAML: {where}{getattr(exc, 'problem', None) or exc}") from None


@cache
def load_data(name: str):
    """Load one data file from rules/ (e.g. 'sdks.yaml'), checked against its schema
    (catalog_check.py): a bad file ends the run with exit 2, naming file and key."""
    from promptlint.catalog_check import validate

    path = rules_dir() / name
    data = read_yaml(path)
    validate(name, data, path, load_data)
    return data


# ---------------------------------------------------------------- rule metadata

@dataclass(frozen=True, slots=True)
class RuleMeta:
    """What the code needs of a rule, read from its document rules/<CODE>.yaml: the single
    place that declares its name, default severity and options."""

    code: str
    name: str
    severity: str
    parameters: dict  # name -> catalog_check.Parameter

    @property
    def module(self) -> str:
        """promptlint/checks/<module>.py, derived from code and name (scripts/add_rule.py writes it)."""
        return f"{self.code.lower()}_{self.name.replace('-', '_')}"

    @property
    def class_name(self) -> str:
        return "".join(word.capitalize() for word in self.name.split("-"))


@cache
def rule_meta(code: str) -> RuleMeta:
    """The metadata of a rule (CatalogError when its document is missing or invalid)."""
    from promptlint.catalog_check import validate_rule_doc

    path = rules_dir() / f"{code}.yaml"
    raw = read_yaml(path)
    validate_rule_doc(raw, path)
    return RuleMeta(raw["code"], raw["name"], raw["severity"], _parameters(raw))


def _parameters(raw: dict) -> dict:
    """name -> catalog_check.Parameter, as the document declares them (already validated)."""
    from promptlint.catalog_check import Parameter

    return {name: Parameter(name, spec["type"], spec.get("default"), spec["help"].strip(),
                            spec.get("min"), spec.get("max"))
            for name, spec in (raw.get("parameters") or {}).items()}


def rule_option(settings, code: str, key: str):
    """The value of option `key` of rule `code`: the configured one (checked when the config
    was read), else the default its document declares. An undeclared key is a bug."""
    configured = settings.rule_options.get(code, {}) if settings is not None else {}
    if key in configured:
        return configured[key]
    default = rule_meta(code).parameters[key].default
    return list(default) if isinstance(default, list) else default


# ---------------------------------------------------------------- rule documents


@dataclass(slots=True)
class RuleDoc:
    code: str
    name: str
    severity: str
    summary: str
    sections: dict[str, str]
    examples: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)  # name -> catalog_check.Parameter

    def _section(self, title: str, markdown: bool) -> str:
        body = self.sections.get(title, "").rstrip()
        if title != "options" or not self.parameters:
            return body
        if markdown:  # the declared options, generated: their defaults are written nowhere else
            rows = ["| option | type | default | allowed | meaning |", "| --- | --- | --- | --- | --- |"]
            rows += [f"| `{p.name}` | {p.type} | `{p.default_text()}` | "
                     f"{p.range() if p.min is not None or p.max is not None else 'any'} | "
                     f"{' '.join(p.help.split())} |" for p in self.parameters.values()]
        else:
            rows = [f"- {p.name} ({p.type}, default {p.default_text()}"
                    f"{', ' + p.range() if p.min is not None or p.max is not None else ''}): "
                    f"{' '.join(p.help.split())}" for p in self.parameters.values()]
        return "\n".join(rows) + ("\n\n" + body if body else "")
    # The `fixes` section (rules with an autofix): applicability, what it changes, and
    # before/after examples that tests/test_fix_examples.py applies.
    fixes: dict | None = None

    def markdown(self) -> str:
        out = [f"# {self.code} {self.name}", "", self.summary, ""]
        for title in SECTIONS:
            out += [f"## {title.capitalize()}", "", self._section(title, True), ""]
        if self.fixes:
            out += ["## Fix", "", f"Applicability: **{self.fixes['applicability']}** "
                    "(`--fix` applies safe fixes; unsafe ones need `--unsafe-fixes`).", "",
                    self.fixes["what it changes"].rstrip(), ""]
            example = self.fixes["examples"][0]
            out += ["Before:", "", "```python", example["before"].rstrip(), "```", "",
                    "After `promptlint check --fix --unsafe-fixes`:", "", "```python", example["after"].rstrip(),
                    "```", ""]
        return "\n".join(out).rstrip() + "\n"

    def text(self) -> str:
        out = [f"{self.code} {self.name} ({self.severity})", "", self.summary, ""]
        for title in SECTIONS:
            out += [f"{title.capitalize()}:", self._section(title, False), ""]
        if self.fixes:
            out += [f"Fix ({self.fixes['applicability']}):", self.fixes["what it changes"].rstrip(), ""]
        return "\n".join(out).rstrip() + "\n"


@cache
def load_all() -> dict[str, RuleDoc]:
    from promptlint.catalog_check import validate_rule_doc

    docs = {}
    for path in sorted(rules_dir().glob("PL[0-9][0-9][0-9].yaml")):
        raw = read_yaml(path)
        validate_rule_doc(raw, path)
        docs[raw["code"]] = RuleDoc(
            code=raw["code"],
            name=raw["name"],
            severity=raw["severity"],
            summary=raw["summary"].strip(),
            sections={k: str(raw.get(k, "") or "") for k in SECTIONS},
            examples=raw.get("examples") or {},
            tags=list(raw.get("tags") or ["cost", "llm"]),
            parameters=_parameters(raw),
            fixes=raw.get("fixes"),
        )
    return docs
