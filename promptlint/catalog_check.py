"""Validation of the data files under `rules/` when they are loaded.

The SDK catalog (`sdks.yaml`) and the rules' data files are edited by hand, and
the code reads them with plain `data["key"]`: without a check, a typo ends the
run with `internal error: KeyError: 'anthropic-completion'` and no file. Here
every file has a schema (the keys it may hold and their types, unknown keys
refused with the closest valid one suggested), and `sdks.yaml` has cross-checks:
every method names an existing shape, every `returns` an existing client kind,
every shape only keys the engine reads. A problem raises CatalogError (exit 2)
naming the file, the key and what is wrong.

The schemas are small combinators: `Str`, `Int`, `List(Str)`, `Table(value)`
(any string keys), `Record(required={...}, optional={...})`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from promptlint.errors import CatalogError


class Problem(Exception):
    """A schema mismatch at `where` (a key path inside the file)."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(what)
        self.where, self.what = where, what


def join(where: str, key) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    key = str(key)
    shown = key if re.fullmatch(r"[\w-]+", key) else f"'{key}'"
    return f"{where}.{shown}" if where else shown


def suggest(word: str, valid) -> str:
    """` (did you mean 'x'?)` for the closest valid name; among close ones, the one that shares
    the longest start with `word` (`anthropic-completion` -> `anthropic-messages`, not
    `openai-completions`: a typo rarely changes the provider)."""
    import difflib

    word = str(word)
    close = difflib.get_close_matches(word, sorted(map(str, valid)), n=3, cutoff=0.5)
    if not close:
        return ""
    shared = [len(os.path.commonprefix([word, c])) for c in close]
    best = close[shared.index(max(shared))]
    return f" (did you mean '{best}'?)"


def type_name(value) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a mapping", type(None): "null"}.get(type(value), type(value).__name__)


class Schema:
    expected = "a value"

    def check(self, value, where: str) -> None:
        raise NotImplementedError


class Scalar(Schema):
    def __init__(self, types: tuple, expected: str) -> None:
        self.types, self.expected = types, expected

    def check(self, value, where: str) -> None:
        # bool is an int in Python; YAML's `no` / `on` silently become booleans, so say so.
        if isinstance(value, bool) and bool not in self.types or not isinstance(value, self.types):
            hint = " (YAML reads unquoted yes/no/on/off as booleans: quote it)" if isinstance(value, bool) \
                and str in self.types else ""
            raise Problem(where, f"expected {self.expected}, got {type_name(value)} ({value!r}){hint}")


Str = Scalar((str,), "a string")
Int = Scalar((int,), "an integer")
Num = Scalar((int, float), "a number")
Bool = Scalar((bool,), "true or false")


class _Regex(Schema):
    expected = "a regular expression"

    def check(self, value, where: str) -> None:
        Str.check(value, where)
        try:
            re.compile(value)
        except re.error as exc:
            raise Problem(where, f"not a valid regular expression: {exc}") from None


Regex = _Regex()


class Nullable(Schema):
    def __init__(self, inner: Schema) -> None:
        self.inner, self.expected = inner, f"{inner.expected} or null"

    def check(self, value, where: str) -> None:
        if value is not None:
            self.inner.check(value, where)


class Either(Schema):
    def __init__(self, *options: Schema) -> None:
        self.options = options
        self.expected = " or ".join(o.expected for o in options)

    def check(self, value, where: str) -> None:
        for option in self.options:
            try:
                option.check(value, where)
                return
            except Problem:
                continue
        raise Problem(where, f"expected {self.expected}, got {type_name(value)}")


class List(Schema):
    def __init__(self, item: Schema, min_items: int = 0) -> None:
        self.item, self.min_items = item, min_items
        self.expected = f"a list of {item.expected.removeprefix('a ').removeprefix('an ')}s"

    def check(self, value, where: str) -> None:
        if not isinstance(value, list):
            raise Problem(where, f"expected {self.expected}, got {type_name(value)}")
        if len(value) < self.min_items:
            raise Problem(where, f"expected at least {self.min_items} item(s)")
        for i, item in enumerate(value):
            self.item.check(item, join(where, i))


