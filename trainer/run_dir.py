"""A training run's directory: the one place that knows its files.

`train` writes it (SFT and DPO alike); `export`, `prefs`, `runs`, the model card,
`train --resume` and DPO's `--from` read it:

    base/             a GGUF base, rebuilt as a plain model directory (what the adapter applies to)
    adapter/          the LoRA adapter + tokenizer (what `rustdoc-gen export` merges)
    checkpoints/      checkpoint-N/ every --save-steps (for --resume)
    merged/           `export`'s merged HF model
    metrics.jsonl     one JSON object per logged step
    run.json          config, dataset fingerprint, prompt format, library versions, git commit, results
    loss.png          train and eval loss curves

Nothing here imports torch: reading a run (to check arguments, to list runs) is instant.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rustdoc_core.atomic import write_text_atomic

ADAPTER_CONFIG = "adapter_config.json"
CHECKPOINT_PREFIX = "checkpoint-"
CHECKPOINT_DONE = "trainer_state.json"  # the trainer writes it last: a checkpoint without it was cut short


class RunDirError(ValueError):
    """A run directory (or an adapter in it) that cannot be read: one line for the user."""


def read_json_file(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from `path`; RunDirError in one line when it is unreadable, not JSON or not an object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise RunDirError(f"cannot read {path}: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "not UTF-8"
        raise RunDirError(f"{path} is corrupt ({what}: {reason}); rerun the step that wrote it") from None
    if not isinstance(data, dict):
        raise RunDirError(f"{path} is corrupt ({what}: not a JSON object); rerun the step that wrote it")
    return data


def read_adapter_config(adapter_dir: Path) -> dict[str, Any]:
    """A peft adapter's adapter_config.json, or RunDirError in one line."""
    return read_json_file(Path(adapter_dir) / ADAPTER_CONFIG, "the LoRA adapter's settings")


@dataclass(frozen=True)
class RunDir:
    """The directory of one training run, and its files."""

    path: Path

    ADAPTER = "adapter"
    BASE = "base"
    CHECKPOINTS = "checkpoints"
    MERGED = "merged"
    METRICS = "metrics.jsonl"
    INFO = "run.json"
    LOSS_PLOT = "loss.png"

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def adapter(self) -> Path:
        return self.path / self.ADAPTER

    @property
    def base(self) -> Path:
        return self.path / self.BASE

    @property
    def checkpoints(self) -> Path:
        return self.path / self.CHECKPOINTS

    @property
    def merged(self) -> Path:
        return self.path / self.MERGED

    @property
    def metrics_file(self) -> Path:
        return self.path / self.METRICS

    @property
    def info_file(self) -> Path:
        return self.path / self.INFO

    @property
    def loss_plot(self) -> Path:
        return self.path / self.LOSS_PLOT

    # --- what is there ---------------------------------------------------------------------

    @classmethod
    def of_adapter(cls, adapter_dir: Path) -> RunDir | None:
        """The run an adapter directory belongs to (RUN/adapter, or any dir beside a run.json), if any."""
        parent = Path(adapter_dir).parent
        return cls(parent) if (parent / cls.INFO).is_file() else None

    def has_adapter(self) -> bool:
        return (self.adapter / ADAPTER_CONFIG).is_file()

    def has_info(self) -> bool:
        return self.info_file.is_file()

    def is_finished(self) -> bool:
        """An adapter and a run.json: what `export`, `prefs` and DPO's `--from` take."""
        return self.has_adapter() and self.has_info()

    def require_finished(self, flag: str, hint: str) -> dict[str, Any]:
        """run.json of a finished run, else RunDirError naming `flag` (e.g. "--from") and what to do (`hint`)."""
        if not self.is_finished():
            raise RunDirError(f"{flag} {self.path}: not a finished training run (no {self.ADAPTER}/ or {self.INFO}); {hint}")
        return self.info()

    # --- run.json ----------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """run.json as written ({} when there is none yet); RunDirError in one line when it is corrupt."""
        if not self.info_file.is_file():
            return {}
        return read_json_file(self.info_file, "the run's record")

    def write_info(self, info: dict[str, Any]) -> None:
        write_text_atomic(self.info_file, json.dumps(info, indent=2) + "\n")

    def config(self) -> dict[str, Any]:
        """The settings the run was started with (run.json's "config")."""
        config = self.info().get("config") or {}
        return config if isinstance(config, dict) else {}

    # --- checkpoints -------------------------------------------------------------------------

    def last_checkpoint(self) -> Path | None:
        """The newest complete checkpoint (its trainer_state.json, written last, exists)."""
        return max(self._checkpoints(complete=True), key=checkpoint_step, default=None)

    def remove_partial_checkpoints(self) -> None:
        """Checkpoints cut short by a kill (no trainer_state.json) would confuse a later resume."""
        for path in self._checkpoints(complete=False):
            shutil.rmtree(path, ignore_errors=True)

    def _checkpoints(self, *, complete: bool) -> list[Path]:
        if not self.checkpoints.is_dir():
            return []
        return [
            p for p in self.checkpoints.iterdir()
            if p.is_dir() and p.name.startswith(CHECKPOINT_PREFIX) and p.name[len(CHECKPOINT_PREFIX):].isdigit()
            and (p / CHECKPOINT_DONE).is_file() == complete
        ]

    # --- metrics.jsonl ----------------------------------------------------------------------

    def read_metrics(self) -> list[dict[str, Any]]:
        """The logged rows, up to the first line a kill cut (the rest is not trusted)."""
        if not self.metrics_file.is_file():
            return []
        rows = []
        for line in self.metrics_file.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                break
        return rows

    def truncate_metrics(self, step: int) -> None:
        """Drop rows logged after `step` (they are logged again when training resumes from it)."""
        rows = [r for r in self.read_metrics() if r.get("step", 0) <= step]
        write_text_atomic(self.metrics_file, "".join(json.dumps(r) + "\n" for r in rows))


def checkpoint_step(checkpoint: Path) -> int:
    """N of checkpoint-N."""
    return int(Path(checkpoint).name[len(CHECKPOINT_PREFIX):])
