-- rustdoc-gen for Neovim: registers `rustdoc-gen serve` as a language server for
-- Rust buffers, beside rust-analyzer (each is its own client; code actions from
-- both are listed together).
--
--   require("rustdoc_gen").setup({ model = { path = "~/models/rustdoc-q4_k_m.gguf" } })
--
-- Neovim 0.11+: vim.lsp.config + vim.lsp.enable. Neovim 0.7 to 0.10: a FileType
-- autocommand starts one client per project root (vim.lsp.start on 0.8+,
-- vim.lsp.start_client + vim.lsp.buf_attach_client on 0.7).
local M = {}

M.name = "rustdoc_gen"

--- Defaults; setup(opts) merges opts over these.
M.defaults = {
  -- The server command; `serve` speaks LSP over stdio.
  cmd = { "rustdoc-gen", "serve" },
  filetypes = { "rust" },
  -- The first directory upwards holding one of these is the workspace root.
  root_markers = { "Cargo.toml", ".git" },
  -- Forwarded to the server (section `rustdocGen` of workspace/configuration,
  -- and initializationOptions). model.path = nil: the template engine;
  -- model.adapter: a GGUF LoRA adapter on top of model.path. Decode options
  -- (maxTokens, contextSize, temperature, threads, repeatPenalty, frequencyPenalty,
  -- presencePenalty, seed) left
  -- out take the server's defaults, defined once in rustdoc_core/generation/decode.py.
  model = { path = nil, adapter = nil },
  diagnostics = { enable = false },
  -- generate.verifyExamples = true: a generated doc's examples are compiled against the
  -- crate first, and those that fail are dropped (off where no Cargo.toml is found).
  generate = { includePrivate = false },
  -- Retrieval: the workspace's documented items as examples in each model prompt.
  rag = { enable = false },
  -- Passed through to the client.
  on_attach = nil,
  capabilities = nil,
  -- Use vim.lsp.config/vim.lsp.enable where Neovim has them (0.11+).
  use_lsp_enable = true,
}

local options = vim.deepcopy(M.defaults)
local clients_by_root = {} -- 0.7 only: root dir -> client id
local uses_lsp_enable = false -- setup() went through vim.lsp.config/vim.lsp.enable

local function expand(path)
  if path == nil or path == vim.NIL or path == "" then
    return nil
  end
  return vim.fn.expand(path)
end

--- The `rustdocGen` settings object (CONTRACTS.md) from the options.
function M.server_settings(opts)
  opts = opts or options
  local model = vim.tbl_extend("force", {}, opts.model or {})
  model.path = expand(model.path)
  model.adapter = expand(model.adapter)
  return {
    model = model,
    diagnostics = vim.tbl_extend("force", {}, opts.diagnostics or {}),
    generate = vim.tbl_extend("force", {}, opts.generate or {}),
    rag = vim.tbl_extend("force", {}, opts.rag or {}),
  }
end

local uv = vim.uv or vim.loop

-- Client methods are called with `:` from 0.11 on (the `.` form is deprecated there).
local function client_call(client, method, ...)
  if vim.fn.has("nvim-0.11") == 1 then
    return client[method](client, ...)
  end
  return client[method](...)
end

--- The project root of a file: the nearest directory upwards with a root marker,
--- else the file's own directory.
function M.root_dir(fname, markers)
  markers = markers or options.root_markers
  local dir = vim.fn.fnamemodify(fname, ":p:h")
  local start = dir
  while true do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      return start
    end
    dir = parent
  end
end

local function client_config(root)
  local settings = M.server_settings()
  return {
    name = M.name,
    cmd = options.cmd,
    root_dir = root,
    workspace_folders = root and { { uri = vim.uri_from_fname(root), name = root } } or nil,
    settings = { rustdocGen = settings },
    init_options = settings,
    on_attach = options.on_attach,
    capabilities = options.capabilities,
  }
end

