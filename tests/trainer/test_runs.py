"""`rustdoc-gen runs` on two real training runs of the tiny Qwen2 model, one of them
with `--report-to tensorboard`, whose event files TensorBoard's own reader loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rustdoc_cli.cli import main as cli

pytestmark = pytest.mark.slow

# Few, short records and three steps: each run takes seconds of training on the CPU.
# 448 tokens keep one of globset's four validation records (prompts of 401 to 511 tokens since prompt format v5).
TRAIN_FLAGS = ["--limit", "6", "--batch-size", "1", "--gradient-accumulation", "1", "--max-seq-len", "448",
               "--warmup-ratio", "0", "--logging-steps", "1", "--eval-limit", "4", "--eval-steps", "3", "--max-steps", "3"]


def _train(dataset: Path, run_dir: Path, base: Path, *extra: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rustdoc_cli", "-q", "train", "--dataset", str(dataset), "--output", str(run_dir),
         "--base-model", str(base), *TRAIN_FLAGS, *extra],
        capture_output=True, text=True, timeout=900, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
    )
    assert out.returncode == 0, out.stderr[-3000:]


@pytest.fixture(scope="module")
def two_runs(debian_crate, tiny_model_dir, tmp_path_factory) -> tuple[Path, Path]:
    """Run `fast` (lr 1e-2, TensorBoard events) and run `slow` (lr 1e-4, seed 1) on globset's records."""
    root = tmp_path_factory.mktemp("runs")
    mined = CliRunner().invoke(cli, ["-q", "mine", str(debian_crate("globset")), "-o", str(root / "data")])
    assert mined.exit_code == 0, mined.output
    fast, slow = root / "fast", root / "slow"
    _train(root / "data", fast, tiny_model_dir, "--learning-rate", "1e-2", "--report-to", "tensorboard")
    _train(root / "data", slow, tiny_model_dir, "--learning-rate", "1e-4", "--seed", "1")
    return fast, slow


def _metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def _runs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rustdoc_cli", "runs", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "160", "NO_COLOR": "1"})


def _row(table: str, label: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.strip("│ ").startswith(label))
    return [cell.strip() for cell in line.strip().strip("│").split("│")][1:]


def test_runs_table_shows_each_runs_figures_from_its_files(two_runs):
    fast, slow = two_runs
    out = _runs(str(fast), str(slow))
    assert out.returncode == 0, out.stderr
    header = next(line for line in out.stdout.splitlines() if "fast" in line and "slow" in line)
    assert header.index("fast") < header.index("slow")
    for run_dir, column in ((fast, 0), (slow, 1)):
        rows = _metrics(run_dir)
        run = json.loads((run_dir / "run.json").read_text())
        losses = [r["loss"] for r in rows if r["loss"] is not None]
        evals = [r["eval_loss"] for r in rows if r["eval_loss"] is not None]
        speeds = [r["tokens_per_second"] for r in rows if r["tokens_per_second"]]
        assert _row(out.stdout, "steps")[column] == "3"
        assert _row(out.stdout, "base")[column] == Path(run["config"]["base_model"]).name
        assert _row(out.stdout, "status")[column] == "finished"
        assert _row(out.stdout, "final train loss")[column] == f"{losses[-1]:.4f}"
        assert _row(out.stdout, "best train loss")[column] == f"{min(losses):.4f}"
        assert _row(out.stdout, "final eval loss")[column] == f"{run['results']['eval_loss']:.4f}"
        assert _row(out.stdout, "best eval loss")[column] == f"{min(evals):.4f}"
        assert _row(out.stdout, "perplexity")[column] == f"{run['results']['perplexity']:.2f}"
        assert _row(out.stdout, "tokens/s")[column] == f"{sum(speeds) / len(speeds):,.0f}"
        assert _row(out.stdout, "wall time")[column].endswith("s")
    # The two runs differ where their settings do: the fast learning rate moved the loss further.
    fast_final, slow_final = (float(v) for v in _row(out.stdout, "final train loss"))
    assert fast_final != slow_final


def test_runs_plot_overlays_both_runs_loss_curves(two_runs, tmp_path):
    import matplotlib.image
    import numpy as np

    fast, slow = two_runs
    target = tmp_path / "losses.png"
    out = _runs(str(fast), str(slow), "--plot", str(target))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == str(target)
    pixels = (matplotlib.image.imread(target)[..., :3] * 255).round().astype(int)
    for color in ((31, 119, 180), (255, 127, 14)):  # tab10's first two colours: one per run
        assert (np.abs(pixels - color).sum(axis=-1) < 30).sum() > 50, f"no curve drawn in {color}"


def test_report_to_tensorboard_writes_events_that_tensorboards_reader_loads(two_runs):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    fast, slow = two_runs
    event_dirs = {p.parent for p in (fast / "checkpoints" / "runs").rglob("events.out.tfevents.*")}
    assert len(event_dirs) == 1, event_dirs
    events = EventAccumulator(str(event_dirs.pop()))
    events.Reload()
    assert "train/loss" in events.Tags()["scalars"] and "eval/loss" in events.Tags()["scalars"]
    logged = {r["step"]: r["loss"] for r in _metrics(fast) if r["loss"] is not None}
    read = {e.step: e.value for e in events.Scalars("train/loss")}
    assert read == pytest.approx(logged, rel=1e-5)  # the same losses metrics.jsonl holds
    assert not (slow / "checkpoints" / "runs").exists()  # --report-to none (the default) writes none


def test_unknown_tracker_is_refused_by_name(tmp_path):
    out = subprocess.run([sys.executable, "-m", "rustdoc_cli", "train", "--dataset", str(tmp_path), "--output",
                          str(tmp_path / "r"), "--report-to", "mlflow"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert lines == ["error: report_to: 'mlflow' is not one of none, tensorboard, trackio, wandb"], out.stderr


def test_runs_refuses_a_directory_that_is_not_a_run(tmp_path):
    out = _runs(str(tmp_path))
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "is not a training run" in lines[0], out.stderr
