"""A tiny, randomly initialised Qwen2 model with the real Qwen2.5 tokenizer.

Same architecture and vocabulary as Qwen2.5-Coder (so training, the chat
template, GGUF conversion and llama.cpp's `qwen2` pre-tokenizer are exercised
for real) at 42M parameters, 39M of them the embedding. Row sizes are multiples
of 256 so every K-quant applies without fallbacks.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.qwen2_tokenizer import build_qwen2_tokenizer

TINY_QWEN2 = {
    "vocab_size": 151936,
    "hidden_size": 256,
    "intermediate_size": 768,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 64,
    "max_position_embeddings": 4096,
    "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "pad_token_id": 151643,
    "initializer_range": 0.02,
}


def tiny_hf_model(dest_dir: str | Path, seed: int = 0) -> Path:
    """Write a random tiny Qwen2 model (safetensors, config, tokenizer) into `dest_dir`."""
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    dest = Path(dest_dir)
    build_qwen2_tokenizer(dest)
    config = Qwen2Config(**TINY_QWEN2)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config).to(torch.float32)
    model.generation_config = GenerationConfig(
        bos_token_id=151643, eos_token_id=[151645, 151643], pad_token_id=151643, do_sample=False
    )
    model.save_pretrained(dest, safe_serialization=True)
    return dest


def tiny_gguf(dest_dir: str | Path, quant: str = "Q4_K_M", model_dir: str | Path | None = None, seed: int = 0) -> Path:
    """The tiny model exported to GGUF with the project's own exporter (`trainer.export`)."""
    from trainer.export import export_model

    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    source = Path(model_dir) if model_dir is not None else tiny_hf_model(dest / "hf", seed=seed)
    out = dest / f"tiny-qwen2-{quant.lower()}.gguf"
    export_model(source, out, quant=quant, verify=False)
    return out
