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

import weakref
from dataclasses import dataclass, field, replace
from pathlib import Path

from lsp_server.documents import OpenDocument, path_of
from lsp_server.server import RustdocServer
from rustdoc_core.docs.edits import DocEdit
from rustdoc_core.docs.lint import item_update_edit
from rustdoc_core.docs.rule_config import update_rules
from rustdoc_core.rust.crate_index import CrateIndexes
from rustdoc_core.rust.items import RustItem, RustSource
from rustdoc_core.rust.last_parse import LastParse


def update_title(item: RustItem) -> str:
    return f"Update rustdoc for `{item.label}`"


def stale_doc_edit(ls: RustdocServer, doc: OpenDocument, item: RustItem, source: RustSource | None = None) -> DocEdit | None:
    """The edit that updates `item`'s stale doc; None when its doc is not stale (or not `///`).

    `item` is read from `source`: the document's (by default), or a `LastParse` of it while
    edits wait for their parse. Then the edit is the last parse's, moved past the edits, and
    None where they touched its lines (its text would undo them).
    """
    source = source if source is not None else doc.source
    if not isinstance(source, LastParse):
        return _update_edit(ls, doc, source, item)
    parsed = source.parsed_item(item)
    edit = _update_edit(ls, doc, source.parsed_source, parsed) if parsed is not None else None
    down = source.lines_now(edit.start_line, edit.end_line) if edit is not None else None
    if edit is None or down is None:
        return None
    return replace(edit, start_line=edit.start_line + down, end_line=edit.end_line + down)


def work_out_ahead(ls: RustdocServer, doc: OpenDocument) -> None:
    """The update edit of the item where code actions were last asked, worked out on the document
    as it is (after a pause in typing, off the request path): the list the editor asks next, a
    text that no list has seen yet, finds it done."""
    if doc.asked_at is None:
        return
    item = doc.source.item_at(*doc.asked_at, ls.position_encoding)
    if item is not None and not doc.source.shares_line(item):
        stale_doc_edit(ls, doc, item)


def _update_edit(ls: RustdocServer, doc: OpenDocument, source: RustSource, item: RustItem) -> DocEdit | None:
    # Worked out once per item and text: the cursor's item is listed again after every keystroke,
    # and its doc's check takes milliseconds for a long doc. What else goes in is fixed per
    # crate context (its indexes are built once), so the same text gives the same edit.
    indexes = ls.workspace_crate.crate.indexes
    by_uri = _REMEMBERED.setdefault(ls, {})
    known = by_uri.get(doc.uri)
    if known is None or known.indexes is not indexes or known.data is not source.data:
        if len(by_uri) >= MAX_REMEMBERED_DOCUMENTS:
            by_uri.clear()
        known = by_uri[doc.uri] = _Remembered(indexes, source.data)
    if item not in known.edits:
        path = path_of(doc.uri) or Path("untitled.rs")
        known.edits[item] = item_update_edit(path, source, item, indexes, update_rules(indexes, path, source))
    return known.edits[item]


@dataclass
class _Remembered:
    """The update edits worked out on one text of a document, in one crate context."""

    indexes: CrateIndexes
    data: bytes
    edits: dict[RustItem, DocEdit | None] = field(default_factory=dict)


MAX_REMEMBERED_DOCUMENTS = 16
_REMEMBERED: weakref.WeakKeyDictionary[RustdocServer, dict[str, _Remembered]] = weakref.WeakKeyDictionary()
