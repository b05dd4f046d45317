"""Docs from a model server that speaks the OpenAI API: vLLM, llama.cpp's `llama-server`,
llama-cpp-python's server, Ollama. A team runs one such server; every editor and CI job asks it.

The prompt is ours either way (`prompt.build_messages`):

- where the server shows its model's chat template (`llama-server`'s `GET /props`), the
  messages are rendered here with it, as the in-process backend renders them, and sent to
  `/v1/completions`;
- elsewhere they go to `/v1/chat/completions`, and the server applies its model's template
  (llama-cpp-python's server and vLLM use the GGUF's or tokenizer's own template, so the
  model sees the same tokens).

Answers stream (server-sent events): the text is reported as it forms, the stream is closed
where `ends_at` says the answer is complete or when `should_stop` says stop (the server stops
generating when its client goes), and the pipeline's output guard treats the answer like any
other. Decode options go into the request as far as the API has them (`request_options`).

A dead or wrong endpoint is one line (`ModelLoadError`) within `PROBE_DEADLINE_S`; connection
errors and 5xx answers are retried `RETRIES` times; a server that goes away in the middle of
a run raises `BackendUnavailable`, which stops the run (the files done so far are whole).

The API key, where the server wants one, comes from the environment (`API_KEY_VARIABLE`),
never from a flag or a URL, so it is in no command line, log or report.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rustdoc_core.errors import one_line
from rustdoc_core.generation.backend import (
    Answer,
    AnswerEnd,
    BackendUnavailable,
    GenerationCancelled,
    GenerationError,
    ModelLoadError,
    OnToken,
)
from rustdoc_core.generation.decode import DecodeOptions
from rustdoc_core.generation.prompt import PromptContext, build_messages
from rustdoc_core.rust.items import RustItem

log = logging.getLogger(__name__)

ENDPOINT_SCHEMES = ("http://", "https://")
"""A model argument that starts with one of these names a server, not a GGUF file."""

API_KEY_VARIABLE = "RUSTDOC_GEN_API_KEY"
"""The environment variable holding the server's API key (sent as `Authorization: Bearer`)."""

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 120.0
"""Most seconds between two pieces of an answer: a busy server queues requests before it starts."""
PROBE_DEADLINE_S = 8.0
"""The first look at a server (`load`), all tries together: a dead endpoint is one line in seconds."""
RETRIES = 2
"""Tries after the first, on connection errors and 5xx answers only."""
RETRY_BACKOFF_S = 0.5
"""Wait before the first retry; doubled for each next one."""
STOP_POLL_S = 0.1
"""Seconds between two looks at `should_stop` while the server sends nothing."""
ANSWER_END_CHECK_EVERY = 4
"""Pieces of an answer between two asks of `ends_at` within a line (as the in-process loop does)."""

SAMPLING = {"top_k": 40, "top_p": 0.95, "min_p": 0.05}
"""The in-process sampler chain's fixed settings (llama-cpp-python's `create_completion`
defaults), sent so that a sampled answer is drawn the same way on the server."""

SERVER_SET_OPTIONS = ("context_size", "threads")
"""Decode options that are the server's own settings: no request field carries them."""

INTERRUPTED_HINT = (
    "the server ended the answer before it was done; llama-cpp-python's server does that to a running "
    "request when another one comes in, unless it is started with `--interrupt_requests False`"
)


def is_endpoint(text: str | os.PathLike[str] | None) -> bool:
    """Whether a model argument (`--model`, `model.path`) names a server rather than a GGUF file."""
    return isinstance(text, str) and text.lower().startswith(ENDPOINT_SCHEMES)


def parse_endpoint(text: str) -> tuple[str, str | None]:
    """`http(s)://HOST[:PORT][/PATH][#MODEL]` -> the API's base URL (`/v1` where no path is
    given) and the served model's name, if given. Raises ValueError with one line."""
    url, _, served_model = text.strip().partition("#")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not a server URL; the form is http://HOST:PORT/v1")
    if parts.username or parts.password:
        raise ValueError(f"put no credentials in the server URL; set {API_KEY_VARIABLE} to the API key instead")
    if parts.query:
        raise ValueError(f"the server URL takes no query ({parts.query!r}); the form is http://HOST:PORT/v1[#MODEL]")
    try:
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError as err:
        raise ValueError(f"{text!r}: {str(err).lower()}") from None
    path = parts.path.rstrip("/") or "/v1"
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, "", "")), served_model.strip() or None


