"""Trained run (or plain HF model) -> one quantized GGUF the server loads.

Steps: merge the LoRA adapter into its base (`merge_and_unload`) and write HF
safetensors; convert to GGUF f16 with our writer (`trainer.gguf_convert`);
quantize with llama.cpp's own quantizer through llama-cpp-python; verify the
result (it loads, it chat-completes a held-back prompt, it tokenizes samples
exactly as the HF tokenizer does, its chat template is the tokenizer's); then
rename it into place. A failed check leaves no output behind.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rustdoc_core.atomic import atomic_path

log = logging.getLogger(__name__)

# llama.cpp's `llama_ftype` values for the quantizations offered.
QUANT_FTYPES = {"Q4_K_M": 15, "Q5_K_M": 17, "Q8_0": 7, "f16": 1}
DEFAULT_QUANT = "Q4_K_M"

# Strings whose tokenization must agree between llama.cpp and the HF tokenizer:
# code, Unicode, runs of whitespace and newlines, chat markers.
TOKENIZATION_SAMPLES = (
    "/// Returns the number of bytes in `self`.\npub fn len(&self) -> usize {\n    self.inner.len()\n}\n",
    "impl<'a, T: AsRef<[u8]> + ?Sized> Iterator for Lines<'a, T> {\n\ttype Item = &'a str;\n}",
    "  leading spaces,\ttabs\t\tand\n\n\nblank lines   \r\n trailing ",
    "Äpfel über naïve façades; 日本語のテキスト; emoji 🦀🚀; числа 12345678901",
    "<|im_start|>user\nWrite docs<|im_end|>\n<|im_start|>assistant\n",
    "# Errors\n\nReturns [`Error::Io`] if `path` can't be read (e.g. `ENOENT`).",
)

# A held-back item for the generation check when the run's dataset is not at hand.
SAMPLE_RUST = """\
use std::path::Path;

