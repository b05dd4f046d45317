"""The "Generate rustdoc" code actions and commands.

Listing is instant: it only finds the items at the cursor or selection, and right
after a keystroke it answers from the last parse (`rust.last_parse`: no parse on the
request). The doc is generated when the client resolves the chosen action
(`codeAction/resolve`), or when it runs one of the commands, which apply their edit
with `workspace/applyEdit`; those read the document as it is then.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

from lsprotocol import types

from lsp_server.action_data import ActionData
from lsp_server.diagnostics import SOURCE as DIAGNOSTIC_SOURCE
from lsp_server.documents import OpenDocument, path_of
from lsp_server.example_check import verified_result
from lsp_server.generation import GenerationRequest
from lsp_server.progress import GenerationProgress, first_sentence
from lsp_server.server import RustdocServer
from lsp_server.undocumented import wanting_doc
from lsp_server.update_action import stale_doc_edit, update_title
from rustdoc_core.docs.edits import DocEdit, DocEditError, doc_edit
from rustdoc_core.generation.generators import GenerationCancelled
from rustdoc_core.generation.pipeline import DocRequest
from rustdoc_core.rust.items import RustItem, RustSource
from rustdoc_core.rust.last_parse import as_last_parsed

log = logging.getLogger(__name__)

ITEM_KIND = "refactor.rewrite.rustdoc"
FILE_KIND = "source.rustdoc"
CODE_ACTION_KINDS = [ITEM_KIND, FILE_KIND, types.CodeActionKind.QuickFix]
FILE_TITLE = "Generate rustdoc for all undocumented items in this file"
GENERATE_AT_CURSOR = "rustdocGen.generateAtCursor"
GENERATE_FILE = "rustdocGen.generateFile"
MAX_SELECTION_ACTIONS = 12
"""A selection over many items offers this many actions at most (the source action covers the rest)."""


# --- which items ------------------------------------------------------------------------


def action_title(item: RustItem) -> str:
    verb = "Regenerate" if item.doc is not None else "Generate"
    return f"{verb} rustdoc for `{item.label}`"


def action_items(source: RustSource, rng: types.Range, encoding: str) -> list[RustItem]:
    """The items an action is offered for: the one at the cursor; for a selection over
    lines, those whose head or first line is inside it. Only these items are read."""
    start, end = rng.start, rng.end
    if (end.line, end.character) < (start.line, start.character):
        start, end = end, start
    found: list[RustItem] = []
    if end.line > start.line:
        lines = source.lines
        first = lines.position_to_byte(start.line, 0)
        last = lines.position_to_byte(end.line + 1, 0) if end.line + 1 < lines.line_count else len(source.data)
        for item in source.items_overlapping(first, last):
            head_line = lines.line_of_byte(item.head_byte)
            if start.line <= head_line <= end.line or start.line <= item.start_line <= end.line:
                found.append(item)
                if len(found) >= MAX_SELECTION_ACTIONS:
                    break
    if not found:
        item = source.item_at(start.line, start.character, encoding)
        if item is not None:
            found.append(item)
    return [item for item in found if not source.shares_line(item)]


def undocumented_items(doc: OpenDocument, include_private: bool) -> list[RustItem]:
    """What the source action documents: items that want a doc and have none (`doc_policy.wants_doc`)."""
    return list(wanting_doc(doc.source, include_private, path_of(doc.uri)))


def relocate(source: RustSource, item: RustItem) -> RustItem | None:
    """The same item in an edited source: same label and containers, nearest to where it was."""
    containers = [c.header for c in item.containers]
    candidates = [
        other
        for other in source.items()
        if other.label == item.label and [c.header for c in other.containers] == containers
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda other: abs(other.start_line - item.start_line))


def _wants(only: Sequence[str] | None, kind: str) -> bool:
    return only is None or any(kind == o or kind.startswith(f"{o}.") for o in only)


# --- listing ---------------------------------------------------------------------------


def code_action(ls: RustdocServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    uri = params.text_document.uri
    doc = ls.documents.get(uri)
    if doc is None:
        log.debug("code actions asked for a document that is not open: %s", uri)
        return None
    only = params.context.only
    encoding = ls.position_encoding
    actions: list[types.CodeAction] = []
    known = as_last_parsed(doc.source)  # edits that wait for their parse are not parsed here

    fixed: set[tuple[str, tuple[int, int]]] = set()  # (what, item position) offered as a quick fix
    if _wants(only, types.CodeActionKind.QuickFix):
        for action, position in _quick_fixes(ls, doc, known, params.context.diagnostics):
            actions.append(action)
            fixed.add(position)

    if _wants(only, ITEM_KIND):
        doc.asked_at = (params.range.start.line, params.range.start.character)
        at_cursor = action_items(known, params.range, encoding)
        if known is doc.source:  # else the worker would parse; the list after the pause prefills
            _prefill(ls, doc, at_cursor)
        for item in at_cursor:
            position = doc.position(item.start_byte, encoding)
            at = (position.line, position.character)
            if ("update", at) not in fixed:
                update = _update_action(ls, doc, known, item, ITEM_KIND)
                if update is not None:
                    actions.append(update)
            if ("generate", at) in fixed:
                continue  # its quick fix is already offered
            actions.append(_item_action(ls, doc, item, ITEM_KIND))

    include_private = ls.settings.generate.include_private
    if _wants(only, FILE_KIND) and doc.undocumented.any_wanting(doc.source, include_private, path_of(doc.uri)):
        data = ActionData(uri, doc.version, "file")
        action = types.CodeAction(title=FILE_TITLE, kind=FILE_KIND, data=data.to_wire())
        if not ls.client_supports_resolve:
            action.command = types.Command(title=FILE_TITLE, command=GENERATE_FILE, arguments=[uri])
        actions.append(action)
    return actions or None


def _prefill(ls: RustdocServer, doc: OpenDocument, items: list[RustItem]) -> None:
    """While the user picks from the list, the model evaluates the prompt of the first item there
    without a doc, so that generating it only decodes (`GenerationWorker.prefill`: only when idle)."""
    if not ls.worker.uses_model:
        return
    item = next((i for i in items if i.doc is None), None)
    if item is not None:
        path = path_of(doc.uri)
        ls.worker.prefill(DocRequest(item, path.resolve() if path is not None else None, doc.source), ls.workspace_crate.crate)


def _item_action(
    ls: RustdocServer,
    doc: OpenDocument,
    item: RustItem,
    kind: str,
    diagnostics: list[types.Diagnostic] | None = None,
) -> types.CodeAction:
    position = doc.position(item.start_byte, ls.position_encoding)
    title = action_title(item)
    data = ActionData.for_item(doc.uri, doc.version, item, (position.line, position.character))
    action = types.CodeAction(title=title, kind=kind, data=data.to_wire(), diagnostics=diagnostics, is_preferred=bool(diagnostics) or None)
    if not ls.client_supports_resolve:
        place = {"line": position.line, "character": position.character}
        action.command = types.Command(title=title, command=GENERATE_AT_CURSOR, arguments=[doc.uri, place])
    return action


def _quick_fixes(
    ls: RustdocServer, doc: OpenDocument, source: RustSource, diagnostics: Sequence[types.Diagnostic]
) -> list[tuple[types.CodeAction, tuple[str, tuple[int, int]]]]:
    """Per item among our own diagnostics in the request: "Update rustdoc" for those its
    certain fixes mend, "Generate"/"Regenerate rustdoc" for the others; the items as
    `source` has them (the document, as far as its last parse knew it)."""
    by_item: dict[tuple[str, tuple[int, int]], tuple[ActionData, list[types.Diagnostic]]] = {}
    for diagnostic in diagnostics:
        data = ActionData.from_wire(diagnostic.data) if diagnostic.source == DIAGNOSTIC_SOURCE else None
        if data is None or data.position is None:
            continue
        what = "update" if data.mode == "update" else "generate"
        by_item.setdefault((what, data.position), (data, []))[1].append(diagnostic)
    out = []
    for (what, _), (data, group) in by_item.items():
        item = _locate(source, data, ls.position_encoding)
        if item is None or source.shares_line(item):
            continue
        position = doc.position(item.start_byte, ls.position_encoding)
        if what == "update":
            action = _update_action(ls, doc, source, item, types.CodeActionKind.QuickFix, group)
            if action is None:
                continue  # mended meanwhile
        else:
            action = _item_action(ls, doc, item, types.CodeActionKind.QuickFix, group)
        out.append((action, (what, (position.line, position.character))))
    return out


def _update_action(
    ls: RustdocServer,
    doc: OpenDocument,
    source: RustSource,
    item: RustItem,
    kind: str,
    diagnostics: list[types.Diagnostic] | None = None,
) -> types.CodeAction | None:
    """"Update rustdoc for `fn x`" with its edit (no model, so no resolve); None when the doc is not
    stale, or an edit that waits for its parse touched the lines it would change."""
    edit = stale_doc_edit(ls, doc, item, source)
    if edit is None:
        return None
    return types.CodeAction(
        title=update_title(item),
        kind=kind,
        diagnostics=diagnostics,
        is_preferred=bool(diagnostics) or None,
        edit=workspace_edit(ls, doc, [edit]),
    )


def _locate(source: RustSource, data: ActionData, encoding: str) -> RustItem | None:
    """The item an action's data points at in `source`: at its position, else by its label nearby."""
    line = 0
    item = None
    if data.position is not None:
        line, character = data.position
        item = source.item_at(line, character, encoding)
    if item is not None and (data.item is None or item.label == data.item):
        return item
    if data.item is None:
        return item
    same = [other for other in source.items() if other.label == data.item]
    return min(same, key=lambda other: abs(other.start_line - line)) if same else None