def request_options(options: DecodeOptions) -> dict[str, Any]:
    """The decode options as request fields: the OpenAI API's own (`max_tokens`, `temperature`,
    the penalties, `seed`), and llama.cpp's (`repeat_penalty`, `top_k`, `min_p`) which llama-server,
    llama-cpp-python and vLLM read and other servers ignore. `SERVER_SET_OPTIONS` have no field."""
    fields: dict[str, Any] = {
        "max_tokens": options.max_tokens,
        "temperature": options.temperature,
        "frequency_penalty": options.frequency_penalty,
        "presence_penalty": options.presence_penalty,
        "seed": options.seed,
        "repeat_penalty": options.repeat_penalty,
        "top_p": SAMPLING["top_p"],
        "min_p": SAMPLING["min_p"],
        "top_k": 1 if options.greedy else SAMPLING["top_k"],
    }
    return fields


def dropped_options_line(options: DecodeOptions) -> str:
    """The one line that says which decode options a server request does not carry."""
    set_here = ", ".join(f"{name}={getattr(options, name)}" for name in SERVER_SET_OPTIONS)
    return (
        f"model server: {set_here} not sent (the server's own settings); repeat_penalty={options.repeat_penalty} is "
        "llama.cpp's field (llama-server, llama-cpp-python), which other servers ignore"
    )


class _Retryable(Exception):
    """A try that may succeed again: the connection failed or broke, or the server answered 5xx."""

    def __init__(self, reason: str, *, connection: bool):
        super().__init__(reason)
        self.connection = connection


class _NoCompletions(Exception):
    """The server has no `/v1/completions` (404): ask `/v1/chat/completions` instead."""


@dataclass(frozen=True)
class _Rendering:
    """How this server gets our prompt: rendered here with its template, or as chat messages."""

    formatter: Any = None  # llama-cpp-python's Jinja2ChatFormatter over the server's template, or None
    bos_token: str = ""

    @property
    def route(self) -> str:
        return "/completions" if self.formatter is not None else "/chat/completions"


