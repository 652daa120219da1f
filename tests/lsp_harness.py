"""A real LSP client (pygls' LanguageClient) driving `promptlint server` over stdio, for
tests/test_server.py. Each test runs one server process in a temporary workspace."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

TIMEOUT = 30.0  # the machine is shared: generous, and only ever reached when something is wrong


class Session:
    """One client + server. `diagnostics[uri]` holds the latest publish for each URI;
    `published` is an asyncio.Condition notified on each; `logs` the window/logMessage texts."""

    def __init__(self, root: Path, init_options=None, command: list[str] | None = None,
                 workspace_configuration=None) -> None:
        self.root = root
        self.init_options = init_options
        self.command = command or [sys.executable, "-m", "promptlint", "server"]
        self.workspace_configuration = workspace_configuration
        self.client = LanguageClient("promptlint-tests", "1")
        self.diagnostics: dict[str, types.PublishDiagnosticsParams] = {}
        self.logs: list[str] = []
        self.registrations: list[types.Registration] = []
        self.changed = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = params
            self.changed.set()

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams) -> None:
            self.logs.append(params.message)
            self.changed.set()

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams) -> None:
            self.logs.append(params.message)

        @self.client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params: types.RegistrationParams) -> None:
            self.registrations += params.registrations
            self.changed.set()

        @self.client.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams):
            return [self.workspace_configuration or {} for _ in params.items]

    async def start_with_notebooks(self) -> types.InitializeResult:
        return await self.start(notebooks=True)

    async def start(self, notebooks: bool = False) -> types.InitializeResult:
        await self.client.start_io(*self.command, cwd=str(self.root))
        capabilities = types.ClientCapabilities(
            workspace=types.WorkspaceClientCapabilities(
                configuration=self.workspace_configuration is not None,
                did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True)),
            text_document=types.TextDocumentClientCapabilities(
                publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)),
            notebook_document=types.NotebookDocumentClientCapabilities(
                synchronization=types.NotebookDocumentSyncClientCapabilities()) if notebooks else None,
        )
        result = await asyncio.wait_for(self.client.initialize_async(types.InitializeParams(
            process_id=None, root_uri=self.root.as_uri(), capabilities=capabilities,
            initialization_options=self.init_options)), TIMEOUT)
        self.client.initialized(types.InitializedParams())
        return result

    async def stop(self) -> int | None:
        """shutdown + exit; returns the server's exit code."""
        server = self.client._server
        if server is not None and server.returncode is None:
            await asyncio.wait_for(self.client.shutdown_async(None), TIMEOUT)
            self.client.exit(None)
            await asyncio.wait_for(server.wait(), TIMEOUT)
        await self.client.stop() if hasattr(self.client, "stop") else None
        return server.returncode if server is not None else None

    async def wait_for(self, predicate, timeout: float = TIMEOUT):
        """Wait until predicate() is true (checked after each message from the server)."""
        async def loop():
            while True:
                value = predicate()
                if value:
                    return value
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(loop(), timeout)

    async def diagnostics_for(self, uri: str, version: int | None = None, timeout: float = TIMEOUT):
        """The diagnostics of `uri` once published (for `version`, when given)."""
        def ready():
            got = self.diagnostics.get(uri)
            if got is not None and (version is None or got.version == version):
                return got
            return None

        return (await self.wait_for(ready, timeout)).diagnostics

    def open(self, path: Path, text: str | None = None, version: int = 1) -> str:
        uri = path.as_uri()
        self.diagnostics.pop(uri, None)
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="python", version=version,
            text=path.read_text(encoding="utf-8") if text is None else text)))
        return uri

    def replace(self, uri: str, text: str, version: int) -> None:
        """Send the whole new text as one change."""
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def run(coro):
    return asyncio.run(coro)
