""""Update rustdoc for `fn name`": the certain fixes of a stale doc, as one edit.

Stale is what `rustdoc_core.docs.fixes.update_doc` fixes without a model: parameters
named that do not exist (a renamed one's `# Arguments` entry renamed), a required
section missing, a needless one present, and `////` lines that were meant as doc
lines. Only those lines change; the human's other lines are copied byte for byte
(`rustdoc_core.docs.lint.item_update_edit`, as `rustdoc-gen check --fix` and
`generate --update` do). A missing section gets the template's text, with or without
a model; one whose lint the crate allows is never added, as `check` follows the
crate's configuration.
"""

from __future__ import annotations

from pathlib import Path

from lsp_server.documents import OpenDocument, path_of
from lsp_server.server import RustdocServer
from rustdoc_core.docs.edits import DocEdit
from rustdoc_core.docs.lint import item_update_edit
from rustdoc_core.docs.rule_config import update_rules
from rustdoc_core.rust.items import RustItem


def update_title(item: RustItem) -> str:
    return f"Update rustdoc for `{item.label}`"


def stale_doc_edit(ls: RustdocServer, doc: OpenDocument, item: RustItem) -> DocEdit | None:
    """The edit that updates `item`'s stale doc; None when its doc is not stale (or not `///`)."""
    path = path_of(doc.uri) or Path("untitled.rs")
    indexes = ls.workspace_crate.crate.indexes
    return item_update_edit(path, doc.source, item, indexes, update_rules(indexes, path, doc.source))


