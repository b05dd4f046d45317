"""Every supported architecture exports to a GGUF that llama.cpp runs as the HF model does.

Tiny random models of each family (2 layers, rows of 256 so K-quants apply),
built in the test with a real tokenizer of the kind the family ships with:
Qwen2.5's for Qwen2 and Qwen3 (rebuilt offline from llama.cpp's vocab file),
SmolLM2's byte-level BPE and ChatML template for the others (as transformers
reads them from the real SmolLM2 GGUF). `export_model`
itself checks token ids on code, Unicode and special-token samples, and greedy
output at f16 against the HF model; these tests assert those checks ran and
passed, and that the result loads and answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer.base_models import ARCHITECTURES, UnsupportedArchitecture, architecture
from trainer.export import ExportError, export_model
from trainer.gguf_convert import read_metadata

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

SHAPE = {"hidden_size": 256, "intermediate_size": 768, "num_hidden_layers": 2, "num_attention_heads": 4,
         "max_position_embeddings": 2048}
TINY = {
    "LlamaForCausalLM": ("LlamaConfig", {"num_key_value_heads": 2, "head_dim": 64}),
    "MistralForCausalLM": ("MistralConfig", {"num_key_value_heads": 2, "head_dim": 64, "sliding_window": None}),
    "Qwen2ForCausalLM": ("Qwen2Config", {"num_key_value_heads": 2}),
    "Qwen3ForCausalLM": ("Qwen3Config", {"num_key_value_heads": 2, "head_dim": 64}),
    # Gemma3 as its real models are: query_pre_attn_scalar = head_dim (llama.cpp scales queries by
    # 1/sqrt(head_dim)), and llama.cpp's layer pattern (every 6th layer global: two layers are both local).
    # The tiny config's defaults (256, local then global) gave logits NMSE 0.15 off, which export rightly refused.
    "Gemma3ForCausalLM": ("Gemma3TextConfig", {"num_key_value_heads": 1, "head_dim": 64, "sliding_window": 512,
                                               "layer_types": ["sliding_attention", "sliding_attention"],
                                               "query_pre_attn_scalar": 64}),
    "Starcoder2ForCausalLM": ("Starcoder2Config", {"num_key_value_heads": 2, "intermediate_size": 1024}),
}


# The tokenizer each family is tried with, and the llama.cpp pre-tokenizer it must come out as.
QWEN_FAMILY = {"Qwen2ForCausalLM", "Qwen3ForCausalLM"}
PRE_TOKENIZER = {"qwen2": "qwen2", "smollm2": "smollm"}


@pytest.fixture(scope="session")
def smollm2_tokenizer_dir(smollm2_gguf, tmp_path_factory) -> Path:
    from transformers import AutoTokenizer

    out = tmp_path_factory.mktemp("smollm2-tokenizer")
    AutoTokenizer.from_pretrained(smollm2_gguf.parent, gguf_file=smollm2_gguf.name).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tokenizer_dirs(smollm2_tokenizer_dir, tmp_path_factory) -> dict[str, Path]:
    from tests.support.qwen2_tokenizer import build_qwen2_tokenizer

    qwen2 = tmp_path_factory.mktemp("qwen2-tokenizer")
    build_qwen2_tokenizer(qwen2)
    return {"qwen2": qwen2, "smollm2": smollm2_tokenizer_dir}


def tiny_model(hf_class: str, tokenizer_dir: Path, dest: Path) -> Path:
    """A random 2-layer model of `hf_class` with SmolLM2's tokenizer, saved as an HF dir."""
    import torch
    import transformers
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config_class, extra = TINY[hf_class]
    config = getattr(transformers, config_class)(
        **{**SHAPE, **extra}, vocab_size=len(tokenizer), tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = getattr(transformers, hf_class)(config)
    model.save_pretrained(dest, safe_serialization=True)
    tokenizer.save_pretrained(dest)
    return dest


def test_the_table_covers_the_families_people_use_for_code():
    assert set(TINY) == set(ARCHITECTURES)
    assert architecture("Starcoder2ForCausalLM", "x").lora_targets[-2:] == ("c_fc", "c_proj")
    with pytest.raises(UnsupportedArchitecture, match="'GPTNeoXForCausalLM' is not supported"):
        architecture("GPTNeoXForCausalLM", "some/model")


@pytest.mark.parametrize("hf_class", sorted(TINY))
def test_each_architecture_exports_to_a_verified_q4_k_m_gguf(hf_class, tokenizer_dirs, tmp_path):
    from llama_cpp import Llama

    family_tokenizer = "qwen2" if hf_class in QWEN_FAMILY else "smollm2"
    model_dir = tiny_model(hf_class, tokenizer_dirs[family_tokenizer], tmp_path / "hf")
    result = export_model(model_dir, tmp_path / "tiny.gguf", quant="Q4_K_M", keep_f16=tmp_path / "tiny-f16.gguf")
    check = result.check
    assert check is not None and check.ok, check.summary()
    assert check.parity is not None and check.parity.ok, check.summary()  # logits as llama.cpp's conversion check judges them
    assert check.tokenization_matches == check.tokenization_samples >= 8
    metadata = read_metadata(result.output)
    assert metadata["general.file_type"] == 15 and metadata["rustdoc_gen.prompt_rendering"] == "chat"
    assert metadata["tokenizer.ggml.pre"] == PRE_TOKENIZER[family_tokenizer]
    llm = Llama(model_path=str(result.output), n_ctx=512, verbose=False)
    try:
        reply = llm.create_chat_completion(messages=[{"role": "user", "content": "fn main() {}"}], max_tokens=4, temperature=0.0)
        assert reply["usage"]["completion_tokens"] > 0
    finally:
        llm.close()


def test_export_refuses_an_unsupported_architecture_by_name(smollm2_tokenizer_dir, tmp_path):
    model_dir = tiny_model("LlamaForCausalLM", smollm2_tokenizer_dir, tmp_path / "hf")
    config = json.loads((model_dir / "config.json").read_text())
    config["architectures"] = ["GPT2LMHeadModel"]
    (model_dir / "config.json").write_text(json.dumps(config))
    with pytest.raises(ExportError, match="'GPT2LMHeadModel' is not supported"):
        export_model(model_dir, tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()


def test_starcoder2_trains_with_its_own_lora_targets_and_exports_both_ways(smollm2_tokenizer_dir, globset_dataset, tmp_path):
    from llama_cpp import Llama

    from tests.support.real_models import cli

    model_dir = tiny_model("Starcoder2ForCausalLM", smollm2_tokenizer_dir, tmp_path / "hf")
    run_dir = tmp_path / "run"
    cli("-q", "train", "--dataset", str(globset_dataset), "--output", str(run_dir), "--base-model", str(model_dir),
        "--max-steps", "2", "--limit", "4", "--batch-size", "2", "--gradient-accumulation", "1", "--max-seq-len", "384",
        "--eval-limit", "0", "--learning-rate", "1e-2")
    adapter = json.loads((run_dir / "adapter" / "adapter_config.json").read_text())
    assert set(adapter["target_modules"]) == set(ARCHITECTURES["Starcoder2ForCausalLM"].lora_targets)
    run = json.loads((run_dir / "run.json").read_text())
    assert run["prompt_rendering"] == "chat" and run["lora_targets"] == list(ARCHITECTURES["Starcoder2ForCausalLM"].lora_targets)

    merged = export_model(run_dir, tmp_path / "merged.gguf", quant="Q8_0")
    assert merged.check is not None and merged.check.ok and merged.check.parity.ok, merged.check.summary()
    lora = export_model(run_dir, tmp_path / "lora.gguf", adapter_only=True)
    assert lora.check is not None and lora.check.ok, lora.check.summary()
    metadata = read_metadata(lora.output)
    assert metadata["general.type"] == "adapter" and metadata["adapter.type"] == "lora"
    assert metadata["rustdoc_gen.base.architecture"] == "starcoder2"
    assert (metadata["rustdoc_gen.base.block_count"], metadata["rustdoc_gen.base.embedding_length"]) == (2, 256)
    assert metadata["rustdoc_gen.base.vocab_size"] == 49152
    assert lora.output_bytes < merged.output_bytes / 4
    llm = Llama(model_path=str(merged.output), n_ctx=512, verbose=False)
    llm.close()
