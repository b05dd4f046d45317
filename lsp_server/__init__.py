"""The rustdoc-gen language server. Never imports torch, transformers or trl.

`server` holds the state (`RustdocServer`: documents, settings, the generation
worker); the features (`lifecycle`, `code_actions`, `diagnostics`, `progress`) are
functions that take it first; `wiring.create_server()` is the one place that
registers them. `documents` keeps each open file's text, tree and
`undocumented` index current through incremental edits; `action_data` is what
an action carries to its resolve; `generation` runs the model off the event loop.
"""
