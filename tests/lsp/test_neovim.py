"""Headless Neovim (Debian's 0.7.2) as a real client of `rustdoc-gen serve`, set up
with the very Lua module users load (editors/neovim): open real Rust files,
request the "Generate rustdoc" code action at a position, resolve it, apply it
with the negotiated offset encoding, write the buffers, and compare the files
on disk with what the shared core says the edit is."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rustdoc_core.docs.edits import apply_edits, doc_edit
from rustdoc_core.generation.template import template_doc
from rustdoc_core.rust.items import RustSource
from tests.conftest import REPO_ROOT

REPO_ROOT = REPO_ROOT
NEOVIM_MODULE = REPO_ROOT / "editors" / "neovim"
TIMEOUT_MS = 30_000

# Reads the cases from RUSTDOC_GEN_NVIM_CASES, drives the client, writes what it
# saw to the result file; exits non-zero (cquit) on any failure.
DRIVER_LUA = r"""
local request = vim.fn.json_decode(table.concat(vim.fn.readfile(os.getenv("RUSTDOC_GEN_NVIM_CASES")), "\n"))
local result = { cases = {} }

local function finish(ok)
  vim.fn.writefile({ vim.fn.json_encode(result) }, request.result)
  vim.cmd(ok and "qall!" or "cquit 2")
end

local ok, err = xpcall(function()
  local rustdoc_gen = require("rustdoc_gen")
  rustdoc_gen.setup({ cmd = request.cmd })
  for _, case in ipairs(request.cases) do
    vim.cmd("edit " .. vim.fn.fnameescape(case.file))
    local bufnr = vim.api.nvim_get_current_buf()
    assert(vim.bo[bufnr].filetype == "rust", "filetype is " .. vim.bo[bufnr].filetype)
    local client
    local attached = vim.wait(request.timeout_ms, function()
      client = rustdoc_gen.clients(bufnr)[1]
      return client ~= nil and client.initialized == true
    end, 10)
    assert(attached, "the rustdoc-gen client did not attach and initialize")
    result.offset_encoding = client.offset_encoding
    result.root_dir = client.config.root_dir

    -- The column in the encoding this Neovim negotiated (0.7.2: UTF-16; newer: UTF-8).
    local position = { line = case.line, character = case.characters[client.offset_encoding] }
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      range = { start = position, ["end"] = position },
      context = { diagnostics = {} },
    }
    local responses, request_err = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, request.timeout_ms)
    assert(responses, "textDocument/codeAction: " .. tostring(request_err))
    local response = responses[client.id]
    assert(response and not response.err, "textDocument/codeAction failed: " .. vim.inspect(response))
    local titles, action = {}, nil
    for _, candidate in ipairs(response.result or {}) do
      table.insert(titles, candidate.title)
      if action == nil and candidate.kind == "refactor.rewrite.rustdoc" then
        action = candidate
      end
    end
    assert(action, "no rustdoc action among " .. vim.inspect(titles))
    local listed_with_edit = action.edit ~= nil
    if not action.edit then
      local resolved = client.request_sync("codeAction/resolve", action, request.timeout_ms, bufnr)
      assert(resolved and not resolved.err, "codeAction/resolve failed: " .. vim.inspect(resolved))
      action = resolved.result
    end
    assert(action.edit, "the resolved action has no edit")
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
    vim.cmd("write")
    table.insert(result.cases, { titles = titles, title = action.title, listed_with_edit = listed_with_edit })
  end
  result.clients = #rustdoc_gen.clients()

  if request.missing_model then
    -- A model path set at run time reaches the running server (no restart): the
    -- next generation tries it, falls back to the template and says why.
    local messages = {}
    vim.lsp.handlers["window/showMessage"] = function(_, params)
      table.insert(messages, params.message)
    end
    rustdoc_gen.update({ model = { path = request.missing_model.path } })
    local bufnr = vim.api.nvim_get_current_buf()
    local client = rustdoc_gen.clients(bufnr)[1]
    local position = { line = request.missing_model.line, character = 0 }
    local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      range = { start = position, ["end"] = position },
      context = { diagnostics = {} },
    }, request.timeout_ms)
    local action = responses[client.id].result[1]
    local resolved = client.request_sync("codeAction/resolve", action, request.timeout_ms, bufnr)
    result.after_update = { title = action.title, resolved = resolved.result.edit ~= nil }
    vim.wait(request.timeout_ms, function()
      for _, message in ipairs(messages) do
        if message:find(request.missing_model.path, 1, true) then
          return true
        end
      end
      return false
    end, 10)
    result.after_update.messages = messages
  end
