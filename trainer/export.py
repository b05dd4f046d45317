"""Trained run (or plain HF model) -> one GGUF the server loads: merged and quantized, or a LoRA adapter.

Merged: merge the LoRA adapter into its base (`merge_and_unload`) and write HF
safetensors; convert to GGUF f16 with llama.cpp's converter (`trainer.gguf_convert`;
a base that came as a GGUF keeps that GGUF's tokenizer metadata as is); compare the
f16's logits with the HF model's (f32) on a held-back prompt, as llama.cpp's own
model-conversion check does (NMSE of the logits; top-1 and top-10 agreement are
reported beside it); quantize with llama.cpp's own quantizer; check the result (it
loads, it tokenizes samples exactly as the HF tokenizer does, its chat template is the
tokenizer's, it completes a held-back prompt); then rename it into place.

Adapter only (`adapter_only=True`): the LoRA adapter as a GGUF LoRA adapter
that runs on the user's base GGUF, with the base's identity in its metadata so
a mismatched base can be refused; checked by loading it on that base.

With `ollama=True` the adapter export also writes an Ollama Modelfile beside it: `FROM`
the base GGUF, `ADAPTER` the GGUF adapter (the way Ollama takes a Qwen2 LoRA).

Every GGUF written records the prompt rendering it was trained with
(`rustdoc_core.generation.prompt.GGUF_RENDERING_KEY`). All work happens in a temporary
directory beside the output, renamed into place at the end: a kill leaves the old file
or the new one, never a mix (the next export removes what a killed one left). A failed
check does not throw the work away: the file is kept as OUTPUT.failed-check.gguf and the
error says what was measured; OUTPUT itself is left as it was.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rustdoc_core.atomic import atomic_path
from trainer.run_dir import RunDir, RunDirError, read_adapter_config

log = logging.getLogger(__name__)

# llama.cpp's `llama_ftype` values for the quantizations offered.
QUANT_FTYPES = {"Q4_K_M": 15, "Q5_K_M": 17, "Q8_0": 7, "f16": 1}
DEFAULT_QUANT = "Q4_K_M"

# Where an adapter GGUF names the base it was trained on (the generator refuses another base).
BASE_IDENTITY_KEYS = {
    "architecture": "rustdoc_gen.base.architecture",
    "block_count": "rustdoc_gen.base.block_count",
    "embedding_length": "rustdoc_gen.base.embedding_length",
    "vocab_size": "rustdoc_gen.base.vocab_size",
}

# Strings whose tokenization must agree between llama.cpp and the HF tokenizer:
# code, Unicode, runs of whitespace and newlines, chat markers (the tokenizer's
# own special tokens are added to these by `tokenization_samples`).
TOKENIZATION_SAMPLES = (
    "/// Returns the number of bytes in `self`.\npub fn len(&self) -> usize {\n    self.inner.len()\n}\n",
    "impl<'a, T: AsRef<[u8]> + ?Sized> Iterator for Lines<'a, T> {\n\ttype Item = &'a str;\n}",
    "  leading spaces,\ttabs\t\tand\n\n\nblank lines   \r\n trailing ",
    "Äpfel über naïve façades; 日本語のテキスト; emoji 🦀🚀; числа 12345678901",
    "<|im_start|>user\nWrite docs<|im_end|>\n<|im_start|>assistant\n",
    "# Errors\n\nReturns [`Error::Io`] if `path` can't be read (e.g. `ENOENT`).",
)
PARITY_TOKENS = 8  # positions (the prompt's last, then the HF model's greedy continuation) whose logits are compared
PARITY_NMSE_MAX = 1e-2
"""The logits' normalized mean squared error below which llama.cpp's model-conversion check passes a conversion
(examples/model-conversion/scripts/utils/check-nmse.py: < 1e-2 "good", < 1e-4 "typical for good conversions").
Rounding weights to f16 moves logits by about 1e-6 of their variance and flips near-ties in greedy decoding; a
broken conversion (wrong tensor layout, rope, norm) moves them by 0.1 and more."""
FAILED_CHECK_SUFFIX = ".failed-check"

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
    run: RunDir | None = None  # the training run it came from

    def run_info(self) -> dict[str, Any]:
        """The run's run.json ({} without a run); ExportError in one line when it is corrupt."""
        if self.run is None:
            return {}
        try:
            return self.run.info()
        except RunDirError as error:
            raise ExportError(str(error)) from None


