"""Docs written by a real pretrained model fine-tuned by our own trainer: SmolLM2-135M-Instruct
from its PyPI wheel, a few LoRA steps on Debian's globset (tests/support/real_models.py),
exported merged and as a GGUF LoRA adapter. `generate` and the server both write a doc with
it for a real item of a crate the model never saw (Debian's grep-matcher)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lsp_server.code_actions import ITEM_KIND
from rustdoc_core.docs.checker import check_doc
from rustdoc_core.docs.text import render_doc_comment
from rustdoc_core.generation.decode import DecodeOptions
from rustdoc_core.generation.generators import make_generator
from rustdoc_core.generation.pipeline import DocRequest, document_item
from rustdoc_core.generation.prompt import prompt_context
from rustdoc_core.rust.items import RustSource
from tests.support.lsp_client import apply_text_edits, edits_for, server_session

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # the fine-tuned fixture trains on first use

DECODE = DecodeOptions(max_tokens=64, context_size=2048, threads=2)
URI = "file:///work/grep-matcher/src/matched.rs"


@pytest.fixture(scope="module")
def real_item_file(debian_crate) -> str:
    """grep-matcher's `Match::with_start` (a method that can panic), undocumented, in its impl;
    the struct keeps a doc so the method is the one item to write (read from the crate at test time)."""
    source = RustSource((debian_crate("grep-matcher") / "src" / "lib.rs").read_text(encoding="utf-8"))
    method = next(i for i in source.items() if i.name == "with_start" and i.kind == "method")
    return (
        "/// The range of a match.\npub struct Match {\n    start: usize,\n    end: usize,\n}\n\n"
        f"impl Match {{\n{method.indent}{method.source}\n}}\n"
    )


def _method(text: str):
    return next(i for i in RustSource(text).items() if i.name == "with_start")


def _direct_doc(spec: str, text: str) -> tuple[str, str]:
    """(file with the doc inserted, origin), the generator called directly: what `generate` and the server must write."""
    source = RustSource(text)
    item = _method(text)
    generator = make_generator(spec, DECODE)
    try:
        doc = document_item(DocRequest(item, context=prompt_context(source, item)), generator)
    finally:
        generator.close()
    lines = text.split("\n")
    lines[item.doc_line : item.doc_line] = render_doc_comment(doc.text, item.indent).rstrip("\n").split("\n")
    return "\n".join(lines), doc.origin


def _decode_flags() -> list[str]:
    return ["--max-tokens", str(DECODE.max_tokens), "--context-size", str(DECODE.context_size), "--threads", "2"]


def _generate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rustdoc_cli", "generate", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("form", ["merged", "adapter"])
def test_generate_writes_the_fine_tuned_models_doc_for_a_real_item(
    form, real_item_file, smollm2_gguf, smollm2_finetuned_gguf, smollm2_adapter_gguf, tmp_path
):
    path = tmp_path / "lib.rs"
    path.write_text(real_item_file, encoding="utf-8")
    if form == "merged":
        spec, flags = f"model:{smollm2_finetuned_gguf}", ["--model", str(smollm2_finetuned_gguf)]
    else:
        spec = f"model:{smollm2_gguf}@{smollm2_adapter_gguf}"
        flags = ["--model", str(smollm2_gguf), "--adapter", str(smollm2_adapter_gguf)]
    expected, origin = _direct_doc(spec, real_item_file)

    done = _generate(str(path), "--write", *flags, *_decode_flags())
    assert done.returncode == 0, done.stderr
    written = path.read_text(encoding="utf-8")
    assert written == expected != real_item_file
    assert origin in ("model", "repaired", "template")
    item = _method(written)
    assert [f for f in check_doc(item, item.doc.text) if f.severity == "error"] == []


async def test_the_server_writes_the_adapters_doc_for_a_real_item(real_item_file, smollm2_gguf, smollm2_adapter_gguf):
    spec = f"model:{smollm2_gguf}@{smollm2_adapter_gguf}"
    expected, _ = _direct_doc(spec, real_item_file)
    item = _method(real_item_file)
    options = {"model": {"path": str(smollm2_gguf), "adapter": str(smollm2_adapter_gguf), "maxTokens": DECODE.max_tokens,
                         "contextSize": DECODE.context_size, "threads": 2}}
    async with server_session(initialization_options=options) as client:
        client.open(URI, real_item_file)
        line = real_item_file.split("\n")[item.start_line]
        action = (await client.code_actions(URI, (item.start_line, line.index("with_start")), only=[ITEM_KIND]))[0]
        resolved = await client.code_action_resolve_async(action)
        assert apply_text_edits(real_item_file, edits_for(resolved.edit, URI)) == expected
        assert client.messages == []  # base and adapter loaded: nothing to complain about


def test_an_adapter_on_another_base_is_refused_with_one_line(real_item_file, tiny_gguf_path, smollm2_adapter_gguf, tmp_path):
    path = tmp_path / "lib.rs"
    path.write_text(real_item_file, encoding="utf-8")
    done = _generate(str(path), "--model", str(tiny_gguf_path), "--adapter", str(smollm2_adapter_gguf))
    assert done.returncode != 0
    error = done.stderr.strip()
    assert error.count("\n") == 0 and "Traceback" not in error, error
    assert smollm2_adapter_gguf.name in error and "base" in error
    assert path.read_text(encoding="utf-8") == real_item_file
