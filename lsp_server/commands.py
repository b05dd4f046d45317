from rustdoc_core.not_built import not_built

serve = not_built("serve", "Run the language server (stdio) for VS Code, Neovim and other editors.")
model = not_built("model", "Fetch and list GGUF models in the user cache.")