@dataclass(frozen=True)
class LogitParity:
    """How close the converted GGUF's logits are to the HF model's on the same tokens."""

    positions: int
    vocab: int  # logits compared per position
    nmse: float  # mean squared difference / variance of the HF logits (llama.cpp's check-nmse measure)
    max_abs_diff: float
    top1_agree: int  # positions whose most likely token is the same
    top10_overlap: float  # mean share of the HF top-10 tokens that are in the GGUF's top-10

    @property
    def ok(self) -> bool:
        return self.nmse < PARITY_NMSE_MAX

    def summary(self) -> str:
        return (f"f16 logits vs HF f32: NMSE {self.nmse:.1e} (passes below {PARITY_NMSE_MAX:g}), "
                f"max |diff| {self.max_abs_diff:.3f}, top-1 {self.top1_agree}/{self.positions}, "
                f"top-10 overlap {self.top10_overlap:.0%}")


@dataclass
class ExportCheck:
    loaded: bool = False
    tokenization_matches: int = 0
    tokenization_samples: int = 0
    chat_template_matches: bool = False
    parity: LogitParity | None = None  # None: not compared
    generated_tokens: int = 0
    generated_text: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.loaded and not self.problems

    def summary(self) -> str:
        state = "passed" if self.ok else "FAILED"
        parts = [f"tokenization {self.tokenization_matches}/{self.tokenization_samples} samples identical"]
        parts.append(f"chat template {'identical' if self.chat_template_matches else 'different'}")
        if self.parity is not None:
            parts.append(self.parity.summary())
        parts.append(f"generated {self.generated_tokens} tokens")
        return f"{state}: {', '.join(parts)}" + (f" ({'; '.join(self.problems)})" if self.problems else "")


@dataclass
class ExportResult:
    output: Path
    quant: str
    f16_bytes: int
    output_bytes: int
    merged_dir: Path | None
    seconds: dict[str, float]
    check: ExportCheck | None
    rendering: str = "chat"
    adapter_only: bool = False
    modelfile: Path | None = None  # the Ollama Modelfile written beside an adapter (--ollama)

    @property
    def size_ratio(self) -> float:
        return self.output_bytes / self.f16_bytes if self.f16_bytes else 1.0


def resolve_source(path: str | Path) -> ExportSource:
    """What `path` is: a training run dir (adapter under `adapter/`), an adapter dir, or a plain HF model dir."""
    path = Path(path)
    run = RunDir(path)
    if run.has_adapter():
        return ExportSource("adapter", run.adapter, run=run)
    if (path / "adapter_config.json").is_file():
        return ExportSource("adapter", path, run=RunDir.of_adapter(path))
    if (path / "config.json").is_file():
        return ExportSource("model", path)
    raise ExportError(
        f"{path} is neither a training run (adapter/adapter_config.json), an adapter dir, nor a Hugging Face model dir (config.json)"
    )


def adapter_base_model(adapter_dir: Path) -> str:
    """The base an adapter was trained on: as adapter_config.json names it, or the run's own `base/`
    (a GGUF base rebuilt there) when that path no longer exists because the run dir moved."""
    try:
        config = read_adapter_config(adapter_dir)
    except RunDirError as error:
        raise ExportError(str(error)) from None
    base = config.get("base_model_name_or_path")
    if not base:
        raise ExportError(f"{adapter_dir}/adapter_config.json does not name its base model")
    from trainer.base_models import GGUF_BASE_DIR

    moved = adapter_dir.parent / GGUF_BASE_DIR
    if Path(base).name == GGUF_BASE_DIR and not Path(base).exists() and (moved / "config.json").is_file():
        return str(moved.resolve())
    return str(base)


