"""Diagnostics (off by default, `rustdocGen.diagnostics.enable`): undocumented public
items as hints, and on the docs that exist the same findings `rustdoc-gen check`
reports (`rustdoc_core.docs.lint.lint_source`: placed at their word, with check's
severity and help). Both follow the crate's configuration as `check` does: its lint
levels (`#![allow(missing_docs)]` silences the hints, `#[allow(clippy::doc_markdown)]`
that finding) and its rustdoc-gen settings; a setting that cannot be read falls back to
the defaults, and the user is told once. Each carries the data its quick fix needs (see
`code_actions`): "Update rustdoc" for the findings `update_doc` fixes for certain, else
"Regenerate".

Computed after a short pause in typing, with the checks off the event loop, so a
large file never holds up a code action.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types

from lsp_server.action_data import ActionData
from lsp_server.documents import path_of
from lsp_server.server import RustdocServer
from rustdoc_core.docs.lint import LintFinding, lint_source
from rustdoc_core.docs.rule_config import FileRules, RuleConfigError, RuleSelection, file_rules
from rustdoc_core.rust.crate_index import CrateIndexes
from rustdoc_core.rust.doc_policy import wants_doc
from rustdoc_core.rust.items import RustItem, RustSource
from rustdoc_core.rust.positions import LineIndex

log = logging.getLogger(__name__)

SOURCE = "rustdoc-gen"
MISSING_DOC = "missing-doc"
DEBOUNCE_S = 0.3
_TOLD: weakref.WeakKeyDictionary[RustdocServer, set[str]] = weakref.WeakKeyDictionary()
"""Settings problems each server has shown the user already (once each)."""


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
    problems: list[str] = []
    try:
        items = doc.source.items()
        lines = doc.source.lines
        found = await asyncio.to_thread(
            document_diagnostics, items, lines, uri, version, ls.position_encoding, ls.settings.generate.include_private,
            text=doc.source.text, indexes=ls.workspace_crate.crate.indexes, problems=problems,
        )
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - a failing check must not take the server down
        log.exception("diagnostics failed for %s", uri)
        return
    told = _TOLD.setdefault(ls, set())
    for problem in problems:
        if problem not in told:
            told.add(problem)
            ls.show(f"rustdoc-gen: {problem}; using the default rules", types.MessageType.Warning)
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
    *,
    text: str,
    indexes: CrateIndexes | None = None,
    problems: list[str] | None = None,
) -> list[types.Diagnostic]:
    """Diagnostics for one document (pure: safe to run on any thread): `items` and `lines`
    are its parse, `text` its text (linted on a parse of its own, so edits meanwhile do not
    matter), `indexes` the crates' module trees, for what is exported and what links reach,
    and their configuration. A configuration that cannot be used is appended to `problems`
    and the defaults apply."""
    out: list[types.Diagnostic] = []
    indexes = indexes or CrateIndexes()
    path = path_of(uri) or Path("untitled.rs")  # an untitled buffer has no crate around it
    source = RustSource(text)
    rules = _rules(indexes, path, source, problems)
    for item in items:
        if not wants_doc(item, include_private=include_private, path=path_of(uri)):
            continue
        if rules.severity(MISSING_DOC, item.start_byte) is None:
            continue  # `#![allow(missing_docs)]`: a hint whatever else the level (rustc's own error says more)
        data = ActionData.for_item(uri, version, item, lines.byte_to_position(item.start_byte, encoding)).to_wire()
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
    findings, _ = lint_source(path, text, indexes, rules=rules, source=source)
    text_lines = text.split("\n")
    starts = {item.start_line: item for item in items if item.doc is not None}
    for finding in findings:
        item = _item_of(finding, items, starts)
        data = None
        if item is not None:
            position = lines.byte_to_position(item.start_byte, encoding)
            mode = "update" if finding.fixable else "regenerate"
            data = ActionData(uri, version, mode, position, item.label).to_wire()
        out.append(
            types.Diagnostic(
                range=finding_range(lines, text_lines, finding, encoding),
                message=f"{finding.message} ({finding.help})" if finding.help else finding.message,
                severity=SEVERITY[finding.severity],
                code=finding.code,
                source=SOURCE,
                data=data,
            )
        )
    return out


def _rules(indexes: CrateIndexes, path: Path, source: RustSource, problems: list[str] | None) -> FileRules:
    """The file's rules; the defaults (with the crate's lint levels) where its settings cannot be used."""
    try:
        return file_rules(indexes, path, source)
    except RuleConfigError as err:
        log.warning("%s", err)
        if problems is not None:
            problems.append(str(err))
        return FileRules(RuleSelection(), indexes.lint_settings(path, source))


SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
"""`check`'s severities as the editor's."""


def _item_of(finding: LintFinding, items: Sequence[RustItem], starts: dict[int, RustItem]) -> RustItem | None:
    """The documented item a finding is about: the one whose doc (or head) spans its line."""
    row = finding.line - 1
    for item in items:
        if item.doc is not None and item.label == finding.item and item.doc.start_line <= row <= item.start_line:
            return item
    if row in starts:
        return starts[row]
    # A `////` line above an item's doc (or above an undocumented item): the first such item below it.
    below = [i for i in items if i.label == finding.item and i.start_line >= row]
    return min(below, key=lambda i: i.start_line) if below else None


def finding_range(lines: LineIndex, text_lines: list[str], finding: LintFinding, encoding: str) -> types.Range:
    """From the finding's column (1-based, in characters) to the end of its line's text."""
    row = min(max(finding.line - 1, 0), lines.line_count - 1)
    line = text_lines[row] if row < len(text_lines) else ""
    base = lines.line_starts[row]
    start = base + len(line[: max(finding.column - 1, 0)].encode("utf-8"))
    end = max(start, base + len(line.rstrip().encode("utf-8")))
    (sl, sc), (el, ec) = lines.byte_to_position(start, encoding), lines.byte_to_position(end, encoding)
    return types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec))


def line_range(lines: LineIndex, line: int, encoding: str) -> types.Range:
    """The non-blank part of one line."""
    line = min(max(line, 0), lines.line_count - 1)
    raw = lines.line_bytes(line)
    base = lines.line_starts[line]
    start = base + len(raw) - len(raw.lstrip())
    end = max(start, base + len(raw.rstrip()))
    (sl, sc), (el, ec) = lines.byte_to_position(start, encoding), lines.byte_to_position(end, encoding)
    return types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec))
