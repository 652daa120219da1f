"""Rule options are declared once, in the rule's document (`parameters:` in rules/<CODE>.yaml):
the default the code uses, the type and range the configuration must respect. A wrong
key, type or range in [tool.promptlint.rules.PLxxx] or in a price table is a configuration
error: exit 2, one line naming the file and the key (with the closest valid key)."""

import subprocess
import sys

import pytest

from promptlint.checks import load_check
from promptlint.ruledocs import rule_meta, rule_option
from promptlint.settings import Settings

APP = "from openai import OpenAI\n\nclient = OpenAI()\nclient.chat.completions.create(model='gpt-4.1', messages=[])\n"


def check(tmp_path, config: str):
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "pyproject.toml").write_text(config)
    done = subprocess.run([sys.executable, "-m", "promptlint", "check", "--no-cache", "."], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stderr


@pytest.mark.parametrize("config, expected", [
    ("[tool.promptlint.rules.PL401]\nmax-exampels = 3\n",
     "unknown option 'max-exampels' in rules.PL401 (its options: max-examples); did you mean 'max-examples'?"),
    ("[tool.promptlint.rules.PL401]\nmax_examples = 3\n", "did you mean 'max-examples'?"),
    ("[tool.promptlint.rules.PL401]\nmax-examples = \"3\"\n",
     "rules.PL401.max-examples must be an integer, got a string ('3')"),
    ("[tool.promptlint.rules.PL401]\nmax-examples = -1\n", "rules.PL401.max-examples must be at least 0, got -1"),
    ("[tool.promptlint.rules.PL404]\nthreshold = 101\n", "rules.PL404.threshold must be between 0 and 100, got 101"),
    ("[tool.promptlint.rules.PL302]\nceiling = true\n", "rules.PL302.ceiling must be an integer, got a boolean"),
    ("[tool.promptlint.rules.PL201]\nkeys = [\"task\", 3]\n", "rules.PL201.keys must be a list of strings"),
    ("[tool.promptlint.rules.PL301]\nceiling = 2048\n", "unknown option 'ceiling' in rules.PL301: PL301 has no options"),
    ("[tool.promptlint.prices.\"gpt-4.1\"]\ninput = 2.0\ncache-raed = 0.5\n",
     "unknown key 'cache-raed' in prices.gpt-4.1 (keys: input, cache-read, output); did you mean 'cache-read'?"),
    ("[tool.promptlint.prices.\"gpt-4.1\"]\noutput = \"8\"\n",
     "prices.gpt-4.1.output must be a number of USD per million tokens (0 or more), got '8'"),
])
def test_bad_option_exits_2_naming_file_and_key(tmp_path, config, expected):
    code, err = check(tmp_path, config)
    assert code == 2, err
    assert err.startswith(f"promptlint: error: {tmp_path / 'pyproject.toml'}: ") and err.count("\n") == 1, err
    assert expected in err, err


def test_valid_options_are_accepted_and_read(tmp_path):
    code, err = check(tmp_path, "[tool.promptlint.rules.PL302]\nceiling = 2048\n"
                                "[tool.promptlint.prices.\"gpt-4.1\"]\ninput = 2\ncache_read = 0.5\n")
    assert code == 1, err  # findings, no configuration error


def test_defaults_come_from_the_document():
    settings = Settings()
    for code in ("PL302", "PL401", "PL601"):
        for key, parameter in rule_meta(code).parameters.items():
            assert rule_option(settings, code, key) == parameter.default


def test_pl301_uses_pl302s_ceiling_declared_once():
    """PL301's worst case is measured against PL302's `ceiling`: configured or default, one value."""
    from promptlint.engine import lint_source

    source = APP.encode()
    default = next(f for f in lint_source("app.py", source, Settings()).findings if f.code == "PL301")
    assert default.waste_tokens_per_call == 32768 - rule_meta("PL302").parameters["ceiling"].default
    lowered = Settings(rule_options={"PL302": {"ceiling": 1000}})
    lowered_finding = next(f for f in lint_source("app.py", source, lowered).findings if f.code == "PL301")
    assert lowered_finding.waste_tokens_per_call == 32768 - 1000
    assert "ceiling" not in rule_meta("PL301").parameters and load_check("PL301")


def test_an_undeclared_option_in_code_is_a_bug_not_a_silent_default():
    with pytest.raises(KeyError):
        rule_option(Settings(), "PL401", "max-exampels")
