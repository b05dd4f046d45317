"""Real pretrained models end to end: a GGUF as the base, LoRA on a mined crate, GGUF and adapter export.

SmolLM2-135M-Instruct (Llama architecture, ChatML) from its PyPI wheel is
fine-tuned for a few steps by `rustdoc-gen train --base-model FILE.gguf` on
Debian's globset (the shared `smollm2_finetuned_run` fixture), then exported
merged (Q4_K_M) and as a GGUF LoRA adapter. Gemma-3-270M (base, no chat
template) goes the same way with the plain rendering. A real fine-tune of 40
steps, of SmolLM2 and of Qwen2.5-Coder-0.5B, passes export's conversion check,
which judges logits as llama.cpp's own check does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.real_models import SMOLLM2_TRAIN_STEPS
from trainer.gguf_convert import read_metadata

# The shared fixtures train and export before the first test: more than pytest's default per-test limit on a busy machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

RUST_CODE = "impl<'a> GlobBuilder<'a> {\n    pub fn new(glob: &'a str) -> GlobBuilder<'a> {\n        GlobBuilder { glob, opts: GlobOptions::default() }\n    }\n}\n"
PARITY_TEXTS = (
    RUST_CODE,
    "/// Größe in Bytes; 日本語; emoji 🦀 — «quotes»\n",
    "<|im_start|>user\nDocument `Glob::new`<|im_end|>\n<|im_start|>assistant\n",
)


def _losses(run_dir: Path) -> list[float]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows if r.get("loss") is not None]


def _tokenizer_metadata(path: Path) -> dict:
    return read_metadata(path, "tokenizer.")


def test_lora_from_the_smollm2_gguf_base_lowers_the_loss_on_globset(smollm2_finetuned_run, smollm2_gguf):
    losses = _losses(smollm2_finetuned_run)
    assert len(losses) == SMOLLM2_TRAIN_STEPS
    assert sum(losses[-2:]) / 2 < sum(losses[:2]) / 2 - 0.2, losses
    run = json.loads((smollm2_finetuned_run / "run.json").read_text())
    assert run["prompt_rendering"] == "chat"
    assert Path(run["base"]["gguf"]) == smollm2_gguf.resolve() and run["config"]["base_model"] == str(smollm2_gguf.resolve())
    base_dir = smollm2_finetuned_run / "base"
    assert json.loads((base_dir / "config.json").read_text())["architectures"] == ["LlamaForCausalLM"]
    assert "quantization_config" not in json.loads((base_dir / "config.json").read_text())
    adapter = json.loads((smollm2_finetuned_run / "adapter" / "adapter_config.json").read_text())
    assert Path(adapter["base_model_name_or_path"]) == base_dir.resolve()
    assert set(adapter["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def test_merged_q4_k_m_export_carries_the_base_gguf_tokenizer_and_chat_completes(smollm2_finetuned_gguf, smollm2_gguf):
    from llama_cpp import Llama

    metadata = read_metadata(smollm2_finetuned_gguf)
    assert metadata["general.file_type"] == 15 and metadata["general.architecture"] == "llama"
    assert metadata["rustdoc_gen.prompt_rendering"] == "chat"
    assert _tokenizer_metadata(smollm2_finetuned_gguf) == _tokenizer_metadata(smollm2_gguf)
    llm = Llama(model_path=str(smollm2_finetuned_gguf), n_ctx=2048, seed=0, verbose=False)
    try:
        reply = llm.create_chat_completion(
            messages=[{"role": "user", "content": f"Write the rustdoc comment for `GlobBuilder::new`.\n\n```rust\n{RUST_CODE}```"}],
            max_tokens=24, temperature=0.0,
        )
        assert reply["usage"]["completion_tokens"] > 0 and reply["choices"][0]["message"]["content"].strip()
    finally:
        llm.close()


def test_exported_f16_tokenizes_as_the_hf_model_and_its_logits_match_within_llama_cpps_tolerance(
        smollm2_finetuned_gguf, smollm2_finetuned_run):
    from llama_cpp import Llama
    from transformers import AutoTokenizer

    from trainer.export import compare_logits, hf_logits, llama_logits

    merged = smollm2_finetuned_run / "merged"
    f16 = smollm2_finetuned_gguf.with_name(smollm2_finetuned_gguf.stem + "-f16.gguf")
    tokenizer = AutoTokenizer.from_pretrained(merged)
    messages = [{"role": "user", "content": f"Document this:\n{RUST_CODE}"}]
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
    continuation, expected = hf_logits(merged, ids, 8)
    llm = Llama(model_path=str(f16), n_ctx=1024, seed=0, verbose=False)
    try:
        for text in PARITY_TEXTS:
            assert llm.tokenize(text.encode(), add_bos=False, special=True) == tokenizer.encode(text, add_special_tokens=False), text
        parity = compare_logits(expected, llama_logits(llm, ids, continuation))
    finally:
        llm.close()
    # llama.cpp's own conversion check passes below 1e-2; f16 rounding lands orders of magnitude below it.
    assert parity.ok and parity.nmse < 1e-4, parity.summary()
    assert parity.top10_overlap >= 0.8, parity.summary()


@pytest.mark.parametrize("export", ["smollm2_long_export", "qwen05_long_export"])
def test_export_of_a_40_step_fine_tune_passes_its_check_and_prints_the_parity_figures(export, request):
    """Issue 19: the exact-greedy-token check refused such fine-tunes (f16 flips near-ties); judged as llama.cpp
    judges a conversion, the real fine-tune passes and its GGUF is written."""
    from llama_cpp import Llama

    from tests.support.real_models import LONG_TRAIN_STEPS

    gguf, printed = request.getfixturevalue(export)
    run = json.loads((gguf.parent / "run" / "run.json").read_text())
    assert run["results"]["steps"] == LONG_TRAIN_STEPS
    assert gguf.is_file() and not gguf.with_name(gguf.stem + ".failed-check.gguf").exists()
    text = " ".join(printed.translate({ord(c): " " for c in "│┃║"}).split())  # the export table's cells, unwrapped
    assert "passed: tokenization" in text and "f16 logits vs HF f32: NMSE" in text, printed[-2000:]
    nmse = float(text.split("f16 logits vs HF f32: NMSE ")[1].split()[0])
    assert nmse < 1e-2
    print(text[text.index("f16 logits vs HF f32"):].split(", generated")[0])
    llm = Llama(model_path=str(gguf), n_ctx=1024, seed=0, verbose=False)
    try:
        assert read_metadata(gguf, "general.file_type")["general.file_type"] == 7  # Q8_0
        assert llm.create_completion("/// Returns", max_tokens=4, temperature=0.0)["usage"]["completion_tokens"] > 0
    finally:
        llm.close()


def test_adapter_only_export_runs_on_the_base_gguf_and_names_its_base(smollm2_adapter_gguf, smollm2_gguf):
    from llama_cpp import Llama

    metadata = read_metadata(smollm2_adapter_gguf)
    base = read_metadata(smollm2_gguf)
    assert metadata["general.type"] == "adapter" and metadata["adapter.type"] == "lora"
    assert metadata["rustdoc_gen.prompt_rendering"] == "chat"
    assert metadata["rustdoc_gen.base.architecture"] == base["general.architecture"] == "llama"
    assert metadata["rustdoc_gen.base.block_count"] == base["llama.block_count"]
    assert metadata["rustdoc_gen.base.embedding_length"] == base["llama.embedding_length"]
    assert metadata["rustdoc_gen.base.vocab_size"] == len(base["tokenizer.ggml.tokens"])
    assert smollm2_adapter_gguf.stat().st_size < 20_000_000  # a few MB beside the 98 MB base

    prompt = f"<|im_start|>user\nDocument this:\n{RUST_CODE}<|im_end|>\n<|im_start|>assistant\n"
    outputs = []
    for lora in (None, smollm2_adapter_gguf):
        llm = Llama(model_path=str(smollm2_gguf), lora_path=str(lora) if lora else None, n_ctx=1024, seed=0, verbose=False)
        try:
            outputs.append(llm(prompt, max_tokens=12, temperature=0.0)["choices"][0]["text"])
        finally:
            llm.close()
    assert outputs[1].strip() and outputs[1] != outputs[0]  # the adapter is applied: the tuned model answers differently


def test_gemma3_base_without_chat_template_trains_plain_and_exports(gemma3_gguf, globset_dataset, tmp_path):
    from llama_cpp import Llama

    from rustdoc_core.generation.prompt import PLAIN_STOP, render_plain
    from tests.support.real_models import cli

    run_dir = tmp_path / "gemma-run"
    cli("-q", "train", "--dataset", str(globset_dataset), "--output", str(run_dir), "--base-model", str(gemma3_gguf),
        "--max-steps", "2", "--limit", "4", "--batch-size", "2", "--gradient-accumulation", "1", "--max-seq-len", "320",
        "--eval-limit", "0", "--learning-rate", "1e-3", "--logging-steps", "1")
    run = json.loads((run_dir / "run.json").read_text())
    assert run["prompt_rendering"] == "plain" and Path(run["base"]["gguf"]) == gemma3_gguf.resolve()
    assert all(loss > 0 for loss in _losses(run_dir))

    out = tmp_path / "gemma-rustdoc.gguf"
    cli("-q", "export", str(run_dir), "-o", str(out), "--quant", "Q8_0")
    metadata = read_metadata(out)
    assert metadata["general.architecture"] == "gemma3" and metadata["rustdoc_gen.prompt_rendering"] == "plain"
    assert _tokenizer_metadata(out) == _tokenizer_metadata(gemma3_gguf)
    record = json.loads((globset_dataset / "test.jsonl").read_text().splitlines()[0])
    llm = Llama(model_path=str(out), n_ctx=2048, seed=0, verbose=False)
    try:
        reply = llm(render_plain(record["prompt"]), max_tokens=16, temperature=0.0, stop=list(PLAIN_STOP))
        assert reply["usage"]["completion_tokens"] > 0
    finally:
        llm.close()
