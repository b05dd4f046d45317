"""`export`'s judgement and its files without a model: the logit comparison llama.cpp's own
conversion check makes, the name a file that failed its check is kept under, the Ollama
Modelfile, and one line for a run whose adapter settings are corrupt (issues 19, 21, 23)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from trainer.export import (
    PARITY_NMSE_MAX,
    ExportCheck,
    ExportError,
    compare_logits,
    failed_check_path,
    ollama_modelfile,
)
from trainer.export import _place as place_checked


def _logits(positions: int = 9, vocab: int = 4096, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 3.0, size=(positions, vocab)).astype(np.float32)


def test_identical_logits_match_perfectly():
    reference = _logits()
    parity = compare_logits(reference, reference.copy())
    assert parity.nmse == 0 and parity.max_abs_diff == 0 and parity.top1_agree == 9 and parity.top10_overlap == 1
    assert parity.ok


def test_f16_rounding_passes_though_it_flips_a_near_tie():
    reference = _logits()
    reference[0, :2] = [10.0, 10.0004]  # a near-tie at the first position: greedy decoding may go either way
    rounded = reference.astype(np.float16).astype(np.float32)
    rounded[0, :2] = [10.0004, 10.0]
    parity = compare_logits(reference, rounded)
    assert parity.ok and parity.nmse < 1e-6
    assert parity.top1_agree == 8  # the exact-token check this replaces would have failed here


def test_a_broken_conversion_fails_with_its_measured_difference():
    reference = _logits()
    broken = reference + np.random.default_rng(1).normal(0.0, 1.5, size=reference.shape).astype(np.float32)
    parity = compare_logits(reference, broken)
    assert not parity.ok and parity.nmse == pytest.approx(0.25, rel=0.05)
    assert f"NMSE {parity.nmse:.1e} (passes below {PARITY_NMSE_MAX:g})" in parity.summary()


def test_a_vocabulary_padded_on_one_side_is_compared_over_the_shared_tokens():
    reference = _logits(vocab=1000)
    padded = np.concatenate([reference, np.full((9, 24), -30.0, dtype=np.float32)], axis=1)
    parity = compare_logits(reference, padded)
    assert parity.vocab == 1000 and parity.nmse == 0


def test_a_file_that_failed_its_check_is_kept_under_a_name_that_says_so(tmp_path):
    output = tmp_path / "rustdoc-q4.gguf"
    output.write_bytes(b"the previous export")
    final = tmp_path / "work.gguf"
    final.write_bytes(b"new weights")
    check = ExportCheck(loaded=True, problems=["the f16 GGUF's logits differ from the HF model's: NMSE 2.5e-01"])
    with pytest.raises(ExportError) as error:
        place_checked(final, output, tmp_path / "placed", check)
    kept = failed_check_path(output)
    assert kept == tmp_path / "rustdoc-q4.failed-check.gguf" and kept.read_bytes() == b"new weights"
    assert output.read_bytes() == b"the previous export"
    assert "NMSE 2.5e-01" in str(error.value) and str(kept) in str(error.value)


def test_the_ollama_modelfile_names_the_base_gguf_and_the_adapter(tmp_path):
    base, adapter = tmp_path / "models" / "qwen-base.gguf", tmp_path / "out" / "rustdoc-lora.gguf"
    lines = ollama_modelfile(base, adapter, "chat").splitlines()
    assert f"FROM {base}" in lines and f"ADAPTER {adapter}" in lines
    assert "PARAMETER temperature 0" in lines
    assert not any(line.startswith("TEMPLATE") for line in lines)  # Ollama takes the base GGUF's chat template
    plain = ollama_modelfile(base, adapter, "plain").splitlines()
    assert 'TEMPLATE """{{ .Prompt }}"""' in plain  # a base without a chat template is asked the prompt as is


def test_export_of_a_run_whose_adapter_settings_are_corrupt_is_one_line(tmp_path):
    run = tmp_path / "run"
    (run / "adapter").mkdir(parents=True)
    (run / "adapter" / "adapter_config.json").write_text('{"base_model_name_or_path": "/models/ba')
    (run / "run.json").write_text(json.dumps({"status": "finished", "prompt_rendering": "chat"}))
    done = subprocess.run([sys.executable, "-m", "rustdoc_cli", "export", str(run), "-o", str(tmp_path / "m.gguf")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: {run / 'adapter' / 'adapter_config.json'} is corrupt (the LoRA adapter's settings: "
        "Unterminated string starting at); rerun the step that wrote it"
    ]
    assert not (tmp_path / "m.gguf").exists() and not (run / "merged").exists()


def test_ollama_needs_a_base_gguf_and_says_so_before_any_work(tmp_path):
    base = tmp_path / "hf-base"  # an HF base (no GGUF it came from) and no --base-gguf
    base.mkdir()
    (base / "config.json").write_text(json.dumps({"architectures": ["Qwen2ForCausalLM"]}))
    run = tmp_path / "run"
    (run / "adapter").mkdir(parents=True)
    (run / "adapter" / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": str(base)}))
    (run / "run.json").write_text(json.dumps({"status": "finished", "prompt_rendering": "chat"}))
    done = subprocess.run([sys.executable, "-m", "rustdoc_cli", "export", str(run), "-o", str(tmp_path / "m.gguf"), "--ollama"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: --ollama needs the base as a GGUF file for the Modelfile's FROM; {base} came from no GGUF: give --base-gguf BASE.gguf"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hf-base", "run"]
