"""The language server over raw stdio frames: what a broken or hostile client can send.

pygls's own client cannot write a frame that is not JSON, or a request whose params do
not fit its type; this one writes bytes and reads back the server's frames, so a test
can ask "did every request get an answer?".
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from typing import Any

from tests.support.lsp_client import server_command


class WireSession:
    """`rustdoc-gen serve --stdio` in a subprocess, spoken to in bytes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(server_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.frames: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.stderr: list[bytes] = []
        self._writing = threading.Lock()
        threading.Thread(target=self._read_frames, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        self._held: list[dict[str, Any]] = []

    # --- sending ---------------------------------------------------------------------

    def send_body(self, body: bytes) -> None:
        """One frame with a correct Content-Length around any bytes."""
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        with self._writing:  # the reader thread answers the server's requests too
            self.process.stdin.write(data)
            self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_body(json.dumps(message).encode("utf-8"))

    def request(self, msg_id: Any, method: str, params: Any = None, **extra: Any) -> None:
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method, **extra}
        if params is not None:
            message["params"] = params
        self.send(message)

    def initialize(self) -> dict[str, Any]:
        self.request("init", "initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        answer = self.answer_to("init")
        self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        return answer

    # --- receiving -------------------------------------------------------------------

    def answer_to(self, msg_id: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The response (result or error) to request `msg_id`; fails after `timeout` seconds."""
        return self.next_frame(lambda f: "method" not in f and f.get("id") == msg_id and ("result" in f or "error" in f), timeout, f"an answer to {msg_id!r}")

    def next_frame(self, wanted, timeout: float = 10.0, what: str = "a frame") -> dict[str, Any]:
        for i, frame in enumerate(self._held):
            if wanted(frame):
                return self._held.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {what} within {timeout}s; server log:\n{self.log()[-3000:]}")
            try:
                frame = self.frames.get(timeout=left)
            except queue.Empty:
                continue
            if frame is None:
                raise AssertionError(f"server closed its output before {what}; log:\n{self.log()[-3000:]}")
            if wanted(frame):
                return frame
            self._held.append(frame)

    def log(self) -> str:
        return b"".join(self.stderr).decode("utf-8", errors="replace")

    def _read_frames(self) -> None:
        out = self.process.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.frames.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
            body = out.read(length or 0)
            frame = json.loads(body)
            if isinstance(frame, dict) and "method" in frame and "id" in frame:
                self._answer_server_request(frame)  # as an editor would; the server may wait on it
            self.frames.put(frame)

    def _answer_server_request(self, request: dict[str, Any]) -> None:
        result = {"workspace/applyEdit": {"applied": True}, "workspace/configuration": [None] * len((request.get("params") or {}).get("items", []))}
        try:
            self.send({"jsonrpc": "2.0", "id": request["id"], "result": result.get(request["method"])})
        except (BrokenPipeError, ValueError):
            pass

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    # --- ending ----------------------------------------------------------------------

    def close(self) -> int:
        """Shut down politely; the exit status."""
        try:
            self.request("bye", "shutdown")
            self.answer_to("bye", timeout=10)
            self.send({"jsonrpc": "2.0", "method": "exit"})
            assert self.process.stdin is not None
            self.process.stdin.close()
        except (BrokenPipeError, AssertionError):
            pass
        try:
            return self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()

    def __enter__(self) -> WireSession:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.close()
