"""`rustdoc-gen demo` in a real browser: Debian's headless Chromium, driven by playwright.

The demo runs as a process (the template engine and the tiny Qwen2 GGUF side by
side, on a fixture crate); the browser loads its page, submits a Rust file and
reads what the page shows. A failing browser test leaves a screenshot beside
its tmp_path (named in the failure message).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rustdoc_core.docs.text import render_doc_comment
from rustdoc_core.generation.generators import TemplateGenerator
from rustdoc_core.generation.pipeline import DocRequest, document_item
from rustdoc_core.generation.prompt import prompt_context
from rustdoc_core.rust.doc_policy import needs_doc
from rustdoc_core.rust.items import RustSource
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow

CRATE = FIXTURES / "crates" / "shapes"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_demo(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "rustdoc_cli", "demo", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()  # printed once the port is bound
    if not url.startswith("http://"):
        process.kill()
        raise AssertionError(f"demo did not start: {url!r} {process.stderr.read()[-2000:]}")
    return process, url


@pytest.fixture(scope="module")
def demo(tiny_gguf_path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process, url = _start_demo("--crate", str(CRATE), "--model", str(tiny_gguf_path), "--max-tokens", "16",
                               "--port", str(_free_port()))
    yield process, url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(chromium).exists(), "Debian's chromium is not installed: run scripts/install-editor-deps"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def screenshot_on_failure(page, tmp_path: Path) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        shot = tmp_path / "demo-failure.png"
        page.screenshot(path=str(shot), full_page=True)
        raise AssertionError(f"{error} (screenshot: {shot})") from error


def _expected_template_docs(code: str) -> list[tuple[str, str]]:
    """What the template engine writes for each undocumented pub item, as `///` lines."""
    source = RustSource(code)
    out = []
    for item in source.items():
        if item.doc is None and needs_doc(item):
            doc = document_item(DocRequest(item, context=prompt_context(source, item)), TemplateGenerator())
            out.append((item.label, render_doc_comment(doc.text, item.indent)))
    return out


def _shown(page, generator: str) -> list[tuple[str, str]]:
    return [
        (article.get_attribute("data-label"), article.locator(f'[data-generator="{generator}"] pre.comment').inner_text())
        for article in page.locator("article.item").all()
    ]


def test_page_shows_the_template_doc_for_each_item_of_a_submitted_file(demo, browser, tiny_gguf_path, tmp_path):
    _, url = demo
    code = (CRATE / "src" / "geometry.rs").read_text()
    expected = _expected_template_docs(code)
    assert len(expected) >= 5  # the fixture has consts, statics, fns, enums and a union without docs
    page = browser.new_page()
    with screenshot_on_failure(page, tmp_path):
        page.goto(url)
        page.fill("#code", code)
        page.click("#document")
        page.wait_for_selector("article.item", timeout=120_000)
        assert [label for label, _ in _shown(page, "template")] == [label for label, _ in expected]
        for (label, shown), (_, comment) in zip(_shown(page, "template"), expected):
            assert shown.strip("\n") == comment.strip("\n"), label
        model = f"model:{tiny_gguf_path.name}"
        assert all(text.lstrip().startswith("///") for _, text in _shown(page, model))  # the model's column, beside it
        findings = page.locator('[data-generator="template"] ul.findings').all()
        assert len(findings) == len(expected) and all(f.inner_text().strip() for f in findings)
        assert page.inner_text("#status") == f"{len(expected)} items"
    page.close()


def test_picking_a_crate_file_documents_it(demo, browser, tmp_path):
    _, url = demo
    page = browser.new_page()
    with screenshot_on_failure(page, tmp_path):
        page.goto(url)
        assert page.locator("#file option").all_inner_texts() == ["(paste below)", "src/geometry.rs", "src/lib.rs"]
        page.select_option("#file", "src/lib.rs")
        page.wait_for_selector("article.item", timeout=120_000)
        assert page.input_value("#code") == (CRATE / "src" / "lib.rs").read_text()
        expected = _expected_template_docs((CRATE / "src" / "lib.rs").read_text())
        assert [label for label, _ in _shown(page, "template")] == [label for label, _ in expected]
    page.close()


def test_copy_button_puts_the_doc_on_the_clipboard_as_doc_comment_lines(demo, browser, tmp_path):
    _, url = demo
    origin = url.rstrip("/")
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    page = context.new_page()
    with screenshot_on_failure(page, tmp_path):
        page.goto(url)
        page.fill("#code", "pub fn area(width: f64, height: f64) -> f64 {\n    width * height\n}\n")
        page.click("#document")
        page.wait_for_selector("article.item", timeout=120_000)
        column = page.locator('[data-generator="template"]').first
        column.locator("button.copy").click()
        page.wait_for_function("() => document.querySelector('button.copy').textContent === 'copied'")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == column.locator("pre.comment").inner_text() and copied.startswith("/// ")
    context.close()


def test_demo_listens_on_localhost_only(demo):
    import psutil

    process, url = demo
    assert url.startswith("http://127.0.0.1:")
    port = int(url.rsplit(":", 1)[1].strip("/"))
    listening = [c for c in psutil.Process(process.pid).net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN]
    assert [(c.laddr.ip, c.laddr.port) for c in listening] == [("127.0.0.1", port)]


def test_requests_for_another_host_name_are_refused(demo):
    import http.client

    _, url = demo
    port = int(url.rsplit(":", 1)[1].strip("/"))
    for host, status in (("rebound.example", 400), (f"127.0.0.1:{port}", 200), (f"localhost:{port}", 200)):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/api/files", headers={"Host": host})
        assert connection.getresponse().status == status, host  # a page elsewhere cannot reach it by DNS rebinding
        connection.close()


def test_a_missing_model_is_one_line_and_no_server(tmp_path):
    out = subprocess.run([sys.executable, "-m", "rustdoc_cli", "demo", "--model", str(tmp_path / "none.gguf"),
                          "--port", str(_free_port())], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and out.stdout == ""
    assert [line for line in out.stderr.splitlines() if line.strip()] == [f"error: model file not found: {tmp_path / 'none.gguf'}"]