class Table(Schema):
    """A mapping with any string keys (names chosen by the data) and values of one schema."""

    expected = "a mapping"

    def __init__(self, value: Schema, key: Schema = Str) -> None:
        self.value, self.key = value, key

    def check(self, value, where: str) -> None:
        if not isinstance(value, dict):
            raise Problem(where, f"expected a mapping, got {type_name(value)}")
        for k, v in value.items():
            self.key.check(k, join(where, k))
            self.value.check(v, join(where, k))


class Record(Schema):
    """A mapping with known keys: `required` ones must be there, others are refused."""

    expected = "a mapping"

    def __init__(self, required: dict | None = None, optional: dict | None = None) -> None:
        self.required, self.optional = required or {}, optional or {}

    def check(self, value, where: str) -> None:
        if not isinstance(value, dict):
            raise Problem(where, f"expected a mapping, got {type_name(value)}")
        known = {**self.required, **self.optional}
        for key in self.required:
            if key not in value:
                raise Problem(where, f"missing key '{key}'")
        for key, item in value.items():
            if key not in known:
                raise Problem(join(where, key), f"unknown key{suggest(key, known)}; known keys: "
                                                f"{', '.join(sorted(known))}")
            known[key].check(item, join(where, key))


Names = List(Str)

# ---------------------------------------------------------------- the files

PART = Record(required={"key": Str, "role": Str}, optional={"pos": Int})
SHAPE = Record(optional={
    "model": Names, "parts": List(PART), "cap": Names, "cap_required": Bool, "default_cap": Int,
    "billed": Bool, "ctor_cap": Names, "ctor_model": Names, "model_pos": Int, "positional": Table(Str, key=Int),
    "agent": Record(required={"key": Str, "pos": Int}), "cap_set_elsewhere": Bool, "tag_hint": Str,
    "members": Str})
METHOD = Either(Str, Record(required={"returns": Str}))
MODEL_CLASS = Record(required={"provider": Str, "kind": Str, "model": Names}, optional={
    "cap": Names, "cap_at_call": Bool, "default_cap": Int, "model_pos": Int, "system": Either(Str, Names),
    "billed": Bool, "model_prefix": Table(Str), "model_object": Str, "custom_model": Str, "sends_cap": Bool,
    "model_default_cap": Table(Int), "fields_from": Names, "positional": Table(Str, key=Int)})
CHAIN_SHAPE = Record(required={"chain": Str, "provider": Str, "shape": Str, "requires": Names},
                     optional={"any_of": Names, "package": Str})
ENDPOINT = Record(required={"pattern": Regex, "api": Str, "provider": Str, "shape": Str})

