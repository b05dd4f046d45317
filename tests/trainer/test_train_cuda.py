"""The CUDA-only training paths: bf16 with gradient checkpointing, and 4-bit QLoRA.
Skipped, saying why, on machines without a CUDA device (or without bitsandbytes)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rustdoc_cli.cli import main as cli

pytestmark = [pytest.mark.slow, pytest.mark.cuda]

torch = pytest.importorskip("torch")
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none present)")


@pytest.fixture
def mined(debian_crate, tmp_path):
    out = tmp_path / "data"
    result = CliRunner().invoke(cli, ["-q", "mine", str(debian_crate("globset")), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _train(mined, model, run_dir, *extra):
    return CliRunner().invoke(
        cli,
        ["train", "--dataset", str(mined), "--output", str(run_dir), "--base-model", str(model), "--max-steps", "3",
         "--batch-size", "2", "--gradient-accumulation", "1", "--max-seq-len", "512", "--logging-steps", "1", *extra],
    )


@needs_cuda
def test_cuda_training_uses_bf16_and_gradient_checkpointing(mined, tiny_model_dir, tmp_path):
    if not torch.cuda.is_bf16_supported():
        pytest.skip("this CUDA device has no bf16")
    result = _train(mined, tiny_model_dir, tmp_path / "run")
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["precision"] == "bf16" and run["device"] != "cpu"
    assert run["config"]["gradient_checkpointing"] is True
    assert run["results"]["steps"] == 3


@needs_cuda
def test_qlora_trains_a_4bit_base_on_cuda(mined, tiny_model_dir, tmp_path):
    pytest.importorskip("bitsandbytes", reason="--qlora needs bitsandbytes (pip install 'rustdoc-gen[qlora]')")
    result = _train(mined, tiny_model_dir, tmp_path / "run", "--qlora")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "adapter" / "adapter_config.json").is_file()
    assert json.loads((tmp_path / "run" / "run.json").read_text())["config"]["qlora"] is True
