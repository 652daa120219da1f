"""The catalog and the rules' data files are checked when loaded (catalog_check.py): a typo
ends the run with exit 2 and one line naming the file, the key and what is wrong.

Each test plants a mistake in a copy of the package's rules/ and runs the real command
line from that copy (PYTHONPATH), so the real tree is never edited."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from promptlint.catalog_check import SCHEMAS, precheck_chains
from promptlint.ruledocs import load_data, rules_dir

ROOT = Path(__file__).resolve().parent.parent

APP = '''import anthropic
from openai import OpenAI

client = OpenAI()
claude = anthropic.Anthropic()


def summarize(text: str) -> str:
    return client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "Summarize: " + text}],
    ).choices[0].message.content


def answer(question: str) -> str:
    return claude.messages.create(model="claude-sonnet-4-5", max_tokens=300, system="Be brief. Please.",
                                  messages=[{"role": "user", "content": question}] * 5).content[0].text
'''


@pytest.fixture
def install(tmp_path):
    target = tmp_path / "install"
    shutil.copytree(ROOT / "promptlint", target / "promptlint", ignore=shutil.ignore_patterns("__pycache__", "_rules"))
    shutil.copytree(ROOT / "rules", target / "rules")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "app.py").write_text(APP)
    return target


def run(install: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(install)}
    return subprocess.run([sys.executable, "-m", "promptlint", *args], cwd=install.parent / "project", env=env,
                          capture_output=True, text=True, timeout=120)


def plant(install: Path, name: str, old: str, new: str) -> Path:
    path = install / "rules" / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return path


def refused(install: Path, path: Path, expected: str) -> None:
    done = run(install, "check", "--isolated", "--no-cache", ".")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1, done.stderr  # one line, no traceback
    assert done.stderr.startswith(f"promptlint: error: {path}: "), done.stderr
    assert expected in done.stderr, done.stderr
    assert "internal error" not in done.stderr and "KeyError" not in done.stderr


def test_the_copy_runs_clean(install):
    done = run(install, "check", "--isolated", "--no-cache", "--exit-zero", ".")
    assert done.returncode == 0 and "PL301" in done.stdout, done.stderr


@pytest.mark.parametrize("name, old, new, expected", [
    # the example: a method naming a shape that does not exist
    ("sdks.yaml", "messages.create: anthropic-messages", "messages.create: anthropic-completion",
     "methods.anthropic.'messages.create': names shape 'anthropic-completion', which is not in 'shapes' "
     "(did you mean 'anthropic-messages'?)"),
    ("sdks.yaml", "    cap_required: true\n  genai:", "    cap_requried: true\n  genai:",
     "shapes.anthropic-messages.cap_requried: unknown key (did you mean 'cap_required'?)"),
    ("sdks.yaml", "    default_cap: 16", "    default_cap: sixteen",
     "shapes.openai-completions.default_cap: expected an integer, got a string ('sixteen')"),
    ("sdks.yaml", "chats.create: {returns: google-genai-chat}", "chats.create: {returns: google-genai-chats}",
     "methods.google-genai.'chats.create'.returns: names client kind 'google-genai-chats', which is not in "
     "'methods' (did you mean 'google-genai-chat'?)"),
    ("sdks.yaml", "  anthropic.Anthropic: anthropic\n", "  anthropic.Anthropic: antropic\n",
     "clients.'anthropic.Anthropic': names client kind 'antropic', which is not in 'methods' "
     "(did you mean 'anthropic'?)"),
    ("sdks.yaml", "      - {key: system, role: system}\n      - {key: messages, role: messages}\n    cap: [max_tokens]\n"
                  "    cap_required: true",
     "      - {key: system, role: sytem}\n      - {key: messages, role: messages}\n    cap: [max_tokens]\n"
     "    cap_required: true",
     "shapes.anthropic-messages.parts[1].role: 'sytem' is not a prompt role (did you mean 'system'?)"),
    ("sdks.yaml", "  import_only: [chat,", "  import_only: [chatt,",
     "prefilter.import_only[0]: 'chatt' is not the name of a method in 'methods' (did you mean 'chat'?)"),
    ("sdks.yaml", "  litellm-router: litellm\n  cohere-v1: cohere", "  litellm-routr: litellm\n  cohere-v1: cohere",
     "kind_providers.litellm-routr: 'litellm-routr' is not a client kind"),
    ("sdks.yaml", "prefilter:\n  packages: [openai,", "prefilter:\n  packages: [open(ai,",
     "prefilter.packages[0]: not a valid regular expression"),
    ("sdks.yaml", "clients:\n", "clients:\n  - broken\n",
     "invalid YAML: line"),
    ("models.yaml", "{match: 'gpt-4\\.1', tokens: 32768}", "{match: 'gpt-4\\.1', tokens: 32768.5}",
     "max_output_tokens[2].tokens: expected an integer, got a number (32768.5)"),
    ("model_tiers.yaml", "family: GPT-4.1, tier: top,", "family: GPT-4.1, tier: topp,",
     "models[9].tier: 'topp' is not a tier (did you mean 'top'?)"),
    ("caching.yaml", "wrapper_shapes: [langchain-call,", "wrapper_shapes: [langchain-cal,",
     "wrapper_shapes[0]: names shape 'langchain-cal', which is not in sdks.yaml 'shapes' "
     "(did you mean 'langchain-call'?)"),
    ("padding.yaml", "as, for, in, 'on']", "as, for, in, on]",
     "filler_words[48]: expected a string, got a boolean (True) (YAML reads unquoted yes/no/on/off"),
    ("providers.yaml", "  bedrock: {prices: aws,", "  bedrock: {price: aws,",
     "providers.bedrock.price: unknown key (did you mean 'prices'?)"),
    ("batch_apis.yaml", "autogen-run, openai-agents-run,", "autogen-run, openai-agent-run,",
     "agent_runs[4]: names shape 'openai-agent-run', which is not in sdks.yaml 'shapes' "
     "(did you mean 'openai-agents-run'?)"),
])
def test_a_planted_mistake_exits_2_naming_file_key_and_problem(install, name, old, new, expected):
    path = plant(install, name, old, new)
    refused(install, path, expected)


def test_every_data_file_has_a_schema_and_passes_it():
    data_files = sorted(p.name for p in rules_dir().glob("*.yaml") if not p.name.startswith("PL"))
    assert data_files == sorted(SCHEMAS)
    for name in data_files:
        load_data(name)  # raises CatalogError on a problem


def test_every_client_method_reaches_the_pre_check():
    """A client built in another module and called here: the file holds no SDK import, only
    the call; every method must be a byte marker or be listed as too common to be one."""
    sdk = load_data("sdks.yaml")
    chains = precheck_chains(sdk)
    exempt = set(sdk["prefilter"]["import_only"])
    for kind, methods in sdk["methods"].items():
        for method in methods:
            assert method.split(".")[-1] in exempt or any(c in f"client.{method}(" for c in chains), (kind, method)


def test_a_client_from_another_module_is_not_skipped(tmp_path):
    (tmp_path / "llm.py").write_text("from mistralai import Mistral\n\nclient = Mistral()\n")
    (tmp_path / "app.py").write_text(
        "from llm import client\n\n\ndef ask(question):\n"
        "    return client.chat.complete(model='mistral-large-latest',"
        " messages=[{'role': 'user', 'content': question}])\n")
    done = subprocess.run([sys.executable, "-m", "promptlint", "check", "--isolated", "--no-cache", "--select",
                           "PL301", "app.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "app.py:5:12: PL301 `client.chat.complete`" in done.stdout, done.stdout


def test_local_providers_and_model_prefixes_must_name_a_provider():
    """hosts.yaml is read only when a request shows a base URL, a key or a prefixed model, so this
    is checked on the parsed data rather than through a run."""
    from promptlint.catalog_check import validate
    from promptlint.errors import CatalogError
    from promptlint.ruledocs import read_yaml

    path = rules_dir() / "hosts.yaml"
    data = read_yaml(path)
    data["local_model_prefixes"] = {"litelm": ["ollama"]}
    with pytest.raises(CatalogError, match=r"local_model_prefixes\.litelm: 'litelm' is not a provider of "
                                           r"providers\.yaml or sdks\.yaml \(did you mean 'litellm'\?\)"):
        validate("hosts.yaml", data, path, load_data)
    data = read_yaml(path)
    data["local_providers"] = ["olama"]
    with pytest.raises(CatalogError, match=r"local_providers\.olama: 'olama' is not a provider .* \(did you "
                                           r"mean 'ollama'\?\)"):
        validate("hosts.yaml", data, path, load_data)