SCHEMAS: dict[str, Schema] = {
    "sdks.yaml": Record(
        required={"prefilter": Record(required={"packages": List(Regex), "chains": Names},
                                      optional={"import_only": Names, "names_by_import": Table(Names)}),
                  "clients": Table(Str), "methods": Table(Table(METHOD)), "shapes": Table(SHAPE)},
        optional={"version": Int, "transparent_links": Names, "passthrough_calls": Names,
                  "passthrough_methods": Names,
                  "service_clients": Record(required={"methods": Names, "services": Table(Str)}),
                  "functions": Table(List(Str)), "model_classes": Table(MODEL_CLASS), "derived_methods": Names,
                  "call_methods": Table(Table(METHOD)), "kind_providers": Table(Str),
                  "chain_shapes": List(CHAIN_SHAPE), "model_object_providers": Table(Str),
                  "shadowed_by_project": Names, "ctor_cap_kinds": Names,
                  "http": Record(required={"endpoints": List(ENDPOINT)}, optional={"tag_hint": Str})}),
    "hosts.yaml": Record(required={"hosts": List(Record(required={"host": Str},
                                                        optional={"provider": Str, "local": Bool}))},
                         optional={"version": Int, "placeholder_keys": Names,
                                   "local_providers": Names, "local_model_prefixes": Table(Names)}),
    "providers.yaml": Record(required={"providers": Table(Record(optional={
        "prices": Str, "task_tag": Str, "task_tag_by_api": Table(Str), "task_tag_vertex": Str}))}, optional={"version": Int, "task_tag_default": Str,
                                                      "task_tag_by_shape": Table(Str)}),
    "agent_frameworks.yaml": Record(
        required={"frameworks": List(Record(required={"framework": Str, "param": Str}, optional={
            "calls": Names, "methods": Names, "imports": Names, "chain": Str, "pos": Int,
            "default": Nullable(Int), "default_unbounded": Bool, "none_unbounded": Bool,
            "calls_per_step": Num, "unit": Str, "bounded_by": Names, "only_with": Names}))},
        optional={"version": Int, "input_calls": Names, "pacing_calls": Names, "input_devices": Names,
                  "input_keywords": Names}),
    "attribution.yaml": Record(required={
        "request_containers": Names, "client_containers": Names, "rejected": Table(Names),
        "langchain_names": Names, "langchain_client_names": Names},
        optional={"no_client_containers": Names}),
    "batch_apis.yaml": Record(
        required={"providers": Table(Record(required={"name": Str, "api": Str, "discount": Num})),
                  "batch_submissions": Names, "retry_markers": Names},
        optional={"version": Int, "agent_runs": Names}),
    "caching.yaml": Record(required={
        "explicit": List(Record(required={"provider": Str, "how": Str}, optional={"model": Regex})),
        "request_switches": Names, "unknown_model_min_tokens": Int, "wrapper_shapes": Names,
        "file_markers": Names},
        optional={"no_cache": Names, "unknown_model_min_tokens_by_provider": Table(Int)}),
    "instrumentation.yaml": Record(required={
        "prefilter": Names,
        "markers": List(Record(required={"style": Str, "kind": Str, "name": Str, "needle": Str, "providers": Names},
                               optional={"shapes": Names})),
        "usage_fields": Names, "cached_fields": Names, "count_fields": Names,
        "recording_calls": Record(required={"last": Names, "first": Names}),
        "final_response_methods": Names, "final_response_attributes": Names,
        "stream_without_usage": Record(required={"shapes": Names}),
        "builtin": List(Record(required={"style": Str, "shapes": Names}))}),
    "few_shot.yaml": Record(required={
        "templates": Names, "template_packages": Names, "constant_name": Regex,
        "inline": Record(required={
            "input_labels": Names, "output_labels": Names, "turn_labels": Names, "example_heads": Names,
            "intro_words": Names})}),
    "model_tiers.yaml": Record(required={
        "models": List(Record(required={"match": Regex, "family": Str, "tier": Str}, optional={"cheaper": Str})),
        "simple_task_tags": Table(Regex), "simple_task_prompts": Table(Regex)}),
    "models.yaml": Record(required={
        "min_cacheable_tokens": Record(required={"default": Int}, optional={
            "providers": Table(Int), "models": List(Record(required={"match": Regex, "tokens": Int}))}),
        "max_output_tokens": List(Record(required={"match": Regex, "tokens": Int}))}),
    "padding.yaml": Record(required={
        "phrases": Names, "clause_initial": Names, "mention_words": Names, "quoted_line_prefixes": Names,
        "filler_words": Names}, optional={"example_heads": Names}),
    "reasoning.yaml": Record(required={"models": List(Regex), "arguments": Names}),
    "retrievers.yaml": Record(
        required={"retrievers": List(Record(required={"library": Str, "k": Str}, optional={
            "methods": Names, "classes": Names, "imports": Names, "keywords_any": Names, "k_pos": Int,
            "default": Nullable(Int), "default_fires": Bool, "receiver_calls": Names}))},
        optional={"version": Int, "chunking": Record(optional={
            "character_splitters": Names, "chars_per_token": Int, "keyword": Str, "token_constructors": Names})}),
    "routing.yaml": Record(required={"router_phrases": List(Regex)}),
    "volatile.yaml": Table(Record(optional={"calls": Names, "names": Names, "methods": Names,
                                            "orderers": Names})),
}

