"""Data-parallel training (issue 21): two processes of `rustdoc_cli train` on the tiny Qwen2 model,
training over gloo on the CPU. One run directory, written by the main process only; one
metrics row per step; an adapter that loads; a run killed mid-way resumes under the same
launch. And the accelerate configs `train --help` names load with accelerate's own reader
(DDP, FSDP and DeepSpeed ZeRO-2: the GPU ones are not run here).

The launch is `accelerate launch --multi_gpu --num_processes 2`: on a machine without CUDA that
is accelerate's multi-process launcher (torchrun) and `train` makes each process a CPU one.
`accelerate launch --cpu --num_processes 2` starts a single process in accelerate 1.x (more need
mpirun), which `train` says in a warning; run.json's "processes" tells the two apart."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from rustdoc_cli.cli import main as cli
from trainer.commands import ACCELERATE_CONFIGS

STEPS = 6
SAVE_STEPS = 2
FLAGS = ("--max-steps", str(STEPS), "--save-steps", str(SAVE_STEPS), "--limit", "8", "--batch-size", "1",
         "--gradient-accumulation", "1", "--max-seq-len", "352", "--learning-rate", "1e-2", "--warmup-ratio", "0",
         "--logging-steps", "1", "--eval-limit", "0", "--seed", "0")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _launch(*train_args: str) -> list[str]:
    accelerate = Path(sys.executable).with_name("accelerate")
    return [str(accelerate), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
            "--dynamo_backend", "no", "--main_process_port", str(_free_port()), "-m", "rustdoc_cli", "-q", "train", *train_args]


ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def mined(debian_crate, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("data") / "globset"
    result = CliRunner().invoke(cli, ["-q", "mine", str(debian_crate("globset")), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def killed_and_resumed(mined, tiny_model_dir, tmp_path_factory) -> Path:
    """A 2-process run killed (SIGKILL, every process) once its first checkpoint is complete, then resumed by
    the same launch with --resume."""
    run = tmp_path_factory.mktemp("dp") / "run"
    args = ("--dataset", str(mined), "--output", str(run), "--base-model", str(tiny_model_dir), *FLAGS)
    first = subprocess.Popen(_launch(*args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV,
                             start_new_session=True)
    done = run / "checkpoints" / f"checkpoint-{SAVE_STEPS}" / "trainer_state.json"
    deadline = time.monotonic() + 600
    while not done.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert first.poll() is None, f"the launch ended before its first checkpoint:\n{first.communicate()[0][-3000:]}"
    # Every process: the launcher's group and each worker, wherever torch's launcher put it. A worker
    # left alive trains on and writes metrics rows beside the resumed run (CI saw steps 1,2,5,6,3,4,5,6).
    launched = psutil.Process(first.pid).children(recursive=True)
    os.killpg(first.pid, signal.SIGKILL)
    for worker in launched:
        with contextlib.suppress(psutil.NoSuchProcess):
            worker.kill()
    first.wait(timeout=60)
    _, alive = psutil.wait_procs(launched, timeout=60)
    assert not alive, alive
    assert not (run / "adapter").exists()  # killed before the end

    second = subprocess.run(_launch("--output", str(run), "--resume"), capture_output=True, text=True, env=ENV, timeout=900)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    return run


def test_two_processes_write_one_run_dir_with_one_metrics_row_per_step(killed_and_resumed):
    run = killed_and_resumed
    assert sorted(p.name for p in run.iterdir()) == ["adapter", "checkpoints", "loss.png", "metrics.jsonl", "run.json"]
    info = json.loads((run / "run.json").read_text())
    assert info["processes"] == 2 and info["status"] == "finished" and info["results"]["steps"] == STEPS
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["loss"] is not None] == list(range(1, STEPS + 1))
    # Each process kept its own random state in the checkpoints: both trained.
    last = run / "checkpoints" / f"checkpoint-{STEPS}"
    assert {p.name for p in last.glob("rng_state_*.pth")} == {"rng_state_0.pth", "rng_state_1.pth"}


def test_the_killed_run_resumed_from_its_last_checkpoint_under_the_same_launch(killed_and_resumed):
    info = json.loads((killed_and_resumed / "run.json").read_text())
    assert info["resumed_from_step"] is not None and info["resumed_from_step"] % SAVE_STEPS == 0
    assert SAVE_STEPS <= info["resumed_from_step"] < STEPS


def test_the_data_parallel_adapter_loads_on_its_base(killed_and_resumed, tiny_model_dir):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, str(killed_and_resumed / "adapter"))
    lora = {n: p for n, p in model.named_parameters() if "lora_B" in n}
    assert lora and any(p.abs().sum() > 0 for p in lora.values())  # trained: lora_B starts at zero


def test_accelerate_launch_cpu_is_one_process_and_train_says_how_to_get_two(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from trainer.training_run import process_count\nprint('processes', process_count())\n")
    accelerate = Path(sys.executable).with_name("accelerate")
    done = subprocess.run([str(accelerate), "launch", "--cpu", "--num_processes", "2", "--num_machines", "1",
                           "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(_free_port()),
                           str(probe)], capture_output=True, text=True, env={**ENV, "PYTHONPATH": str(Path.cwd())}, timeout=300)
    assert done.stdout.count("processes 1") == 1, done.stdout + done.stderr[-2000:]
    assert "accelerate launch --multi_gpu --num_processes N" in done.stderr


@pytest.mark.parametrize(("name", "kind"), [("ddp.yaml", "MULTI_GPU"), ("fsdp.yaml", "FSDP"), ("deepspeed_zero2.yaml", "DEEPSPEED")])
def test_the_shipped_accelerate_configs_load_and_train_help_names_them(name, kind):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(ACCELERATE_CONFIGS / name))
    assert config.distributed_type == kind and config.use_cpu is False
    if kind == "DEEPSPEED":
        assert config.deepspeed_config["zero_stage"] == 2 and "gradient_accumulation_steps" not in config.deepspeed_config
    if kind == "FSDP":
        assert config.fsdp_config["fsdp_version"] == 2
    help_text = CliRunner().invoke(cli, ["train", "--help"], terminal_width=200).output
    assert name in help_text and str(ACCELERATE_CONFIGS) in " ".join(help_text.split())
