"""`promptlint server` under a real editor: headless Neovim (0.7 or later) as the LSP client.
Skipped where `nvim` is not installed (CI installs only Python packages)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pygls")
NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None, reason="nvim is not installed")

from test_server import APP  # noqa: E402

SCRIPT = textwrap.dedent('''\
    local out = {}
    local id = vim.lsp.start_client({
      name = "promptlint", cmd = { PYTHON, "-m", "promptlint", "server" },
      root_dir = vim.fn.getcwd(), init_options = { ignore = { "PL201" } },
    })
    vim.lsp.buf_attach_client(0, id)
    vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 50)
    for _, d in ipairs(vim.diagnostic.get(0)) do
      table.insert(out, string.format("diagnostic %s %d:%d %d", d.code, d.lnum, d.col, d.severity))
    end
    local uri = vim.uri_from_bufnr(0)
    local hover = vim.lsp.buf_request_sync(0, "textDocument/hover",
      { textDocument = { uri = uri }, position = { line = 9, character = 20 } }, 30000)
    for _, r in pairs(hover or {}) do
      if r.result then table.insert(out, "hover " .. r.result.contents.value:gsub("\\n", " ")) end
    end
    local acts = vim.lsp.buf_request_sync(0, "textDocument/codeAction", { textDocument = { uri = uri },
      range = { start = { line = 9, character = 0 }, ["end"] = { line = 9, character = 10 } },
      context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(0, 9) } }, 30000)
    for _, r in pairs(acts or {}) do
      for _, a in ipairs(r.result or {}) do table.insert(out, "action " .. a.title) end
    end
    vim.api.nvim_buf_set_lines(0, 10, 11, false, { '        model="gpt-4o", max_tokens=300,' })
    local gone = vim.wait(60000, function()
      for _, d in ipairs(vim.diagnostic.get(0)) do if d.code == "PL301" then return false end end
      return true
    end, 50)
    table.insert(out, "PL301 gone " .. tostring(gone))
    vim.fn.writefile(out, "result.txt")
    vim.cmd("qa!")
''')


def test_neovim_gets_diagnostics_hover_actions_and_live_updates(tmp_path: Path):
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    (tmp_path / "test.lua").write_text(f"PYTHON = {sys.executable!r}\n" + SCRIPT, encoding="utf-8")
    subprocess.run([NVIM, "--headless", "-n", "-u", "NONE", "app.py", "-c", "luafile test.lua"], cwd=tmp_path,
                   timeout=180, check=True, capture_output=True)
    lines = (tmp_path / "result.txt").read_text(encoding="utf-8").splitlines()
    assert "diagnostic PL101 8:10 3" in lines  # 0-based line and column; 3 = Information (a latent cache finding)
    assert "diagnostic PL301 9:11 2" in lines
    assert not any("PL201" in line for line in lines if line.startswith("diagnostic"))  # init_options
    assert any(line.startswith("hover ") and "| model | gpt-4o |" in line for line in lines)
    assert "action Disable PL301 for this line" in lines
    assert "PL301 gone true" in lines