TIERS = ("cheap", "mid", "top")
MARKER_KINDS = ("call", "import", "assign", "instrumentor", "string")  # analysis/instrumentation.py
ROLES = ("tools", "system", "instructions", "user", "assistant", "developer", "prompt", "input", "messages")


def validate(name: str, data, path, load_data) -> None:
    """Raise CatalogError if `data` (the parsed `rules/<name>`) is not what the code expects.
    `load_data(name)` reads a sibling file, for references across files."""
    schema = SCHEMAS.get(name)
    if schema is None:
        return
    try:
        schema.check(data, "")
        if name == "sdks.yaml":
            check_sdks(data)
        elif name == "model_tiers.yaml":
            for i, row in enumerate(data["models"]):
                if row["tier"] not in TIERS:
                    raise Problem(join(join("models", i), "tier"),
                                  f"'{row['tier']}' is not a tier{suggest(row['tier'], TIERS)}; "
                                  f"tiers: {', '.join(TIERS)}")
        elif name == "caching.yaml":
            for i, shape in enumerate(data["wrapper_shapes"]):
                known_shape(shape, join("wrapper_shapes", i), load_data)
        elif name == "instrumentation.yaml":
            for i, marker in enumerate(data["markers"]):
                if marker["kind"] not in MARKER_KINDS:
                    raise Problem(join(join("markers", i), "kind"), f"'{marker['kind']}' is not a marker kind"
                                  f"{suggest(marker['kind'], MARKER_KINDS)}; kinds: {', '.join(MARKER_KINDS)}")
                for j, shape in enumerate(marker.get("shapes", [])):
                    known_shape(shape, join(join(join("markers", i), "shapes"), j), load_data)
            for i, entry in enumerate(data["builtin"]):
                for j, shape in enumerate(entry["shapes"]):
                    known_shape(shape, join(join(join("builtin", i), "shapes"), j), load_data)
            for i, shape in enumerate(data["stream_without_usage"]["shapes"]):
                known_shape(shape, join(join("stream_without_usage", "shapes"), i), load_data)
        elif name == "providers.yaml":
            for shape in data.get("task_tag_by_shape", {}):
                known_shape(shape, join("task_tag_by_shape", shape), load_data)
        elif name == "hosts.yaml":
            providers = known_providers(load_data)
            for key in ("local_providers", "local_model_prefixes"):
                for provider in data.get(key, []):
                    if provider not in providers:
                        raise Problem(join(key, provider), f"'{provider}' is not a provider of providers.yaml or "
                                                           f"sdks.yaml{suggest(provider, providers)}")
        elif name == "batch_apis.yaml":
            for i, shape in enumerate(data.get("agent_runs", [])):
                known_shape(shape, join("agent_runs", i), load_data)
    except Problem as problem:
        where = f"{problem.where}: " if problem.where else ""
        raise CatalogError(f"{path}: {where}{problem.what}") from None


def known_providers(load_data) -> set[str]:
    """The names a call site's provider can take: providers.yaml's, and sdks.yaml's client kinds
    and the providers its functions, kinds and model classes name."""
    sdk = load_data("sdks.yaml")
    return {*load_data("providers.yaml")["providers"], *sdk["methods"], *sdk.get("kind_providers", {}).values(),
            *(entry[0] for entry in sdk.get("functions", {}).values()),
            *(entry["provider"] for entry in sdk.get("model_classes", {}).values())}


def known_shape(shape: str, where: str, load_data) -> None:
    """A shape named from another file must exist in sdks.yaml."""
    shapes = load_data("sdks.yaml")["shapes"]
    if shape not in shapes:
        raise Problem(where, f"names shape '{shape}', which is not in sdks.yaml 'shapes'{suggest(shape, shapes)}")


