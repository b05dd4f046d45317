"""Base models: what `--base-model` may name, and the architectures we train and export.

A base is a Hugging Face hub id, a local Hugging Face model directory, or a GGUF
file. A GGUF base is dequantized by transformers' GGUF loader, rebuilt as a plain
model (the loader marks it GGUF-quantized, which peft can wrap but nothing can
save) and written once as an ordinary model directory under the run, so training,
`export`'s merge and its checks treat it like any other directory. The GGUF's own
path is kept, because its tokenizer metadata is carried into the exported GGUF as is.

ARCHITECTURES is the one table of what is supported: a transformers class that
llama.cpp converts too, and the modules LoRA adapts by default.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rustdoc_core.atomic import atomic_path

log = logging.getLogger(__name__)

ATTENTION = ("q_proj", "k_proj", "v_proj", "o_proj")
GATED_MLP = ("gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class Architecture:
    hf_class: str  # transformers' class, as in config.json's "architectures"
    family: str  # how users call it
    lora_targets: tuple[str, ...]


ARCHITECTURES: dict[str, Architecture] = {
    a.hf_class: a
    for a in (
        Architecture("Qwen2ForCausalLM", "Qwen2 (Qwen2.5, Qwen2.5-Coder)", ATTENTION + GATED_MLP),
        Architecture("Qwen3ForCausalLM", "Qwen3", ATTENTION + GATED_MLP),
        Architecture("LlamaForCausalLM", "Llama (SmolLM2, CodeLlama, Llama 3)", ATTENTION + GATED_MLP),
        Architecture("MistralForCausalLM", "Mistral", ATTENTION + GATED_MLP),
        Architecture("Gemma3ForCausalLM", "Gemma 3", ATTENTION + GATED_MLP),
        Architecture("Starcoder2ForCausalLM", "StarCoder2", ATTENTION + ("c_fc", "c_proj")),
    )
}

GGUF_BASE_DIR = "base"  # RUN/base/: a GGUF base, rebuilt as a plain model directory
GGUF_SOURCE_FILE = "gguf_source.json"  # in that directory: which GGUF it came from


class UnsupportedArchitecture(ValueError):
    """A model whose architecture is not in ARCHITECTURES (the message names it)."""


def architecture(name: str | None, where: str) -> Architecture:
    """The table entry for a transformers class name; UnsupportedArchitecture names it otherwise."""
    if name in ARCHITECTURES:
        return ARCHITECTURES[name]  # type: ignore[index]
    supported = ", ".join(sorted(ARCHITECTURES))
    raise UnsupportedArchitecture(f"{where}: architecture {name!r} is not supported (supported: {supported})")


def config_architecture(config: Any, where: str) -> Architecture:
    """The architecture of a transformers config object or a config.json dict."""
    names = config.get("architectures") if isinstance(config, dict) else getattr(config, "architectures", None)
    return architecture((names or [None])[0], where)


def default_lora_targets(config: Any, where: str) -> tuple[str, ...]:
    return config_architecture(config, where).lora_targets


def is_gguf_file(base_model: str) -> bool:
    path = Path(base_model).expanduser()
    return path.suffix.lower() == ".gguf" and path.is_file()


def gguf_source(model_dir: str | Path) -> Path | None:
    """The GGUF file a materialized base directory was built from (None for any other model)."""
    record = Path(model_dir) / GGUF_SOURCE_FILE
    if not record.is_file():
        return None
    return Path(json.loads(record.read_text(encoding="utf-8"))["gguf"])


def materialize_gguf_base(gguf_path: str | Path, target: Path) -> Path:
    """Write the GGUF model at `gguf_path` as a plain f32 HF model directory at `target` (atomic; reused when there)."""
    gguf_path = Path(gguf_path).expanduser().resolve()
    if gguf_source(target) == gguf_path and (target / "config.json").is_file():
        return target
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    where = str(gguf_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise ValueError(f"cannot load GGUF base {where}: {str(error).strip().splitlines()[0]}") from None
    config = loaded.config
    config.architectures = [type(loaded).__name__]  # the GGUF loader leaves it unset
    arch = config_architecture(config, where)
    # The loader marks the model as GGUF-quantized; a plain model of the same class saves and merges normally.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.float32
    plain = getattr(transformers, arch.hf_class)(config)
    missing, unexpected = plain.load_state_dict(loaded.state_dict(), strict=False)
    # Tied output layers are absent from the state dict by design; anything else missing is a bug.
    missing = [m for m in missing if not (m == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or unexpected:
        raise ValueError(f"cannot rebuild GGUF base {where}: missing {missing[:3]}, unexpected {unexpected[:3]}")
    if config.tie_word_embeddings:
        plain.tie_weights()
    plain.generation_config = loaded.generation_config
    del loaded
    with atomic_path(target) as tmp:
        plain.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (Path(tmp) / GGUF_SOURCE_FILE).write_text(json.dumps({"gguf": str(gguf_path)}) + "\n", encoding="utf-8")
    log.info("GGUF base %s rebuilt as %s (%s)", gguf_path.name, target, arch.family)
    return target


@dataclass(frozen=True)
class ResolvedBase:
    """Where a base model's weights are read from, and what it was given as."""

    given: str  # as the user wrote it
    load_from: str  # hub id or model directory for from_pretrained
    gguf: Path | None  # the GGUF file, for a GGUF base

    @property
    def recorded(self) -> str:
        """What run.json names as the base: the GGUF file, the model directory, or the hub id (not its cache)."""
        if self.gguf is not None:
            return str(self.gguf)
        return self.load_from if Path(self.given).expanduser().is_dir() else self.given


