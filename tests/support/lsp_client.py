"""A real LSP client session against `rustdoc-gen serve` in a subprocess.

The end-to-end tests and `python -m bench server` drive the server through it:
pygls's `LanguageClient` over stdio, recording what the server sends back
(messages, status, progress, applied edits, diagnostics) and its stderr log.

It lives in the test support, not in the shipped `lsp_server` package: no user runs
it (it applies every edit it is sent and answers settings from a field), and the
wheel should carry the server, not its test harness. `bench/` already reads its
tiny models and tokenizer from `tests.support`, and runs from the repository root
like the tests, so both reach it here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from lsp_server.server import STATUS_NOTIFICATION


def server_command() -> list[str]:
    """How to start the installed server: the `rustdoc-gen` script beside this Python, else `-m`."""
    script = Path(sys.executable).parent / "rustdoc-gen"
    if script.exists():
        return [str(script), "serve", "--stdio"]
    found = shutil.which("rustdoc-gen")
    if found:
        return [found, "serve", "--stdio"]
    return [sys.executable, "-m", "rustdoc_cli", "serve", "--stdio"]


def client_capabilities(*, resolve: bool = True, progress: bool = True, encodings: Sequence[str] | None = None) -> types.ClientCapabilities:
    """What a modern editor (VS Code) advertises, as far as this server cares."""
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=list(encodings)) if encodings else None,
        window=types.WindowClientCapabilities(work_done_progress=progress, show_message=types.ShowMessageRequestClientCapabilities()),
        workspace=types.WorkspaceClientCapabilities(
            configuration=True,
            apply_edit=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
        ),
        text_document=types.TextDocumentClientCapabilities(
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(value_set=["", "quickfix", "refactor", "source"])
                ),
                data_support=True,
                is_preferred_support=True,
                resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]) if resolve else None,
            ),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
        ),
    )


class RecordingClient(LanguageClient):
    """A LanguageClient that answers the server's requests and records everything it is sent."""

    def __init__(self) -> None:
        super().__init__("rustdoc-gen-client", "1")
        self.messages: list[types.ShowMessageParams] = []
        self.statuses: list[dict[str, Any]] = []
        self.progress: list[tuple[Any, Any]] = []  # (token, begin/report/end value)
        self.created_tokens: list[Any] = []
        self.applied: list[types.ApplyWorkspaceEditParams] = []
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.configuration: Any = None
        """What `workspace/configuration` answers for `rustdocGen` (None: nothing)."""
        self.server_log: list[str] = []
        self._register()
        self._tell_commands_from_actions()

    def _tell_commands_from_actions(self) -> None:
        """Tell a Command from a CodeAction the way editors do: a Command's `command` is a string.

        lsprotocol's converter takes a CodeAction that carries a `command` for a Command.
        """
        converter = self.protocol._converter

        def structure(obj: Any, _: Any) -> types.Command | types.CodeAction:
            if isinstance(obj, dict) and isinstance(obj.get("command"), str):
                return converter.structure(obj, types.Command)
            return converter.structure(obj, types.CodeAction)

        converter.register_structure_hook(Union[types.Command, types.CodeAction], structure)

    def _register(self) -> None:
        @self.feature(types.WINDOW_SHOW_MESSAGE)
        def show_message(params: types.ShowMessageParams) -> None:
            self.messages.append(params)

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def log_message(params: types.LogMessageParams) -> None:
            self.server_log.append(params.message)

        @self.feature(STATUS_NOTIFICATION)
        def status(params: Any) -> None:
            # pygls hands custom notifications' params over as namedtuples.
            self.statuses.append(params._asdict() if hasattr(params, "_asdict") else dict(params))

        @self.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def create_progress(params: types.WorkDoneProgressCreateParams) -> None:
            self.created_tokens.append(params.token)

        @self.feature(types.PROGRESS)
        def progress(params: types.ProgressParams) -> None:
            self.progress.append((params.token, params.value))

        @self.feature(types.WORKSPACE_APPLY_EDIT)
        def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            self.applied.append(params)
            return types.ApplyWorkspaceEditResult(applied=True)

        @self.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> list[Any]:
            return [self.configuration for _ in params.items]

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)

    @property
    def process(self) -> asyncio.subprocess.Process | None:
        return self._server

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "the server") -> Any:
        """Poll until `predicate()` is truthy; its value, or TimeoutError naming `what`."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}; server log:\n" + "\n".join(self.server_log[-30:]))
            await asyncio.sleep(0.01)

    async def code_actions(
        self,
        uri: str,
        start: tuple[int, int],
        end: tuple[int, int] | None = None,
        *,
        only: Sequence[str] | None = None,
        diagnostics: Sequence[types.Diagnostic] = (),
    ) -> list[types.CodeAction]:
        """`textDocument/codeAction` at a cursor (or over a selection); [] for none."""
        end = end or start
        result = await self.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(
                    start=types.Position(line=start[0], character=start[1]),
                    end=types.Position(line=end[0], character=end[1]),
                ),
                context=types.CodeActionContext(diagnostics=list(diagnostics), only=list(only) if only else None),
            )
        )
        return [a for a in result or [] if isinstance(a, types.CodeAction)]

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="rust", version=version, text=text))
        )


async def _drain(stream: asyncio.StreamReader | None, sink: list[str]) -> None:
    if stream is None:
        return
    while line := await stream.readline():
        sink.append(line.decode("utf-8", errors="replace").rstrip())


@contextlib.asynccontextmanager
async def server_session(
    *,
    initialization_options: Any = None,
    capabilities: types.ClientCapabilities | None = None,
    env: dict[str, str] | None = None,
    command: Sequence[str] | None = None,
    root_uri: str | None = None,
) -> AsyncIterator[RecordingClient]:
    """Start the server, initialize it, yield the client; shut down and exit at the end."""
    client = RecordingClient()
    argv = list(command or server_command())
    await client.start_io(argv[0], *argv[1:], env={**os.environ, **(env or {})})
    assert client.process is not None
    drain = asyncio.create_task(_drain(client.process.stderr, client.server_log))
    try:
        client.initialize_result = await asyncio.wait_for(
            client.initialize_async(
                types.InitializeParams(
                    process_id=os.getpid(),
                    root_uri=root_uri,
                    capabilities=capabilities or client_capabilities(),
                    initialization_options=initialization_options,
                    client_info=types.ClientInfo(name="rustdoc-gen-client"),
                )
            ),
            30,
        )
        client.initialized(types.InitializedParams())
        yield client
    finally:
        process = client.process
        if process.returncode is None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.shutdown_async(None), 10)
                client.exit(None)
            try:
                await asyncio.wait_for(process.wait(), 10)
            except asyncio.TimeoutError:
                process.kill()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.stop(), 10)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(drain, 5)


def _offset(text: str, position: types.Position, encoding: str) -> int:
    """Index into `text` of an LSP position (characters counted in `encoding` units)."""
    lines = text.split("\n")
    if position.line >= len(lines):
        return len(text)
    start = sum(len(line) + 1 for line in lines[: position.line])
    line = lines[position.line]
    units = 0
    for index, ch in enumerate(line):
        if units >= position.character:
            return start + index
        units += {"utf-8": len(ch.encode("utf-8")), "utf-16": 2 if ord(ch) > 0xFFFF else 1}.get(encoding, 1)
    return start + len(line)


def apply_text_edits(text: str, edits: Sequence[types.TextEdit], encoding: str = "utf-16") -> str:
    """Apply LSP text edits to `text` the way an editor does (ranges refer to the original text)."""
    spans = sorted(
        ((_offset(text, e.range.start, encoding), _offset(text, e.range.end, encoding), e.new_text) for e in edits),
        key=lambda span: span[:2],
    )
    out, last = [], 0
    for start, end, new_text in spans:
        assert start >= last, "overlapping edits"
        out.append(text[last:start])
        out.append(new_text)
        last = end
    out.append(text[last:])
    return "".join(out)


def edits_for(edit: types.WorkspaceEdit | None, uri: str) -> list[types.TextEdit]:
    """The text edits a workspace edit makes to one document (documentChanges or changes)."""
    if edit is None:
        return []
    if edit.document_changes:
        return [e for change in edit.document_changes if getattr(change, "text_document", None) and change.text_document.uri == uri for e in change.edits]
    return list((edit.changes or {}).get(uri, []))