def check_sdks(sdk: dict) -> None:
    """Cross-references inside the SDK catalog."""
    shapes = sdk["shapes"]
    call_methods = sdk.get("call_methods", {})
    for table_name, kinds in (("methods", sdk["methods"]), ("call_methods", call_methods)):
        for kind, entries in kinds.items():
            for method, target in entries.items():
                where = join(join(table_name, kind), method)
                if isinstance(target, dict):
                    if target["returns"] not in kinds:
                        raise Problem(join(where, "returns"), f"names client kind '{target['returns']}', which is "
                                                              f"not in '{table_name}'{suggest(target['returns'], kinds)}")
                elif target not in shapes:
                    raise Problem(where, f"names shape '{target}', which is not in 'shapes'{suggest(target, shapes)}")
    for cls, kind in sdk["clients"].items():
        if kind not in sdk["methods"]:
            raise Problem(join("clients", cls), f"names client kind '{kind}', which is not in "
                                                f"'methods'{suggest(kind, sdk['methods'])}")
    for service, kind in sdk.get("service_clients", {}).get("services", {}).items():
        if kind not in sdk["methods"]:
            raise Problem(join(join("service_clients", "services"), service),
                          f"names client kind '{kind}', which is not in 'methods'{suggest(kind, sdk['methods'])}")
    for function, entry in sdk.get("functions", {}).items():
        where = join("functions", function)
        if len(entry) != 2:
            raise Problem(where, "expected [provider, shape]")
        if entry[1] not in shapes:
            raise Problem(join(where, 1), f"names shape '{entry[1]}', which is not in 'shapes'{suggest(entry[1], shapes)}")
    for cls, entry in sdk.get("model_classes", {}).items():
        if entry["kind"] not in call_methods:
            raise Problem(join(join("model_classes", cls), "kind"), f"names kind '{entry['kind']}', which is not "
                                                                    f"in 'call_methods'{suggest(entry['kind'], call_methods)}")
    for name, shape in shapes.items():
        for i, part in enumerate(shape.get("parts", [])):
            if part["role"] not in ROLES:
                raise Problem(join(join(join(join("shapes", name), "parts"), i), "role"),
                              f"'{part['role']}' is not a prompt role{suggest(part['role'], ROLES)}")
    for i, entry in enumerate(sdk.get("chain_shapes", [])):
        if entry["shape"] not in shapes:
            raise Problem(join(join("chain_shapes", i), "shape"),
                          f"names shape '{entry['shape']}', which is not in 'shapes'{suggest(entry['shape'], shapes)}")
    for i, entry in enumerate(sdk.get("http", {}).get("endpoints", [])):
        if entry["shape"] not in shapes:
            raise Problem(join(join(join("http", "endpoints"), i), "shape"),
                          f"names shape '{entry['shape']}', which is not in 'shapes'{suggest(entry['shape'], shapes)}")
    kinds = {**sdk["methods"], **call_methods}
    for kind in sdk.get("kind_providers", {}):
        if kind not in kinds:
            raise Problem(join("kind_providers", kind), f"'{kind}' is not a client kind of 'methods' or "
                                                        f"'call_methods'{suggest(kind, kinds)}")
    last_links = {m.split(".")[-1] for entries in sdk["methods"].values() for m in entries}
    for i, name in enumerate(sdk["prefilter"].get("import_only", [])):
        if name not in last_links:
            raise Problem(join(join("prefilter", "import_only"), i),
                          f"'{name}' is not the name of a method in 'methods'{suggest(name, last_links)}")


def precheck_chains(sdk: dict) -> tuple[str, ...]:
    """The byte markers that make the pre-check parse a file that imports no SDK: the
    catalog's `prefilter.chains`, plus `.<path>(` for every client method no chain already
    covers, so a client built in another module and called here is never skipped. Methods
    whose name is too common to be a marker (`chat`, `generate`) are listed in
    `prefilter.import_only`: a file calling them is parsed when it imports an SDK package."""
    chains = list(sdk["prefilter"]["chains"])
    exempt = set(sdk["prefilter"].get("import_only", []))
    for entries in sdk["methods"].values():
        for method in entries:
            written = f".{method}("
            if method.split(".")[-1] in exempt or any(chain in written for chain in chains):
                continue
            chains.append(written)
    return tuple(chains)


# ---------------------------------------------------------------- rule documents (rules/PLxxx.yaml)