class OpenAIGenerator:
    """Docs from an OpenAI-compatible server at `base_url` (see the module doc).

    Thread-safe: up to `concurrent_requests` answers are asked for at once
    (`pipeline.document_items` runs that many; `generate --jobs N`)."""

    is_model = True

    def __init__(
        self,
        base_url: str,
        *,
        served_model: str | None = None,
        options: DecodeOptions | None = None,
        concurrent_requests: int = 1,
    ):
        self.base_url, from_url = parse_endpoint(base_url)
        self.served_model = served_model or from_url
        self.options = options or DecodeOptions()
        self.concurrent_requests = max(1, int(concurrent_requests))
        self.name = f"openai:{self.base_url}" + (f"#{self.served_model}" if self.served_model else "")
        self.model_id: str | None = None
        """The model the server answers with (`served_model`, or the one it serves)."""
        self._client: Any = None
        self._rendering: _Rendering | None = None
        self._lock = threading.Lock()

    @property
    def root_url(self) -> str:
        """The server itself (the base URL without its `/v1`): where llama-server's `/props` is."""
        return self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url

    @property
    def rendering(self) -> str:
        """"completions" (rendered here with the server's template) or "chat" (the server renders)."""
        return "completions" if self._rendering is not None and self._rendering.formatter is not None else "chat"

    @property
    def loaded(self) -> bool:
        return self._rendering is not None

    # --- the first look at the server ---------------------------------------------------------

    def load(self) -> None:
        """Make sure a server answers at `base_url` and pick its model (raises ModelLoadError, one line)."""
        with self._lock:
            if self._rendering is not None:
                return
            import httpx2

            if self._client is None:
                key = os.environ.get(API_KEY_VARIABLE, "").strip()
                self._client = httpx2.Client(
                    timeout=httpx2.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
                    limits=httpx2.Limits(max_connections=max(self.concurrent_requests, 2) + 2),
                    headers={"Authorization": f"Bearer {key}"} if key else {},
                )
            start = time.perf_counter()
            models = self._probe_models(start + PROBE_DEADLINE_S)
            self.model_id = self._choose_model(models)
            self._rendering = self._find_rendering()
            how = (
                "rendered here with the server's chat template (/v1/completions)"
                if self._rendering.formatter is not None
                else "rendered by the server (/v1/chat/completions; it shows no chat template)"
            )
            log.info("%s: model %s, prompts %s, in %.2fs", self.name, self.model_id, how, time.perf_counter() - start)
            log.info("%s", dropped_options_line(self.options))

    def _probe_models(self, deadline: float) -> list[str]:
        """The ids the server's `GET /models` lists; ModelLoadError for a dead or wrong endpoint."""
        import httpx2

        url = f"{self.base_url}/models"
        attempt = 0
        while True:
            left = deadline - time.perf_counter()
            try:
                response = self._client.get(url, timeout=httpx2.Timeout(max(left, 0.5), connect=min(CONNECT_TIMEOUT_S, max(left, 0.5))))
            except httpx2.TransportError as err:
                reason = _transport_reason(err)
                if isinstance(err, (httpx2.ConnectError, httpx2.ConnectTimeout)) and attempt < RETRIES:
                    wait = RETRY_BACKOFF_S * 2**attempt
                    if time.perf_counter() + wait + 0.5 < deadline:
                        attempt += 1
                        time.sleep(wait)
                        continue
                raise ModelLoadError(f"no model server answers at {self.base_url} ({reason})") from None
            if response.status_code >= 500 and attempt < RETRIES and time.perf_counter() + RETRY_BACKOFF_S < deadline:
                time.sleep(RETRY_BACKOFF_S * 2**attempt)
                attempt += 1
                continue
            break
        if response.status_code in (401, 403):
            told = "the key in " + API_KEY_VARIABLE if API_KEY_VARIABLE in os.environ else "no API key; set " + API_KEY_VARIABLE
            raise ModelLoadError(f"the model server at {self.base_url} refused the request ({response.status_code}): {told}")
        if response.status_code != 200:
            raise ModelLoadError(
                f"{self.base_url} is not an OpenAI-compatible API: GET {url} answered {response.status_code} "
                f"{_error_message(response) or response.reason_phrase}; give the server's base URL, as in http://HOST:PORT/v1"
            )
        try:
            data = response.json()["data"]
            return [str(entry["id"]) for entry in data]
        except (ValueError, KeyError, TypeError):
            raise ModelLoadError(
                f"{self.base_url} is not an OpenAI-compatible API: GET {url} answered no model list; "
                "give the server's base URL, as in http://HOST:PORT/v1"
            ) from None

    def _choose_model(self, models: list[str]) -> str:
        if self.served_model is not None:
            if models and self.served_model not in models:
                raise ModelLoadError(
                    f"the model server at {self.base_url} serves {', '.join(models)}; not {self.served_model!r}"
                )
            return self.served_model
        if len(models) == 1:
            return models[0]
        if not models:
            raise ModelLoadError(f"the model server at {self.base_url} serves no model")
        raise ModelLoadError(
            f"the model server at {self.base_url} serves {len(models)} models ({', '.join(models)}): "
            "name one with --model-name NAME (or URL#NAME)"
        )

    def _find_rendering(self) -> _Rendering:
        """The server's chat template, where it shows it (llama-server's `/props`); else chat messages."""
        import httpx2

        try:
            response = self._client.get(f"{self.root_url}/props", timeout=httpx2.Timeout(CONNECT_TIMEOUT_S))
            props = response.json() if response.status_code == 200 else {}
        except (httpx2.HTTPError, ValueError):
            props = {}
        template = props.get("chat_template") if isinstance(props, dict) else None
        if not isinstance(template, str) or not template.strip():
            return _Rendering()
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        eos, bos = str(props.get("eos_token") or ""), str(props.get("bos_token") or "")
        return _Rendering(Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos), bos)

    # --- answering ------------------------------------------------------------------------------

    def answer(
        self,
        item: RustItem,
        context: PromptContext,
        *,
        should_stop: Callable[[], bool] | None = None,
        on_token: OnToken | None = None,
        ends_at: AnswerEnd | None = None,
    ) -> Answer:
        """The server's answer for `item`, streamed (see the module doc)."""
        self.load()
        if should_stop is not None and should_stop():
            raise GenerationCancelled()
        messages = build_messages(item, context)
        attempt = 0
        while True:
            rendering = self._rendering
            assert rendering is not None
            route, body = self._request(rendering, messages)
            try:
                return self._stream(route, body, should_stop, on_token, ends_at)
            except _NoCompletions:
                log.info("%s: no /v1/completions here; asking /v1/chat/completions", self.name)
                self._rendering = _Rendering()
                continue
            except _Retryable as err:
                if attempt >= RETRIES:
                    if err.connection:
                        raise BackendUnavailable(f"the model server at {self.base_url} stopped answering ({err})") from None
                    raise GenerationError(f"the model server failed on {item.label}: {err}") from None
                wait = RETRY_BACKOFF_S * 2**attempt
                attempt += 1
                log.debug("%s: %s; try %d of %d in %.1fs", self.name, err, attempt + 1, RETRIES + 1, wait)
                _sleep(wait, should_stop)

    def _request(self, rendering: _Rendering, messages: list[dict[str, str]]) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {"model": self.model_id, "stream": True, **request_options(self.options)}
        if rendering.formatter is None:
            return rendering.route, {**body, "messages": messages}
        formatted = rendering.formatter(messages=messages)
        prompt = formatted.prompt
        if formatted.added_special and rendering.bos_token and prompt.startswith(rendering.bos_token):
            prompt = prompt[len(rendering.bos_token) :]  # the server adds BOS itself where its model wants one
        stop = formatted.stop if isinstance(formatted.stop, list) else [formatted.stop] if formatted.stop else []
        return rendering.route, {**body, "prompt": prompt, "stop": [s for s in stop if s]}

    def _stream(
        self,
        route: str,
        body: dict[str, Any],
        should_stop: Callable[[], bool] | None,
        on_token: OnToken | None,
        ends_at: AnswerEnd | None,
    ) -> Answer:
        """One try: the stream is read on a thread of its own, so that this one can give up at once
        when `should_stop` says stop, even while the server has sent nothing yet (a queue ahead of
        us there): the stream's socket is shut, the server sees its client go and stops."""
        stream = _Stream(self._client, f"{self.base_url}{route}", body)
        answer = _StreamedAnswer(body.get("stop") or [], ends_at)
        try:
            while True:
                if should_stop is not None and should_stop():
                    raise GenerationCancelled()
                data = stream.next_event(STOP_POLL_S)
                if data is None:
                    continue  # nothing yet: look at `should_stop` again
                if data is _END:  # the body ended without [DONE]: the connection went mid-answer
                    if not answer.finished:
                        raise _Retryable("the connection closed in the middle of an answer", connection=True)
                    break
                if data.strip() == "[DONE]":
                    break
                if not answer.take(_event_payload(data), route):
                    break  # complete: closing the stream stops the server
                if on_token is not None and answer.pieces:
                    on_token(answer.pieces, answer.text)
        finally:
            stream.close()
        if not answer.finished:
            raise GenerationError(INTERRUPTED_HINT)
        return Answer(answer.text, answer.pieces)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
            self._rendering = None


