"""`promptlint server`, driven over stdio by a real LSP client (pygls' LanguageClient,
tests/lsp_harness.py): diagnostics on open, change and save, code actions, hover,
settings, watched files, notebooks, robustness, shutdown."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsprotocol import types  # noqa: E402

from lsp_harness import TIMEOUT, Session, run  # noqa: E402

APP = textwrap.dedent('''\
    import datetime

    from openai import OpenAI

    client = OpenAI()


    def answer(question):
        now = datetime.datetime.now().isoformat()
        return client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "system", "content": f"Today is {now}. You are a helpful assistant."},
                      {"role": "user", "content": question}],
        )
''')

CAPPED = APP.replace('model="gpt-4o",', 'model="gpt-4o",\n        max_tokens=300,')

PROMPTS = 'SYSTEM = "You are a helpful assistant. Please note that it is very important that you answer briefly."\n'
USES_PROMPTS = textwrap.dedent('''\
    from openai import OpenAI

    from prompts import SYSTEM

    client = OpenAI()


    def answer(question):
        return client.chat.completions.create(
            model="gpt-4o",
            max_tokens=300,
            messages=[{"role": "system", "content": SYSTEM},
                      {"role": "user", "content": question}],
        )
''')


def codes(diagnostics) -> list[str]:
    return sorted(d.code for d in diagnostics)


def apply_edits(text: str, edits) -> str:
    """Apply LSP text edits (ASCII text: UTF-16 columns are characters) in reverse order."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(pos):
        return offsets[pos.line] + pos.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


async def code_actions(session: Session, uri: str, diagnostics, only=None):
    return await asyncio.wait_for(session.client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=diagnostics[0].range if diagnostics else types.Range(start=types.Position(line=0, character=0),
                                                                   end=types.Position(line=0, character=0)),
        context=types.CodeActionContext(diagnostics=list(diagnostics), only=only))), TIMEOUT)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    return tmp_path


def test_diagnostics_on_open_change_and_save(workspace: Path):
    async def scenario():
        session = Session(workspace)
        result = await session.start()
        assert result.server_info.name == "promptlint"
        uri = session.open(workspace / "app.py")
        diagnostics = await session.diagnostics_for(uri, 1)
        assert codes(diagnostics) == ["PL101", "PL201", "PL301"]
        by_code = {d.code: d for d in diagnostics}
        pl101 = by_code["PL101"]
        assert pl101.source == "promptlint"
        # The prompt is far below the cache minimum: a latent finding (cost/cache_savings.py), information.
        assert pl101.severity == types.DiagnosticSeverity.Information
        assert by_code["PL301"].severity == types.DiagnosticSeverity.Warning
        assert pl101.code_description.href.endswith("/docs/rules/PL101.md")
        assert pl101.range.start.line == 8  # `now = datetime.datetime.now()...`, 0-based
        assert pl101.range.start.character == 10
        assert "tok/call" in by_code["PL301"].message  # the waste figure is in the message

        session.replace(uri, CAPPED, 2)  # the cap fixes PL301
        diagnostics = await session.diagnostics_for(uri, 2)
        assert codes(diagnostics) == ["PL101", "PL201"]

        session.diagnostics.pop(uri)
        session.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        assert codes(await session.diagnostics_for(uri, 2)) == ["PL101", "PL201"]

        session.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        await session.wait_for(lambda: session.diagnostics[uri].diagnostics == ())
        assert await session.stop() == 0

    run(scenario())


def test_changes_are_debounced_to_the_last_version(workspace: Path):
    async def scenario():
        session = Session(workspace)
        await session.start()
        uri = session.open(workspace / "app.py")
        await session.diagnostics_for(uri, 1)
        published = []
        session.client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = (
            lambda params: (published.append(params.version), session.diagnostics.__setitem__(params.uri, params),
                            session.changed.set()))
        for version in range(2, 7):  # five quick edits: only the last is linted
            session.replace(uri, CAPPED + f"# edit {version}\n", version)
        assert codes(await session.diagnostics_for(uri, 6)) == ["PL101", "PL201"]
        assert 6 in published and not {2, 3, 4, 5} & set(published)
        await session.stop()

    run(scenario())


