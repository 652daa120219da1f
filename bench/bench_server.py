"""Latency of `promptlint server`: from a change to a 500-line file to its diagnostics.

A scripted LSP client (pygls' LanguageClient, over stdio) opens a generated 500-line
module with several LLM call sites, warms the server up with a few edits, then makes
EDITS edits one after the other. Each edit changes one line (an incremental change,
as an editor sends it) and the clock runs from sending the change to receiving the
publishDiagnostics for that document version, so the figure includes the server's
150 ms debounce. Prints the median, 90th percentile and worst, and the load average
before and after (the machine is shared: re-measure when it is quiet).

    .venv/bin/python bench/bench_server.py [--edits 50] [--lines 500] [--calls 8]

Needs the `server` extra (pygls). Touches no network; the workspace is a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient


def make_module(lines: int, calls: int) -> str:
    """A service module: a few LLM calls among ordinary helper code, `lines` lines long."""
    out = ['"""A support service (written for the server benchmark)."""', "import datetime", "import json", "",
           "from openai import OpenAI", "", "client = OpenAI()", "",
           'SYSTEM = "You are a careful assistant for the billing team. Answer briefly and cite the record."', ""]
    call_every = max((lines - len(out)) // max(calls, 1), 30)
    n = 0
    while len(out) < lines - 20:
        n += 1
        if n * 20 % call_every < 20 and sum("create(" in line for line in out) < calls:
            out += [f"def answer_{n}(question, records):",
                    f'    """Answer a question about batch {n}."""',
                    "    context = json.dumps(records, indent=2)",
                    "    response = client.chat.completions.create(",
                    '        model="gpt-4o",',
                    "        messages=[",
                    '            {"role": "system", "content": SYSTEM},',
                    '            {"role": "user", "content": f"Context: {context}\\nQuestion: {question}"},',
                    "        ],",
                    "    )",
                    "    return response.choices[0].message.content", ""]
        out += [f"class Ledger{n}:",
                f'    """Running totals for batch {n}."""',
                "",
                "    def __init__(self, rows):",
                "        self.rows = list(rows)",
                "",
                "    def total(self):",
                "        return sum(row.get('amount', 0) for row in self.rows)",
                "",
                "    def stamp(self):",
                "        return datetime.date.today().isoformat()", ""]
    while len(out) < lines - 1:
        out.append(f"LIMIT_{len(out)} = {len(out)}")
    out.append("EDITED = 0")
    return "\n".join(out[:lines]) + "\n"


async def measure(edits: int, lines: int, calls: int, command: list[str]) -> dict:
    workspace = Path(tempfile.mkdtemp(prefix="promptlint-bench-server-"))
    path = workspace / "service.py"
    text = make_module(lines, calls)
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    last_line = len(text.splitlines()) - 1
    client = LanguageClient("bench", "1")
    arrived: dict[int, float] = {}
    counts: dict[int, int] = {}
    event = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        if params.uri == uri and params.version is not None and params.version not in arrived:
            arrived[params.version] = time.perf_counter()
            counts[params.version] = len(params.diagnostics)
            event.set()

    async def wait_version(version: int) -> None:
        while version not in arrived:
            event.clear()
            await asyncio.wait_for(event.wait(), 60)

    await client.start_io(*command, cwd=str(workspace))
    await client.initialize_async(types.InitializeParams(
        process_id=os.getpid(), root_uri=workspace.as_uri(), capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    started = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=text)))
    await wait_version(1)
    first = arrived[1] - started

    def edit(version: int) -> float:
        old = f"EDITED = {version - 1}"
        new = f"EDITED = {version}"
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=last_line, character=0),
                                  end=types.Position(line=last_line, character=len(old))),
                text=new)]))
        return time.perf_counter()

    version = 1
    for _ in range(5):  # warm-up: every code path once more
        version += 1
        edit(version)
        await wait_version(version)
    latencies = []
    for _ in range(edits):
        version += 1
        sent = edit(version)
        await wait_version(version)
        latencies.append((arrived[version] - sent) * 1000)
    await client.shutdown_async(None)
    client.exit(None)
    await asyncio.wait_for(client._server.wait(), 30)
    await client.stop()
    return {"first_open_ms": first * 1000, "latencies": latencies, "diagnostics": counts[version],
            "lines": len(text.splitlines()), "calls": text.count("create(")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--calls", type=int, default=8)
    parser.add_argument("--server", default=f"{sys.executable} -m promptlint server",
                        help="command that starts the server")
    args = parser.parse_args()
    before = os.getloadavg()
    result = asyncio.run(measure(args.edits, args.lines, args.calls, args.server.split()))
    after = os.getloadavg()
    lat = sorted(result["latencies"])
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    print(f"promptlint server latency (commit {commit or '?'}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]})")
    print(f"  file: {result['lines']} lines, {result['calls']} LLM call sites, "
          f"{result['diagnostics']} diagnostics per publish")
    print(f"  first open (cold server): {result['first_open_ms']:.0f} ms")
    print(f"  {len(lat)} edits, change sent -> diagnostics received (includes the 150 ms debounce):")
    print(f"    median {statistics.median(lat):.0f} ms, p90 {lat[int(len(lat) * 0.9) - 1]:.0f} ms, "
          f"worst {lat[-1]:.0f} ms, best {lat[0]:.0f} ms")
    print(f"  load average before: {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}; "
          f"after: {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
