"""Open documents, synced incrementally: each `didChange` edits the RustSource and
tells the document's `UndocumentedIndex` what moved.

A keystroke's edit is not parsed in the handler: py-tree-sitter's parse holds the GIL,
and a half-typed word can cost it milliseconds of error recovery. The code-action list
answers from the last parse meanwhile (`rust.last_parse`), and the server parses once
typing pauses for `PARSE_PAUSE_S` (`lifecycle.read_after_pause`), or at once where
something needs the tree as it is (resolving an action, a command, diagnostics). An
edit bigger than a keystroke (lines pasted, deleted or inserted by an applied action)
is parsed at once, so the list right after it is right.

This store is the server's only copy of the text (pygls's own workspace copy is
bypassed, see `server.RustdocProtocol`).
"""

from __future__ import annotations

import asyncio
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
PARSE_PAUSE_S = 0.1
"""A pause in typing this long, and the server parses the edits (an editor's own delayed
code-action request then sees the parse)."""
MAX_EDITED_PLACES = 64
"""More separate places edited while the parse waits (a replace-all, many cursors), and it is
done at once: answering from the last parse would cost more."""


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
    pause_timers: list[asyncio.TimerHandle] = field(default_factory=list)
    """What waits for a pause in typing (`lifecycle.read_after_pause`): the parse, the full read."""
    asked_at: tuple[int, int] | None = None
    """Where code actions were last asked (line, character), worked out ahead after a pause."""

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
        keystrokes = True
        for change in changes:
            text = clean_text(change.text)
            if isinstance(change, types.TextDocumentContentChangePartial):
                start, end = change.range.start, change.range.end
                if (end.line, end.character) < (start.line, start.character):
                    start, end = end, start
                keystrokes = _edit(doc, (start.line, start.character), (end.line, end.character), text, encoding) and keystrokes
            else:
                doc.source = RustSource(text, doc.source.parser)
                doc.undocumented = UndocumentedIndex()
        waiting = doc.source.edits_since_parse
        if not keystrokes or (waiting is not None and len(waiting) > MAX_EDITED_PLACES):
            doc.source.parse()
        doc.version = identifier.version
        return doc

    def close(self, uri: str) -> None:
        doc = self._documents.pop(uri, None)
        for timer in doc.pause_timers if doc is not None else ():
            timer.cancel()


def _edit(doc: OpenDocument, start: tuple[int, int], end: tuple[int, int], text: str, encoding: str) -> bool:
    """Apply one change, its parse left for later; whether it was a keystroke's size."""
    source = doc.source
    start_byte = source.lines.position_to_byte(*start, encoding=encoding)
    end_byte = max(start_byte, source.lines.position_to_byte(*end, encoding=encoding))
    keystroke = is_keystroke(source.data[start_byte:end_byte], text)
    source.edit(start_byte, end_byte, text, parse=False)
    doc.undocumented.edited(start_byte, end_byte, start_byte + len(text.encode("utf-8")))
    return keystroke


def is_keystroke(removed: bytes, inserted: str) -> bool:
    """An edit of typing's size: within a line (a key, a word, a completion), or Enter with
    its indentation; not lines pasted, deleted or inserted whole."""
    if b"\n" in removed:
        return False
    head, newline, indentation = inserted.partition("\n")
    return not newline or (not head.strip() and not indentation.strip())


def path_of(uri: str) -> Path | None:
    """The file a `file:` URI names; None for other URIs."""
    try:
        path = to_fs_path(uri)
    except Exception:  # noqa: BLE001 - odd URIs are not files
        return None
    return Path(path) if path else None
