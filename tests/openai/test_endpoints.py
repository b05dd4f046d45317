"""The OpenAI-compatible backend without a model: how a server is named (`--model URL`,
`openai:URL#MODEL`, the editor's `model.path`), how decode options become request fields, and
what a user sees when the endpoint is dead, silent, or not an OpenAI API: one line, in
seconds. The endpoints are real sockets and a real HTTP server on the loopback."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lsp_server.settings import parse_settings
from rustdoc_console import UserError
from rustdoc_core.generation.decode import DecodeOptions
from rustdoc_core.generation.generators import GeneratorSpec, make_generator
from rustdoc_core.generation.openai_backend import OpenAIGenerator, request_options
from tests.support.model_server import free_port
from trainer.evaluation.systems import make_system

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample.rs"


def generate(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "rustdoc_cli", "generate", str(SAMPLE), "--no-verify-examples", *args],
        capture_output=True, text=True, timeout=60,
    )
    return done, time.monotonic() - start


def test_a_server_spec_names_its_url_and_served_model():
    spec = GeneratorSpec.parse("openai:http://127.0.0.1:8000/v1#rustdoc")
    assert (spec.kind, spec.endpoint, spec.served_model, spec.model) == ("openai", "http://127.0.0.1:8000/v1", "rustdoc", None)
    assert str(spec) == "openai:http://127.0.0.1:8000/v1#rustdoc"
    assert GeneratorSpec.of_model("http://gpu-box:11434").endpoint == "http://gpu-box:11434/v1"  # the API's usual path
    assert GeneratorSpec.of_model("https://gpu-box/api/v1/", served_model="qwen").served_model == "qwen"
    assert GeneratorSpec.of_model("models/m.gguf").kind == "model"
    generator = make_generator("openai:http://127.0.0.1:8000/v1", jobs=4)
    assert isinstance(generator, OpenAIGenerator) and generator.concurrent_requests == 4 and not generator.loaded


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("http://user:secret@127.0.0.1:8000/v1", "RUSTDOC_GEN_API_KEY"),
        ("http://127.0.0.1:8000/v1?key=secret", "takes no query"),
        ("http://127.0.0.1:99999/v1", "port"),
        ("http:///v1", "not a server URL"),
    ],
)
def test_a_bad_server_url_is_refused_in_one_line(argument: str, message: str):
    with pytest.raises(ValueError, match=message):
        GeneratorSpec.of_model(argument)


def test_an_adapter_or_a_served_name_goes_with_its_own_kind_of_model():
    with pytest.raises(ValueError, match="adapter is for a local GGUF"):
        GeneratorSpec.of_model("http://127.0.0.1:8000/v1", "adapter.gguf")
    with pytest.raises(ValueError, match="for a server URL"):
        GeneratorSpec.of_model("model.gguf", served_model="rustdoc")
    with pytest.raises(ValueError, match="give the server's URL"):
        GeneratorSpec.parse("openai:model.gguf")


def test_the_editor_takes_a_server_url_as_its_model_path():
    settings, problems = parse_settings({"model": {"path": "http://127.0.0.1:8000/v1#rustdoc", "adapter": "a.gguf"}})
    assert settings.model.is_server and settings.model.adapter is None
    assert settings.model.generator_spec() == GeneratorSpec(endpoint="http://127.0.0.1:8000/v1", served_model="rustdoc")
    assert problems == ["`rustdocGen.model.adapter` is for a GGUF file; a model server applies its own (name it with URL#NAME); using null"]
    settings, problems = parse_settings({"model": {"path": "http://u:p@127.0.0.1:8000/v1"}})
    assert settings.model.path is None and "RUSTDOC_GEN_API_KEY" in problems[0]


def test_decode_options_become_the_request_fields_the_api_has():
    greedy = request_options(DecodeOptions(max_tokens=64, seed=7))
    assert greedy == {
        "max_tokens": 64, "temperature": 0.0, "frequency_penalty": 0.0, "presence_penalty": 0.0, "seed": 7,
        "repeat_penalty": 1.1, "top_p": 0.95, "min_p": 0.05, "top_k": 1,
    }
    assert request_options(DecodeOptions(temperature=0.8))["top_k"] == 40  # the in-process sampler chain's
    assert not {"context_size", "threads", "n_ctx"} & set(greedy)  # the server's own settings


def test_a_dead_endpoint_is_one_line_in_seconds():
    done, seconds = generate("--model", f"http://127.0.0.1:{free_port()}/v1")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: no model server answers at {done.stderr.split('answers at ')[1].split(' ')[0]} (connection refused)"
    ]
    assert seconds < 10


def test_a_silent_endpoint_is_one_line_within_ten_seconds():
    """A socket that takes connections and never answers (a hung server, a wrong port behind a proxy)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        done, seconds = generate("--model", f"http://127.0.0.1:{silent.getsockname()[1]}/v1")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.rstrip().endswith("(timed out)")
    assert seconds < 10


class _NotAnApi(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b"<html>It works!</html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_a_web_server_that_is_not_an_openai_api_is_named_so():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotAnApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        done, seconds = generate("--model", url)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{url} is not an OpenAI-compatible API: GET {url}/models answered 404" in lines[0]
    assert seconds < 10


def test_jobs_are_for_a_model_server():
    done, _ = generate("--jobs", "4")
    assert done.returncode == 1 and "--jobs asks a model server" in done.stderr


def test_eval_names_a_dead_server_system_in_one_line():
    with pytest.raises(UserError, match=r"system 'openai:http://127\.0\.0\.1:\d+/v1': no model server answers"):
        make_system(f"openai:http://127.0.0.1:{free_port()}/v1", DecodeOptions())
