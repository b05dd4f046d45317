"""The server object: the state every feature needs, and how to talk back to the client.

`RustdocServer` holds the open documents, the settings, the workspace's crate context and
the generation worker.
Features are plain functions in their own modules that take the server first; this
module imports none of them. `lsp_server.wiring` is the one place they are wired.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from lsp_server.documents import DocumentStore
from lsp_server.generation import GenerationWorker, Status
from lsp_server.settings import Settings
from lsp_server.workspace_crate import WorkspaceCrate
from rustdoc_core import __version__
from rustdoc_core.rust.positions import UTF16

log = logging.getLogger(__name__)

STATUS_NOTIFICATION = "rustdocGen/status"


class RustdocProtocol(LanguageServerProtocol):
    """pygls's protocol with document sync left to our own store, and an answer to every request.

    pygls keeps a second copy of every document and fails on a change to a
    document it does not know; `DocumentStore` is the one copy here, and it logs
    such changes instead.

    pygls 2.1 drops a request whose params do not fit the method's type (the client
    waits for ever), and a frame that is not JSON, or not a JSON-RPC message, with
    only a log line. Here the first gets -32602 (Invalid params) for its id, and the
    others -32700 (Parse error) or -32600 (Invalid Request) with a null id, as
    JSON-RPC 2.0 asks.
    """

    def structure_message(self, data: Any) -> Any:
        # Called by `json.loads` for every object of a frame, innermost first; only the
        # frame itself has "jsonrpc".
        try:
            return super().structure_message(data)
        except JsonRpcException as err:
            if not (isinstance(data, dict) and "method" in data and "id" in data):
                raise  # a notification or a response: there is no one to answer
            log.warning("request %r (%.80s): %s", data.get("id"), data.get("method"), err.message)
            invalid = JsonRpcInvalidRequest() if not isinstance(data.get("method"), str) else JsonRpcInvalidParams()
            self.send_error(_request_id(data.get("id")), invalid)
            return _ANSWERED

    def handle_message(self, message: Any) -> None:
        if message is _ANSWERED:
            return
        if not hasattr(message, "jsonrpc"):  # valid JSON, but an array, a number, an object without "jsonrpc"
            log.warning("not a JSON-RPC message: %.80r", message)
            self.send_error(_request_id(message.get("id")) if isinstance(message, dict) else None, JsonRpcInvalidRequest())
            return
        if message.jsonrpc != self.VERSION and isinstance(getattr(message, "method", None), str) and hasattr(message, "id"):
            self.send_error(_request_id(message.id), JsonRpcInvalidRequest())  # pygls would drop it
            return
        super().handle_message(message)

    def send_error(self, msg_id: int | str | None, error: JsonRpcException) -> None:
        """An error response as JSON-RPC 2.0 writes it: `"id": null` where the id is unknown
        (lsprotocol's converter would leave a null id out)."""
        self._send_data({"jsonrpc": self.VERSION, "id": msg_id, "error": {"code": error.code, "message": error.message}})

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


_ANSWERED = object()
"""What `structure_message` returns for a request it has already answered with an error."""


def _request_id(value: Any) -> int | str | None:
    """A request's id if it is one JSON-RPC allows (a number or a string), else None."""
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


class RustdocServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "rustdoc-gen",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=RustdocProtocol,
        )
        self.documents = DocumentStore()
        self.settings = Settings()
        self.initialization_options: Any = None
        self.worker = GenerationWorker(on_status=self._status_from_any_thread, on_fallback=self._fallback_from_any_thread)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.diagnostic_tasks: dict[str, asyncio.Task[None]] = {}
        self.diagnosed: set[str] = set()  # documents with hints published
        self.workspace_crate = WorkspaceCrate()
        """The workspace as the pipeline sees it: its names, `Result` aliases, module trees (what
        is exported, what a link reaches) and, with `rag.enable`, its documented items as examples."""

    # --- what the client negotiated ------------------------------------------------

    @property
    def position_encoding(self) -> str:
        """The negotiated position encoding ("utf-16" unless the client asked otherwise)."""
        try:
            encoding = self.workspace.position_encoding
        except RuntimeError:  # before initialize
            return UTF16
        return str(encoding.value if hasattr(encoding, "value") else encoding or UTF16)

    def _capability(self, *path: str) -> Any:
        value: Any = self.client_capabilities
        for name in path:
            value = getattr(value, name, None) if value is not None else None
        return value

    @property
    def client_supports_progress(self) -> bool:
        return bool(self._capability("window", "work_done_progress"))

    @property
    def client_supports_resolve(self) -> bool:
        support = self._capability("text_document", "code_action", "resolve_support")
        return support is not None and "edit" in (support.properties or [])

    @property
    def client_supports_document_changes(self) -> bool:
        return bool(self._capability("workspace", "workspace_edit", "document_changes"))

    @property
    def client_supports_configuration(self) -> bool:
        return bool(self._capability("workspace", "configuration"))

    # --- talking to the client -----------------------------------------------------

    def bind_loop(self) -> None:
        """Remember the event loop, for messages the worker thread sends."""
        self._loop = asyncio.get_running_loop()

    def show(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        try:
            self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        except Exception:  # noqa: BLE001 - the client may be gone
            log.debug("showMessage not sent", exc_info=True)

    def send_status(self, status: Status) -> None:
        try:
            self.protocol.notify(STATUS_NOTIFICATION, status.to_wire())
        except Exception:  # noqa: BLE001 - the client may be gone
            log.debug("status not sent", exc_info=True)

    def _on_loop(self, func: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            func(*args)
        else:
            loop.call_soon_threadsafe(func, *args)

    def _status_from_any_thread(self, status: Status) -> None:
        self._on_loop(self.send_status, status)

    def _fallback_from_any_thread(self, message: str) -> None:
        log.warning("%s", message)
        self._on_loop(self.show, message, types.MessageType.Warning)

    def report_server_error(self, error: Exception, source: Any) -> None:
        # Logged, not shown: a failing feature must not flood the user with stack traces.
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)
        if source is JsonRpcException and isinstance(error, (json.JSONDecodeError, UnicodeDecodeError, RecursionError)):
            # pygls's read loop could not parse a frame (not UTF-8, not JSON, nested too deep).
            self.protocol.send_error(None, JsonRpcParseError())

    def shutdown(self) -> None:
        """Stop running generations at their next token, drop pending hints, stop serving.

        The one place the server stops. pygls calls it when the connection ends: the
        `exit` notification, stdin closing, a TCP client leaving. (The `shutdown`
        request itself needs nothing here: pygls cancels the requests still running,
        which stops their generations.)
        """
        self.worker.close()
        for task in list(self.diagnostic_tasks.values()):
            task.cancel()
        super().shutdown()
