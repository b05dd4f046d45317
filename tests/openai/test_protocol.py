"""The OpenAI-compatible backend's side of the protocol, against a small OpenAI-style server
written here (a real HTTP server on the loopback, streaming real server-sent events) whose
answers and failures the test chooses: what a real server does only by chance (a 503, a
connection dropped mid-answer, a stream cut short, answers finishing out of order) happens
here on purpose. What a real model server does is `test_model_server.py`'s.

Each answer names the prompt it answers (`answer_for`), so a result in the wrong place shows.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rustdoc_core.generation.backend import BackendUnavailable, GenerationError
from rustdoc_core.generation.decode import DecodeOptions
from rustdoc_core.generation.document import plan_file
from rustdoc_core.generation.generators import GenerationCancelled
from rustdoc_core.generation.openai_backend import API_KEY_VARIABLE, OpenAIGenerator
from rustdoc_core.generation.pipeline import DocRequest, document_items
from rustdoc_core.generation.prompt import build_messages, prompt_context
from rustdoc_core.rust.items import RustSource

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample.rs"
QWEN_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def answer_for(prompt_text: str) -> str:
    """What the stub server answers to a prompt: a sentence naming the prompt's digest."""
    return f"Returns the value `{hashlib.sha256(prompt_text.encode()).hexdigest()[:8]}` of this item.\n"


@dataclass
class Stub:
    models: tuple[str, ...] = ("stub-model",)
    template: str | None = None  # shown at /props (as llama-server does) when set
    completions: bool = True  # offers /v1/completions
    key: str | None = None  # the API key it wants
    fail_first: int = 0  # answer this many POSTs with 503 first
    drop_after_pieces: int | None = None  # drop the connection mid-answer (every answer)
    cut_short: bool = False  # end the stream with [DONE] and no finish_reason
    delay: float = 0.0  # up to this many seconds before each answer (random)
    piece_delay: float = 0.0
    requests: list[tuple[str, dict, dict]] = field(default_factory=list)  # (path, body, headers)
    closed_early: int = 0  # answers whose client went away before the end
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_handler(stub: Stub):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _json(self, status: int, payload: object) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _authorized(self) -> bool:
            if stub.key is None or self.headers.get("Authorization") == f"Bearer {stub.key}":
                return True
            self._json(401, {"error": {"message": "Invalid API key"}})
            return False

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if not self._authorized():
                return
            if self.path == "/v1/models":
                self._json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in stub.models]})
            elif self.path == "/props" and stub.template:
                self._json(200, {"chat_template": stub.template, "eos_token": "<|im_end|>", "bos_token": ""})
            else:
                self._json(404, {"detail": "Not Found"})

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with stub.lock:
                stub.requests.append((self.path, body, dict(self.headers)))
                failing = stub.fail_first > 0
                stub.fail_first -= failing
            if not self._authorized():
                return
            if failing:
                self._json(503, {"error": {"message": "loading model"}})
                return
            if self.path == "/v1/completions" and stub.completions:
                prompt, chat = body["prompt"], False
            elif self.path == "/v1/chat/completions":
                prompt, chat = json.dumps(body["messages"]), True
            else:
                self._json(404, {"detail": "Not Found"})
                return
            time.sleep(random.uniform(0, stub.delay))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")  # as uvicorn streams
            self.end_headers()
            self.close_connection = True
            try:
                for i, piece in enumerate(self._pieces(answer_for(prompt))):
                    if stub.drop_after_pieces is not None and i == stub.drop_after_pieces:
                        self.connection.shutdown(2)
                        return
                    delta = {"delta": {"content": piece}} if chat else {"text": piece}
                    self._event({"choices": [{"index": 0, **delta, "finish_reason": None}]})
                    time.sleep(stub.piece_delay)
                if not stub.cut_short:
                    self._event({"choices": [{"index": 0, **({"delta": {}} if chat else {"text": ""}), "finish_reason": "stop"}]})
                self._chunk(b"data: [DONE]\n\n")
                self._chunk(b"")
            except (BrokenPipeError, ConnectionResetError):
                with stub.lock:
                    stub.closed_early += 1

        def _pieces(self, text: str) -> Iterator[str]:
            for i in range(0, len(text), 3):
                yield text[i : i + 3]

        def _event(self, payload: object) -> None:
            self._chunk(f"data: {json.dumps(payload)}\n\n".encode())

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler


@pytest.fixture
def stub_server():
    servers = []

    def start(stub: Stub) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(stub))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def sample_requests() -> list[DocRequest]:
    job = plan_file(SAMPLE, include_private=True, overwrite=True)
    return [DocRequest(item, job.path, job.source) for item in job.items]


def one_item():
    source = RustSource(SAMPLE.read_text(encoding="utf-8"))
    item = next(i for i in source.items() if i.kind == "fn")
    return item, prompt_context(source, item)


def test_answers_asked_at_once_come_back_in_their_requests_places(stub_server):
    """Eight items in flight, answers finishing in random order: each result is its own item's."""
    stub = Stub(delay=0.3)
    generator = OpenAIGenerator(stub_server(stub), concurrent_requests=8)
    requests = sample_requests()
    assert len(requests) >= 6
    results = document_items(requests, generator)
    assert len(stub.requests) == len(requests)
    for request, result in zip(requests, results):
        assert result.request is request and result.doc is not None, result.error
        assert result.doc.raw == answer_for(json.dumps(build_messages(result.request.item.with_doc(None), _context(request))))


def _context(request: DocRequest):
    return prompt_context(request.source, request.item)