end, debug.traceback)

if not ok then
  result.error = tostring(err)
end
finish(ok)
"""

# Fixture: a Rust file whose item lines are not ASCII (umlauts and ß: 1 UTF-16
# unit, 2 UTF-8 bytes; the crab: 2 UTF-16 units, 4 bytes), with CRLF line
# endings, to pin positions and line endings through a real client.
NON_ASCII_RS = (
    "//! Maße und Größen 🦀.\r\n"
    "\r\n"
    "/// Ein Maß in Metern 📏.\r\n"
    "pub struct Maß(pub f64);\r\n"
    "\r\n"
    "impl Maß {\r\n"
    '    #[must_use = "🦀 größer"] pub fn größe(&self, faktor: f64) -> f64 {\r\n'
    "        self.0 * faktor\r\n"
    "    }\r\n"
    "}\r\n"
)


def _server_cmd() -> list[str]:
    """The venv's console script, as a user would configure it (cmd = {"rustdoc-gen", "serve"})."""
    script = Path(sys.executable).with_name("rustdoc-gen")
    if script.exists():
        return [str(script), "serve"]
    return [sys.executable, "-m", "rustdoc_cli", "serve"]


def _position(text: str, needle: str, skip: str = "") -> tuple[int, dict[str, int]]:
    """(line, {encoding: character}) of `needle` (plus len(skip)) in `text`."""
    offset = text.index(needle) + len(skip)
    line = text.count("\n", 0, offset)
    before = text[text.rfind("\n", 0, offset) + 1 : offset]
    return line, {
        "utf-16": len(before.encode("utf-16-le")) // 2,
        "utf-8": len(before.encode("utf-8")),
        "utf-32": len(before),
    }


def _expected(text: str, line: int, character: int) -> str:
    source = RustSource(text)
    item = source.item_at(line, character, "utf-16")
    assert item is not None
    return apply_edits(text, [doc_edit(source, item, template_doc(item))])


def _neovims() -> list[str]:
    """Debian's `nvim` (0.7.2), plus any Neovim binaries named in RUSTDOC_GEN_EXTRA_NVIM (":"-separated)."""
    extra = [p for p in os.environ.get("RUSTDOC_GEN_EXTRA_NVIM", "").split(":") if p]
    return ["nvim", *extra]


def _nvim_binary(name: str) -> str:
    nvim = shutil.which(name)
    assert nvim, f"{name} is not installed: run scripts/install-editor-deps"
    return nvim


def _run_neovim(nvim: str, tmp_path: Path, cases: list[dict], missing_model: dict | None = None) -> dict:
    driver = tmp_path / "driver.lua"
    driver.write_text(DRIVER_LUA, encoding="utf-8")
    request = tmp_path / "cases.json"
    result = tmp_path / "result.json"
    request.write_text(
        json.dumps({"cmd": _server_cmd(), "cases": cases, "missing_model": missing_model,
                    "timeout_ms": TIMEOUT_MS, "result": str(result)}),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-n", "-c", f"set rtp+={NEOVIM_MODULE}", "-c", f"luafile {driver}"],
        env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path),
             "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
             "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
             "RUSTDOC_GEN_NVIM_CASES": str(request)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outcome = json.loads(result.read_text(encoding="utf-8")) if result.exists() else {}
    assert proc.returncode == 0 and "error" not in outcome, (
        f"nvim exited {proc.returncode}: {outcome.get('error')}\nstdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
    )
    return outcome