pub fn read_config(path: &Path) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}
"""


class ExportError(Exception):
    """The export cannot proceed or its result failed verification (one line, for the user)."""


@dataclass(frozen=True)
class ExportSource:
    kind: str  # "adapter" (a run dir or adapter dir) | "model" (a plain HF model dir)
    path: Path  # the adapter dir or the model dir
    run_dir: Path | None = None


@dataclass
class ExportCheck:
    loaded: bool = False
    tokenization_matches: int = 0
    tokenization_samples: int = 0
    chat_template_matches: bool = False
    generated_tokens: int = 0
    generated_text: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.loaded and not self.problems

    def summary(self) -> str:
        state = "passed" if self.ok else "FAILED"
        detail = (
            f"tokenization {self.tokenization_matches}/{self.tokenization_samples} samples identical, "
            f"chat template {'identical' if self.chat_template_matches else 'different'}, "
            f"generated {self.generated_tokens} tokens"
        )
        return f"{state}: {detail}" + (f" ({'; '.join(self.problems)})" if self.problems else "")


@dataclass
class ExportResult:
    output: Path
    quant: str
    f16_bytes: int
    output_bytes: int
    merged_dir: Path | None
    seconds: dict[str, float]
    check: ExportCheck | None

    @property
    def size_ratio(self) -> float:
        return self.output_bytes / self.f16_bytes if self.f16_bytes else 1.0


def resolve_source(path: str | Path) -> ExportSource:
    """What `path` is: a training run dir (adapter under `adapter/`), an adapter dir, or a plain HF model dir."""
    path = Path(path)
    if (path / "adapter" / "adapter_config.json").is_file():
        return ExportSource("adapter", path / "adapter", run_dir=path)
    if (path / "adapter_config.json").is_file():
        run_dir = path.parent if (path.parent / "run.json").is_file() else None
        return ExportSource("adapter", path, run_dir=run_dir)
    if (path / "config.json").is_file():
        return ExportSource("model", path)
    raise ExportError(
        f"{path} is neither a training run (adapter/adapter_config.json), an adapter dir, nor a Hugging Face model dir (config.json)"
    )


def adapter_base_model(adapter_dir: Path) -> str:
    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    base = config.get("base_model_name_or_path")
    if not base:
        raise ExportError(f"{adapter_dir}/adapter_config.json does not name its base model")
    return str(base)


def merge_adapter(adapter_dir: Path, out_dir: Path, base_model: str | None = None) -> Path:
    """Load the base model, apply the adapter, `merge_and_unload`, save safetensors + tokenizer to `out_dir` (atomic)."""
    import torch
    from peft import PeftModel
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    base = base_model or adapter_base_model(adapter_dir)
    try:
        stored_dtype = _config_dtype(AutoConfig.from_pretrained(base))
        # Merge in f32 so the adapter's small deltas are not rounded away, then store in the base's dtype.
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    except (OSError, ValueError) as error:
        raise ExportError(f"cannot load base model {base!r}: {str(error).splitlines()[0]}") from error
    merged = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
    tokenizer_source = adapter_dir if (adapter_dir / "tokenizer.json").is_file() else base
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_source)
    with atomic_path(out_dir) as tmp:
        merged.to(stored_dtype)
        merged.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
    return out_dir


def _config_dtype(config: Any):
    import torch

    dtype = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None)
    if isinstance(dtype, str):
        dtype = getattr(torch, dtype, None)
    return dtype if isinstance(dtype, torch.dtype) else torch.float32


def quantize_gguf(source: Path, target: Path, quant: str, *, threads: int | None = None, quiet: bool = True) -> None:
    """Quantize a GGUF file with llama.cpp's quantizer (in-process, through llama-cpp-python)."""
    import llama_cpp
    from llama_cpp._utils import suppress_stdout_stderr

    if quant not in QUANT_FTYPES:
        raise ExportError(f"--quant must be one of {', '.join(QUANT_FTYPES)}, not {quant!r}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = QUANT_FTYPES[quant]
    params.nthread = threads or os.cpu_count() or 1
    with suppress_stdout_stderr(disable=not quiet):
        status = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if status != 0 or not target.is_file():
        raise ExportError(f"llama.cpp failed to quantize {source.name} to {quant} (status {status})")


def held_back_messages(run_dir: Path | None) -> list[dict[str, str]]:
    """A prompt the model did not train on: the run's first test record, else a built-in sample item."""
    if run_dir is not None and (run_dir / "run.json").is_file():
        dataset = json.loads((run_dir / "run.json").read_text()).get("dataset", {}).get("path")
        for split in ("test.jsonl", "validation.jsonl"):
            path = Path(dataset) / split if dataset else None
            if path is not None and path.is_file():
                with open(path, encoding="utf-8") as handle:
                    line = handle.readline()
                if line.strip():
                    return list(json.loads(line)["prompt"])
    from rustdoc_core.prompt import build_messages, prompt_context
    from rustdoc_core.rust_items import RustSource

    source = RustSource(SAMPLE_RUST)
    item = source.items()[0]
    return build_messages(item, prompt_context(source, item))


def verify_gguf(
    gguf_path: Path,
    hf_dir: Path,
    messages: list[dict[str, str]],
    *,
    samples: Sequence[str] = TOKENIZATION_SAMPLES,
    max_tokens: int = 24,
    threads: int | None = None,
) -> ExportCheck:
    """Load the GGUF, compare its tokenizer and chat template with the HF tokenizer's, and chat-complete `messages`."""
    from llama_cpp import Llama
    from transformers import AutoTokenizer

    check = ExportCheck()
    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    try:
        llm = Llama(model_path=str(gguf_path), n_ctx=4096, n_threads=threads, seed=0, verbose=False)
    except (ValueError, RuntimeError) as error:
        check.problems.append(f"llama.cpp cannot load it: {error}")
        return check
    check.loaded = True
    try:
        prompt_text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        texts = [*samples, prompt_text]
        check.tokenization_samples = len(texts)
        for text in texts:
            expected = tokenizer.encode(text, add_special_tokens=False)
            got = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
            if list(got) == list(expected):
                check.tokenization_matches += 1
            else:
                check.problems.append(f"tokenization differs for {text[:30]!r}")
        template = llm.metadata.get("tokenizer.chat_template")
        check.chat_template_matches = template == tokenizer.chat_template
        if not check.chat_template_matches:
            check.problems.append("the GGUF's chat template differs from the tokenizer's")
        reply = llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0, seed=0)
        check.generated_tokens = int(reply["usage"]["completion_tokens"])
        check.generated_text = reply["choices"][0]["message"]["content"] or ""
        if check.generated_tokens == 0:
            check.problems.append("generated no tokens")
    finally:
        llm.close()
    return check


