"""`rustdoc-gen train --method dpo`: real DPO steps with trl's DPOTrainer on the LoRA adapter of a
real SFT run (SmolLM2-135M on Debian's globset), on pairs `rustdoc-gen prefs` sampled from it;
resumed from its checkpoint; exported and loaded by llama-cpp-python."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.real_models import cli

pytestmark = pytest.mark.timeout(1800)  # the fine-tuned SmolLM2 fixture trains on first use

DPO_FLAGS = ("--batch-size", "1", "--gradient-accumulation", "1", "--max-seq-len", "384", "--learning-rate", "5e-4",
             "--warmup-ratio", "0", "--logging-steps", "1", "--save-steps", "2", "--seed", "0", "--beta", "0.2")


@pytest.fixture(scope="module")
def smollm2_prefs(smollm2_finetuned_run, smollm2_gguf, smollm2_adapter_gguf, globset_dataset, tmp_path_factory) -> Path:
    """Pairs from that run's own answers (its GGUF adapter on the base), a few prompts, short answers."""
    out = tmp_path_factory.mktemp("prefs") / "prefs"
    cli("-q", "prefs", "--run", str(smollm2_finetuned_run), "--dataset", str(globset_dataset), "-o", str(out),
        "--model", f"model:{smollm2_gguf}@{smollm2_adapter_gguf}",
        "--limit", "6", "--samples", "3", "--max-tokens", "48", "--seed", "0", "--threads", "2")
    assert (out / "train.jsonl").read_text().strip(), "no pairs to train on"
    return out


def _adapter_tensors(adapter_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(adapter_dir / "adapter_model.safetensors"))


def test_dpo_trains_the_sft_adapter_resumes_and_exports(smollm2_finetuned_run, smollm2_prefs, smollm2_gguf, tmp_path):
    import torch

    run = tmp_path / "dpo"
    cli("-q", "train", "--method", "dpo", "--preferences", str(smollm2_prefs), "--from", str(smollm2_finetuned_run),
        "--output", str(run), "--max-steps", "2", *DPO_FLAGS)

    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["method"] == "dpo" and info["beta"] == 0.2
    assert info["from_run"] == str(smollm2_finetuned_run.resolve())
    assert info["results"]["steps"] == 2
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r.get("loss") is not None] == [1, 2]
    assert all("rewards/margins" in r for r in rows if r.get("loss") is not None)
    assert (run / "loss.png").stat().st_size > 0
    assert not (run / "adapter" / "ref").exists()  # trl's frozen reference copy stays out of the adapter

    # The SFT adapter moved: same tensors, other values.
    sft, tuned = _adapter_tensors(smollm2_finetuned_run / "adapter"), _adapter_tensors(run / "adapter")
    assert sft.keys() == tuned.keys()
    assert any(not torch.equal(sft[k], tuned[k]) for k in sft)

    # --resume goes on from checkpoint-2 to step 3.
    cli("-q", "train", "--method", "dpo", "--preferences", str(smollm2_prefs), "--from", str(smollm2_finetuned_run),
        "--output", str(run), "--max-steps", "3", "--resume", *DPO_FLAGS)
    info = json.loads((run / "run.json").read_text())
    assert info["resumed_from_step"] == 2 and info["results"]["steps"] == 3
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r.get("loss") is not None] == [1, 2, 3]

    # export takes it like any run, and llama.cpp loads and runs the result.
    adapter = tmp_path / "dpo-lora.gguf"
    cli("-q", "export", str(run), "--adapter-only", "-o", str(adapter))
    from llama_cpp import Llama

    llm = Llama(model_path=str(smollm2_gguf), lora_path=str(adapter), n_ctx=512, n_threads=2, verbose=False, seed=0)
    try:
        out = llm.create_completion("/// Returns", max_tokens=8, temperature=0.0)
    finally:
        llm.close()
    assert out["usage"]["completion_tokens"] > 0


def test_dpo_without_preferences_fails_in_one_line(smollm2_finetuned_run, tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "rustdoc_cli", "train", "--method", "dpo", "--preferences", str(tmp_path),
         "--from", str(smollm2_finetuned_run), "--output", str(tmp_path / "run")], capture_output=True, text=True,
    )
    assert done.returncode != 0
    assert "no train.jsonl" in done.stderr.strip().splitlines()[-1]
