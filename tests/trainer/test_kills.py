"""Kill tests for the trainer's writers (issue 23, part 3): `train` killed mid-checkpoint, `export`
killed mid-conversion and `prefs` killed mid-sampling, each with SIGKILL to its whole process
group, several times. After every kill each output is the old file or the new one, never a mix;
a rerun completes; `train --resume` goes on from the last complete checkpoint. The kill points
are seeded and printed; RUSTDOC_GEN_KILL_SEED=N replays them. All on the tiny Qwen2 model.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from rustdoc_cli.cli import main as cli
from trainer.evaluation.cache import JsonlCache
from trainer.run_dir import RunDir

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture
def rng() -> random.Random:
    seed = int(os.environ.get("RUSTDOC_GEN_KILL_SEED") or random.SystemRandom().randrange(2**32))
    print(f"kill points seeded with RUSTDOC_GEN_KILL_SEED={seed}")
    return random.Random(seed)


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "rustdoc_cli", *args]


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(_command(*args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV,
                            start_new_session=True)


def _kill(process: subprocess.Popen) -> bool:
    """SIGKILL the process group; False when it had already ended."""
    if process.poll() is not None:
        return False
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return True


def _run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(_command(*args), capture_output=True, text=True, timeout=timeout, env=ENV)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def mined(debian_crate, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("data") / "globset"
    result = CliRunner().invoke(cli, ["-q", "mine", str(debian_crate("globset")), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


# --- train ------------------------------------------------------------------------------------

STEPS = 6
SAVE_STEPS = 2
TRAIN_FLAGS = ("--max-steps", str(STEPS), "--save-steps", str(SAVE_STEPS), "--limit", "6", "--batch-size", "1",
               "--gradient-accumulation", "1", "--max-seq-len", "352", "--learning-rate", "1e-2", "--warmup-ratio", "0",
               "--logging-steps", "1", "--eval-limit", "0", "--seed", "0")


def _kill_as_checkpoint_starts(run: RunDir, step: int, process: subprocess.Popen, jitter: float) -> None:
    """SIGKILL `process` as soon as checkpoint-`step` appears (plus `jitter` seconds): mid-save, mostly."""
    folder = run.checkpoints / f"checkpoint-{step}"
    deadline = time.monotonic() + 600
    while not folder.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    if jitter:
        time.sleep(jitter)
    assert _kill(process), f"train ended before checkpoint-{step}: {process.stderr.read()[-2000:]}"


def test_train_killed_mid_checkpoint_resumes_from_the_last_complete_one(mined, tiny_model_dir, tmp_path, rng):
    run = RunDir(tmp_path / "run")
    first = _start("-q", "train", "--dataset", str(mined), "--output", str(run.path), "--base-model", str(tiny_model_dir), *TRAIN_FLAGS)
    _kill_as_checkpoint_starts(run, SAVE_STEPS, first, rng.choice([0.0, 0.0, 0.02, 0.05]))
    for step in range(SAVE_STEPS, STEPS, SAVE_STEPS):  # kill each later checkpoint too, resuming between
        before = run.last_checkpoint()
        print(f"killed at checkpoint-{step}: last complete {before.name if before else None}")
        resumed = _start("-q", "train", "--output", str(run.path), "--resume")
        _kill_as_checkpoint_starts(run, step + SAVE_STEPS, resumed, rng.choice([0.0, 0.0, 0.02, 0.05]))
    last = run.last_checkpoint()
    assert last is not None
    assert not run.adapter.exists()  # never finished

    _run("-q", "train", "--output", str(run.path), "--resume")
    info = run.info()
    assert info["status"] == "finished" and info["results"]["steps"] == STEPS
    assert info["resumed_from_step"] == int(last.name.split("-")[1])  # the last complete checkpoint, not a partial one
    steps = [r["step"] for r in run.read_metrics() if r["loss"] is not None]
    assert steps == list(range(1, STEPS + 1))  # no step lost or logged twice across the kills
    partial = [p.name for p in run.checkpoints.glob("checkpoint-*") if not (p / "trainer_state.json").is_file()]
    assert partial == []


# --- export -----------------------------------------------------------------------------------


def test_export_killed_mid_conversion_leaves_the_old_file_then_writes_the_new(tiny_model_dir, tmp_path, rng):
    from trainer.gguf_convert import read_metadata

    out = tmp_path / "models" / "tiny.gguf"
    out.parent.mkdir()
    out.write_bytes(b"the export before this one")
    args = ("-q", "export", str(tiny_model_dir), "-o", str(out), "--quant", "Q8_0", "--threads", "2")
    start = time.monotonic()
    _run(*args, "--no-verify", "-o", str(tmp_path / "timing.gguf"))
    seconds = time.monotonic() - start
    for kill in range(3):
        delay = rng.uniform(0.5, seconds)
        process = _start(*args)
        time.sleep(delay)
        killed = _kill(process)
        print(f"kill {kill} at {delay:.1f}s of about {seconds:.1f}s: {'killed' if killed else 'had finished'}")
        if killed:
            assert out.read_bytes() == b"the export before this one"
        else:  # it finished first: the new file, whole
            assert read_metadata(out, "general.file_type")["general.file_type"] == 7
    _run(*args)
    assert read_metadata(out, "general.file_type")["general.file_type"] == 7  # Q8_0, whole
    assert sorted(p.name for p in out.parent.iterdir()) == ["README.md", "tiny.gguf"]  # what killed runs left is gone


# --- prefs ------------------------------------------------------------------------------------


def test_prefs_killed_mid_sampling_keeps_its_answers_and_a_rerun_finishes(mined, tiny_gguf_path, tmp_path, rng):
    out = tmp_path / "prefs"
    args = ("-q", "prefs", "--run", str(tmp_path), "--dataset", str(mined), "-o", str(out), "--model", f"model:{tiny_gguf_path}",
            "--limit", "10", "--samples", "3", "--max-tokens", "16", "--seed", "0", "--threads", "1")
    samples = out / "cache" / "samples.jsonl"
    kept = 0
    for kill in range(2):
        process = _start(*args)
        deadline = time.monotonic() + 300
        while (not samples.exists() or len(JsonlCache(samples)) <= kept) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5))
        killed = _kill(process)
        cached = len(JsonlCache(samples)) if samples.exists() else 0
        print(f"kill {kill}: {'killed' if killed else 'had finished'} with {cached} answers cached")
        assert cached >= kept  # nothing sampled before is lost (a line cut by the kill is ignored)
        kept = cached
        for name in ("train.jsonl", "scores.jsonl", "stats.json"):
            assert not (out / name).exists() or not killed  # written only at the end, atomically
    assert kept > 0, "the kills came after sampling ended: nothing was tested"
    _run(*args)
    stats = json.loads((out / "stats.json").read_text())
    assert stats["answers"] == 30 and len(JsonlCache(samples)) == 30  # the rerun sampled only what was missing
    for line in (out / "train.jsonl").read_text().splitlines():
        assert set(json.loads(line)) >= {"prompt", "chosen", "rejected"}
    assert len([json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines()]) == 30