# --- resolving: the generation ------------------------------------------------------------


async def resolve_code_action(ls: RustdocServer, action: types.CodeAction) -> types.CodeAction:
    data = ActionData.from_wire(action.data)
    if data is None:
        return action
    doc = ls.documents.get(data.uri)
    if doc is None:
        ls.show(f"rustdoc-gen: {data.uri} is not open; open it and ask for the action again.", types.MessageType.Warning)
        return action
    if data.mode == "update":
        return action  # an update carries its edit from the listing
    if data.mode == "file":
        items = undocumented_items(doc, ls.settings.generate.include_private)
        if not items:
            ls.show("rustdoc-gen: every item in this file already has rustdoc.")
            return action
    else:
        item = _locate(doc.source, data, ls.position_encoding)  # the document as it is now, parsed here
        if item is None:
            ls.show(
                f"rustdoc-gen: {data.item or 'the item'} is no longer there; ask for the action again.",
                types.MessageType.Warning,
            )
            return action
        items = [item]
    try:
        edit = await document_edit(ls, doc, items, title=action.title)
    except GenerationCancelled:
        log.info("generation cancelled: %s", action.title)
        return action
    if edit is not None:
        action.edit = edit
    return action


async def generate_at_cursor(ls: RustdocServer, *args: Any) -> bool:
    """`rustdocGen.generateAtCursor [uri, {line, character}]`: generate and apply; True when applied."""
    if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], dict):
        ls.show(f"rustdoc-gen: {GENERATE_AT_CURSOR} takes [uri, {{line, character}}]", types.MessageType.Error)
        return False
    uri, place = args
    doc = ls.documents.get(uri)
    if doc is None:
        ls.show(f"rustdoc-gen: {uri} is not open.", types.MessageType.Warning)
        return False
    try:
        line, character = int(place.get("line", 0)), int(place.get("character", 0))
    except (TypeError, ValueError):
        ls.show(f"rustdoc-gen: {GENERATE_AT_CURSOR} takes [uri, {{line, character}}]", types.MessageType.Error)
        return False
    item = doc.source.item_at(line, character, ls.position_encoding)
    if item is None:
        ls.show("rustdoc-gen: no Rust item at the cursor.")
        return False
    if doc.source.shares_line(item):
        ls.show(f"rustdoc-gen: {item.label} shares its line with other code; put it on its own line to document it.")
        return False
    return await _generate_and_apply(ls, doc, [item], action_title(item))


