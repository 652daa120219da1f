"""The language server (pygls): documents in, diagnostics, code actions and hovers out.

Threads: pygls runs the handlers on its asyncio loop; every call into the engine
(lint, project phase, prices for a hover, settings) runs on one lint thread, in
order, because the analysis keeps per-process memos that are not thread-safe.
The loop only holds the bookkeeping: the last outcome per open document and the
diagnostics published per target file and origin.

Timing: a change is linted 150 ms after the last keystroke (DEBOUNCE_SECONDS);
open and save lint at once. A lint whose document moved on while it ran is
dropped (the newer version is already queued). The project phase (PL401, PL403-PL406
across files) runs after the per-file results are out, over the open documents.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from promptlint import __version__
from promptlint.model import Finding
from promptlint.server import actions, convert
from promptlint.server.configuration import ClientSettings, SettingsStore
from promptlint.server.documents import (
    Snapshot,
    notebook_lines,
    notebook_snapshot,
    path_to_uri,
    python_snapshot,
    split_lines,
    uri_to_path,
)
from promptlint.server.session import Outcome

DEBOUNCE_SECONDS = 0.15
PARENT_POLL_SECONDS = 1.0
PROJECT = "<project>"  # the origin of project-phase findings
CONFIG_FILES = ("pyproject.toml", "promptlint.yaml")

def watched_globs() -> list[str]:
    """Files whose change can change findings in an open document: Python modules (constants,
    reader helpers), notebooks, config files, and prompt template files (analysis/templates.py).
    The handler re-lints whichever open documents read the file that changed."""
    from promptlint.analysis.templates import TEMPLATE_SUFFIXES

    suffixes = ",".join(s.lstrip(".") for s in ("py", "ipynb", *TEMPLATE_SUFFIXES))
    return [f"**/*.{{{suffixes}}}", "**/pyproject.toml", "**/promptlint.yaml"]


log = logging.getLogger("promptlint.server")


class PromptlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "promptlint", __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[types.NotebookDocumentFilterWithCells(
                    notebook="*", cells=[types.NotebookCellLanguage(language="python")])],
                save=True),
        )
        self.lint_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="promptlint-lint")
        self.store = SettingsStore(self.show_error)
        self.outcomes: dict[str, Outcome] = {}  # open document (file or notebook) URI -> its last lint
        self.project_findings: list[Finding] = []
        self.published: dict[str, dict[str, list[types.Diagnostic]]] = {}  # target URI -> origin -> diagnostics
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.project_due = False
        self.root: str | None = None
        self.shutdown_requested = False

    # ------------------------------------------------------------ messages to the user

    def log_to_client(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def show_error(self, message: str) -> None:
        """Called on the lint thread (settings): hop to the loop to send."""
        def send() -> None:
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error,
                                                             message=f"promptlint: {message}"))
            self.log_to_client(message)

        self.call_soon(send)

    def call_soon(self, fn, *args) -> None:
        loop = getattr(self, "loop", None)
        if loop is None:
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    # ------------------------------------------------------------ documents

    @property
    def encoding(self) -> str:
        kind = self.workspace.position_encoding
        return getattr(kind, "value", kind) or "utf-16"

    def open_text(self, uri: str):
        return self.workspace.text_documents.get(unquote(uri))

    def open_notebook(self, uri: str):
        return self.workspace.notebook_documents.get(unquote(uri))

    def current_version(self, uri: str) -> int | None:
        doc = self.open_notebook(uri) or self.open_text(uri)
        return None if doc is None else doc.version

    def snapshot(self, uri: str) -> Snapshot | None:
        """The document at `uri` as it is now, if it is one the server lints."""
        path = uri_to_path(uri)
        if path is None:
            return None
        notebook = self.open_notebook(uri)
        if notebook is not None:
            cells = []
            for cell in notebook.cells:
                doc = self.open_text(cell.document)
                code = cell.kind == types.NotebookCellKind.Code
                cells.append((cell.document, code, doc.language_id if doc else "python", doc.source if doc else ""))
            snap = notebook_snapshot(uri, path, notebook.version, cells)
            parsed = notebook_lines(snap)
            snap.text = parsed.text if parsed is not None else ""
            return snap
        doc = self.open_text(uri)
        if doc is None or self.workspace.get_notebook_document(cell_uri=uri) is not None:
            return None  # closed, or a notebook cell (the notebook is linted as a whole)
        if not (path.endswith(".py") or path.endswith(".pyi") or doc.language_id == "python"):
            return None
        return python_snapshot(uri, path, doc.version, doc.source)

    # ------------------------------------------------------------ linting

    def schedule(self, uri: str, delay: float = DEBOUNCE_SECONDS) -> None:
        """Lint `uri` after `delay` seconds of quiet (each new change restarts the wait)."""
        old = self.timers.pop(uri, None)
        if old is not None:
            old.cancel()
        self.timers[uri] = self.loop.call_later(delay, lambda: asyncio.ensure_future(self.lint_uri(uri)))

    async def lint_uri(self, uri: str) -> None:
        try:
            await self._lint_uri(uri)
        except Exception as exc:  # noqa: BLE001 - log it and keep serving the other documents
            self.log_to_client(f"promptlint: internal error while linting {uri}: {type(exc).__name__}: {exc}")

    async def _lint_uri(self, uri: str) -> None:
        self.timers.pop(uri, None)
        snap = self.snapshot(uri)
        if snap is None:
            return
        outcome = await self.loop.run_in_executor(self.lint_thread, self._lint_job, snap)
        if self.current_version(uri) != snap.version:
            return  # the document changed (or closed) meanwhile: a newer lint is queued
        self.outcomes[uri] = outcome
        for error in outcome.errors:
            self.log_to_client(f"promptlint: {error}")
        self.publish(uri, outcome.findings, {uri: snap})
        self.request_project_phase()

    def _lint_job(self, snap: Snapshot) -> Outcome:
        from promptlint.server.session import lint

        settings = self.store.for_path(snap.path)
        outcome = lint(snap, settings)
        _price(outcome)
        return outcome

    def request_project_phase(self) -> None:
        if not self.project_due:
            self.project_due = True
            asyncio.ensure_future(self.run_project_phase())

    async def run_project_phase(self) -> None:
        try:
            await self._run_project_phase()
        except Exception as exc:  # noqa: BLE001
            self.log_to_client(f"promptlint: internal error in the project phase: {type(exc).__name__}: {exc}")

    async def _run_project_phase(self) -> None:
        from promptlint.server.session import project_phase

        self.project_due = False
        outcomes = list(self.outcomes.values())
        found, errors = await self.loop.run_in_executor(self.lint_thread, project_phase, outcomes)
        for error in errors:
            self.log_to_client(f"promptlint: {error}")
        self.project_findings = found
        self.publish(PROJECT, found, {o.snapshot.uri: o.snapshot for o in self.outcomes.values()})

    def relint_open(self, only=None) -> None:
        for uri in list(self.outcomes):
            if only is None or only(self.outcomes[uri]):
                self.schedule(uri, 0)

    # ------------------------------------------------------------ publishing

    def publish(self, origin: str, findings: list[Finding], snapshots: dict[str, Snapshot]) -> None:
        """File `findings` (from `origin`) under the documents they point into and publish
        every target whose diagnostics changed."""
        by_shown = {snap.shown: snap for snap in snapshots.values()}
        by_shown.update({o.snapshot.shown: o.snapshot for o in self.outcomes.values()})
        targets: dict[str, list[types.Diagnostic]] = {}
        notebooks = {}
        for finding in findings:
            snap = by_shown.get(finding.path)
            if snap is not None and snap.notebook:
                if snap.uri not in notebooks:
                    notebooks[snap.uri] = notebook_lines(snap)
                uri, diag = self._in_cell(finding, snap, notebooks[snap.uri])
            elif snap is not None:
                uri, diag = snap.uri, convert.diagnostic(finding, split_lines(snap.text), self.encoding)
            else:
                uri, diag = path_to_uri(finding.path), convert.diagnostic(finding, _disk_lines(finding.path),
                                                                          self.encoding)
            targets.setdefault(uri, []).append(diag)
        touched = set(targets)
        for uri, origins in self.published.items():
            if origin in origins and uri not in targets:
                touched.add(uri)
        if origin in snapshots and snapshots[origin].notebook:  # clear cells that no longer have findings
            touched.update(cell.uri for cell in snapshots[origin].cells)
        for uri in sorted(touched):
            origins = self.published.setdefault(uri, {})
            if targets.get(uri):
                origins[origin] = targets[uri]
            else:
                origins.pop(origin, None)
            merged = [d for key in sorted(origins) for d in origins[key]]
            version = self.current_version(uri) if self.open_text(uri) or self.open_notebook(uri) else None
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=merged, version=version))

    def _in_cell(self, finding: Finding, snap: Snapshot, notebook) -> tuple[str, types.Diagnostic]:
        """A notebook finding as a diagnostic of the cell it is in."""
        lines = split_lines(snap.text)
        cell = notebook.cell_at(finding.span.line) if notebook is not None else None
        if cell is None or cell.number > len(snap.cells):
            first = next((c for c in snap.cells if c.code), snap.cells[0] if snap.cells else None)
            uri = first.uri if first else snap.uri
            return uri, convert.diagnostic(finding, [], self.encoding, finding.span.line - 1)
        return snap.cells[cell.number - 1].uri, convert.diagnostic(finding, lines, self.encoding, cell.start - 1)

    def forget(self, uri: str) -> None:
        """A document closed: drop what it published (findings of files it read go too)."""
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        outcome = self.outcomes.pop(uri, None)
        snapshots = {uri: outcome.snapshot} if outcome else {}
        self.publish(uri, [], snapshots)
        if outcome is not None:
            self.request_project_phase()

    # ------------------------------------------------------------ where a client position is

    def locate(self, uri: str):
        """(outcome, line shift, lines of the document) for a file or notebook-cell URI."""
        outcome = self.outcomes.get(uri)
        if outcome is not None:
            return outcome, 0, None
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        outcome = self.outcomes.get(notebook.uri) if notebook is not None else None
        if outcome is None:
            return None, 0, None
        parsed = notebook_lines(outcome.snapshot)
        for ref in outcome.snapshot.cells:
            if ref.uri == uri and parsed is not None:
                cell = next((c for c in parsed.cells if c.number == ref.number), None)
                if cell is not None:
                    return outcome, cell.start - 1, cell
        return None, 0, None


def _disk_lines(path: str) -> list[str]:
    try:
        with open(path, "rb") as fh:
            return split_lines(fh.read().decode("utf-8", "replace"))
    except OSError:
        return []


def _price(outcome: Outcome) -> None:
    """Dollar figures on findings with a token estimate (as `check` prints them)."""
    findings = [f for f in outcome.findings if f.waste_kind or f.waste_tokens_per_call is not None]
    if not findings:
        return
    try:
        from promptlint.cost.prices import price_findings

        price_findings(findings, outcome.settings, outcome.result.callsites)
    except Exception as exc:  # noqa: BLE001 - a figure is an extra: keep the findings
        outcome.errors.append(f"{outcome.snapshot.shown}: no dollar figures: {type(exc).__name__}: {exc}")


# ---------------------------------------------------------------- handlers


def build() -> PromptlintServer:
    server = PromptlintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: PromptlintServer, params: types.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ls.root = uri_to_path(params.root_uri) if params.root_uri else params.root_path
        if params.workspace_folders:
            ls.root = uri_to_path(params.workspace_folders[0].uri) or ls.root
        ls.store.client = ClientSettings.from_json(params.initialization_options, ls.root)
        if params.process_id:
            watch_parent(params.process_id)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: PromptlintServer, params: types.InitializedParams) -> None:
        caps = ls.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps else None
        if watched and watched.dynamic_registration:
            options = types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern=g) for g in watched_globs()])
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                types.Registration(id="promptlint-watched-files",
                                   method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)]))
        if caps and caps.configuration:
            await pull_configuration(ls)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: PromptlintServer, *args) -> None:
        ls.shutdown_requested = True
        for timer in ls.timers.values():
            timer.cancel()
        ls.timers.clear()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: PromptlintServer, params: types.DidOpenTextDocumentParams) -> None:
        await ls.lint_uri(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PromptlintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: PromptlintServer, params: types.DidSaveTextDocumentParams) -> None:
        await saved(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PromptlintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    async def notebook_open(ls: PromptlintServer, params: types.DidOpenNotebookDocumentParams) -> None:
        await ls.lint_uri(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(ls: PromptlintServer, params: types.DidChangeNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    async def notebook_save(ls: PromptlintServer, params: types.DidSaveNotebookDocumentParams) -> None:
        await saved(ls, params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(ls: PromptlintServer, params: types.DidCloseNotebookDocumentParams) -> None:
        ls.forget(params.notebook_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched_files(ls: PromptlintServer, params: types.DidChangeWatchedFilesParams) -> None:
        await files_changed(ls, [p for p in (uri_to_path(c.uri) for c in params.changes) if p])

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: PromptlintServer, params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get("promptlint"), dict):
            await set_client_settings(ls, ClientSettings.from_json(settings["promptlint"], ls.root))
        else:
            await pull_configuration(ls)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL], resolve_provider=False))
    def code_action(ls: PromptlintServer, params: types.CodeActionParams):
        return code_actions(ls, params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: PromptlintServer, params: types.HoverParams):
        return await hover_at(ls, params)

    return server


async def saved(ls: PromptlintServer, uri: str) -> None:
    """A saved document is linted at once, and so is every open document that reads it."""
    await ls.lint_uri(uri)
    path = uri_to_path(uri)
    if path:
        await files_changed(ls, [path], skip=uri)


async def files_changed(ls: PromptlintServer, paths: list[str], skip: str | None = None) -> None:
    """Files changed on disk: a config file re-reads the settings and re-lints everything;
    any other file re-lints the open documents that read it or have findings in it."""
    paths = {os.path.abspath(p) for p in paths}
    client_config = ls.store.client.config_file and os.path.abspath(ls.store.client.config_file)
    if any(os.path.basename(p) in CONFIG_FILES or p == client_config for p in paths):
        await ls.loop.run_in_executor(ls.lint_thread, ls.store.clear)
        ls.relint_open()
        return
    targets = {uri_to_path(uri) for uri, origins in ls.published.items() if origins}

    def affected(outcome: Outcome) -> bool:
        if outcome.snapshot.uri == skip:
            return False
        placed = {uri_to_path(u) for u, origins in ls.published.items() if outcome.snapshot.uri in origins}
        # A folder read whole (a dict of its prompt files) depends on every file in it.
        folders = {os.path.dirname(p) for p in paths}
        return bool(outcome.dependencies & (paths | folders) or placed & paths - {outcome.snapshot.path})

    ls.relint_open(affected)
    if targets & paths:
        ls.request_project_phase()


async def pull_configuration(ls: PromptlintServer) -> None:
    try:
        found = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="promptlint")]))
    except Exception as exc:  # noqa: BLE001 - a client that cannot answer keeps initializationOptions
        log.info("workspace/configuration failed: %s", exc)
        return
    if found and isinstance(found[0], dict) and found[0]:
        await set_client_settings(ls, ClientSettings.from_json(found[0], ls.root))


async def set_client_settings(ls: PromptlintServer, client: ClientSettings) -> None:
    def apply() -> None:
        ls.store.client = client
        ls.store.clear()

    await ls.loop.run_in_executor(ls.lint_thread, apply)
    ls.relint_open()


def code_actions(ls: PromptlintServer, params: types.CodeActionParams):
    uri = params.text_document.uri
    outcome, shift, cell = ls.locate(uri)
    if outcome is None or ls.current_version(outcome.snapshot.uri) != outcome.snapshot.version:
        return None  # not linted yet, or edited since: the edits would land in the wrong place
    snap = outcome.snapshot
    only = list(params.context.only or [])
    found = []
    # Its own findings, and those that other documents' lints and the project phase placed in it
    # (a padded constant another module sends).
    findings = [f for o in ls.outcomes.values() for f in o.findings if f.path == snap.shown]
    findings += [f for f in ls.project_findings if f.path == snap.shown]

    if actions._wanted(types.CodeActionKind.QuickFix, only):
        for diag in params.context.diagnostics:
            data = diag.data if isinstance(diag.data, dict) else None
            if diag.source != convert.SOURCE or data is None:
                continue
            finding = next((f for f in findings if f.code == data.get("code")
                            and f.span.line == data.get("line") and f.span.column == data.get("column")), None)
            if finding is None:
                continue
            fix = actions.fix_action(snap, finding, diag, ls.encoding)
            if fix is not None:
                found.append(fix)
            disable = actions.disable_action(snap, finding, diag, ls.encoding, (uri, shift) if cell is not None else None)
            if disable is not None:
                found.append(disable)
    if actions._wanted(actions.FIX_ALL, only):
        fix_all = actions.fix_all_action(snap, findings, ls.encoding)
        if fix_all is not None:
            found.append(fix_all)
    return found or None


async def hover_at(ls: PromptlintServer, params: types.HoverParams):
    from promptlint.server.hover import hover_markdown, site_at

    uri = params.text_document.uri
    outcome, shift, _cell = ls.locate(uri)
    if outcome is None:
        return None
    lines = split_lines(outcome.snapshot.text)
    line = params.position.line + 1 + shift
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    column = convert.code_point_column(text, params.position.character, ls.encoding)
    site = site_at(outcome, line, column)
    if site is None:
        return None

    def render() -> str:
        from promptlint.cost.prices import PriceBook

        return hover_markdown(outcome, site, PriceBook(outcome.settings))

    try:
        markdown = await ls.loop.run_in_executor(ls.lint_thread, render)
    except Exception as exc:  # noqa: BLE001 - a hover is an extra: log and show nothing
        ls.log_to_client(f"promptlint: hover failed: {type(exc).__name__}: {exc}")
        return None
    span = site.call_span or site.span
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown),
                       range=convert.to_range(span, lines, ls.encoding, shift))


def watch_parent(pid: int) -> None:
    """Exit when the client's process is gone (an editor killed without shutting us down)."""
    def watch() -> None:
        import time

        while True:
            time.sleep(PARENT_POLL_SECONDS)
            if not _alive(pid):
                log.info("the client (pid %s) is gone: exiting", pid)
                os._exit(1)  # no shutdown request came: 1, as the LSP asks of `exit` without it

    threading.Thread(target=watch, name="promptlint-parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return True
    return True


def run() -> int:
    """Serve over stdio until exit, stdin's end or the client's death. Returns the exit
    code: 0 after a shutdown request, 1 otherwise (the LSP's rule for `exit`)."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must never corrupt the protocol stream
    server = build()
    server.start_io(stdin, stdout)
    server.lint_thread.shutdown(wait=False, cancel_futures=True)
    return 0 if server.shutdown_requested else 1
