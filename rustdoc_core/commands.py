from rustdoc_core.not_built import not_built

generate = not_built("generate", "Document undocumented items in Rust files (template or GGUF model).")
