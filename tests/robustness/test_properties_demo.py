"""Property harness over the demo page's API (issue 23, demo error paths): any JSON body, any
code (huge, broken, lone surrogates), any file path (outside the crate, gone since the scan):
every answer is 200 or a 4xx with a one-line JSON error, never a 500, and the page stays up."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.robustness.harness import seeded
from tests.robustness.inputs import rust_texts

pytest.importorskip("uvicorn", reason="the [demo] extra")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def demo():
    root = Path(tempfile.mkdtemp(prefix="robust-demo-"))
    (root / "src").mkdir()
    (root / "src" / "lib.rs").write_text("pub mod gone;\npub fn parse() {}\n")
    (root / "src" / "gone.rs").write_text("pub fn soon_gone() {}\n")
    (root / "src" / "bad.rs").write_bytes(b"pub fn f() {}\n\xff\xfe\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "rustdoc_cli", "demo", "--crate", str(root), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    assert url.startswith("http://"), process.stderr.read()
    (root / "src" / "gone.rs").unlink()  # listed at start, gone now
    yield url.rstrip("/")
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(root, ignore_errors=True)


def _ask(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data is not None else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _assert_answered(status: int, body: bytes) -> None:
    assert status == 200 or 400 <= status < 500, (status, body[:500])
    if status != 200:
        error = json.loads(body)["error"]
        assert isinstance(error, str) and "\n" not in error, error


@seeded
@given(body=st.one_of(
    rust_texts().map(lambda code: json.dumps({"code": code}).encode()),
    st.text(max_size=50).map(lambda code: json.dumps({"code": code, "includePrivate": "yes"}).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=100),
    st.sampled_from([b'{"code": "pub fn a() {}\\ud800"}', b'{"code": "\\udfff"}', json.dumps({"code": "x" * 300_000}).encode()]),
))
def test_document_answers_any_body(demo, body):
    _assert_answered(*_ask(f"{demo}/api/document", body))


@seeded
@given(path=st.one_of(st.sampled_from(["src/lib.rs", "src/gone.rs", "src/bad.rs", "../../etc/passwd", "/etc/passwd", "", "src", "src/%00"]),
                      st.text(max_size=30)))
def test_file_answers_any_path(demo, path):
    from urllib.parse import quote

    _assert_answered(*_ask(f"{demo}/api/file?path={quote(path, safe='')}"))
    status, _ = _ask(f"{demo}/api/files")
    assert status == 200
    assert os.path.exists("/etc/passwd")  # (read, never written: the API has no writer)