PARAMETER_TYPES = {  # the `type` of a declared option -> (Python types accepted, how to say it)
    "integer": ((int,), "an integer"),
    "number": ((int, float), "a number"),
    "boolean": ((bool,), "true or false"),
    "string": ((str,), "a string"),
    "strings": ((list,), "a list of strings"),
}


@dataclass(frozen=True, slots=True)
class Parameter:
    """One option of a rule, declared in its document (`parameters:`), and nowhere else."""

    name: str
    type: str  # a key of PARAMETER_TYPES
    default: object  # None: the rule works it out (e.g. from rules/models.yaml); `help` says how
    help: str
    min: float | None = None
    max: float | None = None

    def problem(self, value) -> str | None:
        """Why `value` is not acceptable for this option, or None."""
        types, expected = PARAMETER_TYPES[self.type]
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            return f"must be {expected}, got {_shown(value)}"
        if self.type == "strings" and not all(isinstance(v, str) for v in value):
            return f"must be {expected}, got {_shown(value)}"
        if self.min is not None and value < self.min or self.max is not None and value > self.max:
            return f"must be {self.range()}, got {value!r}"
        return None

    def range(self) -> str:
        if self.min is not None and self.max is not None:
            return f"between {self.min:g} and {self.max:g}"
        return f"at least {self.min:g}" if self.min is not None else f"at most {self.max:g}"

    def default_text(self) -> str:
        if self.default is None:
            return "see below"
        if isinstance(self.default, list):
            return "[" + ", ".join(f'"{v}"' for v in self.default) + "]"
        return str(self.default).lower() if isinstance(self.default, bool) else f"{self.default}"


def _shown(value) -> str:
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)
    return f"{kind} ({value!r})"



DOC_SECTIONS = ("what it does", "why it costs", "example", "use instead", "cost estimate", "options",
                "known false positives")
PARAMETER = Record(required={"type": Str, "help": Str}, optional={
    "default": Either(Num, Bool, Str, List(Str), Nullable(Str)), "min": Num, "max": Num})
# A rule's autofix (promptlint/fix/): applicability, what it changes, before/after examples.
FIXES = Record(required={"applicability": Str, "what it changes": Str,
                         "examples": List(Record(required={"before": Str, "after": Str},
                                                 optional={"applicability": Str}))})
RULE_DOC = Record(
    required={"code": Str, "name": Str, "severity": Str, "summary": Str},
    optional={"tags": Names, "parameters": Table(PARAMETER), "examples": Table(List(Str)), "fixes": FIXES,
              **{section: Str for section in DOC_SECTIONS}})
SEVERITIES = ("error", "warning", "info")


def validate_rule_doc(raw, path) -> None:
    """A rule document declares the rule's code, name, severity and options: check them."""
    try:
        RULE_DOC.check(raw, "")
        if raw["code"] != path.stem:
            raise Problem("code", f"'{raw['code']}' in the file of {path.stem}")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", raw["name"]):
            raise Problem("name", f"'{raw['name']}' is not kebab-case (lower-case words joined by '-')")
        if raw["severity"] not in SEVERITIES:
            raise Problem("severity", f"'{raw['severity']}' is not a severity{suggest(raw['severity'], SEVERITIES)}; "
                                      f"severities: {', '.join(SEVERITIES)}")
        for name, spec in (raw.get("parameters") or {}).items():
            where = join("parameters", name)
            if spec["type"] not in PARAMETER_TYPES:
                raise Problem(join(where, "type"), f"'{spec['type']}' is not an option type"
                                                   f"{suggest(spec['type'], PARAMETER_TYPES)}; types: "
                                                   f"{', '.join(PARAMETER_TYPES)}")
            parameter = Parameter(name, spec["type"], spec.get("default"), spec["help"], spec.get("min"),
                                  spec.get("max"))
            problem = None if parameter.default is None else parameter.problem(parameter.default)
            if problem:
                raise Problem(join(where, "default"), f"the default {problem}")
    except Problem as problem:
        where = f"{problem.where}: " if problem.where else ""
        raise CatalogError(f"{path}: {where}{problem.what}") from None