def test_unparsable_file_gives_pl000_and_the_server_goes_on(workspace: Path):
    async def scenario():
        session = Session(workspace)
        await session.start()
        uri = session.open(workspace / "app.py", text="from openai import OpenAI\ndef broken(:\n    pass\n")
        diagnostics = await session.diagnostics_for(uri, 1)
        assert codes(diagnostics) == ["PL000"]
        assert diagnostics[0].range.start.line == 1
        assert diagnostics[0].severity == types.DiagnosticSeverity.Error
        session.replace(uri, APP, 2)
        assert codes(await session.diagnostics_for(uri, 2)) == ["PL101", "PL201", "PL301"]
        await session.stop()

    run(scenario())


def test_disable_for_this_line_silences_the_finding(workspace: Path):
    async def scenario():
        session = Session(workspace)
        await session.start()
        uri = session.open(workspace / "app.py")
        diagnostics = await session.diagnostics_for(uri, 1)
        pl301 = [d for d in diagnostics if d.code == "PL301"]
        found = await code_actions(session, uri, pl301)
        titles = [a.title for a in found]
        assert "Disable PL301 for this line" in titles
        action = found[titles.index("Disable PL301 for this line")]
        assert action.kind == types.CodeActionKind.QuickFix
        edits = action.edit.changes[uri]
        text = apply_edits(APP, edits)
        assert "return client.chat.completions.create(  # promptlint: disable=PL301\n" in text

        session.replace(uri, text, 2)
        diagnostics = await session.diagnostics_for(uri, 2)
        assert codes(diagnostics) == ["PL101", "PL201"]

        # A second code on the same line joins the existing directive.
        pl201 = [d for d in diagnostics if d.code == "PL201"]
        found = await code_actions(session, uri, pl201)
        action = next(a for a in found if a.title == "Disable PL201 for this line")
        text = apply_edits(text, action.edit.changes[uri])
        assert "create(  # promptlint: disable=PL301,PL201\n" in text
        session.replace(uri, text, 3)
        assert codes(await session.diagnostics_for(uri, 3)) == ["PL101"]

        # Only source actions asked for: no quick fix comes back (and there is no safe fix to apply).
        assert await code_actions(session, uri, pl201, only=[types.CodeActionKind.SourceFixAll]) is None
        await session.stop()

    run(scenario())


def test_hover_on_a_call_site_shows_its_inventory_row(workspace: Path):
    async def scenario():
        session = Session(workspace)
        await session.start()
        uri = session.open(workspace / "app.py", text=CAPPED)
        await session.diagnostics_for(uri, 1)

        async def hover(line, character):
            return await asyncio.wait_for(session.client.text_document_hover_async(types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character))), TIMEOUT)

        found = await hover(9, 25)  # on `client.chat.completions.create`
        text = found.contents.value
        assert "`openai` chat.completions.create" in text
        assert "| model | gpt-4o |" in text
        assert "| output cap | 300 |" in text
        assert "static prompt tokens" in text and "cacheable prefix tokens" in text
        assert "| cost per 1,000 calls | $" in text  # priced from the bundled snapshot
        assert "| findings | PL101, PL201 |" in text
        assert found.range.start.line == 9
        assert await hover(0, 3) is None  # `import datetime`: not a call site
        await session.stop()

    run(scenario())


