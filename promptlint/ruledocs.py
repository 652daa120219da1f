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
    validate(name, data, path)
    return data


@dataclass(slots=True)
class RuleDoc:
    code: str
    name: str
    severity: str
    summary: str
    sections: dict[str, str]
    examples: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        out = [f"# {self.code} {self.name}", "", self.summary, ""]
        for title in SECTIONS:
            body = self.sections.get(title, "").rstrip()
            out += [f"## {title.capitalize()}", "", body, ""]
        return "\n".join(out).rstrip() + "\n"

    def text(self) -> str:
        out = [f"{self.code} {self.name} ({self.severity})", "", self.summary, ""]
        for title in SECTIONS:
            body = self.sections.get(title, "").rstrip()
            out += [f"{title.capitalize()}:", body, ""]
        return "\n".join(out).rstrip() + "\n"


@cache
def load_all() -> dict[str, RuleDoc]:
    import yaml

    docs = {}
    for path in sorted(rules_dir().glob("PL[0-9][0-9][0-9].yaml")):
        with open(path, encoding="utf-8") as fh:
            raw = yaml.load(fh, Loader=_loader())
        docs[raw["code"]] = RuleDoc(
            code=raw["code"],
            name=raw["name"],
            severity=raw["severity"],
            summary=raw["summary"].strip(),
            sections={k: str(raw.get(k, "") or "") for k in SECTIONS},
            examples=raw.get("examples") or {},
            tags=list(raw.get("tags") or ["cost", "llm"]),
        )
    return docs
