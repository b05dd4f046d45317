"""The workspace's crate context in the editor (`lsp_server.workspace_crate`): read for the
open workspace once settings are known, with retrieval when `rustdocGen.rag.enable` is on, and
following each saved file; `rustdocGen.examplesAtCursor` shows the examples a model is given
for the item at the cursor.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lsprotocol import types

from lsp_server.documents import path_of
from lsp_server.server import RustdocServer
from rustdoc_core.rust.items import RustSource

log = logging.getLogger(__name__)

EXAMPLES_AT_CURSOR = "rustdocGen.examplesAtCursor"


def workspace_roots(ls: RustdocServer) -> list[Path]:
    """The workspace folders the client opened (or its root path)."""
    roots: list[Path] = []
    try:
        folders = list(ls.workspace.folders.values())
        root = ls.workspace.root_path
    except RuntimeError:  # before initialize
        return roots
    for folder in folders:
        path = path_of(folder.uri)
        if path is not None:
            roots.append(path)
    if not roots and root:
        roots.append(Path(root))
    return roots


def configure(ls: RustdocServer) -> None:
    """Read the workspace (again, when `rag.enable` changed)."""
    ls.workspace_crate.start(workspace_roots(ls), rag=ls.settings.rag.enable)


def did_save(ls: RustdocServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = path_of(uri)
    if path is None or path.suffix != ".rs":
        return
    doc = ls.documents.get(uri)
    try:
        source = doc.source if doc is not None else RustSource(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        log.debug("workspace: %s not re-read: %s", path, err)
        return
    ls.workspace_crate.saved(path, source)


def examples_at_cursor(ls: RustdocServer, *args: Any) -> list[dict[str, str]] | None:
    """`rustdocGen.examplesAtCursor [uri, {line, character}]`: the examples a model is shown
    for the item there (`[{file, signature, doc}]`; empty while the index is building or off)."""
    if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], dict):
        ls.show(f"rustdoc-gen: {EXAMPLES_AT_CURSOR} takes [uri, {{line, character}}]", types.MessageType.Error)
        return None
    uri, place = args
    doc = ls.documents.get(uri)
    if doc is None:
        return None
    item = doc.source.item_at(int(place.get("line", 0)), int(place.get("character", 0)), ls.position_encoding)
    if item is None:
        return None
    return [{"file": n.file, "signature": n.signature, "doc": n.doc} for n in ls.workspace_crate.neighbours(path_of(uri), item)]