def test_a_server_that_shows_its_template_gets_our_rendering_on_completions(stub_server):
    """/props shows the chat template (llama-server): the prompt is rendered here and sent to
    /v1/completions with the template's stop string; without /props, the messages go to chat."""
    item, context = one_item()
    stub = Stub(template=QWEN_TEMPLATE)
    rendered = OpenAIGenerator(stub_server(stub))
    answer = rendered.answer(item, context)
    assert rendered.rendering == "completions"
    path, body, _ = stub.requests[-1]
    assert path == "/v1/completions" and body["stop"] == ["<|im_end|>"]
    assert body["prompt"].startswith("<|im_start|>system\n") and body["prompt"].endswith("<|im_start|>assistant\n")
    assert answer.text == answer_for(body["prompt"])
    chat = OpenAIGenerator(stub_server(Stub()))
    assert chat.answer(item, context).text == answer_for(json.dumps(build_messages(item, context)))
    assert chat.rendering == "chat"


def test_a_server_without_completions_is_asked_for_chat(stub_server):
    item, context = one_item()
    stub = Stub(template=QWEN_TEMPLATE, completions=False)
    generator = OpenAIGenerator(stub_server(stub))
    assert generator.answer(item, context).text == answer_for(json.dumps(build_messages(item, context)))
    assert [path for path, _, _ in stub.requests] == ["/v1/completions", "/v1/chat/completions"]
    generator.answer(item, context)
    assert stub.requests[-1][0] == "/v1/chat/completions"  # remembered


def test_5xx_is_retried_and_4xx_is_not(stub_server):
    item, context = one_item()
    stub = Stub(fail_first=2)
    assert OpenAIGenerator(stub_server(stub)).answer(item, context).text
    assert len(stub.requests) == 3
    stub = Stub(fail_first=5)
    with pytest.raises(GenerationError, match="503 loading model"):
        OpenAIGenerator(stub_server(stub)).answer(item, context)
    assert len(stub.requests) == 3  # the first try and two retries


def test_a_connection_dropped_mid_answer_is_retried_then_the_backend_is_gone(stub_server):
    item, context = one_item()
    stub = Stub(drop_after_pieces=2)
    generator = OpenAIGenerator(stub_server(stub))
    start = time.monotonic()
    with pytest.raises(BackendUnavailable, match=r"the model server at http://127\.0\.0\.1:\d+/v1 stopped answering"):
        generator.answer(item, context)
    assert len(stub.requests) == 3 and time.monotonic() - start < 10


def test_a_stream_cut_short_is_an_error_not_a_doc(stub_server):
    """llama-cpp-python's server ends a running answer with [DONE] when another request comes in
    (unless `--interrupt_requests False`): that is no answer to put in a file."""
    item, context = one_item()
    with pytest.raises(GenerationError, match="interrupt_requests False"):
        OpenAIGenerator(stub_server(Stub(cut_short=True))).answer(item, context)


def test_cancelling_closes_the_stream_at_once(stub_server):
    item, context = one_item()
    stub = Stub(piece_delay=0.5)
    generator = OpenAIGenerator(stub_server(stub))
    heard: list[int] = []
    start = time.monotonic()
    with pytest.raises(GenerationCancelled):
        generator.answer(item, context, on_token=lambda n, _t: heard.append(n), should_stop=lambda: len(heard) >= 1)
    assert time.monotonic() - start < 2
    deadline = time.monotonic() + 5
    while stub.closed_early < 1:  # the server's next write finds its client gone
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_cancelling_while_the_server_is_silent_frees_the_caller(stub_server):
    """A request queued behind others on the server: nothing comes back yet, and a cancel still
    returns within a fraction of a second."""
    item, context = one_item()
    generator = OpenAIGenerator(stub_server(Stub(delay=30)))
    generator.load()
    stop_at = time.monotonic() + 0.5
    start = time.monotonic()
    with pytest.raises(GenerationCancelled):
        generator.answer(item, context, should_stop=lambda: time.monotonic() > stop_at)
    assert time.monotonic() - start < 1.5


def test_the_api_key_comes_from_the_environment(stub_server, monkeypatch):
    item, context = one_item()
    url = stub_server(Stub(key="s3cret"))
    monkeypatch.delenv(API_KEY_VARIABLE, raising=False)
    with pytest.raises(Exception, match=f"refused the request \\(401\\): no API key; set {API_KEY_VARIABLE}"):
        OpenAIGenerator(url).load()
    monkeypatch.setenv(API_KEY_VARIABLE, "s3cret")
    assert OpenAIGenerator(url).answer(item, context).text


def test_a_server_of_several_models_wants_one_named(stub_server):
    item, context = one_item()
    stub = Stub(models=("Qwen/Qwen2.5-Coder-1.5B-Instruct", "rustdoc"))
    url = stub_server(stub)
    with pytest.raises(Exception, match=r"serves 2 models \(Qwen/Qwen2\.5-Coder-1\.5B-Instruct, rustdoc\): name one with --model-name"):
        OpenAIGenerator(url).load()
    with pytest.raises(Exception, match="not 'rustdoc-lora'"):
        OpenAIGenerator(url, served_model="rustdoc-lora").load()
    OpenAIGenerator(f"{url}#rustdoc").answer(item, context)
    assert stub.requests[-1][1]["model"] == "rustdoc"


def test_decode_options_reach_the_request(stub_server):
    item, context = one_item()
    stub = Stub()
    OpenAIGenerator(stub_server(stub), options=DecodeOptions(max_tokens=77, temperature=0.7, seed=5)).answer(item, context)
    body = stub.requests[-1][1]
    assert (body["max_tokens"], body["temperature"], body["seed"], body["top_k"], body["stream"]) == (77, 0.7, 5, 40, True)