def locate_base_model(base_model: str) -> str:
    """Where `base_model` is read from, checked before anything heavy loads: a GGUF file or a model directory
    (absolute), or a hub id: itself while the Hub answers, its cached snapshot when it does not. ValueError
    in one line for a missing file or directory, or a hub id neither reachable nor cached."""
    path = Path(base_model).expanduser()
    if is_gguf_file(base_model) or path.is_dir():
        return str(path.resolve())
    if path.suffix.lower() == ".gguf" or path.exists() or base_model.startswith((".", "/", "~")) or base_model.count("/") > 1:
        raise ValueError(f"base model {base_model}: no such GGUF file or model directory")
    return locate_hub_model(base_model)


def locate_hub_model(repo_id: str) -> str:
    """`repo_id` while the Hugging Face Hub answers; its cached snapshot when the Hub cannot be reached (or
    HF_HUB_OFFLINE is set), so loading it spends no time in retries; ValueError, as `model pull` words it,
    when it is in neither."""
    import os

    from lsp_server.model_cache import cache_dir, hub_unreachable, is_offline

    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    unreachable = None if is_offline() else hub_unreachable(endpoint)
    if unreachable is None and not is_offline():
        return repo_id
    from huggingface_hub import errors, snapshot_download

    why = "HF_HUB_OFFLINE is set" if unreachable is None else f"the Hugging Face Hub cannot be reached ({unreachable})"
    try:
        return snapshot_download(repo_id, local_files_only=True)
    except errors.HFValidationError:
        raise ValueError(f"base model {repo_id}: neither a GGUF file, a model directory nor a hub id") from None
    except (errors.LocalEntryNotFoundError, OSError):
        raise ValueError(
            f"cannot get base model {repo_id}: {why} and it is not in the cache ({cache_dir()}); "
            "give --base-model a GGUF file or a model directory"
        ) from None


def resolve_base_model(base_model: str, run_dir: Path | None, located: str | None = None) -> ResolvedBase:
    """A hub id stays (or becomes its cached snapshot, offline); a local directory is made absolute; a GGUF
    file is rebuilt under `run_dir/base/`. `located`: `locate_base_model(base_model)`, when already asked."""
    located = located or locate_base_model(base_model)
    if is_gguf_file(located):
        if run_dir is None:
            raise ValueError(f"base model {base_model}: a GGUF base needs a run directory to rebuild it in")
        directory = materialize_gguf_base(Path(located), run_dir / GGUF_BASE_DIR)
        return ResolvedBase(base_model, str(directory.resolve()), Path(located))
    if Path(located).is_dir():
        return ResolvedBase(base_model, located, gguf_source(located))
    return ResolvedBase(base_model, located, None)
