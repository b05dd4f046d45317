"""`rustdoc-gen train` on the tiny Qwen2 model and records mined from a real crate (CPU).

One run is shared by the module: started as a real process, interrupted with
Ctrl-C (SIGINT) after its first checkpoint, resumed with `--resume` to the end,
then exported to Q4_K_M and run with llama-cpp-python.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from rustdoc_cli.cli import main as cli
from rustdoc_core.generation.prompt import PROMPT_FORMAT_VERSION

pytestmark = pytest.mark.slow

STEPS = 10
SAVE_STEPS = 4
# Small sequences keep a CPU step to a few seconds with the real 151,936-token vocabulary;
# records whose prompt alone is longer are dropped by trl (no doc tokens left). Six records (four once trl drops the long ones)
# seen over and over make the fall in loss plain within ten steps; 448 tokens keep one of globset's four validation
# records (prompts of 401 to 511 tokens since prompt format v5), so the run has an eval loss.
TRAIN_FLAGS = [
    "--limit", "6", "--batch-size", "1", "--gradient-accumulation", "1", "--max-seq-len", "448",
    "--learning-rate", "1e-2", "--warmup-ratio", "0", "--logging-steps", "1", "--eval-limit", "4", "--seed", "0",
]


@pytest.fixture(scope="module")
def mined_dataset(debian_crate, tmp_path_factory) -> Path:
    """Records mined by `rustdoc-gen mine` from Debian's globset crate."""
    out = tmp_path_factory.mktemp("data") / "globset"
    result = CliRunner().invoke(cli, ["-q", "mine", str(debian_crate("globset")), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sum(1 for _ in open(out / "train.jsonl")) >= 30
    return out


def _train_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "rustdoc_cli", "train", *args]


@pytest.fixture(scope="module")
def resumed_run(mined_dataset, tiny_model_dir, tmp_path_factory):
    """A run interrupted by SIGINT after checkpoint-4, then resumed to the end. Yields (run_dir, interrupted process)."""
    run_dir = tmp_path_factory.mktemp("runs") / "r1"
    first = subprocess.Popen(
        _train_cmd("--dataset", str(mined_dataset), "--output", str(run_dir), "--base-model", str(tiny_model_dir),
                   "--max-steps", str(STEPS), "--save-steps", str(SAVE_STEPS), *TRAIN_FLAGS),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
    )
    state = run_dir / "checkpoints" / f"checkpoint-{SAVE_STEPS}" / "trainer_state.json"
    deadline = time.monotonic() + 300
    while not state.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)
    out, err = first.communicate(timeout=120)
    interrupted = subprocess.CompletedProcess(first.args, first.returncode, out, err)

    resume = CliRunner().invoke(cli, ["train", "--output", str(run_dir), "--resume"])
    assert resume.exit_code == 0, resume.output + repr(resume.exception)
    return run_dir, interrupted


def _metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_interrupt_keeps_checkpoint_and_resume_continues_step_count(resumed_run):
    run_dir, interrupted = resumed_run
    assert interrupted.returncode == 130, interrupted.stderr[-2000:]
    assert "interrupted" in interrupted.stderr and "--resume" in interrupted.stderr
    run = json.loads((run_dir / "run.json").read_text())
    resumed_from = run["resumed_from_step"]
    assert resumed_from is not None and resumed_from >= SAVE_STEPS and resumed_from % SAVE_STEPS == 0
    steps = [row["step"] for row in _metrics(run_dir) if row["loss"] is not None]
    assert steps == list(range(1, STEPS + 1))  # no gap, no step logged twice across the interruption
    final_state = json.loads((run_dir / "checkpoints" / f"checkpoint-{STEPS - STEPS % SAVE_STEPS}" / "trainer_state.json").read_text())
    assert final_state["global_step"] == STEPS - STEPS % SAVE_STEPS
    assert run["status"] == "finished" and run["results"]["steps"] == STEPS


def test_training_loss_falls_on_mined_records(resumed_run):
    run_dir, _ = resumed_run
    losses = [row["loss"] for row in _metrics(run_dir) if row["loss"] is not None]
    assert len(losses) == STEPS
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < first - 0.3, losses
    evals = [row for row in _metrics(run_dir) if row["eval_loss"] is not None]
    assert evals and evals[-1]["perplexity"] == pytest.approx(2.718281828 ** evals[-1]["eval_loss"], rel=1e-6)


