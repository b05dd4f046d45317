"""The server object and the one place its features are wired.

`RustdocServer` holds the state every feature needs (open documents, settings,
the generation worker) and the helpers to talk back to the client. Features are
plain functions in their own modules, registered by `create_server()`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from lsp_server.documents import DocumentStore
from lsp_server.generation import GenerationWorker, Status
from lsp_server.settings import Settings
from rustdoc_core import __version__
from rustdoc_core.positions import UTF16

log = logging.getLogger(__name__)

STATUS_NOTIFICATION = "rustdocGen/status"


class RustdocProtocol(LanguageServerProtocol):
    """pygls's protocol with document sync left to our own store.

    pygls keeps a second copy of every document and fails on a change to a
    document it does not know; `DocumentStore` is the one copy here, and it logs
    such changes instead.
    """

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

    def shutdown(self) -> None:
        self.worker.close()
        for task in list(self.diagnostic_tasks.values()):
            task.cancel()
        super().shutdown()


def create_server() -> RustdocServer:
    """A server with every feature wired: this is the list of what it does."""
    from lsp_server import code_actions, lifecycle

    server = RustdocServer()
    server.feature(types.INITIALIZE)(lifecycle.initialize)
    server.feature(types.INITIALIZED)(lifecycle.initialized)
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(lifecycle.did_change_configuration)
    server.feature(types.SHUTDOWN)(lifecycle.shutdown)
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(lifecycle.did_open)
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(lifecycle.did_change)
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(lifecycle.did_close)
    server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=code_actions.CODE_ACTION_KINDS, resolve_provider=True),
    )(code_actions.code_action)
    server.feature(types.CODE_ACTION_RESOLVE)(code_actions.resolve_code_action)
    server.command(code_actions.GENERATE_AT_CURSOR)(code_actions.generate_at_cursor)
    server.command(code_actions.GENERATE_FILE)(code_actions.generate_file)
    return server


def protocol_stdout() -> BinaryIO:
    """Keep the real stdout for the protocol alone, and point fd 1 at stderr.

    Native code writes to fd 1 (llama.cpp logs), and llama-cpp-python points fd 1
    at /dev/null while a model loads: on the shared stdout, messages sent meanwhile
    would be lost or corrupted.
    """
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "wb")


def serve(tcp: tuple[str, int] | None = None) -> None:
    """Run until the client says exit or goes away (stdin closes)."""
    server = create_server()
    try:
        if tcp is not None:
            server.start_tcp(*tcp)
        else:
            server.start_io(sys.stdin.buffer, protocol_stdout())
    finally:
        server.worker.close()