_END = object()
"""What `_Stream.next_event` gives when the stream has ended."""


class _Stream:
    """One streamed request, read on a daemon thread into a queue: its events' data, then `_END`,
    or the error that ended it (raised by `next_event` as `_Retryable`, `_NoCompletions` or
    GenerationError). `close` shuts the connection's socket, which ends a read in progress."""

    def __init__(self, client: Any, url: str, body: dict[str, Any]):
        self._queue: queue.Queue[Any] = queue.Queue()
        self._closed = threading.Event()
        self._socket: Any = None
        self._reading = threading.Lock()
        self._released = False  # the connection goes back to the pool: its socket is no longer ours to shut
        self._route_is_completions = url.endswith("/completions") and not url.endswith("/chat/completions")
        threading.Thread(target=self._read, args=(client, url, body), daemon=True, name="rustdoc-gen-stream").start()

    def next_event(self, timeout: float) -> Any:
        """The next event's data, `_END`, or None when nothing came within `timeout` seconds."""
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self._closed.set()
        with self._reading:
            if self._socket is not None and not self._released:
                with contextlib.suppress(OSError):
                    self._socket.shutdown(socket.SHUT_RDWR)

    def _read(self, client: Any, url: str, body: dict[str, Any]) -> None:
        import httpx2

        try:
            with client.sse(url, method="POST", json=body) as events:
                response = events.response
                stream = response.extensions.get("network_stream")
                self._socket = stream.get_extra_info("socket") if stream is not None else None
                if self._closed.is_set():
                    return
                try:
                    if response.status_code != 200:
                        response.read()
                        self._queue.put(self._refusal(response))
                        return
                    for event in events:
                        if self._closed.is_set():
                            return
                        self._queue.put(event.data)
                finally:
                    with self._reading:
                        self._released = True
            self._queue.put(_END)
        except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError) as err:
            self._queue.put(_Retryable(_transport_reason(err), connection=True))
        except httpx2.TimeoutException as err:
            self._queue.put(GenerationError(f"the model server sent nothing for {READ_TIMEOUT_S:.0f}s ({_transport_reason(err)})"))
        except httpx2.SSEError as err:
            self._queue.put(GenerationError(f"the model server's answer is not an event stream: {one_line(err)}"))
        except Exception as err:  # noqa: BLE001 - whatever ends the read reaches the caller
            self._queue.put(GenerationError(f"reading the model server's answer failed: {type(err).__name__}: {one_line(err)}"))

    def _refusal(self, response: Any) -> Exception:
        message = _error_message(response) or response.reason_phrase
        if response.status_code == 404 and self._route_is_completions:
            return _NoCompletions()
        if response.status_code >= 500:
            return _Retryable(f"{response.status_code} {message}", connection=False)
        return GenerationError(f"the model server refused the request: {response.status_code} {message}")


