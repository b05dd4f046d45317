"""Hints (off by default, `rustdocGen.diagnostics.enable`): undocumented public
items, and the checker's findings on the docs that exist. Each hint carries the
data its quick fix needs (see `code_actions`).

Computed after a short pause in typing, with the checks off the event loop, so a
large file never holds up a code action.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from lsprotocol import types

from lsp_server.action_data import ActionData
from lsp_server.server import RustdocServer
from rustdoc_core.doc_checker import check_doc
from rustdoc_core.positions import LineIndex
from rustdoc_core.rust_items import RustItem, needs_doc

log = logging.getLogger(__name__)

SOURCE = "rustdoc-gen"
MISSING_DOC = "missing-doc"
DEBOUNCE_S = 0.3


def schedule(ls: RustdocServer, uri: str, delay: float = DEBOUNCE_S) -> None:
    """(Re)compute a document's hints after `delay`, replacing a pending computation."""
    pending = ls.diagnostic_tasks.pop(uri, None)
    if pending is not None:
        pending.cancel()
    if not ls.settings.diagnostics.enable and uri not in ls.diagnosed:
        return
    task = asyncio.ensure_future(_publish_later(ls, uri, delay))
    ls.diagnostic_tasks[uri] = task
    task.add_done_callback(lambda t: ls.diagnostic_tasks.pop(uri, None) if ls.diagnostic_tasks.get(uri) is t else None)


def clear(ls: RustdocServer, uri: str) -> None:
    pending = ls.diagnostic_tasks.pop(uri, None)
    if pending is not None:
        pending.cancel()
    if uri in ls.diagnosed:
        ls.diagnosed.discard(uri)
        _send(ls, uri, None, [])


async def _publish_later(ls: RustdocServer, uri: str, delay: float) -> None:
    if delay:
        await asyncio.sleep(delay)
    doc = ls.documents.get(uri)
    if doc is None:
        return
    if not ls.settings.diagnostics.enable:
        clear(ls, uri)
        return
    version = doc.version
    try:
        items = doc.source.items()
        lines = doc.source.lines
        found = await asyncio.to_thread(
            document_diagnostics, items, lines, uri, version, ls.position_encoding, ls.settings.generate.include_private
        )
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - a failing check must not take the server down
        log.exception("diagnostics failed for %s", uri)
        return
    current = ls.documents.get(uri)
    if current is None or current.version != version:
        return  # a newer computation is scheduled
    ls.diagnosed.add(uri)
    _send(ls, uri, version, found)


def _send(ls: RustdocServer, uri: str, version: int | None, found: list[types.Diagnostic]) -> None:
    try:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=version))
    except Exception:  # noqa: BLE001 - the client may be gone
        log.debug("diagnostics not sent", exc_info=True)


def document_diagnostics(
    items: Sequence[RustItem],
    lines: LineIndex,
    uri: str,
    version: int | None,
    encoding: str,
    include_private: bool = False,
) -> list[types.Diagnostic]:
    """Hints for one document's items (pure: safe to run on any thread)."""
    out: list[types.Diagnostic] = []
    for item in items:
        if not needs_doc(item, include_private):
            continue
        data = ActionData.for_item(uri, version, item, lines.byte_to_position(item.start_byte, encoding)).to_wire()
        if item.doc is None:
            if item.kind == "mod" and item.body is None:
                continue  # `mod x;` is documented in its own file
            out.append(
                types.Diagnostic(
                    range=line_range(lines, item.start_line, encoding),
                    message=f"{item.label} has no rustdoc",
                    severity=types.DiagnosticSeverity.Hint,
                    code=MISSING_DOC,
                    source=SOURCE,
                    data=data,
                )
            )
            continue
        for finding in check_doc(item, item.doc.text):
            out.append(
                types.Diagnostic(
                    range=line_range(lines, _finding_line(item, finding.line), encoding),
                    message=finding.message,
                    severity=types.DiagnosticSeverity.Hint,
                    code=finding.code,
                    source=SOURCE,
                    data=data,
                )
            )
    return out


def _finding_line(item: RustItem, doc_line: int | None) -> int:
    """The source line of a line of the doc text, where the doc's fragments tell it."""
    doc = item.doc
    assert doc is not None
    if doc_line is None:
        return doc.start_line
    fragments = doc.fragments
    if all(f.style == "line" for f in fragments):
        leading = 0
        while leading < len(fragments) and not fragments[leading].text.strip():
            leading += 1  # blank leading `///` lines are not in the doc text
        index = doc_line + leading
        if 0 <= index < len(fragments):
            return fragments[index].start_line
    return doc.start_line


def line_range(lines: LineIndex, line: int, encoding: str) -> types.Range:
    """The non-blank part of one line."""
    line = min(max(line, 0), lines.line_count - 1)
    raw = lines.line_bytes(line)
    base = lines.line_starts[line]
    start = base + len(raw) - len(raw.lstrip())
    end = max(start, base + len(raw.rstrip()))
    (sl, sc), (el, ec) = lines.byte_to_position(start, encoding), lines.byte_to_position(end, encoding)
    return types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec))
