"""Open documents, synced incrementally: each `didChange` edits the RustSource,
which re-parses its tree-sitter tree incrementally, and tells the document's
`UndocumentedIndex` what moved.

This store is the server's only copy of the text (pygls's own workspace copy is
bypassed, see `server.RustdocProtocol`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from lsp_server.undocumented import UndocumentedIndex
from rustdoc_core.rust.items import RustSource

log = logging.getLogger(__name__)

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Replace lone surrogates (JSON can carry them) with U+FFFD; keeps UTF-16 lengths."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


@dataclass
class OpenDocument:
    uri: str
    version: int | None
    source: RustSource
    language_id: str = "rust"
    undocumented: UndocumentedIndex = field(default_factory=UndocumentedIndex)

    def position(self, byte_offset: int, encoding: str) -> types.Position:
        line, character = self.source.lines.byte_to_position(byte_offset, encoding)
        return types.Position(line=line, character=character)


class DocumentStore:
    def __init__(self) -> None:
        self._documents: dict[str, OpenDocument] = {}

    def __contains__(self, uri: str) -> bool:
        return uri in self._documents

    def __iter__(self) -> Iterator[OpenDocument]:
        return iter(list(self._documents.values()))

    def get(self, uri: str) -> OpenDocument | None:
        return self._documents.get(uri)

    def open(self, item: types.TextDocumentItem) -> OpenDocument:
        doc = OpenDocument(item.uri, item.version, RustSource(clean_text(item.text)), item.language_id)
        self._documents[item.uri] = doc
        return doc

    def change(
        self,
        identifier: types.VersionedTextDocumentIdentifier,
        changes: Sequence[types.TextDocumentContentChangeEvent],
        encoding: str,
    ) -> OpenDocument | None:
        doc = self._documents.get(identifier.uri)
        if doc is None:
            log.warning("didChange for a document that is not open: %s", identifier.uri)
            return None
        for change in changes:
            text = clean_text(change.text)
            if isinstance(change, types.TextDocumentContentChangePartial):
                start, end = change.range.start, change.range.end
                if (end.line, end.character) < (start.line, start.character):
                    start, end = end, start
                _edit(doc, (start.line, start.character), (end.line, end.character), text, encoding)
            else:
                doc.source = RustSource(text, doc.source.parser)
                doc.undocumented = UndocumentedIndex()
        doc.version = identifier.version
        return doc

    def close(self, uri: str) -> None:
        self._documents.pop(uri, None)


def _edit(doc: OpenDocument, start: tuple[int, int], end: tuple[int, int], text: str, encoding: str) -> None:
    source = doc.source
    start_byte = source.lines.position_to_byte(*start, encoding=encoding)
    end_byte = max(start_byte, source.lines.position_to_byte(*end, encoding=encoding))
    source.edit(start_byte, end_byte, text)
    doc.undocumented.edited(start_byte, end_byte, start_byte + len(text.encode("utf-8")))


def path_of(uri: str) -> Path | None:
    """The file a `file:` URI names; None for other URIs."""
    try:
        path = to_fs_path(uri)
    except Exception:  # noqa: BLE001 - odd URIs are not files
        return None
    return Path(path) if path else None