--- Attach the rustdoc-gen client to a buffer (starting it for the buffer's root
--- if needed). Returns the client id.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local fname = vim.api.nvim_buf_get_name(bufnr)
  if fname == "" then
    fname = vim.fn.getcwd() .. "/untitled.rs"
  end
  local root = M.root_dir(fname)
  if vim.lsp.start then
    return vim.lsp.start(client_config(root), { bufnr = bufnr })
  end
  local id = clients_by_root[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client.is_stopped() then
    id = vim.lsp.start_client(client_config(root))
    if not id then
      vim.notify("rustdoc-gen: could not start " .. table.concat(options.cmd, " "), vim.log.levels.ERROR)
      return nil
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- The running rustdoc-gen clients (all of them, or those attached to bufnr).
function M.clients(bufnr)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = M.name, bufnr = bufnr })
  end
  local found = {}
  local all = bufnr and vim.lsp.buf_get_clients(bufnr) or vim.lsp.get_active_clients()
  for _, client in pairs(all) do
    if client.name == M.name then
      table.insert(found, client)
    end
  end
  return found
end

--- Change settings at run time (e.g. `{ model = { path = "..." } }`): the server
--- re-reads them; a new model path takes effect without a restart.
function M.update(new_options)
  options = vim.tbl_deep_extend("force", options, new_options or {})
  local settings = M.server_settings()
  if uses_lsp_enable then
    -- Clients started from now on (new roots) get the new settings too.
    vim.lsp.config(M.name, { settings = { rustdocGen = settings }, init_options = settings })
  end
  for _, client in ipairs(M.clients()) do
    -- workspace/configuration is answered from client.config.settings up to 0.10
    -- and from client.settings from 0.11 on.
    client.config.settings = { rustdocGen = settings }
    client.settings = { rustdocGen = settings }
    client_call(client, "notify", "workspace/didChangeConfiguration", { settings = { rustdocGen = settings } })
  end
end

local function execute(command, arguments_for)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.clients(bufnr)[1]
  if not client then
    vim.notify("rustdoc-gen: no rustdoc-gen server attached to this buffer", vim.log.levels.WARN)
    return
  end
  -- The server answers by sending workspace/applyEdit, which Neovim applies.
  local params = { command = command, arguments = arguments_for(client) }
  client_call(client, "request", "workspace/executeCommand", params, function(err)
    if err then
      vim.notify("rustdoc-gen: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    end
  end, bufnr)
end

--- Generate the doc of the item under the cursor.
function M.generate_at_cursor()
  execute("rustdocGen.generateAtCursor", function(client)
    local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
    return { params.textDocument.uri, params.position }
  end)
end

--- Generate docs for every undocumented item of the current file.
function M.generate_file()
  execute("rustdocGen.generateFile", function()
    return { vim.uri_from_bufnr(0) }
  end)
end

local function define_commands()
  vim.api.nvim_create_user_command("RustdocGenerate", M.generate_at_cursor, {
    desc = "rustdoc-gen: generate the doc of the item under the cursor",
  })
  vim.api.nvim_create_user_command("RustdocGenerateFile", M.generate_file, {
    desc = "rustdoc-gen: generate docs for all undocumented items in this file",
  })
end

function M.setup(opts)
  options = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  uses_lsp_enable = false
  define_commands()
  if options.use_lsp_enable and vim.lsp.config and vim.lsp.enable then
    local settings = M.server_settings()
    vim.lsp.config(M.name, {
      cmd = options.cmd,
      filetypes = options.filetypes,
      root_markers = options.root_markers,
      settings = { rustdocGen = settings },
      init_options = settings,
      on_attach = options.on_attach,
      capabilities = options.capabilities,
    })
    vim.lsp.enable(M.name)
    uses_lsp_enable = true
    return
  end
  local group = vim.api.nvim_create_augroup("rustdoc_gen", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = options.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
    desc = "rustdoc-gen: attach the language server",
  })
  -- Buffers opened before setup() ran.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(options.filetypes, vim.bo[bufnr].filetype) then
      M.attach(bufnr)
    end
  end
end

return M