def source_rendering(source: ExportSource, hf_dir: Path) -> str:
    """The rendering the model was trained with: run.json's, else the tokenizer's (chat template or none)."""
    recorded = source.run_info().get("prompt_rendering")
    if recorded:
        return str(recorded)
    from transformers import AutoTokenizer

    return "chat" if AutoTokenizer.from_pretrained(hf_dir).chat_template else "plain"


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
        gguf_record = Path(base) / "gguf_source.json"
        if gguf_record.is_file():  # a GGUF base: its tokenizer metadata goes into the export as is
            shutil.copyfile(gguf_record, Path(tmp) / gguf_record.name)
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


def held_back_messages(source: ExportSource) -> list[dict[str, str]]:
    """A prompt the model did not train on: the run's first test record, else a built-in sample item."""
    dataset = (source.run_info().get("dataset") or {}).get("path")
    for split in ("test.jsonl", "validation.jsonl"):
        path = Path(dataset) / split if dataset else None
        if path is not None and path.is_file():
            with open(path, encoding="utf-8") as handle:
                line = handle.readline()
            if line.strip():
                return list(json.loads(line)["prompt"])
    from rustdoc_core.generation.prompt import build_messages, prompt_context
    from rustdoc_core.rust.items import RustSource

    source = RustSource(SAMPLE_RUST)
    item = source.items()[0]
    return build_messages(item, prompt_context(source, item))


def rendered_prompt(tokenizer: Any, messages: list[dict[str, str]], rendering: str) -> tuple[str, bool]:
    """The prompt text a model of `rendering` is asked `messages` with, and whether the tokenizer adds
    its special tokens (BOS) to it: the chat template writes its own, a plain prompt gets them as in training."""
    from rustdoc_core.generation.prompt import render_plain

    if rendering == "plain":
        return render_plain(messages), True
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True), False


def prompt_ids(tokenizer: Any, messages: list[dict[str, str]], rendering: str) -> list[int]:
    """The token ids a model of `rendering` is asked `messages` with (as training tokenized them)."""
    text, add_special = rendered_prompt(tokenizer, messages, rendering)
    return list(tokenizer(text, add_special_tokens=add_special)["input_ids"])


def tokenization_samples(tokenizer: Any) -> list[str]:
    specials = [t for t in tokenizer.all_special_tokens if t][:6]
    return [*TOKENIZATION_SAMPLES, "".join(f"{t}fn main() {{}}\n" for t in specials)]


def _open_llama(path: Path, *, threads: int | None, lora_path: Path | None = None, check: ExportCheck | None = None,
                n_ctx: int = 4096):
    from llama_cpp import Llama

    try:
        return Llama(model_path=str(path), lora_path=str(lora_path) if lora_path else None,
                     n_ctx=n_ctx, n_threads=threads, seed=0, verbose=False)
    except (ValueError, RuntimeError) as error:
        if check is not None:
            check.problems.append(f"llama.cpp cannot load it: {error}")
        return None


def _greedy_llama(llm: Any, ids: list[int], n: int) -> list[int]:
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    out: list[int] = []
    for token in llm.generate(ids, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0, reset=True):
        if llama_cpp.llama_vocab_is_eog(vocab, token) or len(out) >= n:
            break
        out.append(int(token))
    return out[:n]


def hf_logits(hf_dir: Path, ids: list[int], n: int = PARITY_TOKENS) -> tuple[list[int], Any]:
    """The HF model's greedy continuation of `ids` (f32, at most `n` tokens, stopping at its end of generation)
    and its raw logits at each of those steps: an array of (steps, vocab)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    model = AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32).eval()
    with torch.inference_mode():
        out = model.generate(torch.tensor([ids]), max_new_tokens=n, do_sample=False, output_logits=True,
                             return_dict_in_generate=True, pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
    continuation = [int(t) for t in out.sequences[0, len(ids):]]
    logits = torch.stack([step[0] for step in out.logits]).float().numpy()
    del model
    return continuation, logits


def llama_logits(llm: Any, ids: list[int], continuation: list[int]) -> Any:
    """llama.cpp's logits after `ids` and after each token of `continuation` but the last (teacher-forced, so the
    positions are the HF model's own): an array of (len(continuation), vocab)."""
    import numpy as np

    vocab = llm.n_vocab()
    rows = []
    llm.reset()
    for chunk in [ids, *([t] for t in continuation[:-1])]:
        llm.eval(chunk)
        rows.append(np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(vocab,)).copy())
    return np.stack(rows)


