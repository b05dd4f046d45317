"""`rustdoc-gen demo`: a local web page to try rustdoc-gen without an editor.

Paste Rust code (or pick a file of the crate given with `--crate`) and each
undocumented item's doc appears as the template engine writes it and, with
`--model`, as the model writes it, side by side with the doc checker's findings
and a "copy as `///`" button. A small ASGI app (starlette, served by uvicorn)
with one Jinja page; installed with the `[demo]` extra.
"""
