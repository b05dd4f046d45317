"""A real OpenAI-compatible model server for the tests and benches: llama-cpp-python's own
(`python -m llama_cpp.server`, the `[server]` extra), serving a GGUF on a free loopback port.

It is started with `--interrupt_requests False`: by default that server ends a running stream
as soon as another request comes in, which two editors sharing it would see as cut answers
(the README's recipe says the same). Its stdout (where it prints `disconnected` when a client
closes a stream) goes to a log file the tests read.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ModelServer:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        """The API's base URL, as `--model` and `model.path` take it."""
        return f"http://127.0.0.1:{self.port}/v1"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """Kill it at once (SIGKILL), as a crash or an OOM kill would."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_model_server(
    gguf: Path, log_path: Path, *, port: int | None = None, context_size: int = 4096, threads: int = 2, timeout: float = 120.0
) -> ModelServer:
    """Start llama-cpp-python's server on `gguf` and wait until it lists its model."""
    import httpx2

    port = port or free_port()
    log_file = open(log_path, "ab")  # noqa: SIM115 - the child writes to it for its whole life
    process = subprocess.Popen(
        [
            sys.executable, "-u", "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
            "--n_ctx", str(context_size), "--n_threads", str(threads), "--n_threads_batch", str(threads),
            "--interrupt_requests", "False",
        ],
        stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    log_file.close()
    server = ModelServer(process, port, log_path)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the model server exited with {process.returncode}:\n{server.log()[-3000:]}")
        with contextlib.suppress(httpx2.HTTPError):
            if httpx2.get(f"{server.url}/models", timeout=2).status_code == 200:
                return server
        if time.monotonic() > deadline:
            server.stop()
            raise TimeoutError(f"the model server did not come up in {timeout}s:\n{server.log()[-3000:]}")
        time.sleep(0.2)


@contextlib.contextmanager
def model_server(gguf: Path, log_path: Path, **kwargs) -> Iterator[ModelServer]:
    server = start_model_server(gguf, log_path, **kwargs)
    try:
        yield server
    finally:
        server.stop()
