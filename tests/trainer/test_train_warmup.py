"""`--warmup-ratio` reaches the learning-rate schedule as a share of the steps, on the
transformers installed (5.x reads a float below 1 in `warmup_steps` as that share; 4.x
has `warmup_ratio` and would read the same float in `warmup_steps` as zero steps)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rustdoc_cli.cli import main as cli
from trainer.config import TrainConfig
from trainer.train import train_sft

pytestmark = pytest.mark.slow

PEAK = 1e-3


def test_learning_rate_at_step_one_is_warming_up(debian_crate, tiny_model_dir, tmp_path):
    data = tmp_path / "data"
    mined = CliRunner().invoke(cli, ["-q", "mine", str(debian_crate("globset")), "-o", str(data), "-j", "1"])
    assert mined.exit_code == 0, mined.output
    run_dir = tmp_path / "run"
    config = TrainConfig(dataset=data, output=run_dir, base_model=str(tiny_model_dir), max_steps=4, learning_rate=PEAK,
                         lr_scheduler="linear", warmup_ratio=0.5, batch_size=1, gradient_accumulation=1, max_seq_len=352,
                         limit=6, logging_steps=1, eval_limit=0, save_steps=100, seed=0)
    train_sft(config)
    rates = {row["step"]: row["learning_rate"] for row in map(json.loads, (run_dir / "metrics.jsonl").read_text().splitlines())
             if row.get("learning_rate") is not None}
    # Half of 4 steps warm up; the rate logged at a step is the one that step used:
    # 0 at step 1, half the peak at step 2, the peak at step 3, then linear decay.
    # (Without warmup, step 1 would train at the peak.)
    assert [rates[step] for step in (1, 2, 3, 4)] == pytest.approx([0.0, PEAK / 2, PEAK, PEAK / 2])
