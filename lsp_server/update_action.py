""""Update rustdoc for `fn name`": the certain fixes of a stale doc, as one edit.

Stale is what `rustdoc_core.docs.fixes.update_doc` fixes without a model: parameters
named that do not exist (a renamed one's `# Arguments` entry renamed), a required
section missing, a needless one present. Only those lines change; the human's
other lines are copied byte for byte (`rustdoc_core.docs.lint.update_edit`, which
`rustdoc-gen check --fix` and `generate --update` apply too). A missing section
gets the template's text, with or without a model.
"""

from __future__ import annotations

from lsp_server.documents import OpenDocument, path_of
from lsp_server.server import RustdocServer
from rustdoc_core.docs.edits import DocEdit, line_ending
from rustdoc_core.docs.lint import update_edit
from rustdoc_core.rust.items import RustItem


def update_title(item: RustItem) -> str:
    return f"Update rustdoc for `{item.label}`"


def stale_doc_edit(ls: RustdocServer, doc: OpenDocument, item: RustItem) -> DocEdit | None:
    """The edit that updates `item`'s stale doc; None when its doc is not stale (or not `///`)."""
    if item.doc is None:
        return None
    path = path_of(doc.uri)
    exported = ls.workspace_crate.crate.indexes.exported(path, item) if path is not None else None
    found = update_edit(item, doc.source.text.split("\n"), line_ending(doc.source.data), exported)
    return found[0] if found is not None else None


