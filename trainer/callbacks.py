"""Our trainer callbacks, shared by SFT and DPO: metrics.jsonl with tokens/s, and a progress bar.

Imported only once training starts (it imports transformers).
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any

from transformers import TrainerCallback

from rustdoc_console import progress
from trainer.run_dir import RunDir

DPO_LOG_PREFIXES = ("rewards/", "logps/")
"""What a DPO trainer logs besides the loss: rewards of chosen and rejected, their margin, accuracy, log-probs."""


def perplexity(loss: float | None) -> float | None:
    if loss is None:
        return None
    return math.exp(loss) if loss < 50 else float("inf")


class MetricsLog(TrainerCallback):
    """One JSON line per logged step in metrics.jsonl (main process only): step, loss, learning_rate,
    eval_loss, perplexity, tokens_per_second, and DPO's rewards and log-probs."""

    def __init__(self, run: RunDir) -> None:
        self.run = run
        self.step_seconds = 0.0
        self.step_started: float | None = None
        self.last_tokens: float | None = None
        self.rows: list[dict[str, Any]] = []

    def on_step_begin(self, args, state, control, **kwargs):
        self.step_started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if self.step_started is not None:
            self.step_seconds += time.perf_counter() - self.step_started
            self.step_started = None

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if "loss" not in logs and "eval_loss" not in logs:
            return
        row: dict[str, Any] = {
            "step": state.global_step,
            "epoch": round(state.epoch or 0.0, 4),
            "loss": logs.get("loss"),
            "learning_rate": logs.get("learning_rate"),
            "eval_loss": logs.get("eval_loss"),
            "perplexity": perplexity(logs.get("eval_loss")),
            "tokens_per_second": None,
        }
        row.update({k: v for k, v in logs.items() if k.startswith(DPO_LOG_PREFIXES)})
        if "loss" in logs:
            row["tokens_per_second"] = self._tokens_per_second(logs.get("num_tokens"), state.global_step)
        self.rows.append(row)
        if state.is_world_process_zero:
            self._append(row)

    def _tokens_per_second(self, tokens: float | None, step: int) -> float | None:
        """Tokens trained since the last logged loss over the time spent in steps since then."""
        speed = None
        if tokens is not None and self.last_tokens is not None and tokens > self.last_tokens and self.step_seconds > 0:
            speed = (tokens - self.last_tokens) / self.step_seconds
        elif tokens is not None and self.last_tokens is None and self.step_seconds > 0 and step <= 1:
            speed = tokens / self.step_seconds
        if tokens is not None:
            self.last_tokens = tokens
        self.step_seconds = 0.0
        return speed

    def _append(self, row: dict[str, Any]) -> None:
        # fsync'd line by line: a kill loses at most the line being written (read_metrics stops there).
        with open(self.run.metrics_file, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


class ProgressBar(TrainerCallback):
    """A rich progress bar over the optimizer steps, with the last loss (main process only)."""

    def __init__(self) -> None:
        self.bar = None
        self.task = None

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self.bar = progress()
            self.bar.start()
            self.task = self.bar.add_task("Training", total=state.max_steps, completed=state.global_step)

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.update(self.task, completed=state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.bar is not None and logs and "loss" in logs:
            self.bar.update(self.task, description=f"Training (loss {logs['loss']:.3f})")

    def on_train_end(self, args, state, control, **kwargs):
        self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