def test_run_dir_holds_adapter_metrics_run_record_and_loss_plot(resumed_run, mined_dataset, tiny_model_dir):
    run_dir, _ = resumed_run
    adapter = json.loads((run_dir / "adapter" / "adapter_config.json").read_text())
    assert adapter["r"] == 16 and adapter["lora_alpha"] == 32 and adapter["lora_dropout"] == 0.05
    assert set(adapter["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert Path(adapter["base_model_name_or_path"]) == Path(tiny_model_dir).resolve()
    assert (run_dir / "adapter" / "tokenizer.json").is_file()

    row = next(r for r in _metrics(run_dir) if r["loss"] is not None and r["step"] > 1)
    assert set(row) >= {"step", "loss", "learning_rate", "eval_loss", "perplexity", "tokens_per_second"}
    assert row["tokens_per_second"] > 0 and row["learning_rate"] > 0

    run = json.loads((run_dir / "run.json").read_text())
    assert run["config"]["max_steps"] == STEPS and run["config"]["seed"] == 0 and run["config"]["max_seq_len"] == 448
    assert run["prompt_format_version"] == PROMPT_FORMAT_VERSION and run["config"]["rag"] is False
    assert len(run["dataset"]["fingerprint"]) == 64 and run["dataset"]["path"] == str(mined_dataset.resolve())
    assert all(run["versions"][lib] for lib in ("torch", "transformers", "peft", "trl"))
    assert "git_commit" in run
    assert (run_dir / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_export_of_trained_run_to_q4_k_m_generates_with_llama_cpp(resumed_run, tmp_path):
    from llama_cpp import Llama

    run_dir, _ = resumed_run
    out = tmp_path / "rustdoc-q4.gguf"
    result = CliRunner().invoke(cli, ["export", str(run_dir), "-o", str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "passed" in result.output and "tokenization" in result.output
    assert (run_dir / "merged" / "model.safetensors").is_file()  # merge_and_unload wrote HF safetensors

    test_record = json.loads((Path(json.loads((run_dir / "run.json").read_text())["dataset"]["path"]) / "test.jsonl").read_text().splitlines()[0])
    llm = Llama(model_path=str(out), n_ctx=2048, seed=0, verbose=False)
    try:
        assert llm.metadata["general.file_type"] == "15"
        reply = llm.create_chat_completion(messages=test_record["prompt"], max_tokens=16, temperature=0.0)
        assert reply["usage"]["completion_tokens"] > 0
    finally:
        llm.close()


def test_dry_run_with_packing_trains_a_few_steps_and_leaves_no_run_dir(mined_dataset, tiny_model_dir, tmp_path):
    run_dir = tmp_path / "dry"
    result = CliRunner().invoke(
        cli, ["train", "--dataset", str(mined_dataset), "--output", str(run_dir), "--base-model", str(tiny_model_dir),
              "--dry-run", "--packing", *TRAIN_FLAGS]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "Dry run: the run works" in result.output and "estimated full run" in result.output
    assert not run_dir.exists()


def test_existing_run_is_not_overwritten_without_resume(resumed_run, mined_dataset, tiny_model_dir):
    run_dir, _ = resumed_run
    before = (run_dir / "run.json").read_text()
    result = CliRunner().invoke(
        cli, ["train", "--dataset", str(mined_dataset), "--output", str(run_dir), "--base-model", str(tiny_model_dir)]
    )
    assert result.exit_code == 1
    assert "already holds a training run" in result.output and "--resume" in result.output
    assert (run_dir / "run.json").read_text() == before


def test_resume_refuses_a_dataset_that_changed_since_the_run_started(resumed_run, mined_dataset, tmp_path):
    import shutil

    run_dir, _ = resumed_run
    changed = tmp_path / "changed"
    shutil.copytree(mined_dataset, changed)
    stats = json.loads((changed / "stats.json").read_text())
    (changed / "stats.json").write_text(json.dumps({**stats, "note": "edited after the run started"}))
    result = CliRunner().invoke(cli, ["train", "--output", str(run_dir), "--resume", "--dataset", str(changed)])
    assert result.exit_code == 1
    assert "differs from the one" in result.output


def test_validation_records_all_longer_than_max_seq_len_turn_evaluation_off_not_into_a_crash(mined_dataset, tiny_model_dir, tmp_path):
    run_dir = tmp_path / "run"
    done = subprocess.run(
        _train_cmd("--dataset", str(mined_dataset), "--output", str(run_dir), "--base-model", str(tiny_model_dir),
                   "--max-steps", "1", "--max-seq-len", "352", "--limit", "6", "--batch-size", "1", "--gradient-accumulation", "1",
                   "--eval-limit", "4", "--logging-steps", "1"),
        capture_output=True, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"}, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "every validation record's prompt is longer than --max-seq-len 352: no evaluation" in done.stderr
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "finished" and run["results"]["eval_loss"] is None


def test_training_records_all_longer_than_max_seq_len_is_one_line_and_leaves_no_run(mined_dataset, tiny_model_dir, tmp_path):
    run_dir = tmp_path / "run"
    done = subprocess.run(
        _train_cmd("--dataset", str(mined_dataset), "--output", str(run_dir), "--base-model", str(tiny_model_dir),
                   "--max-steps", "1", "--max-seq-len", "64", "--limit", "4", "--eval-limit", "0"),
        capture_output=True, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"}, timeout=900,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "error: every training record's prompt is longer than --max-seq-len 64: raise it"
    assert not run_dir.exists()