def compare_logits(reference: Any, test: Any) -> LogitParity:
    """llama.cpp's conversion measures over the positions' logits (the HF model's are the reference): NMSE,
    the largest difference, and whether the top-1 and top-10 tokens agree. A vocabulary padded on one side
    is compared over the tokens both have."""
    import numpy as np

    vocab = min(reference.shape[1], test.shape[1])
    reference, test = reference[:, :vocab].astype(np.float64), test[:, :vocab].astype(np.float64)
    mse = float(np.mean((test - reference) ** 2))
    variance = float(np.var(reference))
    nmse = mse / variance if variance > 0 else (0.0 if mse == 0 else float("inf"))
    top1 = int(np.sum(reference.argmax(axis=1) == test.argmax(axis=1)))
    top10_ref, top10_test = np.argsort(-reference, axis=1)[:, :10], np.argsort(-test, axis=1)[:, :10]
    overlap = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(top10_ref, top10_test)]))
    return LogitParity(positions=len(reference), vocab=vocab, nmse=nmse, max_abs_diff=float(np.max(np.abs(test - reference))),
                       top1_agree=top1, top10_overlap=overlap)


def check_logit_parity(f16_path: Path, hf_dir: Path, ids: list[int], check: ExportCheck, *, threads: int | None) -> None:
    """The f16 GGUF's logits must match the HF model's within llama.cpp's conversion tolerance (PARITY_NMSE_MAX)."""
    continuation, expected = hf_logits(hf_dir, ids)
    if not continuation:
        return  # the model ends its answer at once: nothing to compare but the prompt, which the tokenizer check covers
    llm = _open_llama(f16_path, threads=threads, check=check, n_ctx=len(ids) + len(continuation) + 8)
    if llm is None:
        return
    try:
        got = llama_logits(llm, ids, continuation)
    finally:
        llm.close()
    check.parity = compare_logits(expected, got)
    if not check.parity.ok:
        check.problems.append(f"the f16 GGUF's logits differ from the HF model's: {check.parity.summary()}")


def verify_gguf(
    gguf_path: Path,
    hf_dir: Path,
    messages: list[dict[str, str]],
    *,
    rendering: str = "chat",
    samples: Sequence[str] | None = None,
    max_tokens: int = 24,
    threads: int | None = None,
    lora_path: Path | None = None,
    check: ExportCheck | None = None,
) -> ExportCheck:
    """Load the GGUF (with `lora_path` applied), compare its tokenizer, chat template and rendering
    with the HF side's, and complete the prompt of `messages` greedily."""
    from transformers import AutoTokenizer

    from rustdoc_core.generation.prompt import GGUF_RENDERING_KEY

    check = check or ExportCheck()
    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    llm = _open_llama(gguf_path, threads=threads, lora_path=lora_path, check=check)
    if llm is None:
        return check
    check.loaded = True
    try:
        prompt_text, add_special = rendered_prompt(tokenizer, messages, rendering)
        ids = prompt_ids(tokenizer, messages, rendering)
        texts = list(samples if samples is not None else tokenization_samples(tokenizer))
        check.tokenization_samples = len(texts) + 1
        for text in texts:
            expected = tokenizer.encode(text, add_special_tokens=False)
            got = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
            if list(got) == list(expected):
                check.tokenization_matches += 1
            else:
                check.problems.append(f"tokenization differs for {text[:30]!r}")
        # llama.cpp adds BOS when asked and the GGUF says so; the HF tokenizer when its config says so.
        if list(llm.tokenize(prompt_text.encode("utf-8"), add_bos=add_special, special=True)) == ids:
            check.tokenization_matches += 1
        else:
            check.problems.append("tokenization differs for the prompt")
        template = llm.metadata.get("tokenizer.chat_template")
        check.chat_template_matches = (template or None) == (tokenizer.chat_template or None)
        if rendering == "chat" and not check.chat_template_matches:
            check.problems.append("the GGUF's chat template differs from the tokenizer's")
        model_metadata = llm.metadata if lora_path is None else _adapter_metadata(lora_path)
        if model_metadata.get(GGUF_RENDERING_KEY) != rendering:
            check.problems.append(f"{GGUF_RENDERING_KEY} is {model_metadata.get(GGUF_RENDERING_KEY)!r}, not {rendering!r}")
        reply = _greedy_llama(llm, ids, max_tokens)
        check.generated_tokens = len(reply)
        check.generated_text = llm.detokenize(reply).decode("utf-8", errors="replace")
        if check.generated_tokens == 0:
            check.problems.append("generated no tokens")
    finally:
        llm.close()
    return check


