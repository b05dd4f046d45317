"""The one place the server's features are wired: `create_server()` is the list of what it does.

Each feature module takes the server as its handlers' first argument and imports
`lsp_server.server` for its type; the server imports no feature. So the imports run
one way (features -> server), and only this module knows them all.
"""

from __future__ import annotations

import os
import sys
from typing import BinaryIO

from lsprotocol import types

from lsp_server import code_actions, examples, lifecycle
from lsp_server.server import RustdocServer


def create_server() -> RustdocServer:
    """A server with every feature wired."""
    server = RustdocServer()
    server.feature(types.INITIALIZE)(lifecycle.initialize)
    server.feature(types.INITIALIZED)(lifecycle.initialized)
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(lifecycle.did_change_configuration)
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(lifecycle.did_open)
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(lifecycle.did_change)
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(lifecycle.did_close)
    server.feature(types.TEXT_DOCUMENT_DID_SAVE)(examples.did_save)
    server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=code_actions.CODE_ACTION_KINDS, resolve_provider=True),
    )(code_actions.code_action)
    server.feature(types.CODE_ACTION_RESOLVE)(code_actions.resolve_code_action)
    server.command(code_actions.GENERATE_AT_CURSOR)(code_actions.generate_at_cursor)
    server.command(code_actions.GENERATE_FILE)(code_actions.generate_file)
    server.command(examples.EXAMPLES_AT_CURSOR)(examples.examples_at_cursor)
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
    """Run until the client says exit or goes away (stdin closes, the TCP client leaves)."""
    server = create_server()
    if tcp is None:
        server.start_io(sys.stdin.buffer, protocol_stdout())
        return
    try:
        server.start_tcp(*tcp)
    except KeyboardInterrupt:
        server.shutdown()  # pygls's TCP loop lets Ctrl+C through without stopping the server