def test_workspace_config_and_client_settings(workspace: Path):
    (workspace / "pyproject.toml").write_text('[tool.promptlint]\nignore = ["PL2"]\n', encoding="utf-8")

    async def scenario(init_options, expected):
        session = Session(workspace, init_options=init_options)
        await session.start()
        uri = session.open(workspace / "app.py")
        assert codes(await session.diagnostics_for(uri, 1)) == expected
        await session.stop()
        return session

    run(scenario(None, ["PL101", "PL301"]))  # pyproject.toml: PL2 ignored
    run(scenario({"select": ["PL3"]}, ["PL301"]))  # --select replaces the config's selection
    (workspace / "other.yaml").write_text("ignore: [PL1]\n", encoding="utf-8")
    run(scenario({"settings": {"configFile": "other.yaml"}}, ["PL201", "PL301"]))  # relative to the root
    session = run(scenario({"ignore": ["PLX"]}, ["PL101", "PL301"]))  # a bad option: told, then defaults
    assert any("unknown rule code or prefix 'PLX'" in line for line in session.logs)


def test_workspace_configuration_request(workspace: Path):
    async def scenario():
        session = Session(workspace, workspace_configuration={"ignore": ["PL1", "PL2"]})
        await session.start()
        uri = session.open(workspace / "app.py")
        assert codes(await session.wait_for(
            lambda: uri in session.diagnostics and codes(session.diagnostics[uri].diagnostics) == ["PL301"]
            and session.diagnostics[uri].diagnostics)) == ["PL301"]
        await session.stop()

    run(scenario())


def test_findings_in_other_files_are_published_there_and_refreshed(tmp_path: Path):
    (tmp_path / "prompts.py").write_text(PROMPTS, encoding="utf-8")
    (tmp_path / "app.py").write_text(USES_PROMPTS, encoding="utf-8")
    prompts_uri = (tmp_path / "prompts.py").as_uri()

    async def scenario():
        session = Session(tmp_path)
        await session.start()
        await session.wait_for(lambda: any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
                                           for r in session.registrations))
        uri = session.open(tmp_path / "app.py")
        assert codes(await session.diagnostics_for(uri, 1)) == ["PL201"]
        padding = await session.wait_for(lambda: session.diagnostics.get(prompts_uri)
                                         and session.diagnostics[prompts_uri].diagnostics)
        assert codes(padding) == ["PL403"] and padding[0].range.start.line == 0

        # The sibling module is edited on disk (not open in the editor): the client's file event re-lints app.py.
        (tmp_path / "prompts.py").write_text('SYSTEM = "You are a helpful assistant. Answer briefly."\n',
                                             encoding="utf-8")
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=prompts_uri, type=types.FileChangeType.Changed)]))
        await session.wait_for(lambda: session.diagnostics[prompts_uri].diagnostics == ())

        # A config file event re-reads the settings.
        (tmp_path / "promptlint.yaml").write_text("ignore: [PL2]\n", encoding="utf-8")
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=(tmp_path / "promptlint.yaml").as_uri(), type=types.FileChangeType.Created)]))
        await session.wait_for(lambda: session.diagnostics[uri].diagnostics == ())
        await session.stop()

    run(scenario())


