"""A wrapper chain may come back into the file being checked: `entry.main` calls
`relay.relay`, which calls `entry.ask`, which sends the request. The checked file is its own
module in that chain (it used to have no call-site finder there: an internal error)."""

from pathlib import Path

from promptlint.engine import lint_paths
from promptlint.settings import Settings

ENTRY = '''\
from openai import OpenAI

from app.relay import relay

client = OpenAI()


def ask(prompt):
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])


def main():
    return relay("Summarise the report.")
'''

RELAY = '''\
from app import entry


def relay(text):
    return entry.ask(text)
'''


def test_a_chain_back_into_the_checked_file_is_a_wrapper_site(tmp_path, monkeypatch):
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "entry.py").write_text(ENTRY)
    (app / "relay.py").write_text(RELAY)
    monkeypatch.chdir(tmp_path)
    files = sorted(str(p) for p in Path(".").rglob("*.py"))
    result = lint_paths(files, Settings(jobs=1), project_files=files)
    assert result.errors == []
    rows = sorted((s.path, s.span.line, s.wrapper) for s in result.callsites if s.wrapper)
    assert rows == [("app/entry.py", 13, "relay"), ("app/relay.py", 5, "ask")]
