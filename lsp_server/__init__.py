"""The rustdoc-gen language server. Never imports torch, transformers or trl."""