def test_notebook_document_diagnostics_land_in_their_cells(tmp_path: Path):
    notebook_uri = (tmp_path / "nb.ipynb").as_uri()
    cells = [("from openai import OpenAI\nclient = OpenAI()\n", types.NotebookCellKind.Code),
             ("Some *notes*", types.NotebookCellKind.Markup),
             ('reply = client.chat.completions.create(\n    model="gpt-4o",\n'
              '    messages=[{"role": "user", "content": "hi"}],\n)\n', types.NotebookCellKind.Code)]
    cell_uris = [f"vscode-notebook-cell:{tmp_path / 'nb.ipynb'}#cell{i}" for i in range(len(cells))]

    async def scenario():
        session = Session(tmp_path)
        await session.start_with_notebooks()
        session.client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(uri=notebook_uri, notebook_type="jupyter-notebook", version=1,
                                                     cells=[types.NotebookCell(kind=kind, document=cell_uri)
                                                            for (_, kind), cell_uri in zip(cells, cell_uris)]),
            cell_text_documents=[types.TextDocumentItem(uri=cell_uri, language_id="python" if kind == 2 else "markdown",
                                                        version=1, text=text)
                                 for (text, kind), cell_uri in zip(cells, cell_uris)]))
        found = await session.diagnostics_for(cell_uris[2])
        assert codes(found) == ["PL201", "PL203", "PL301"]  # PL203: `reply` is never read (issue 19)
        assert all(d.range.start.line == 0 for d in found)  # line 1 of the third cell
        assert not session.diagnostics.get(cell_uris[0]) or not session.diagnostics[cell_uris[0]].diagnostics

        hover = await asyncio.wait_for(session.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=cell_uris[2]),
            position=types.Position(line=0, character=12))), TIMEOUT)
        assert "| model | gpt-4o |" in hover.contents.value

        actions = await code_actions(session, cell_uris[2], [d for d in found if d.code == "PL301"])
        disable = next(a for a in actions if a.title == "Disable PL301 for this line")
        (edit,) = disable.edit.changes[cell_uris[2]]
        assert edit.range.start.line == 0 and edit.new_text == "  # promptlint: disable=PL301"

        # A cell edited: the notebook is linted again and the cell's diagnostics follow.
        session.client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(uri=notebook_uri, version=2),
            change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(text_content=[
                types.NotebookDocumentCellContentChanges(
                    document=types.VersionedTextDocumentIdentifier(uri=cell_uris[2], version=2),
                    changes=[types.TextDocumentContentChangePartial(
                        range=types.Range(start=types.Position(line=1, character=19),
                                          end=types.Position(line=1, character=19)),
                        text=" max_tokens=200,")])]))))
        await session.wait_for(lambda: "PL301" not in codes(session.diagnostics[cell_uris[2]].diagnostics))
        assert "PL201" in codes(session.diagnostics[cell_uris[2]].diagnostics)
        await session.stop()

    run(scenario())


CRASHING_LAUNCHER = textwrap.dedent('''\
    import sys
    from promptlint.checks import load_check

    def crash(self, ctx):
        raise RuntimeError("planted crash")
        yield

    load_check("PL301").run = crash   # this rule now fails on every file
    from promptlint.cli import main
    sys.exit(main(["server"]))
''')


def test_a_crash_inside_a_rule_is_logged_and_the_server_goes_on(workspace: Path):
    async def scenario():
        session = Session(workspace, command=[sys.executable, "-c", CRASHING_LAUNCHER])
        await session.start()
        uri = session.open(workspace / "app.py")
        assert codes(await session.diagnostics_for(uri, 1)) == ["PL101", "PL201"]  # the other rules still ran
        await session.wait_for(lambda: any("internal error in PL301: RuntimeError: planted crash" in m
                                           for m in session.logs))
        session.replace(uri, CAPPED, 2)
        assert codes(await session.diagnostics_for(uri, 2)) == ["PL101", "PL201"]
        assert await session.stop() == 0

    run(scenario())


