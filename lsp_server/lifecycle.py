"""Start-up, settings and document sync handlers."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from lsprotocol import types

from lsp_server import diagnostics, examples
from lsp_server.documents import PARSE_PAUSE_S, OpenDocument, path_of
from lsp_server.server import RustdocServer
from lsp_server.settings import SECTION, merge, parse_settings, unwrap_section
from lsp_server.undocumented import wanting_doc
from lsp_server.update_action import work_out_ahead
from rustdoc_core.generation.pipeline import DocRequest

log = logging.getLogger(__name__)

CONFIGURATION_TIMEOUT_S = 5.0


def initialize(ls: RustdocServer, params: types.InitializeParams) -> None:
    ls.bind_loop()
    ls.initialization_options = unwrap_section(params.initialization_options)
    # In force for the first requests already; `initialized` reports problems and asks the client.
    ls.settings, _ = parse_settings(ls.initialization_options)
    ls.worker.configure(ls.settings.model, announce=False)
    log.info("client %s, position encoding %s", params.client_info.name if params.client_info else "?", ls.position_encoding)


async def initialized(ls: RustdocServer, params: types.InitializedParams) -> None:  # noqa: ARG001
    await apply_settings(ls, await _pull_configuration(ls))
    if ls._capability("workspace", "did_change_configuration", "dynamic_registration"):
        registration = types.Registration(
            id=str(uuid.uuid4()), method=types.WORKSPACE_DID_CHANGE_CONFIGURATION, register_options={"section": SECTION}
        )
        try:
            await asyncio.wait_for(
                ls.client_register_capability_async(types.RegistrationParams(registrations=[registration])),
                CONFIGURATION_TIMEOUT_S,
            )
        except Exception as err:  # noqa: BLE001 - settings still come from initializationOptions
            log.info("didChangeConfiguration not registered: %s", err or type(err).__name__)


async def did_change_configuration(ls: RustdocServer, params: types.DidChangeConfigurationParams) -> None:
    pushed = unwrap_section(params.settings) if isinstance(params.settings, dict) else None
    pulled = await _pull_configuration(ls)
    await apply_settings(ls, pulled if pulled is not None else pushed)


async def _pull_configuration(ls: RustdocServer) -> Any:
    """The client's `rustdocGen` section, or None when it has none to give."""
    if not ls.client_supports_configuration:
        return None
    try:
        result = await asyncio.wait_for(
            ls.workspace_configuration_async(types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])),
            CONFIGURATION_TIMEOUT_S,
        )
    except Exception as err:  # noqa: BLE001 - fall back to initializationOptions
        log.info("workspace/configuration failed: %s", err or type(err).__name__)
        return None
    value = result[0] if result else None
    return unwrap_section(value) if isinstance(value, dict) else None


async def apply_settings(ls: RustdocServer, configuration: Any) -> None:
    """Settings = initializationOptions, overridden by what workspace/configuration says."""
    base = ls.initialization_options if isinstance(ls.initialization_options, dict) else {}
    raw = merge(base, configuration) if isinstance(configuration, dict) else base
    settings, problems = parse_settings(raw)
    if problems:
        ls.show("rustdoc-gen: ignored bad settings: " + "; ".join(problems), types.MessageType.Warning)
    old = ls.settings
    ls.settings = settings
    log.info("settings: %s", settings)
    ls.worker.configure(settings.model)
    examples.configure(ls)
    for doc in ls.documents:  # a model set while Rust files are open loads now
        preload(ls, doc)
        break
    if settings.diagnostics != old.diagnostics or settings.generate != old.generate:
        for doc in ls.documents:
            diagnostics.schedule(ls, doc.uri, delay=0)


def did_open(ls: RustdocServer, params: types.DidOpenTextDocumentParams) -> None:
    doc = ls.documents.open(params.text_document)
    diagnostics.schedule(ls, params.text_document.uri, delay=0)
    preload(ls, doc)


def preload(ls: RustdocServer, doc: OpenDocument) -> None:
    """Load the model off the event loop when a Rust file opens (not at the first request), and
    evaluate the prompt of the file's first item that wants a doc: the system prompt and the
    file's context are then in the model's cache before anything is asked."""
    if ls.worker.uses_model:
        ls.worker.preload(_first_request(ls, doc), ls.workspace_crate.crate)


def _first_request(ls: RustdocServer, doc: OpenDocument) -> DocRequest | None:
    path = path_of(doc.uri)
    item = next(wanting_doc(doc.source, ls.settings.generate.include_private, path), None)
    return DocRequest(item, path.resolve() if path is not None else None, doc.source) if item is not None else None


def did_change(ls: RustdocServer, params: types.DidChangeTextDocumentParams) -> None:
    doc = ls.documents.change(params.text_document, params.content_changes, ls.position_encoding)
    if doc is not None:
        read_after_pause(ls, doc)
        diagnostics.schedule(ls, doc.uri)


def read_after_pause(ls: RustdocServer, doc: OpenDocument) -> None:
    """Once typing pauses, off the request path: parse the document's edits after
    `PARSE_PAUSE_S` and read what they touched; after `undocumented.SETTLE_S`, read the whole
    file again for the source action (what an edit changed farther away); each time, work out
    the update edit where code actions were last asked. Until then the code-action list
    answers from the last parse (`documents`)."""
    for timer in doc.pause_timers:
        timer.cancel()
    loop = asyncio.get_running_loop()
    doc.pause_timers = [
        loop.call_later(PARSE_PAUSE_S, _read_paused, ls, doc),
        loop.call_later(doc.undocumented.settle_s, _read_paused, ls, doc),
    ]


def _read_paused(ls: RustdocServer, doc: OpenDocument) -> None:
    if ls.documents.get(doc.uri) is not doc:
        return  # closed or opened anew meanwhile
    try:
        doc.source.parse()
        if doc.undocumented.read_once:
            doc.undocumented.catch_up(doc.source, ls.settings.generate.include_private, path_of(doc.uri))
        work_out_ahead(ls, doc)
    except Exception:  # noqa: BLE001 - a failed read must not take the server down; the next request reads again
        log.exception("reading %s after a pause failed", doc.uri)


def did_close(ls: RustdocServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.documents.close(uri)
    diagnostics.clear(ls, uri)