def _adapter_metadata(path: Path) -> dict[str, Any]:
    from trainer.gguf_convert import read_metadata

    return read_metadata(path, "rustdoc_gen.")


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
    adapter_only: bool = False,
    base_gguf: str | Path | None = None,
    ollama: bool = False,
) -> ExportResult:
    """Export a run, adapter or HF model dir to a quantized GGUF at `output` (atomic; verified unless `verify=False`).

    With `adapter_only`, write the run's LoRA adapter as a GGUF LoRA adapter instead, checked on
    `base_gguf` (default: the GGUF the run's base came from, else the base converted for the check);
    with `ollama` too, an Ollama Modelfile beside it (`FROM` the base GGUF, `ADAPTER` the adapter).
    """
    if quant not in QUANT_FTYPES:
        raise ExportError(f"--quant must be one of {', '.join(QUANT_FTYPES)}, not {quant!r}")
    output = Path(output)
    source = resolve_source(source_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    if ollama and not adapter_only:
        raise ExportError("--ollama writes a Modelfile for the GGUF adapter on its base: add --adapter-only")
    if adapter_only:
        if source.kind != "adapter":
            raise ExportError(f"--adapter-only needs a training run or an adapter dir; {source.path} is a plain model")
        return _export_adapter(source, output, base_model=base_model, verify=verify, threads=threads,
                               base_gguf=Path(base_gguf) if base_gguf else None, ollama=ollama)
    return _export_merged(source, output, quant=quant, base_model=base_model, merged_dir=merged_dir,
                          keep_f16=keep_f16, verify=verify, threads=threads)


def failed_check_path(output: Path) -> Path:
    """Where a file that failed its check is kept: OUTPUT.failed-check.gguf."""
    return output.with_name(output.stem + FAILED_CHECK_SUFFIX + output.suffix)


def _place(final: Path, output: Path, placed: Path, check: ExportCheck | None) -> None:
    """Rename the finished file onto `output` (`placed`: atomic_path's temporary for it); a file that failed its
    check goes to OUTPUT.failed-check.gguf instead, and the error says what was measured."""
    if check is not None and not check.ok:
        kept = failed_check_path(output)
        os.replace(final, kept)
        raise ExportError(f"check {check.summary()}; the file is kept as {kept} ({output} left as it was)")
    failed_check_path(output).unlink(missing_ok=True)  # an earlier failure's file, now superseded
    os.replace(final, placed)


def _export_merged(source: ExportSource, output: Path, *, quant: str, base_model: str | None, merged_dir: Any,
                   keep_f16: Any, verify: bool, threads: int | None) -> ExportResult:
    seconds: dict[str, float] = {}
    hf_dir = _merged_model(source, base_model, merged_dir, seconds)
    rendering = source_rendering(source, hf_dir)
    messages = held_back_messages(source)
    # The work happens in atomic_path's temporary directory beside `output`: a kill leaves the old file.
    with atomic_path(output) as placed:
        work = placed.parent
        f16_path = _timed(seconds, "convert", _convert_f16, hf_dir, work / "model-f16.gguf", output.stem, rendering)
        check = ExportCheck() if verify else None
        if check is not None:
            from transformers import AutoTokenizer

            ids = prompt_ids(AutoTokenizer.from_pretrained(hf_dir), messages, rendering)
            _timed(seconds, "parity", check_logit_parity, f16_path, hf_dir, ids, check, threads=threads)
        final = f16_path if quant == "f16" else _timed(seconds, "quantize", _quantized, f16_path, work, quant, threads)
        if check is not None:
            _timed(seconds, "verify", verify_gguf, final, hf_dir, messages, rendering=rendering, threads=threads, check=check)
        sizes = (f16_path.stat().st_size, final.stat().st_size)
        if keep_f16 and quant != "f16":
            with atomic_path(Path(keep_f16)) as tmp:
                shutil.copyfile(f16_path, tmp)
        _place(final, output, placed, check)
    return ExportResult(
        output=output, quant=quant, f16_bytes=sizes[0], output_bytes=sizes[1],
        merged_dir=hf_dir if source.kind == "adapter" else None, seconds=seconds, check=check, rendering=rendering,
    )


def _timed(seconds: dict[str, float], step: str, function: Any, *args: Any, **kwargs: Any) -> Any:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    seconds[step] = time.perf_counter() - start
    return result


def _merged_model(source: ExportSource, base_model: str | None, merged_dir: Any, seconds: dict[str, float]) -> Path:
    """The HF model to convert: the adapter merged into its base (RUN/merged by default), or the model dir itself."""
    if source.kind != "adapter":
        return source.path
    target = Path(merged_dir) if merged_dir else (source.run.merged if source.run else source.path.parent / RunDir.MERGED)
    log.info("Merging adapter %s into %s", source.path, base_model or adapter_base_model(source.path))
    return _timed(seconds, "merge", merge_adapter, source.path, target, base_model)


def _convert_f16(hf_dir: Path, f16_path: Path, name: str, rendering: str) -> Path:
    from rustdoc_core.generation.prompt import GGUF_RENDERING_KEY
    from trainer.base_models import gguf_source
    from trainer.gguf_convert import ConversionError, convert_to_gguf

    log.info("Converting %s to GGUF f16 (llama.cpp's converter)", hf_dir)
    try:
        convert_to_gguf(hf_dir, f16_path, out_type="f16", name=name,
                        metadata={GGUF_RENDERING_KEY: rendering}, tokenizer_from=gguf_source(hf_dir))
    except ConversionError as error:
        raise ExportError(str(error)) from error
    return f16_path


def _quantized(f16_path: Path, work: Path, quant: str, threads: int | None) -> Path:
    from rustdoc_console import is_quiet

    final = work / f"model-{quant}.gguf"
    log.info("Quantizing to %s", quant)
    quantize_gguf(f16_path, final, quant, threads=threads, quiet=is_quiet() or log.getEffectiveLevel() > logging.DEBUG)
    return final


def base_identity(base_dir: Path, architecture: str) -> dict[str, Any]:
    """What an adapter GGUF records of its base (BASE_IDENTITY_KEYS), from the base's config.json."""
    config = json.loads((base_dir / "config.json").read_text())
    config = config.get("text_config", config)
    return {
        BASE_IDENTITY_KEYS["architecture"]: architecture,
        BASE_IDENTITY_KEYS["block_count"]: int(config["num_hidden_layers"]),
        BASE_IDENTITY_KEYS["embedding_length"]: int(config["hidden_size"]),
        BASE_IDENTITY_KEYS["vocab_size"]: int(config["vocab_size"]),
    }


def _export_adapter(source: ExportSource, output: Path, *, base_model: str | None, verify: bool,
                    threads: int | None, base_gguf: Path | None, ollama: bool) -> ExportResult:
    from trainer.base_models import gguf_source

    base = Path(base_model or adapter_base_model(source.path))
    if not (base / "config.json").is_file():
        raise ExportError(f"--adapter-only needs the base model as a local directory; {base} is not one (give --base-model DIR)")
    on_base = base_gguf or gguf_source(base)
    if ollama and on_base is None:
        raise ExportError(f"--ollama needs the base as a GGUF file for the Modelfile's FROM; {base} came from no GGUF: "
                          "give --base-gguf BASE.gguf")
    rendering = source_rendering(source, base)
    seconds: dict[str, float] = {}
    with atomic_path(output) as placed:
        work = placed.parent
        final = _timed(seconds, "convert", _convert_adapter, source.path, base, work, rendering)
        check = None
        if verify:
            check_on = on_base or _timed(seconds, "convert base", _convert_base_for_check, base, work, rendering)
            check = _timed(seconds, "verify", verify_gguf, check_on, base, held_back_messages(source), rendering=rendering,
                           threads=threads, lora_path=final)
        size = final.stat().st_size
        _place(final, output, placed, check)
    modelfile = write_ollama_modelfile(output, on_base, rendering) if ollama else None  # type: ignore[arg-type]
    return ExportResult(output=output, quant="f16", f16_bytes=size, output_bytes=size, merged_dir=None,
                        seconds=seconds, check=check, rendering=rendering, adapter_only=True, modelfile=modelfile)


def _convert_adapter(adapter_dir: Path, base: Path, work: Path, rendering: str) -> Path:
    """The peft adapter as a GGUF LoRA adapter, tagged with the rendering and its base's identity."""
    from rustdoc_core.generation.prompt import GGUF_RENDERING_KEY
    from trainer.gguf_convert import ConversionError, convert_lora_to_gguf, read_metadata, set_metadata

    converted = work / "adapter.gguf"
    final = work / "adapter-tagged.gguf"
    try:
        convert_lora_to_gguf(adapter_dir, base, converted, out_type="f16")
        architecture = read_metadata(converted, "general.architecture")["general.architecture"]
        set_metadata(converted, final, {GGUF_RENDERING_KEY: rendering, **base_identity(base, architecture)})
    except ConversionError as error:
        raise ExportError(str(error)) from error
    return final


def _convert_base_for_check(base: Path, work: Path, rendering: str) -> Path:
    """An HF base, converted once to f16 for the adapter's check only."""
    from rustdoc_core.generation.prompt import GGUF_RENDERING_KEY
    from trainer.gguf_convert import ConversionError, convert_to_gguf

    on_base = work / "base-f16.gguf"
    try:
        convert_to_gguf(base, on_base, out_type="f16", metadata={GGUF_RENDERING_KEY: rendering})
    except ConversionError as error:
        raise ExportError(str(error)) from error
    return on_base


def ollama_modelfile(base_gguf: Path, adapter: Path, rendering: str) -> str:
    """An Ollama Modelfile: `FROM` the base GGUF, `ADAPTER` the GGUF LoRA adapter (absolute paths), greedy
    decoding as rustdoc-gen asks. Ollama reads the chat template from the base GGUF; a model trained on plain
    prompts is asked the prompt as is."""
    lines = [
        "# Written by `rustdoc-gen export --adapter-only --ollama`: the base GGUF with this LoRA adapter.",
        f"# ollama create {adapter.stem} -f {modelfile_path(adapter).name}",
        f"FROM {Path(base_gguf).resolve()}",
        f"ADAPTER {Path(adapter).resolve()}",
        "PARAMETER temperature 0",
        "PARAMETER num_ctx 4096",
    ]
    if rendering == "plain":
        lines.append('TEMPLATE """{{ .Prompt }}"""')
    return "\n".join(lines) + "\n"


def modelfile_path(adapter: Path) -> Path:
    """OUTPUT.Modelfile, beside the adapter."""
    return adapter.with_name(adapter.stem + ".Modelfile")


def write_ollama_modelfile(adapter: Path, base_gguf: Path, rendering: str) -> Path:
    from rustdoc_core.atomic import write_text_atomic

    target = modelfile_path(adapter)
    write_text_atomic(target, ollama_modelfile(base_gguf, adapter, rendering))
    return target


def describe(result: ExportResult) -> list[tuple[str, Any]]:
    """Rows for the summary table."""
    rows: list[tuple[str, Any]] = [("output", str(result.output))]
    if result.adapter_only:
        rows.append(("kind", "LoRA adapter (f16); run it with its base: --model BASE.gguf --adapter THIS.gguf"))
        rows.append(("size", _size(result.output_bytes)))
    else:
        rows += [
            ("quantization", result.quant),
            ("f16 size", _size(result.f16_bytes)),
            (f"{result.quant} size", f"{_size(result.output_bytes)} ({result.size_ratio:.2f}x of f16)"),
        ]
    rows.append(("prompt rendering", result.rendering))
    if result.merged_dir is not None:
        rows.append(("merged HF model", str(result.merged_dir)))
    for step, value in result.seconds.items():
        rows.append((f"{step} time", f"{value:.1f} s"))
    if result.modelfile is not None:
        rows.append(("Ollama Modelfile", f"{result.modelfile} (ollama create NAME -f {result.modelfile})"))
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
