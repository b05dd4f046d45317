"""`trainer.export`: HF model -> GGUF (llama.cpp's converter) -> llama.cpp quantization -> verified file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rustdoc_core.generation.prompt import build_messages, prompt_context
from rustdoc_core.rust.items import RustSource
from trainer.export import ExportError, export_model, resolve_source
from trainer.gguf_convert import ConversionError, convert_to_gguf

pytestmark = pytest.mark.slow

RUST = "pub struct Counter { n: u64 }\n\nimpl Counter {\n    pub fn bump(&mut self) -> u64 {\n        self.n += 1;\n        self.n\n    }\n}\n"


def _messages():
    source = RustSource(RUST)
    item = next(i for i in source.items() if i.name == "bump")
    return build_messages(item, prompt_context(source, item))


def test_tiny_gguf_fixture_loads_and_chat_completes_with_its_own_template(tiny_gguf_path, tiny_model_dir):
    from llama_cpp import Llama
    from transformers import AutoTokenizer

    llm = Llama(model_path=str(tiny_gguf_path), n_ctx=2048, seed=0, verbose=False)
    try:
        tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
        assert llm.metadata["tokenizer.chat_template"] == tokenizer.chat_template
        assert llm.metadata["tokenizer.ggml.pre"] == "qwen2"
        assert llm.metadata["general.file_type"] == "15"  # LLAMA_FTYPE_MOSTLY_Q4_K_M
        prompt = tokenizer.apply_chat_template(_messages(), tokenize=False, add_generation_prompt=True)
        assert llm.tokenize(prompt.encode(), add_bos=False, special=True) == tokenizer.encode(prompt, add_special_tokens=False)
        reply = llm.create_chat_completion(messages=_messages(), max_tokens=8, temperature=0.0, seed=0)
        assert reply["usage"]["completion_tokens"] > 0
        assert reply["usage"]["prompt_tokens"] == len(tokenizer.encode(prompt, add_special_tokens=False))
    finally:
        llm.close()


def test_export_plain_model_dir_to_q8_0_verifies_and_is_smaller_than_f16(tiny_model_dir, tmp_path):
    result = export_model(tiny_model_dir, tmp_path / "tiny.gguf", quant="Q8_0")
    assert result.check is not None and result.check.ok, result.check.summary()
    assert result.check.tokenization_matches == result.check.tokenization_samples >= 7
    assert result.output.is_file() and result.output_bytes == result.output.stat().st_size
    assert 0.4 < result.size_ratio < 0.7  # Q8_0 is ~8.5 bits a weight vs 16
    assert result.merged_dir is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.gguf"]  # no temporaries left beside it


def test_export_refuses_a_directory_that_is_no_model(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(ExportError, match="neither a training run"):
        resolve_source(tmp_path)


def test_converter_refuses_unsupported_architecture_with_its_name(tiny_model_dir, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    config = json.loads((tiny_model_dir / "config.json").read_text())
    config["architectures"] = ["GPT2LMHeadModel"]
    (model / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConversionError, match="GPT2LMHeadModel"):
        convert_to_gguf(model, tmp_path / "x.gguf")


def test_export_command_rejects_unknown_quant_type(tiny_model_dir, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "rustdoc_cli", "export", str(tiny_model_dir), "-o", str(tmp_path / "m.gguf"), "--quant", "Q2_X"],
        capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "Q2_X" in result.stderr and not (tmp_path / "m.gguf").exists()