async def generate_file(ls: RustdocServer, *args: Any) -> bool:
    """`rustdocGen.generateFile [uri]`: document every undocumented item; True when applied."""
    if len(args) != 1 or not isinstance(args[0], str):
        ls.show(f"rustdoc-gen: {GENERATE_FILE} takes [uri]", types.MessageType.Error)
        return False
    doc = ls.documents.get(args[0])
    if doc is None:
        ls.show(f"rustdoc-gen: {args[0]} is not open.", types.MessageType.Warning)
        return False
    items = undocumented_items(doc, ls.settings.generate.include_private)
    if not items:
        ls.show("rustdoc-gen: every item in this file already has rustdoc.")
        return False
    return await _generate_and_apply(ls, doc, items, FILE_TITLE)


async def _generate_and_apply(ls: RustdocServer, doc: OpenDocument, items: list[RustItem], title: str) -> bool:
    try:
        edit = await document_edit(ls, doc, items, title=title)
    except GenerationCancelled:
        return False
    if edit is None:
        return False
    result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=title))
    if not result.applied:
        log.warning("the client did not apply the edit: %s", result.failure_reason)
    return bool(result.applied)


async def document_edit(
    ls: RustdocServer, doc: OpenDocument, items: list[RustItem], *, title: str
) -> types.WorkspaceEdit | None:
    """Generate docs for `items` and turn them into one edit of the document as it is then.

    Raises GenerationCancelled when the user cancelled.
    """
    version = doc.version
    path = path_of(doc.uri)
    crate = ls.workspace_crate.crate
    requests = [DocRequest(item, path.resolve() if path is not None else None, doc.source) for item in items]
    total = len(items)
    max_tokens = ls.worker.settings.decode.max_tokens
    async with AsyncExitStack() as stack:
        progress = None
        if ls.worker.uses_model:
            progress = await stack.enter_async_context(GenerationProgress(ls, title))

        sentence_shown: set[int] = set()

        def on_progress(index: int, count: int, tokens: int, text: str) -> None:
            """The doc's first sentence as it forms; sent at once when it is complete."""
            if progress is None:
                return
            label = items[index].label
            where = label if count == 1 else f"{label} ({index + 1}/{count})"
            sentence, complete = first_sentence(text)
            percentage = min(99, tokens * 100 // max(1, max_tokens)) if count == 1 else index * 100 // count
            completed = complete and index not in sentence_shown
            if completed:
                sentence_shown.add(index)
            progress.report(f"{where}: {sentence or '…'}", percentage, force=tokens == 0 or completed)

        def on_loading(message: str) -> None:
            if progress is not None:
                progress.report(message, 0, force=True)

        request = GenerationRequest(
            requests,
            crate,
            cancelled=progress.cancelled if progress is not None else (lambda: False),
            on_progress=on_progress,
            on_loading=on_loading,
        )
        if ls.worker.queued and progress is not None:
            progress.report("Waiting for the generation before this one", 0, force=True)
        result = await ls.worker.generate(request)
        result = await verified_result(ls, doc, items, result, request.should_stop)

    current = ls.documents.get(doc.uri)
    if current is None:
        log.info("%s closed during generation; no edit", doc.uri)
        return None
    edits: list[DocEdit] = []
    problems: list[str] = []
    if result.errors:
        ls.show(
            f"rustdoc-gen: the model failed on {_listing(result.errors)}; the template engine wrote those docs.",
            types.MessageType.Warning,
        )
    for item, generated in zip(items, result.docs):
        if generated is None:
            continue
        target = item if current.version == version and current is doc else relocate(current.source, item)
        if target is None:
            problems.append(f"{item.label} changed while its doc was written")
            continue
        try:
            edits.append(doc_edit(current.source, target, generated.text))
        except DocEditError as err:
            problems.append(str(err))
    edits = _without_overlaps(edits)
    problems += [f"{item.label}: no doc could be written" for item, doc in zip(items, result.docs) if doc is None]
    if problems:
        ls.show(f"rustdoc-gen: {len(problems)} of {total} items not documented: {_listing(problems)}", types.MessageType.Warning)
    if not edits:
        return None
    produced = [d for d in result.docs if d is not None]
    log.info(
        "%s: %d edits from %s (%d tokens in %.3fs)",
        title, len(edits), result.generator, sum(d.tokens for d in produced), sum(d.seconds for d in produced),
    )
    return workspace_edit(ls, current, edits)


def _listing(messages: list[str], shown: int = 3) -> str:
    more = f" (and {len(messages) - shown} more)" if len(messages) > shown else ""
    return "; ".join(messages[:shown]) + more


def _without_overlaps(edits: list[DocEdit]) -> list[DocEdit]:
    out: list[DocEdit] = []
    for edit in sorted(edits, key=lambda e: (e.start_line, e.end_line)):
        if out and edit.start_line < out[-1].end_line:
            continue
        if out and edit.start_line == out[-1].start_line and edit.is_insertion and out[-1].is_insertion:
            continue
        out.append(edit)
    return out


def workspace_edit(ls: RustdocServer, doc: OpenDocument, edits: Sequence[DocEdit]) -> types.WorkspaceEdit:
    """Whole-line text edits (character 0 is the same in every position encoding)."""
    text_edits = [
        types.TextEdit(
            range=types.Range(
                start=types.Position(line=edit.start_line, character=0),
                end=types.Position(line=edit.end_line, character=0),
            ),
            new_text=edit.new_text,
        )
        for edit in edits
    ]
    if ls.client_supports_document_changes:
        identifier = types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=identifier, edits=text_edits)])
    return types.WorkspaceEdit(changes={doc.uri: text_edits})
