"""Work-done progress for a generation: begin, the doc's first sentence as it forms, end;
cancellable.

The token loop runs on the worker thread, so reports hop to the event loop and
are throttled (an editor needs a few updates a second, not one per token); the
report that completes the first sentence is sent at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid

from lsprotocol import types

from lsp_server.server import RustdocServer

log = logging.getLogger(__name__)

REPORT_INTERVAL_S = 0.1
CREATE_TIMEOUT_S = 5.0
SENTENCE_SHOWN_CHARS = 120
"""The most of a first sentence a progress message shows (the rest as "…")."""

_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n\s*\n")
_MARKUP = re.compile(r"^\s*(?:```\w*\s*\n|///\s?|//!\s?)")


def first_sentence(answer: str, *, finished: bool = False) -> tuple[str, bool]:
    """The first sentence of a partial answer, on one line, and whether it is complete (its
    period is followed by more text, its paragraph ended, or the answer is `finished`)."""
    text = _MARKUP.sub("", answer.lstrip(), count=1)
    end = next(
        (m.end() if m.group().strip() else m.start() for m in _SENTENCE_END.finditer(text) if text.count("`", 0, m.start()) % 2 == 0),
        None,  # a period inside a code span (`a.b`) ends nothing
    )
    sentence = " ".join((text if end is None else text[:end]).split())
    if len(sentence) > SENTENCE_SHOWN_CHARS:
        sentence = sentence[: SENTENCE_SHOWN_CHARS - 1].rstrip() + "…"
    return sentence, end is not None or (finished and bool(sentence))


class GenerationProgress:
    """`async with GenerationProgress(ls, title) as progress:` around one generation request.

    Does nothing (and is never cancelled) when the client supports no work-done progress.
    """

    def __init__(self, ls: RustdocServer, title: str, token: types.ProgressToken | None = None):
        self._ls = ls
        self._title = title
        self._token = token
        self._loop = asyncio.get_running_loop()
        self._active = False
        self._last_report = 0.0
        self._last_message: str | None = None
        self._cancelled = False

    async def __aenter__(self) -> GenerationProgress:
        ls = self._ls
        if self._token is None:
            if not ls.client_supports_progress:
                return self
            token = f"rustdoc-gen/{uuid.uuid4()}"
            try:
                await asyncio.wait_for(ls.work_done_progress.create_async(token), CREATE_TIMEOUT_S)
            except Exception as err:  # noqa: BLE001 - a client that refuses progress still gets its doc
                log.info("work-done progress not created: %s", err or type(err).__name__)
                return self
            self._token = token
        self._active = True
        try:
            ls.work_done_progress.begin(
                self._token,
                types.WorkDoneProgressBegin(title=self._title, cancellable=True, message="Waiting for the model", percentage=0),
            )
        except Exception:  # noqa: BLE001
            log.exception("progress begin failed")
            self._active = False
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if not self._active:
            return
        if exc_type is None:
            message = "Done"
        elif self.cancelled() or issubclass(exc_type, asyncio.CancelledError):
            message = "Cancelled"
        else:
            message = "Failed"
        try:
            self._ls.work_done_progress.end(self._token, types.WorkDoneProgressEnd(message=message))
        except Exception:  # noqa: BLE001 - the client may be gone
            log.debug("progress end not sent", exc_info=True)
        self._ls.work_done_progress.tokens.pop(self._token, None)
        self._active = False

    def cancelled(self) -> bool:
        """Whether the user cancelled this progress (safe to call from any thread)."""
        if self._cancelled:
            return True
        if self._token is None:
            return False
        future = self._ls.work_done_progress.tokens.get(self._token)
        self._cancelled = future is not None and future.cancelled()
        return self._cancelled

    def report(self, message: str, percentage: int | None = None, *, force: bool = False) -> None:
        """Report from any thread; throttled unless `force`."""
        if not self._active or message == self._last_message:
            return
        now = time.monotonic()
        if not force and now - self._last_report < REPORT_INTERVAL_S:
            return
        self._last_report = now
        self._last_message = message
        value = types.WorkDoneProgressReport(message=message, percentage=percentage, cancellable=True)
        self._loop.call_soon_threadsafe(self._send, value)

    def _send(self, value: types.WorkDoneProgressReport) -> None:
        if not self._active:
            return
        try:
            self._ls.work_done_progress.report(self._token, value)
        except Exception:  # noqa: BLE001 - the client may be gone
            log.debug("progress report not sent", exc_info=True)