def export_model(
    source_path: str | Path,
    output: str | Path,
    *,
    quant: str = DEFAULT_QUANT,
    base_model: str | None = None,
    merged_dir: str | Path | None = None,
    keep_f16: str | Path | None = None,
    verify: bool = True,
    threads: int | None = None,
) -> ExportResult:
    """Export a run, adapter or HF model dir to a quantized GGUF at `output` (atomic; verified unless `verify=False`)."""
    from rustdoc_core.console import is_quiet, task_progress
    from trainer.gguf_convert import ConversionError, convert_to_gguf, tensor_count

    if quant not in QUANT_FTYPES:
        raise ExportError(f"--quant must be one of {', '.join(QUANT_FTYPES)}, not {quant!r}")
    output = Path(output)
    source = resolve_source(source_path)
    seconds: dict[str, float] = {}

    start = time.perf_counter()
    if source.kind == "adapter":
        target = Path(merged_dir) if merged_dir else (source.run_dir or source.path.parent) / "merged"
        log.info("Merging adapter %s into %s", source.path, base_model or adapter_base_model(source.path))
        hf_dir = merge_adapter(source.path, target, base_model)
        seconds["merge"] = time.perf_counter() - start
    else:
        hf_dir = source.path

    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{output.name}.", dir=output.parent) as work:
        f16_path = Path(work) / "model-f16.gguf"
        start = time.perf_counter()
        try:
            with task_progress("Converting to GGUF f16", tensor_count(hf_dir)) as advance:
                convert_to_gguf(hf_dir, f16_path, out_type="f16", name=output.stem, on_tensor=advance)
        except ConversionError as error:
            raise ExportError(str(error)) from error
        seconds["convert"] = time.perf_counter() - start
        f16_bytes = f16_path.stat().st_size

        if quant == "f16":
            final = f16_path
        else:
            final = Path(work) / f"model-{quant}.gguf"
            start = time.perf_counter()
            log.info("Quantizing to %s", quant)
            quantize_gguf(f16_path, final, quant, threads=threads, quiet=is_quiet() or log.getEffectiveLevel() > logging.DEBUG)
            seconds["quantize"] = time.perf_counter() - start

        check = None
        if verify:
            start = time.perf_counter()
            check = verify_gguf(final, hf_dir, held_back_messages(source.run_dir), threads=threads)
            seconds["verify"] = time.perf_counter() - start
            if not check.ok:
                raise ExportError(f"verification {check.summary()}; {output} not written")

        output_bytes = final.stat().st_size
        if keep_f16 and quant != "f16":
            with atomic_path(Path(keep_f16)) as tmp:
                shutil.copyfile(f16_path, tmp)
        with atomic_path(output) as tmp:
            os.replace(final, tmp)
    return ExportResult(
        output=output,
        quant=quant,
        f16_bytes=f16_bytes,
        output_bytes=output_bytes,
        merged_dir=hf_dir if source.kind == "adapter" else None,
        seconds=seconds,
        check=check,
    )


def describe(result: ExportResult) -> list[tuple[str, Any]]:
    """Rows for the summary table."""
    rows: list[tuple[str, Any]] = [
        ("output", str(result.output)),
        ("quantization", result.quant),
        ("f16 size", _size(result.f16_bytes)),
        (f"{result.quant} size", f"{_size(result.output_bytes)} ({result.size_ratio:.2f}x of f16)"),
    ]
    if result.merged_dir is not None:
        rows.append(("merged HF model", str(result.merged_dir)))
    for step, value in result.seconds.items():
        rows.append((f"{step} time", f"{value:.1f} s"))
    if result.check is not None:
        rows.append(("check", result.check.summary()))
        rows.append(("sample output", repr(result.check.generated_text[:80])))
    return rows


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"
