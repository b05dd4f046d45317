"""HF checkpoint -> GGUF (f16/f32), written with the `gguf` package.

A Qwen2 model directory (config.json, *.safetensors, tokenizer.json with its
chat template) becomes one GGUF file that llama.cpp loads and tokenizes exactly
as the HF tokenizer does: the byte-level BPE vocabulary and merges, the `qwen2`
pre-tokenizer, the special token ids and the chat template all travel in the
file's metadata. Tensor names come from gguf's own qwen2 name map, so nothing
from llama.cpp's source tree is needed at run time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# The GGUF architecture each supported HF architecture maps to.
SUPPORTED_ARCHITECTURES = {"Qwen2ForCausalLM": "qwen2"}

# Qwen2's pre-tokenizer split: a tokenizer that splits differently would
# tokenize differently in llama.cpp under the `qwen2` pre-tokenizer, so it is refused.
QWEN2_SPLIT_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

OUT_TYPES = ("f16", "f32")


class ConversionError(Exception):
    """The model directory cannot be converted (one line, for the user)."""


@dataclass(frozen=True)
class GGUFConversion:
    path: Path
    architecture: str
    tensors: int
    parameters: int
    vocab_size: int
    bytes: int


def convert_to_gguf(
    model_dir: str | Path,
    out_path: str | Path,
    *,
    out_type: str = "f16",
    name: str | None = None,
    on_tensor: Callable[[int], None] | None = None,
) -> GGUFConversion:
    """Convert the HF model in `model_dir` to a GGUF file at `out_path` (written in place: callers make it atomic)."""
    import gguf

    model_dir, out_path = Path(model_dir), Path(out_path)
    if out_type not in OUT_TYPES:
        raise ConversionError(f"out_type must be one of {', '.join(OUT_TYPES)}, not {out_type!r}")
    config = _read_config(model_dir)
    arch_name = SUPPORTED_ARCHITECTURES[config["architectures"][0]]
    n_blocks = int(config["num_hidden_layers"])
    writer = gguf.GGUFWriter(out_path, arch_name)
    try:
        _write_hparams(writer, config, name or config.get("_name_or_path") or model_dir.name, out_type)
        vocab_size = _write_tokenizer(writer, model_dir, int(config["vocab_size"]))
        names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN2, n_blocks)
        tensors = parameters = 0
        for hf_name, array in _converted_tensors(model_dir, config, out_type):
            gguf_name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
            if gguf_name is None:
                raise ConversionError(f"no GGUF name for tensor {hf_name!r} in {model_dir}")
            writer.add_tensor(gguf_name, array)
            tensors += 1
            parameters += array.size
            if on_tensor is not None:
                on_tensor(1)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()
    return GGUFConversion(out_path, arch_name, tensors, parameters, vocab_size, out_path.stat().st_size)


def tensor_count(model_dir: str | Path) -> int:
    """How many tensors `convert_to_gguf` will write (for a progress bar)."""
    from safetensors import safe_open

    config = _read_config(Path(model_dir))
    count = 0
    for file in _safetensors_files(Path(model_dir)):
        with safe_open(file, framework="pt") as handle:
            count += sum(1 for name in handle.keys() if not _skipped(name, config))
    return count


def _read_config(model_dir: Path) -> dict[str, Any]:
    path = model_dir / "config.json"
    if not path.is_file():
        raise ConversionError(f"{model_dir} is not a Hugging Face model directory (no config.json)")
    config = json.loads(path.read_text())
    archs = config.get("architectures") or []
    if not archs or archs[0] not in SUPPORTED_ARCHITECTURES:
        raise ConversionError(
            f"{model_dir}: architecture {archs[0] if archs else None!r} is not supported "
            f"(supported: {', '.join(SUPPORTED_ARCHITECTURES)})"
        )
    return config


def _rope_theta(config: dict[str, Any]) -> float:
    # transformers 5 nests it under rope_parameters; older configs keep it at the top.
    params = config.get("rope_parameters") or {}
    return float(params.get("rope_theta", config.get("rope_theta", 10000.0)))


def _write_hparams(writer: Any, config: dict[str, Any], name: str, out_type: str) -> None:
    import gguf

    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    writer.add_name(name)
    writer.add_context_length(int(config.get("max_position_embeddings", 32768)))
    writer.add_embedding_length(hidden)
    writer.add_block_count(int(config["num_hidden_layers"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_head_count(heads)
    writer.add_head_count_kv(int(config.get("num_key_value_heads", heads)))
    head_dim = int(config.get("head_dim") or hidden // heads)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_rope_freq_base(_rope_theta(config))
    writer.add_layer_norm_rms_eps(float(config.get("rms_norm_eps", 1e-6)))
    scaling = config.get("rope_scaling") or {}
    rope_type = scaling.get("rope_type", scaling.get("type"))
    if rope_type == "yarn":
        writer.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        writer.add_rope_scaling_factor(float(scaling["factor"]))
        writer.add_rope_scaling_orig_ctx_len(int(scaling["original_max_position_embeddings"]))
    elif rope_type == "linear":
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(scaling["factor"]))
    elif rope_type not in (None, "default"):
        raise ConversionError(f"{name}: rope scaling {rope_type!r} is not supported")
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if out_type == "f16" else gguf.LlamaFileType.ALL_F32)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)


def _write_tokenizer(writer: Any, model_dir: Path, vocab_size: int) -> int:
    """Vocabulary, merges, special ids and chat template; returns the vocabulary size written."""
    import gguf
    from transformers import AutoTokenizer

    tokenizer_json = model_dir / "tokenizer.json"
    if not tokenizer_json.is_file():
        raise ConversionError(f"{model_dir} has no tokenizer.json (a fast byte-level BPE tokenizer is needed)")
    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    if (spec.get("model") or {}).get("type") != "BPE":
        raise ConversionError(f"{model_dir}: tokenizer model is {spec.get('model', {}).get('type')!r}, expected BPE")
    pattern = _split_pattern(spec.get("pre_tokenizer"))
    if pattern != QWEN2_SPLIT_REGEX:
        raise ConversionError(f"{model_dir}: the tokenizer's pre-tokenizer is not Qwen2's; cannot mark it 'qwen2' for llama.cpp")

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    vocab = tokenizer.get_vocab()
    if max(vocab.values()) >= vocab_size:
        raise ConversionError(f"{model_dir}: tokenizer has ids beyond the model's vocab_size {vocab_size}")
    reverse = {i: t for t, i in vocab.items()}
    added = tokenizer.added_tokens_decoder
    tokens: list[str] = []
    types: list[int] = []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
        elif i in added:
            token = reverse[i]
            tokens.append(token)
            # `<|fim_prefix|>` and kin are added as not special, yet llama.cpp must treat them as control tokens.
            control = added[i].special or (token.startswith("<|") and token.endswith("|>"))
            types.append(gguf.TokenType.CONTROL if control else gguf.TokenType.USER_DEFINED)
        else:
            tokens.append(reverse[i])
            types.append(gguf.TokenType.NORMAL)
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"].get("merges", [])]

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    endoftext = vocab.get("<|endoftext|>")
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else endoftext
    if bos is not None:
        writer.add_bos_token_id(int(bos))
    if tokenizer.eos_token_id is None:
        raise ConversionError(f"{model_dir}: the tokenizer has no eos token")
    writer.add_eos_token_id(int(tokenizer.eos_token_id))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else endoftext
    if pad is not None:
        writer.add_pad_token_id(int(pad))
    writer.add_add_bos_token(False)
    writer.add_add_eos_token(False)
    template = tokenizer.chat_template
    if not template:
        raise ConversionError(f"{model_dir}: the tokenizer has no chat template; the GGUF would not know how to prompt")
    if isinstance(template, dict):  # several named templates: keep the default
        template = template.get("default") or next(iter(template.values()))
    writer.add_chat_template(template)
    return vocab_size


def _split_pattern(pre_tokenizer: dict[str, Any] | None) -> str | None:
    if not pre_tokenizer:
        return None
    if pre_tokenizer.get("type") == "Split":
        return (pre_tokenizer.get("pattern") or {}).get("Regex")
    for child in pre_tokenizer.get("pretokenizers") or []:
        found = _split_pattern(child)
        if found is not None:
            return found
    return None


def _safetensors_files(model_dir: Path) -> list[Path]:
    index = model_dir / "model.safetensors.index.json"
    if index.is_file():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        return [model_dir / s for s in shards]
    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise ConversionError(f"{model_dir} has no *.safetensors weights")
    return files


def _skipped(name: str, config: dict[str, Any]) -> bool:
    # Tied embeddings: llama.cpp reuses token_embd for the output layer.
    return (name == "lm_head.weight" and config.get("tie_word_embeddings", False)) or name.endswith("rotary_emb.inv_freq")


def _converted_tensors(model_dir: Path, config: dict[str, Any], out_type: str) -> Iterator[tuple[str, Any]]:
    import torch
    from safetensors import safe_open

    for file in _safetensors_files(model_dir):
        with safe_open(file, framework="pt") as handle:
            for name in handle.keys():
                if _skipped(name, config):
                    continue
                tensor = handle.get_tensor(name)
                # Norms and biases stay f32 (llama.cpp expects them so); matrices take the out type.
                dtype = torch.float16 if out_type == "f16" and tensor.ndim >= 2 else torch.float32
                yield name, tensor.to(dtype).contiguous().numpy()