class _StreamedAnswer:
    """An answer as its pieces come: the text, where it stops (a stop string, `ends_at`), and
    whether the server said it was done (a `finish_reason`)."""

    def __init__(self, stop: list[str], ends_at: AnswerEnd | None):
        self.stop = stop
        self.ends_at = ends_at
        self.text = ""
        self.pieces = 0
        self.finished = False
        self._checked = 0

    def take(self, payload: dict[str, Any], route: str) -> bool:
        """Add one event's text; False when the answer is complete."""
        if "error" in payload:
            error = payload["error"]
            raise GenerationError(f"the model server failed: {error.get('message') if isinstance(error, dict) else error}")
        choices = payload.get("choices") or []
        if not choices:
            return True  # a usage-only event
        choice = choices[0]
        piece = choice.get("text") if route == "/completions" else (choice.get("delta") or {}).get("content")
        if piece:
            self.pieces += 1
            text = self.text + piece
            for stop in self.stop:
                if stop in text:
                    self.text, self.finished = text[: text.index(stop)], True
                    return False
            self.text = text
            if self.ends_at is not None and ("\n" in text[self._checked :] or self.pieces % ANSWER_END_CHECK_EVERY == 0):
                self._checked = len(text)
                end = self.ends_at(text)
                if end is not None:
                    self.text, self.finished = text[:end], True
                    return False
        if choice.get("finish_reason"):
            self.finished = True
            return False
        return True


def _event_payload(data: str) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except ValueError:
        raise GenerationError(f"the model server sent an event that is not JSON: {data[:80]!r}") from None
    if not isinstance(payload, dict):
        raise GenerationError(f"the model server sent an event that is not an object: {data[:80]!r}")
    return payload


def _error_message(response: Any) -> str:
    """The message of an error answer (OpenAI's `{"error": {"message": ...}}`, FastAPI's `{"detail": ...}`)."""
    try:
        data = response.json()
    except ValueError:
        return " ".join(response.text.split())[:200]
    if isinstance(data, dict):
        error = data.get("error", data.get("detail"))
        if isinstance(error, dict):
            error = error.get("message")
        if error:
            return " ".join(str(error).split())[:200]
    return ""


def _transport_reason(err: Exception) -> str:
    """`connection refused`, `timed out`, ...: the reason a request did not get through, in a few words."""
    import httpx2

    if isinstance(err, httpx2.TimeoutException):
        return "timed out"
    text = one_line(err)
    if text.startswith("[Errno"):
        text = text.split("]", 1)[-1].strip()
    return text[:1].lower() + text[1:] if text else type(err).__name__


def _sleep(seconds: float, should_stop: Callable[[], bool] | None) -> None:
    end = time.perf_counter() + seconds
    while (left := end - time.perf_counter()) > 0:
        if should_stop is not None and should_stop():
            raise GenerationCancelled()
        time.sleep(min(left, 0.1))