def _server(cwd: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "promptlint", "server"], cwd=cwd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def _message(payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_exits_when_stdin_closes(tmp_path: Path):
    server = _server(tmp_path)
    server.stdin.close()
    assert server.wait(timeout=TIMEOUT) == 1  # no shutdown request came first


def test_exits_when_the_client_process_dies(tmp_path: Path):
    client = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    server = _server(tmp_path)
    try:
        server.stdin.write(_message({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                     "params": {"processId": client.pid, "rootUri": tmp_path.as_uri(),
                                                "capabilities": {}}}))
        server.stdin.flush()
        client.kill()
        client.wait()
        assert server.wait(timeout=TIMEOUT) == 1  # stdin is still open: the parent watch ended it
    finally:
        client.kill()
        server.kill()
        server.wait()


def test_other_commands_never_import_pygls(tmp_path: Path):
    code = ("import sys\nfrom promptlint.cli import main\n"
            "main(['check', '--no-cache', '--isolated', '-q', '--exit-zero', '.'])\nmain(['rules'])\n"
            "sys.stderr.write(str(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol'))))\n")
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert done.stderr.strip().endswith("[]"), done.stderr


TEMPLATE_READER = textwrap.dedent('''\
    import datetime
    from pathlib import Path

    from openai import OpenAI

    client = OpenAI()
    PROMPTS = Path(__file__).parent / "prompts"


    def answer(question):
        text = (PROMPTS / "answer.txt").read_text().format(today=datetime.datetime.now(), question=question)
        return client.chat.completions.create(
            model="gpt-4o",
            max_tokens=300,
            messages=[{"role": "user", "content": text}],
        )
''')
GUIDE = " ".join(f"Rule {i}: answer questions about invoices, refunds and billing periods with care."
                 for i in range(60))


def test_findings_in_a_prompt_template_are_published_to_the_template(tmp_path: Path):
    (tmp_path / "prompts").mkdir()
    template = tmp_path / "prompts" / "answer.txt"
    template.write_text("Today is {today}. " + GUIDE + "\nQuestion: {question}\n", encoding="utf-8")
    (tmp_path / "app.py").write_text(TEMPLATE_READER, encoding="utf-8")

    async def scenario():
        session = Session(tmp_path)
        await session.start()
        await session.wait_for(lambda: session.registrations)
        globs = [w["globPattern"] for w in session.registrations[0].register_options["watchers"]]
        assert any(".txt" in g or "txt," in g for g in globs)  # template files are watched too
        uri = session.open(tmp_path / "app.py")
        assert codes(await session.diagnostics_for(uri, 1)) == ["PL201"]
        found = await session.wait_for(lambda: session.diagnostics.get(template.as_uri())
                                       and session.diagnostics[template.as_uri()].diagnostics)
        (pl101,) = found
        assert pl101.code == "PL101" and (pl101.range.start.line, pl101.range.start.character) == (0, 9)
        (related,) = pl101.related_information
        assert related.location.uri == (tmp_path / "app.py").as_uri() and related.location.range.start.line == 10

        # The template is edited on disk: the placeholder moves to line 2, and so does the finding.
        template.write_text(GUIDE + "\nToday is {today}. Question: {question}\n", encoding="utf-8")
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=template.as_uri(), type=types.FileChangeType.Changed)]))
        moved = await session.wait_for(lambda: [d for d in session.diagnostics[template.as_uri()].diagnostics
                                                if d.range.start.line == 1])
        assert codes(moved) == ["PL101"]
        await session.stop()

    run(scenario())


def test_disable_in_a_module_that_another_document_sends(tmp_path: Path):
    (tmp_path / "prompts.py").write_text(PROMPTS, encoding="utf-8")
    (tmp_path / "app.py").write_text(USES_PROMPTS, encoding="utf-8")
    prompts = tmp_path / "prompts.py"

    async def scenario():
        session = Session(tmp_path)
        await session.start()
        session.open(tmp_path / "app.py")
        prompts_uri = session.open(prompts)
        padding = await session.wait_for(lambda: [d for d in (session.diagnostics.get(prompts_uri).diagnostics
                                                              if prompts_uri in session.diagnostics else ())
                                                  if d.code == "PL403"])
        found = await code_actions(session, prompts_uri, padding)
        action = next(a for a in found if a.title == "Disable PL403 for this line")
        text = apply_edits(PROMPTS, action.edit.changes[prompts_uri])
        assert text.endswith('briefly."  # promptlint: disable=PL403\n')
        # The editor applies the edit and saves: app.py, which reads prompts.py, is linted again.
        session.replace(prompts_uri, text, 2)
        prompts.write_text(text, encoding="utf-8")
        session.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=prompts_uri)))
        await session.wait_for(lambda: not [d for d in session.diagnostics[prompts_uri].diagnostics
                                            if d.code == "PL403"])
        await session.stop()

    run(scenario())


def test_without_pygls_the_command_says_how_to_install_it(tmp_path: Path):
    code = ("import sys\nsys.modules['pygls'] = None  # as if not installed\n"
            "from promptlint.cli import main\nsys.exit(main(['server']))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == ("promptlint: error: the language server needs pygls, which is not installed: "
                                   "pip install 'promptlint-cost[server]'")
