"""What llama.cpp says while it loads a model, kept for the user who asks (`-v`, `-vv`).

llama-cpp-python with `verbose=False` drops llama.cpp's log, so the reason a load fails
("tensor 'token_embd.weight' data is not within the file bounds") never reaches anyone.
`captured()` collects the lines of one load; `warnings_and_errors` keeps llama.cpp's own
wording for the one-line error, and `report` sends the lines to logging: warnings and
errors at debug level (shown by `-v`), everything on the `llama.cpp` logger (`-vv`).
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

native = logging.getLogger("llama.cpp")

# ggml_log_level in the llama.cpp this llama-cpp-python vendors: 1 debug, 2 info, 3 warn, 4 error, 5 continue.
_WARN, _CONTINUE = 3, 5
_MAX_LINES = 5000  # a load logs about 2,000; a runaway log must not grow without end


@dataclass
class LlamaLog:
    lines: list[tuple[int, str]] = field(default_factory=list)
    _partial: str = ""
    _level: int = 0

    def add(self, level: int, text: str) -> None:
        if level != _CONTINUE:
            self._level = level
        self._partial += text
        while "\n" in self._partial:
            line, self._partial = self._partial.split("\n", 1)
            if line.strip() and len(self.lines) < _MAX_LINES:
                self.lines.append((self._level, line.rstrip()))

    @property
    def warnings_and_errors(self) -> list[str]:
        return [text for level, text in self.lines if level >= _WARN]

    def report(self, logger: logging.Logger) -> None:
        for level, text in self.lines:
            native.debug("%s", text)
            if level >= _WARN:
                logger.debug("llama.cpp: %s", text)


@contextmanager
def captured(llama_cpp: Any) -> Iterator[LlamaLog]:
    """llama.cpp's log lines while the block runs (llama-cpp-python's own callback after it)."""
    log = LlamaLog()

    @llama_cpp.llama_log_callback
    def collect(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
        try:
            log.add(int(level), text.decode("utf-8", errors="replace"))
        except Exception:  # noqa: BLE001 - never raise into C
            pass

    llama_cpp.llama_log_set(collect, ctypes.c_void_p(0))
    try:
        yield log
    finally:
        try:
            from llama_cpp import _logger

            llama_cpp.llama_log_set(_logger.llama_log_callback, ctypes.c_void_p(0))
        except (ImportError, AttributeError):
            pass
