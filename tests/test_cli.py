"""The command line (promptlint/cli.py): every option and exit code.

Most tests replace the engine with a stub that returns known findings, so they
test the CLI alone. The `e2e` tests at the end run the real engine on the small
project in tests/data/cli_project.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from promptlint import __version__, cli, engine
from promptlint.model import Finding, Span

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())


def finding(code="PL301", path="app.py", line=2, name="uncapped-output", severity="warning", **kw):
    return Finding(code=code, name=name, message=f"{code} message", severity=severity, path=path,
                   span=Span(line, 5, line, 10), suppress_lines=(line, line), **kw)


class FakeEngine:
    """Stands in for engine.lint_paths / lint_source and records what the CLI passed."""

    def __init__(self, findings=(), errors=(), warnings=()):
        self.findings, self.errors, self.warnings = list(findings), list(errors), list(warnings)
        self.files = None
        self.settings = None
        self.source = None

    def result(self, files):
        keep = [f for f in self.findings if f.path in files]
        return engine.RunResult(findings=[Finding.from_dict(f.to_dict()) for f in keep],
                                files_checked=len(files), errors=list(self.errors), warnings=list(self.warnings))

    def lint_paths(self, files, settings, **options):  # progress, project_files
        self.files, self.settings = list(files), settings
        return self.result(files)

    def lint_source(self, path, source, settings):
        self.files, self.settings, self.source = [path], settings, source
        res = self.result([path])
        return engine.FileResult(path=path, findings=res.findings, warnings=res.warnings)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    (tmp_path / "app.py").write_text("import openai\nclient.chat.completions.create(model='m')\n")
    (tmp_path / "other.py").write_text("x = 1\ny = 2\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "gen.py").write_text("x = 1\n")
    return tmp_path


@pytest.fixture
def fake(monkeypatch):
    stub = FakeEngine([finding(), finding("PL101", line=1, name="volatile-timestamp-in-prefix", severity="error"),
                       finding("PL104", path="other.py", line=2, name="dynamic-before-static")])
    monkeypatch.setattr(engine, "lint_paths", stub.lint_paths)
    monkeypatch.setattr(engine, "lint_source", stub.lint_source)
    return stub


def run(capsys, *args):
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(err, *needles):
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("promptlint: error: ") and "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]


# ---------------------------------------------------------------- basics


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out == f"promptlint {__version__} (promptlint-cost)\n"


def test_no_command_is_a_usage_error(capsys):
    code, out, _ = run(capsys)
    assert code == 2 and "check" in out


def test_unknown_option_is_one_line_exit_2(capsys):
    code, _, err = run(capsys, "check", "--frobnicate")
    assert code == 2
    assert_one_line_error(err, "--frobnicate")


def test_findings_exit_1_concise_on_stdout_summary_on_stderr(project, fake, capsys):
    code, out, err = run(capsys, "check")
    assert code == 1
    assert out.splitlines() == ["app.py:1:5: PL101 PL101 message", "app.py:2:5: PL301 PL301 message",
                                "other.py:2:5: PL104 PL104 message"]
    assert err == "2 files checked.\nFound 3 findings.\n"
    assert fake.files == ["app.py", "other.py"]  # default path ".", build/ excluded


def test_no_findings_exit_0(project, monkeypatch, capsys):
    monkeypatch.setattr(engine, "lint_paths", FakeEngine().lint_paths)
    code, out, err = run(capsys, "check", ".")
    assert (code, out, err) == (0, "", "2 files checked.\nAll checks passed.\n")


def test_only_suppressed_findings_exit_0(project, monkeypatch, capsys):
    monkeypatch.setattr(engine, "lint_paths", FakeEngine([finding(suppressed=True)]).lint_paths)
    code, out, _ = run(capsys, "check")
    assert code == 0 and out == ""
    code, out, _ = run(capsys, "check", "--show-suppressed")
    assert code == 0 and out == "app.py:2:5: PL301 PL301 message (suppressed)\n"


def test_exit_zero_turns_1_into_0_but_never_hides_2(project, fake, capsys):
    assert run(capsys, "check", "--exit-zero")[0] == 0
    code, _, err = run(capsys, "check", "--exit-zero", "--select", "PL999")
    assert code == 2
    assert_one_line_error(err, "PL999")


def test_quiet_prints_findings_only(project, fake, capsys):
    code, out, err = run(capsys, "check", "--quiet")
    assert code == 1 and len(out.splitlines()) == 3 and err == ""


def test_missing_path_is_exit_2(project, fake, capsys):
    code, _, err = run(capsys, "check", "nope.py")
    assert code == 2
    assert_one_line_error(err, "nope.py")


# ---------------------------------------------------------------- formats and files


def test_output_formats(project, fake, capsys):
    assert json.loads(run(capsys, "check", "--output-format", "json")[1])["summary"]["findings"] == 3
    lines = run(capsys, "check", "--output-format", "json-lines")[1].splitlines()
    assert [json.loads(line)["code"] for line in lines] == ["PL101", "PL301", "PL104"]
    assert run(capsys, "check", "--output-format", "github")[1].startswith("::error file=app.py,line=1,")
    full = run(capsys, "check", "--output-format", "full")[1]
    assert "2 | client.chat.completions.create(model='m')" in full and "^^^^^ PL301 uncapped-output" in full
    sarif = json.loads(run(capsys, "check", "--output-format", "sarif")[1])
    jsonschema.validate(sarif, SCHEMA)
    assert "originalUriBaseIds" in sarif["runs"][0]


def test_bad_output_format_is_exit_2(project, fake, capsys):
    code, _, err = run(capsys, "check", "--output-format", "xml")
    assert code == 2
    assert_one_line_error(err, "xml")


def test_output_file_and_sarif_file(project, fake, capsys):
    code, out, _ = run(capsys, "check", "--output-format", "json", "--output-file", "out/report.json",
                       "--sarif-file", "out/report.sarif", "--sarif-no-root")
    assert code == 1 and out == ""
    assert len(json.loads((project / "out" / "report.json").read_text())["findings"]) == 3
    sarif = json.loads((project / "out" / "report.sarif").read_text())
    assert "originalUriBaseIds" not in sarif["runs"][0] and len(sarif["runs"][0]["results"]) == 3


def test_sarif_file_in_addition_to_stdout(project, fake, capsys):
    code, out, _ = run(capsys, "check", "--sarif-file", "r.sarif")
    assert code == 1 and out.startswith("app.py:1:5: PL101")
    jsonschema.validate(json.loads((project / "r.sarif").read_text()), SCHEMA)


def test_sarif_keeps_suppressed_findings(project, monkeypatch, capsys):
    monkeypatch.setattr(engine, "lint_paths", FakeEngine([finding(suppressed=True)]).lint_paths)
    code, out, _ = run(capsys, "check", "--output-format", "sarif")
    assert code == 0
    assert json.loads(out)["runs"][0]["results"][0]["suppressions"] == [{"kind": "inSource"}]


def test_unwritable_output_file_is_exit_2(project, fake, capsys):
    (project / "blocker").write_text("")
    code, _, err = run(capsys, "check", "--output-file", "blocker/x.txt")
    assert code == 2
    assert_one_line_error(err, "blocker")


def test_statistics_sorted_by_count_then_code(project, monkeypatch, capsys):
    stub = FakeEngine([finding("PL301", line=1), finding("PL301", line=2),
                       finding("PL104", line=3, name="dynamic-before-static"),
                       finding("PL101", line=4, name="volatile-timestamp-in-prefix"),
                       finding("PL102", line=5, name="unique-id-in-prefix", suppressed=True)])
    monkeypatch.setattr(engine, "lint_paths", stub.lint_paths)
    code, out, _ = run(capsys, "check", "--statistics")
    assert code == 1
    assert out.splitlines() == ["    2  PL301  uncapped-output", "    1  PL101  volatile-timestamp-in-prefix",
                                "    1  PL104  dynamic-before-static"]


def test_colour_only_on_a_tty_and_never_with_no_color(project, fake, capsys, monkeypatch):
    assert "\x1b[" not in run(capsys, "check")[1]  # captured output is not a TTY
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert "\x1b[" in run(capsys, "check")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run(capsys, "check")[1]


# ---------------------------------------------------------------- selection


def test_select_ignore_and_extend_select_filter_and_reach_the_engine(project, fake, capsys):
    code, out, _ = run(capsys, "check", "--select", "PL1")
    assert [line.split()[1] for line in out.splitlines()] == ["PL101", "PL104"]
    assert fake.settings.select == ["PL1"]
    _, out, _ = run(capsys, "check", "--select", "PL1", "--ignore", "pl104,PL102")
    assert [line.split()[1] for line in out.splitlines()] == ["PL101"]
    assert fake.settings.ignore == ["PL104", "PL102"]
    _, out, _ = run(capsys, "check", "--select", "PL101", "--extend-select", "PL301")
    assert [line.split()[1] for line in out.splitlines()] == ["PL101", "PL301"]


@pytest.mark.parametrize("flag", ["--select", "--ignore", "--extend-select"])
def test_unknown_codes_are_exit_2_naming_the_code(project, fake, capsys, flag):
    code, _, err = run(capsys, "check", flag, "PL101,PLZ9")
    assert code == 2
    assert_one_line_error(err, "PLZ9", flag)


def test_per_file_ignores_from_config_filter_findings(project, fake, capsys):
    (project / "pyproject.toml").write_text('[tool.promptlint.per-file-ignores]\n"other.py" = ["PL1"]\n')
    _, out, _ = run(capsys, "check")
    assert "other.py" not in out and "app.py:2:5: PL301" in out


# ---------------------------------------------------------------- excludes


def test_exclude_flag_and_force_exclude(project, fake, capsys):
    run(capsys, "check", "--exclude", "other.py")
    assert fake.files == ["app.py"]
    run(capsys, "check", "build/gen.py", "app.py")
    assert fake.files == ["app.py"]  # explicit files obey excludes
    run(capsys, "check", "build/gen.py", "app.py", "--no-force-exclude")
    assert fake.files == ["app.py", "build/gen.py"]


def test_all_files_excluded_passes_without_calling_the_engine(project, fake, capsys):
    code, _, err = run(capsys, "check", "build/gen.py")
    # Nothing was checked: say so, never "All checks passed." (exit 0, like ruff's "No Python files found").
    assert code == 0 and fake.files is None and err == (
        "warning: no Python files to check under build/gen.py (none found, or all excluded)\n"
        "0 files checked.\nNo files were checked.\n")


def test_notices_go_to_stderr(project, fake, capsys):
    fake.warnings = ["big.py: skipped: 9 bytes is over max-file-bytes (1)"]
    code, out, err = run(capsys, "check")
    assert "big.py" not in out and "warning: big.py: skipped" in err
    assert "big.py" not in run(capsys, "check", "--quiet")[2]


# ---------------------------------------------------------------- config


def test_config_is_discovered_and_used(project, fake, capsys):
    (project / "pyproject.toml").write_text("[tool.promptlint]\nselect = ['PL3']\njobs = 4\n")
    _, out, _ = run(capsys, "check")
    assert [line.split()[1] for line in out.splitlines()] == ["PL301"]
    assert fake.settings.jobs == 4 and fake.settings.root == str(project)


def test_config_errors_are_one_line_exit_2(project, fake, capsys):
    (project / "pyproject.toml").write_text("[tool.promptlint]\nignor = ['PL3']\n")
    code, _, err = run(capsys, "check")
    assert code == 2
    assert_one_line_error(err, "'ignor'", "pyproject.toml", "did you mean 'ignore'")
    (project / "pyproject.toml").write_text("[tool.promptlint]\njobs = 'x'\n")
    code, _, err = run(capsys, "check")
    assert code == 2
    assert_one_line_error(err, "'jobs'", "pyproject.toml")


def test_isolated_and_explicit_config(project, fake, capsys):
    (project / "pyproject.toml").write_text("[tool.promptlint]\nbogus = 1\n")
    assert run(capsys, "check", "--isolated")[0] == 1
    (project / "strict.yaml").write_text("select: [PL104]\n")
    _, out, _ = run(capsys, "check", "--config", "strict.yaml")
    assert [line.split()[1] for line in out.splitlines()] == ["PL104"]
    code, _, err = run(capsys, "check", "--config", "missing.toml")
    assert code == 2
    assert_one_line_error(err, "missing.toml")
    code, _, err = run(capsys, "check", "--config", "strict.yaml", "--isolated")
    assert code == 2
    assert_one_line_error(err, "--isolated")


def test_config_is_found_from_the_first_path(project, fake, capsys):
    sub = project / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text("[tool.promptlint]\nselect = ['PL104']\n")
    (sub / "x.py").write_text("x = 1\n")
    run(capsys, "check", "sub")
    assert fake.settings.select == ["PL104"] and fake.settings.root == str(sub)


def test_show_settings_prints_resolved_settings(project, fake, capsys):
    (project / "pyproject.toml").write_text("[tool.promptlint]\nselect = ['PL3']\n")
    code, out, _ = run(capsys, "check", "--show-settings", "--ignore", "PL301", "--jobs", "2")
    data = json.loads(out)
    assert code == 0 and fake.files is None  # nothing was linted
    assert data["select"] == ["PL3"] and data["ignore"] == ["PL301"] and data["jobs"] == 2
    assert data["config_file"] == str(project / "pyproject.toml")


def test_cache_and_jobs_flags_reach_the_engine(project, fake, capsys):
    run(capsys, "check", "--no-cache")
    assert fake.settings.cache_dir is None
    run(capsys, "check", "--cache-dir", "cachehere", "--jobs", "3")
    assert fake.settings.cache_dir == str(project / "cachehere") and fake.settings.jobs == 3
    code, _, err = run(capsys, "check", "--jobs", "0")
    assert code == 2
    assert_one_line_error(err, "--jobs")
    code, _, err = run(capsys, "check", "--jobs", "many")
    assert code == 2
    assert_one_line_error(err, "--jobs")


# ---------------------------------------------------------------- stdin


def test_stdin_with_a_filename(project, fake, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"import openai\nclient.x()\n")))
    code, out, _ = run(capsys, "check", "--stdin-filename", "app.py", "-")
    assert code == 1 and fake.source == b"import openai\nclient.x()\n" and fake.files == ["app.py"]
    assert out.splitlines()[0] == "app.py:1:5: PL101 PL101 message"


def test_stdin_source_feeds_the_full_format(project, fake, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"first\nsecond line from stdin\n")))
    _, out, _ = run(capsys, "check", "--stdin-filename", "app.py", "--output-format", "full", "-")
    assert "2 | second line from stdin" in out  # not the file on disk


def test_stdin_filename_that_is_excluded_reports_nothing(project, fake, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x = 1\n")))
    code, out, _ = run(capsys, "check", "--stdin-filename", "build/gen.py", "-")
    assert (code, out, fake.files) == (0, "", None)


def test_stdin_cannot_be_mixed_with_paths_or_add_noqa(project, fake, capsys):
    code, _, err = run(capsys, "check", "-", "app.py")
    assert code == 2
    assert_one_line_error(err, "stdin")
    code, _, err = run(capsys, "check", "--add-noqa", "--stdin-filename", "app.py", "-")
    assert code == 2
    assert_one_line_error(err, "--add-noqa")


# ---------------------------------------------------------------- internal errors


def test_engine_crash_is_one_line_and_debug_shows_the_traceback(project, capsys, monkeypatch):
    def boom(files, settings, **options):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(engine, "lint_paths", boom)
    code, _, err = run(capsys, "check")
    assert code == 2
    assert_one_line_error(err, "internal error", "kaboom")
    code, _, err = run(capsys, "check", "--debug")
    assert code == 2 and "Traceback" in err and "kaboom" in err.splitlines()[-1]


def test_errors_reported_by_the_engine_exit_2_even_with_exit_zero(project, capsys, monkeypatch):
    stub = FakeEngine([finding()], errors=["app.py: internal error in PL301: ValueError: x"])
    monkeypatch.setattr(engine, "lint_paths", stub.lint_paths)
    code, out, err = run(capsys, "check", "--exit-zero")
    assert code == 2 and "app.py:2:5: PL301" in out  # other findings are still reported
    assert "promptlint: error: app.py: internal error in PL301" in err


def test_engine_warnings_go_to_stderr(project, capsys, monkeypatch):
    stub = FakeEngine(warnings=["app.py: line 3: malformed rule code 'PLX'"])
    monkeypatch.setattr(engine, "lint_paths", stub.lint_paths)
    code, out, err = run(capsys, "check")
    assert code == 0 and out == "" and "warning: app.py: line 3: malformed rule code 'PLX'" in err


# ---------------------------------------------------------------- add-noqa


def test_add_noqa_appends_comments_where_they_are_legal(project, capsys, monkeypatch):
    (project / "app.py").write_text('r = create(\n    system="""a\nb""",\n)\ns = create()  # existing\n')
    stub = FakeEngine([
        Finding("PL101", "v", "m", "error", "app.py", Span(2, 12, 2, 14), suppress_lines=(1, 4)),
        Finding("PL301", "u", "m", "warning", "app.py", Span(1, 5, 1, 11), suppress_lines=(1, 4)),
        Finding("PL301", "u", "m", "warning", "app.py", Span(5, 5, 5, 11), suppress_lines=(5, 5)),
    ])
    monkeypatch.setattr(engine, "lint_paths", stub.lint_paths)
    code, _, err = run(capsys, "check", "--add-noqa")
    assert code == 0 and "Added 2 noqa directives." in err
    text = (project / "app.py").read_text()
    assert text == ('r = create(  # noqa: PL101, PL301\n    system="""a\nb""",\n)\n'
                    's = create()  # existing  # noqa: PL301\n')
    compile(text, "app.py", "exec")


# ---------------------------------------------------------------- rules / rule


def test_rules_text_and_json(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == 0
    rows = out.splitlines()
    assert rows[0].startswith("PL000  parse-error") and any(r.startswith("PL301  uncapped-output") for r in rows)
    code, out, _ = run(capsys, "rules", "--output-format", "json")
    data = json.loads(out)
    assert code == 0 and [r["code"] for r in data] == sorted(r["code"] for r in data)
    assert set(data[0]) == {"code", "name", "severity", "summary"}


def test_rule_text_json_and_unknown(capsys):
    code, out, _ = run(capsys, "rule", "pl301")
    assert code == 0 and out.startswith("PL301 uncapped-output")
    code, out, _ = run(capsys, "rule", "PL301", "--output-format", "json")
    data = json.loads(out)
    assert code == 0 and data["code"] == "PL301" and data["name"] == "uncapped-output"
    assert data["url"].endswith("/docs/rules/PL301.md") and isinstance(data["sections"], dict)
    code, _, err = run(capsys, "rule", "PL999")
    assert code == 2
    assert_one_line_error(err, "PL999")
    code, _, err = run(capsys, "rules", "--output-format", "yaml")
    assert code == 2
    assert_one_line_error(err, "yaml")


# ---------------------------------------------------------------- typer's CliRunner and real processes


def test_cli_runner_exit_codes(project, fake):
    from typer.testing import CliRunner

    runner = CliRunner()
    result = runner.invoke(cli.app, ["check"])
    assert result.exit_code == 1 and "app.py:2:5: PL301" in result.stdout
    result = runner.invoke(cli.app, ["check", "--select", "PL7777"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def python(*args, cwd=ROOT, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, **kw)


def test_startup_imports_only_typer_and_the_stdlib():
    code = ("import sys, promptlint.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('libcst', 'yaml', 'tiktoken', 'rich', 'jsonschema', 'pathspec') or m in "
            "('promptlint.engine', 'promptlint.config', 'promptlint.report')))")
    proc = python("-c", code)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]"


@pytest.mark.parametrize("args", [["rule", "PL301"], ["check", "--isolated", "--no-cache", "tests/data/cli_project"]])
def test_closed_stdout_stops_quietly(args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "promptlint", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # the reader goes away before promptlint writes anything
    err = proc.stderr.read()
    assert proc.wait() in (0, 1) and "Traceback" not in err and "BrokenPipe" not in err, err


def test_module_entry_point_version():
    proc = python("-m", "promptlint", "--version")
    assert proc.returncode == 0 and proc.stdout == f"promptlint {__version__} (promptlint-cost)\n"


def test_pyproject_declares_the_console_script():
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["project"]["scripts"]["promptlint"] == "promptlint.cli:main"


def test_pre_commit_hook_definition():
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert len(hooks) == 1
    hook = hooks[0]
    assert hook["id"] == "promptlint" and hook["entry"] == "promptlint check"
    assert hook["language"] == "python" and hook["types_or"][:2] == ["python", "jupyter"]
    assert {"plain-text", "markdown", "jinja", "yaml", "toml"} <= set(hook["types_or"])  # prompt templates
    assert hook["require_serial"] is True and hook["minimum_pre_commit_version"] == "3.2.0"
    assert hook.get("pass_filenames", True) is True


# ---------------------------------------------------------------- end to end (real engine)


@pytest.fixture
def e2e(tmp_path, monkeypatch):
    """tests/data/cli_project copied to a temp dir (outside this repo's .gitignore), plus a build/ dir."""
    target = tmp_path / "proj"
    shutil.copytree(DATA / "cli_project", target)
    (target / "build").mkdir()
    shutil.copy(target / "app" / "chat.py", target / "build" / "chat.py")
    monkeypatch.chdir(target)
    return target


def lines_of(out):
    return [line.split(": ", 1)[0] + " " + line.split()[1] for line in out.splitlines()]


def test_e2e_check_honours_config_suppression_and_excludes(e2e, capsys):
    code, out, err = run(capsys, "check", "--no-cache")
    # app/generated.py (extend-exclude), build/ (default), tests/ (per-file-ignores) and the
    # `# noqa: PL301` call stay quiet; the one uncapped call is reported. PL203 (issue 19): no call
    # of app/ records its usage (test modules get no PL203).
    assert code == 1 and lines_of(out) == ["app/chat.py:7:16 PL203", "app/chat.py:7:16 PL301",
                                           "app/chat.py:15:16 PL203"], out
    assert err.endswith("Found 3 findings.\n")
    code, out, _ = run(capsys, "check", "--no-cache", "--isolated", "--show-suppressed")
    assert [line for line in lines_of(out) if not line.endswith("PL203")] == [
        "app/chat.py:7:16 PL301", "app/chat.py:15:16 PL301", "app/generated.py:7:16 PL301",
        "app/generated.py:15:16 PL301", "tests/live_check.py:7:16 PL301"]
    assert out.count("(suppressed)") == 2


def test_e2e_pre_commit_style_file_list(e2e, capsys):
    code, out, _ = run(capsys, "check", "--no-cache", "app/generated.py", "build/chat.py", "app/clean.py")
    assert code == 0 and out == ""


def test_e2e_sarif_is_valid_and_stable(e2e, capsys):
    _, first, _ = run(capsys, "check", "--no-cache", "--output-format", "sarif", "--sarif-no-root")
    _, second, _ = run(capsys, "check", "--no-cache", "--output-format", "sarif", "--sarif-no-root")
    assert first == second
    log = json.loads(first)
    jsonschema.validate(log, SCHEMA)
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], bool(r["suppressions"])) for r in results] == [  # PL203: issue 19
        ("PL203", False), ("PL301", False), ("PL203", False), ("PL301", True)]
    text = (e2e / "app" / "chat.py").read_text()
    (e2e / "app" / "chat.py").write_text("import os\n\n" + text)  # unrelated lines above
    _, moved, _ = run(capsys, "check", "--no-cache", "--output-format", "sarif", "--sarif-no-root")
    moved_results = json.loads(moved)["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in moved_results] == [r["partialFingerprints"] for r in results]
    assert moved_results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 9


def test_e2e_stdin(e2e, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((e2e / "app" / "chat.py").read_bytes())))
    code, out, _ = run(capsys, "check", "--no-cache", "--stdin-filename", "app/chat.py", "-")
    assert code == 1 and lines_of(out) == ["app/chat.py:7:16 PL203", "app/chat.py:7:16 PL301",
                                           "app/chat.py:15:16 PL203"]  # PL203: issue 19


def test_e2e_add_noqa_then_clean(e2e, capsys):
    code, _, _ = run(capsys, "check", "--no-cache", "--add-noqa")
    assert code == 0
    assert "response = client.chat.completions.create(  # noqa: PL301" in (e2e / "app" / "chat.py").read_text()
    assert run(capsys, "check", "--no-cache")[0] == 0


def test_e2e_console_script_process(e2e):
    proc = python("-m", "promptlint", "check", "--no-cache", "--output-format", "json", cwd=e2e)
    assert proc.returncode == 1, proc.stderr
    assert [(f["path"], f["code"]) for f in json.loads(proc.stdout)["findings"]] == [  # PL203: issue 19
        ("app/chat.py", "PL203"), ("app/chat.py", "PL301"), ("app/chat.py", "PL203")]
    assert proc.stderr == "4 files checked.\nFound 3 findings.\n"