@pytest.mark.parametrize("nvim_name", _neovims())
def test_neovim_code_action_writes_the_doc_into_real_rust_files(nvim_name: str, crate_copy, tmp_path: Path) -> None:
    nvim = _nvim_binary(nvim_name)
    version = subprocess.run([nvim, "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    crate = crate_copy("globset")
    lib_rs = crate / "src" / "lib.rs"
    lib_text = lib_rs.read_text(encoding="utf-8")
    lib_line, lib_char = _position(lib_text, "fn new_regex(pat: &str)", skip="fn ")
    # The fixture lives in the same crate: one server, two buffers.
    masse_rs = crate / "src" / "masse.rs"
    masse_rs.write_bytes(NON_ASCII_RS.encode("utf-8"))
    # The cursor on `faktor`, after the crab (surrogate pair) and `ö`/`ß` on that line.
    masse_line, masse_char = _position(NON_ASCII_RS, "faktor: f64")
    expected_lib = _expected(lib_text, lib_line, lib_char["utf-16"])
    expected_masse = _expected(NON_ASCII_RS, masse_line, masse_char["utf-16"])

    outcome = _run_neovim(
        nvim,
        tmp_path,
        [
            {"file": str(lib_rs), "line": lib_line, "characters": lib_char},
            {"file": str(masse_rs), "line": masse_line, "characters": masse_char},
        ],
        # Then, in masse.rs, a model that does not exist, for the documented struct.
        missing_model={"path": str(tmp_path / "missing.gguf"), "line": NON_ASCII_RS.count("\n", 0, NON_ASCII_RS.index("pub struct"))},
    )

    if version.startswith("v0.7."):
        assert outcome["offset_encoding"] == "utf-16"  # what 0.7.2 negotiates
    assert outcome["root_dir"] == str(crate)  # Cargo.toml marks the root
    assert outcome["clients"] == 1  # both buffers share the client of that root
    lib_case, masse_case = outcome["cases"]
    assert lib_case["title"] == "Generate rustdoc for `fn new_regex`"
    assert not lib_case["listed_with_edit"]  # the edit is computed in codeAction/resolve
    assert masse_case["title"] == "Generate rustdoc for `fn größe`"
    assert lib_rs.read_text(encoding="utf-8") == expected_lib
    assert masse_rs.read_bytes().decode("utf-8") == expected_masse
    assert expected_masse != NON_ASCII_RS and "\r\n    /// " in expected_masse
    after_update = outcome["after_update"]
    assert after_update["title"] == "Regenerate rustdoc for `struct Maß`"
    assert after_update["resolved"]  # the template engine served
    assert any(str(tmp_path / "missing.gguf") in m for m in after_update["messages"]), after_update["messages"]


def test_neovim_module_forwards_setup_options_as_the_contract_settings(tmp_path: Path) -> None:
    """setup() forwards `model`/`diagnostics`/`generate`/`rag` as the `rustdocGen` settings object."""
    nvim = _nvim_binary("nvim")
    out = tmp_path / "settings.json"
    lua = (
        'assert(vim.fn.has("nvim-0.7") == 1); '
        'local m = require("rustdoc_gen"); '
        'm.setup({ model = { path = "~/models/q.gguf", adapter = "~/models/a.gguf", maxTokens = 128 }, diagnostics = { enable = true } }); '
        f'vim.fn.writefile({{ vim.fn.json_encode(m.server_settings()) }}, "{out}")'
    )
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-n", "-c", f"set rtp+={NEOVIM_MODULE}", "-c", f"lua {lua}", "-c", "qall!"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    settings = json.loads(out.read_text(encoding="utf-8"))
    assert settings == {
        "model": {"path": f"{tmp_path}/models/q.gguf", "adapter": f"{tmp_path}/models/a.gguf", "maxTokens": 128},
        "diagnostics": {"enable": True},
        "generate": {"includePrivate": False},
        "rag": {"enable": False},
    }
