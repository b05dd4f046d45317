"""LoRA supervised fine-tuning on a mined dataset, with trl's SFTTrainer.

Records are in trl's conversational prompt/completion shape (built by
`rustdoc_core.generation.prompt.training_record`), so the loss falls on the doc only and
the chat template is the tokenizer's. A base without a chat template trains on
the same prompts rendered as plain text (`rustdoc_core.generation.prompt.render_plain`);
run.json records which rendering it was. The base may be a hub id, a model
directory or a GGUF file (`trainer.base_models`). The run directory holds:

    base/             a GGUF base, rebuilt as a plain model directory (what the adapter applies to)
    adapter/          the LoRA adapter + tokenizer (what `rustdoc-gen export` merges)
    checkpoints/      checkpoint-N/ every --save-steps (for --resume)
    metrics.jsonl     one JSON object per logged step
    run.json          config, dataset fingerprint, prompt format, library versions, git commit, results
    loss.png          train and eval loss curves
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import math
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rustdoc_console import UserError, is_quiet, progress, table
from rustdoc_core.atomic import atomic_path, write_text_atomic
from rustdoc_core.generation.prompt import PROMPT_FORMAT_VERSION, READABLE_PROMPT_FORMATS, render_plain
from trainer.base_models import ResolvedBase, UnsupportedArchitecture, config_architecture
from trainer.config import TrainConfig

log = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"
ADAPTER = "adapter"
METRICS = "metrics.jsonl"
RUN_JSON = "run.json"
LOSS_PLOT = "loss.png"
DRY_RUN_STEPS = 3
LIBRARIES = ("torch", "transformers", "peft", "trl", "datasets", "accelerate", "bitsandbytes")


class TrainingInterrupted(Exception):
    """Ctrl-C / SIGTERM during training; the last checkpoint is intact."""

    def __init__(self, step: int, checkpoint: Path | None):
        super().__init__(f"interrupted at step {step}")
        self.step = step
        self.checkpoint = checkpoint


@dataclass
class TrainSummary:
    run_dir: Path
    steps: int
    records_train: int
    records_validation: int
    first_loss: float | None
    final_loss: float | None
    best_loss: float | None
    eval_loss: float | None
    perplexity: float | None
    tokens_per_second: float | None
    seconds: float
    resumed_from: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    estimated_full_seconds: float | None = None  # dry runs: the real run's time at this run's pace

    @property
    def loss_reduction(self) -> float | None:
        if self.first_loss and self.final_loss is not None:
            return (self.first_loss - self.final_loss) / self.first_loss
        return None


# --- data -------------------------------------------------------------------------------


def check_dataset(directory: Path) -> None:
    """Fail fast (one line) on a dataset that does not validate."""
    from corpus_miner.validate import validate_dataset

    problems = validate_dataset(directory)
    if problems:
        more = f" (and {len(problems) - 1} more; run `rustdoc-gen validate {directory}`)" if len(problems) > 1 else ""
        raise UserError(f"dataset {directory} failed validation: {problems[0]}{more}")


def load_split(directory: Path, split: str, *, limit: int | None, seed: int, examples: Any = None) -> list[dict[str, Any]]:
    """Prompt/completion pairs of one split, shuffled with `seed`, at most `limit`.

    Every prompt is rendered anew from the record's item and context (`record_prompt`), so
    what the model learns is what `generate` and the editor ask today, whichever readable
    format the dataset was mined with. With `examples` (a `RetrievalIndex`: `train --rag`),
    each prompt shows the record's neighbours from it, none from the record's own file.
    """
    from corpus_miner.dataset import load_records
    from rustdoc_core.generation.retrieval import record_prompt

    records = []
    try:
        for record in load_records(directory, split):
            version = record.get("prompt_format_version")
            if version not in READABLE_PROMPT_FORMATS:
                raise UserError(
                    f"dataset {directory} uses prompt format v{version}; this rustdoc-gen trains v{PROMPT_FORMAT_VERSION}: re-mine it"
                )
            records.append(record)
    except (OSError, ValueError) as error:
        raise UserError(str(error).splitlines()[0]) from None
    random.Random(f"{seed}:{split}").shuffle(records)
    records = records[:limit] if limit is not None else records
    return [{"prompt": record_prompt(r, examples), "completion": r["completion"]} for r in records]


def rag_examples(directory: Path) -> Any:
    """What `train --rag` shows each prompt: an index of the training split's documented items."""
    from corpus_miner.validate import checked_records
    from rustdoc_core.generation.retrieval import RetrievalIndex

    index = RetrievalIndex()
    try:
        index.add_records(checked_records(directory, "train"))
    except (OSError, ValueError, KeyError) as error:
        raise UserError(f"dataset {directory}: {str(error).splitlines()[0]}") from None
    return index


def dataset_fingerprint(directory: Path) -> str:
    """sha256 over the split files and stats: the same fingerprint means the same data."""
    hasher = hashlib.sha256()
    for name in ("train.jsonl", "validation.jsonl", "test.jsonl", "stats.json"):
        path = directory / name
        if path.is_file():
            hasher.update(name.encode())
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    hasher.update(block)
    return hasher.hexdigest()


# --- checkpoints and metrics ---------------------------------------------------------------


def last_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint (its trainer_state.json, written last, exists)."""
    root = run_dir / CHECKPOINTS
    if not root.is_dir():
        return None
    complete = [
        p for p in root.iterdir()
        if p.is_dir() and p.name.startswith("checkpoint-") and p.name[11:].isdigit() and (p / "trainer_state.json").is_file()
    ]
    return max(complete, key=lambda p: int(p.name[11:]), default=None)


def read_metrics(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / METRICS
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line cut by a kill: the rest is not trusted
    return rows


def truncate_metrics(run_dir: Path, step: int) -> None:
    """Drop metrics logged after `step` (they are recomputed when training resumes from it)."""
    rows = [r for r in read_metrics(run_dir) if r.get("step", 0) <= step]
    write_text_atomic(run_dir / METRICS, "".join(json.dumps(r) + "\n" for r in rows))


def git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def library_versions() -> dict[str, str | None]:
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


# --- the run -------------------------------------------------------------------------------


def lora_config(config: TrainConfig, targets: tuple[str, ...]):
    """The LoRA adapter this run trains (peft), on `targets` (the config's, else the architecture's)."""
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(targets),
        bias="none",
        task_type="CAUSAL_LM",
    )


def resolve_base(config: TrainConfig, run_dir: Path) -> ResolvedBase:
    """The base as from_pretrained reads it; a GGUF base is rebuilt once under `run_dir/base/`."""
    from accelerate import PartialState

    from trainer.base_models import resolve_base_model

    try:
        # Under `accelerate launch` the main process rebuilds a GGUF base; the others then find it there.
        with PartialState().main_process_first():
            return resolve_base_model(config.base_model, run_dir)
    except ValueError as error:
        raise UserError(str(error)) from None


def prompt_rendering(tokenizer: Any) -> str:
    """The rendering a base is asked in: its own chat template ("chat"), or plain text when it has none."""
    return "chat" if tokenizer.chat_template else "plain"


def rendered_records(records: list[dict[str, Any]], rendering: str, eos_token: str) -> list[dict[str, Any]]:
    """Records as the model is asked: conversational for "chat", plain prompt/completion strings for "plain"."""
    if rendering == "chat":
        return records
    return [
        {"prompt": render_plain(r["prompt"]), "completion": r["completion"][0]["content"] + eos_token}
        for r in records
    ]


def check_qlora() -> None:
    import torch

    if not torch.cuda.is_available():
        raise UserError("--qlora needs a CUDA device and none was found; train without --qlora on this machine")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise UserError("--qlora needs bitsandbytes: pip install 'rustdoc-gen[qlora]'") from None


def load_base_model(config: TrainConfig, use_bf16: bool, base: ResolvedBase):
    """Tokenizer, model and LoRA targets of a supported base (an unsupported architecture is refused by name)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"dtype": torch.bfloat16 if use_bf16 else torch.float32}
    if config.qlora:
        from accelerate import PartialState
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16 if use_bf16 else torch.float16,
        )
        kwargs["device_map"] = {"": PartialState().process_index}
    try:
        architecture = config_architecture(AutoConfig.from_pretrained(base.load_from), f"base model {config.base_model}")
        tokenizer = AutoTokenizer.from_pretrained(base.load_from)
        model = AutoModelForCausalLM.from_pretrained(base.load_from, **kwargs)
    except UnsupportedArchitecture as error:
        raise UserError(str(error)) from None
    except (OSError, ValueError, KeyError) as error:
        raise UserError(f"cannot load base model {config.base_model!r}: {str(error).strip().splitlines()[0]}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if config.qlora:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.gradient_checkpointing)
    return tokenizer, model, config.lora_targets or architecture.lora_targets


def warmup_args(ratio: float) -> dict[str, float]:
    """The warmup share of the steps as this transformers reads it: 5.x takes a float below 1 in
    `warmup_steps` as a ratio (and drops `warmup_ratio`); 4.x reads `warmup_steps` as a count."""
    import transformers

    if int(transformers.__version__.split(".", 1)[0]) >= 5:
        return {"warmup_steps": ratio}
    return {"warmup_ratio": ratio}


def trainer_args(config: TrainConfig, run_dir: Path, *, cuda: bool, use_bf16: bool) -> dict[str, Any]:
    """The TrainingArguments every method (SFT, DPO) takes from the config: steps, batch, schedule,
    checkpoints, seeds, precision, device and reporting."""
    return {
        "output_dir": str(run_dir / CHECKPOINTS),
        "max_steps": config.max_steps,
        "num_train_epochs": config.epochs,
        "per_device_train_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.gradient_accumulation,
        "learning_rate": config.learning_rate,
        "lr_scheduler_type": config.lr_scheduler,
        **warmup_args(config.warmup_ratio),
        "logging_steps": config.logging_steps,
        "logging_first_step": True,
        "save_strategy": "steps",
        "save_steps": config.save_steps,
        "save_total_limit": 3,
        "max_length": config.max_seq_len,
        "seed": config.seed,
        "data_seed": config.seed,
        "bf16": use_bf16,
        "fp16": False,
        "use_cpu": not cuda,
        "activation_checkpointing": cuda and config.gradient_checkpointing,
        "report_to": config.report_to,
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
    }


def sft_args(config: TrainConfig, run_dir: Path, *, cuda: bool, use_bf16: bool, has_eval: bool):
    from trl import SFTConfig

    return SFTConfig(
        **trainer_args(config, run_dir, cuda=cuda, use_bf16=use_bf16),
        per_device_eval_batch_size=config.batch_size,
        eval_strategy=("steps" if config.eval_steps else "epoch") if has_eval else "no",
        eval_steps=config.eval_steps,
        packing=config.packing,
        completion_only_loss=True,
    )


def make_callbacks(run_dir: Path, write: bool):
    """Our trainer callbacks: metrics.jsonl with tokens/s, and a rich progress bar."""
    from transformers import TrainerCallback

    class MetricsLog(TrainerCallback):
        """One JSON line per logged step: step, loss, learning_rate, eval_loss, perplexity, tokens_per_second."""

        def __init__(self) -> None:
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
                "perplexity": _perplexity(logs.get("eval_loss")),
                "tokens_per_second": None,
            }
            # What a DPO trainer logs besides the loss: rewards of chosen and rejected, their margin, accuracy.
            row.update({k: v for k, v in logs.items() if k.startswith(("rewards/", "logps/"))})
            if "loss" in logs:
                tokens = logs.get("num_tokens")
                if tokens is not None and self.last_tokens is not None and tokens > self.last_tokens and self.step_seconds > 0:
                    row["tokens_per_second"] = (tokens - self.last_tokens) / self.step_seconds
                elif tokens is not None and self.last_tokens is None and self.step_seconds > 0 and state.global_step <= 1:
                    row["tokens_per_second"] = tokens / self.step_seconds
                if tokens is not None:
                    self.last_tokens = tokens
                self.step_seconds = 0.0
            self.rows.append(row)
            if write and state.is_world_process_zero:
                with open(run_dir / METRICS, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(row) + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())

    class ProgressBar(TrainerCallback):
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

    return MetricsLog(), ProgressBar()


def _perplexity(loss: float | None) -> float | None:
    if loss is None:
        return None
    return math.exp(loss) if loss < 50 else float("inf")


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A scheduler's SIGTERM stops training like Ctrl-C: the last checkpoint stays usable."""

    def handler(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def prepare_run_dir(config: TrainConfig) -> tuple[Path, Path | None]:
    """The run directory and the checkpoint to resume from (None: a fresh run)."""
    run_dir = Path(config.output)  # type: ignore[arg-type]
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"output {run_dir} exists and is not a directory")
    checkpoint = last_checkpoint(run_dir) if run_dir.is_dir() else None
    if config.resume:
        remove_partial_checkpoints(run_dir)
        if checkpoint is None:
            log.warning("No checkpoint in %s to resume from: starting from step 0", run_dir / CHECKPOINTS)
    elif checkpoint is not None or (run_dir / ADAPTER).exists():
        raise UserError(f"{run_dir} already holds a training run; add --resume to continue it or choose a new --output")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {run_dir}: {error.strerror}") from None
    return run_dir, checkpoint


def train(config: TrainConfig) -> TrainSummary:
    """Run (or resume, or dry-run) one fine-tuning job; return its summary."""
    from transformers import SchedulerType

    config.validate()
    schedules = [s.value for s in SchedulerType]
    if config.lr_scheduler not in schedules:
        raise UserError(f"lr_scheduler: {config.lr_scheduler!r} is not one of {', '.join(schedules)}")
    if config.method == "dpo":
        from trainer.dpo import train_dpo

        return train_dpo(config)
    if config.dry_run:
        return dry_run(config)
    dataset_dir = Path(config.dataset)  # type: ignore[arg-type]
    check_dataset(dataset_dir)
    if config.qlora:
        check_qlora()
    run_dir, checkpoint = prepare_run_dir(config)
    if checkpoint is not None and (run_dir / RUN_JSON).is_file():
        started_on = json.loads((run_dir / RUN_JSON).read_text()).get("dataset", {}).get("fingerprint")
        if started_on and started_on != dataset_fingerprint(dataset_dir):
            raise UserError(f"dataset {dataset_dir} differs from the one {run_dir} started on; resume with the same data or start a new run")
    examples = rag_examples(dataset_dir) if config.rag else None
    train_records = load_split(dataset_dir, "train", limit=config.limit, seed=config.seed, examples=examples)
    validation = [] if config.eval_limit == 0 else load_split(dataset_dir, "validation", limit=config.eval_limit, seed=config.seed, examples=examples)
    if not train_records:
        raise UserError(f"dataset {dataset_dir} has no training records")
    return _run(config, run_dir, checkpoint, train_records, validation, write=True)


def dry_run(config: TrainConfig) -> TrainSummary:
    """1% of the data (at least 16 records), a few steps, checkpoint and adapter saved, in a temporary dir."""
    dataset_dir = Path(config.dataset)  # type: ignore[arg-type]
    check_dataset(dataset_dir)
    if config.qlora:
        check_qlora()
    examples = rag_examples(dataset_dir) if config.rag else None
    everything = load_split(dataset_dir, "train", limit=None, seed=config.seed)
    if not everything:
        raise UserError(f"dataset {dataset_dir} has no training records")
    share = max(16, math.ceil(len(everything) * 0.01))
    train_records = everything[: min(share, config.limit or share)]
    if examples is not None:  # the same records, asked with their neighbours
        train_records = load_split(dataset_dir, "train", limit=len(train_records), seed=config.seed, examples=examples)
    validation = load_split(dataset_dir, "validation", limit=8, seed=config.seed, examples=examples) if config.eval_limit != 0 else []
    steps = DRY_RUN_STEPS if config.max_steps == -1 else min(config.max_steps, DRY_RUN_STEPS)
    trial = replace(config, max_steps=steps, save_steps=max(1, steps - 1), logging_steps=1, eval_steps=None, dry_run=False, resume=False)
    with tempfile.TemporaryDirectory(prefix="rustdoc-gen-dry-run-") as tmp:
        log.info("Dry run: %d records, %d steps, in %s", len(train_records), steps, tmp)
        summary = _run(trial, Path(tmp), None, train_records, validation, write=True)
        summary.run_dir = Path(config.output) if config.output else Path(tmp)
        records = min(len(everything), config.limit or len(everything))
        full_steps = config.max_steps if config.max_steps != -1 else math.ceil(
            records * config.epochs / (config.batch_size * config.gradient_accumulation)
        )
        summary.estimated_full_seconds = full_steps * summary.seconds / max(summary.steps, 1)
        if last_checkpoint(Path(tmp)) is None or not (Path(tmp) / ADAPTER / "adapter_config.json").is_file():
            raise UserError("dry run finished but wrote no checkpoint or adapter")
    return summary


def _run(
    config: TrainConfig,
    run_dir: Path,
    checkpoint: Path | None,
    train_records: list[dict[str, Any]],
    validation: list[dict[str, Any]],
    *,
    write: bool,
) -> TrainSummary:
    from datasets import Dataset
    from trl import SFTTrainer

    cuda, use_bf16 = start_training(config)
    base = resolve_base(config, run_dir)
    tokenizer, model, targets = load_base_model(config, use_bf16, base)
    rendering = prompt_rendering(tokenizer)
    train_records = rendered_records(train_records, rendering, tokenizer.eos_token)
    validation = rendered_records(validation, rendering, tokenizer.eos_token)
    main_process, common = restart_metrics(run_dir, checkpoint, cuda=cuda, use_bf16=use_bf16)
    run_info: dict[str, Any] = {
        **common,
        "config": {**config.to_dict(), "base_model": base.load_from if base.gguf is None else str(base.gguf)},
        "base": {"load_from": base.load_from, "gguf": str(base.gguf) if base.gguf else None},
        "lora_targets": list(targets),
        "prompt_rendering": rendering,
        "dataset": {
            "path": str(Path(config.dataset).resolve()),  # type: ignore[arg-type]
            "fingerprint": dataset_fingerprint(Path(config.dataset)),  # type: ignore[arg-type]
            "records_train": len(train_records),
            "records_validation": len(validation),
        },
    }
    if main_process:
        _write_run_json(run_dir, run_info)

    metrics, bar = make_callbacks(run_dir, write)
    trainer = SFTTrainer(
        model=model,
        args=sft_args(config, run_dir, cuda=cuda, use_bf16=use_bf16, has_eval=bool(validation)),
        train_dataset=Dataset.from_list(train_records),
        eval_dataset=Dataset.from_list(validation) if validation else None,
        processing_class=tokenizer,
        peft_config=lora_config(config, targets),
        callbacks=[metrics, bar],
    )
    return run_trainer(
        trainer, run_dir=run_dir, run_info=run_info, checkpoint=checkpoint, callbacks=(metrics, bar),
        records=(len(train_records), len(validation)), write=write, plot_title=f"{Path(base.gguf or base.load_from).name} LoRA r={config.lora_r}",
    )


def start_training(config: TrainConfig) -> tuple[bool, bool]:
    """Libraries quiet, seeds set; (CUDA present, bf16 used): the start every method shares."""
    import torch
    from transformers import set_seed

    _quiet_libraries()
    set_seed(config.seed)
    cuda = torch.cuda.is_available()
    return cuda, cuda and config.bf16 and torch.cuda.is_bf16_supported()


def restart_metrics(run_dir: Path, checkpoint: Path | None, *, cuda: bool, use_bf16: bool) -> tuple[bool, dict[str, Any]]:
    """metrics.jsonl cut back to the resumed step (or removed for a fresh run) on the main process, and the
    run.json fields every method records. Returns (main process, those fields)."""
    import torch
    from accelerate import PartialState

    # Under `accelerate launch` every process runs this; only the main one writes the run's files.
    main_process = PartialState().is_main_process
    resumed_from = int(checkpoint.name.split("-")[-1]) if checkpoint is not None else None
    if main_process and resumed_from is not None:
        truncate_metrics(run_dir, resumed_from)
    elif main_process and (run_dir / METRICS).exists():
        (run_dir / METRICS).unlink()
    return main_process, {
        "status": "running",
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "prompt_format_version": PROMPT_FORMAT_VERSION,
        "versions": library_versions(),
        "git_commit": git_commit(),
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "precision": "bf16" if use_bf16 else "fp32",
        "resumed_from_step": resumed_from,
    }


def run_trainer(
    trainer: Any,
    *,
    run_dir: Path,
    run_info: dict[str, Any],
    checkpoint: Path | None,
    callbacks: tuple[Any, Any],
    records: tuple[int, int],
    write: bool,
    plot_title: str,
    adapters: list[str] | None = None,
) -> TrainSummary:
    """Train with a built trl trainer (SFT or DPO) and finish the run as every method does: Ctrl-C and
    SIGTERM keep the last checkpoint, the adapter (`adapters`: which of the model's; default all) is
    saved atomically, run.json gets the results and loss.png the curve."""
    from accelerate import PartialState
    from transformers import PrinterCallback

    metrics, bar = callbacks
    main_process = PartialState().is_main_process
    resumed_from = int(checkpoint.name.split("-")[-1]) if checkpoint is not None else None
    validation = records[1]
    trainer.remove_callback(PrinterCallback)
    start = time.perf_counter()
    try:
        with _sigterm_as_interrupt():
            trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint is not None else None)
            eval_loss = None
            if validation:
                # The trainer evaluates at each epoch's end, also when max_steps stops it mid-epoch.
                last = metrics.rows[-1] if metrics.rows else {}
                if last.get("eval_loss") is not None and last.get("step") == trainer.state.global_step:
                    eval_loss = last["eval_loss"]
                else:
                    eval_loss = trainer.evaluate().get("eval_loss")
    except KeyboardInterrupt:
        bar.close()
        run_info["status"] = "interrupted"
        if main_process:
            _write_run_json(run_dir, run_info)
        raise TrainingInterrupted(trainer.state.global_step, last_checkpoint(run_dir)) from None
    except OSError as error:
        bar.close()
        if error.errno == errno.ENOSPC:
            raise UserError(
                f"no space left on the device while training; checkpoints in {run_dir / CHECKPOINTS} are intact, free space and add --resume"
            ) from None
        raise
    finally:
        bar.close()
    seconds = time.perf_counter() - start

    if trainer.is_world_process_zero():
        with atomic_path(run_dir / ADAPTER) as tmp:
            trainer.model.save_pretrained(tmp, **({"selected_adapters": adapters} if adapters else {}))
            trainer.processing_class.save_pretrained(tmp)
    history = read_metrics(run_dir) if write else metrics.rows
    losses = [r["loss"] for r in history if r.get("loss") is not None]
    speeds = [r["tokens_per_second"] for r in history if r.get("tokens_per_second")]
    summary = TrainSummary(
        run_dir=run_dir,
        steps=trainer.state.global_step,
        records_train=records[0],
        records_validation=records[1],
        first_loss=losses[0] if losses else None,
        final_loss=losses[-1] if losses else None,
        best_loss=min(losses) if losses else None,
        eval_loss=eval_loss,
        perplexity=_perplexity(eval_loss),
        tokens_per_second=sum(speeds) / len(speeds) if speeds else None,
        seconds=seconds,
        resumed_from=resumed_from,
        history=history,
    )
    if trainer.is_world_process_zero():
        run_info.update(
            status="finished",
            finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            results={
                "steps": summary.steps,
                "first_loss": summary.first_loss,
                "final_loss": summary.final_loss,
                "best_loss": summary.best_loss,
                "loss_reduction": summary.loss_reduction,
                "eval_loss": summary.eval_loss,
                "perplexity": summary.perplexity,
                "tokens_per_second": summary.tokens_per_second,
                "train_seconds": round(seconds, 2),
            },
        )
        _write_run_json(run_dir, run_info)
        plot_losses(history, run_dir / LOSS_PLOT, title=plot_title)
    return summary


def _quiet_libraries() -> None:
    # Our own bar shows progress; the libraries' per-map and weight-loading bars only under -vv.
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG or logging.getLogger("datasets").level > logging.DEBUG:
        import datasets
        import transformers

        datasets.disable_progress_bars()
        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()


def _write_run_json(run_dir: Path, info: dict[str, Any]) -> None:
    write_text_atomic(run_dir / RUN_JSON, json.dumps(info, indent=2) + "\n")


def plot_losses(history: list[dict[str, Any]], target: Path, title: str = "") -> None:
    """Train loss by step, eval loss as markers (PNG, atomic)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [(r["step"], r["loss"]) for r in history if r.get("loss") is not None]
    evals = [(r["step"], r["eval_loss"]) for r in history if r.get("eval_loss") is not None]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    if train:
        ax.plot(*zip(*train), label="train loss", color="tab:blue")
    if evals:
        ax.plot(*zip(*evals), "o--", label="eval loss", color="tab:orange")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_path(target, suffix=".png") as tmp:
        fig.savefig(tmp)
    plt.close(fig)


def print_summary(summary: TrainSummary, *, dry_run: bool = False) -> None:
    def fmt(value: float | None, pattern: str = "{:.4f}") -> str:
        return "-" if value is None else pattern.format(value)

    rows = [
        ("steps", summary.steps if summary.resumed_from is None else f"{summary.steps} (resumed at {summary.resumed_from})"),
        ("records (train / validation)", f"{summary.records_train} / {summary.records_validation}"),
        ("first loss", fmt(summary.first_loss)),
        ("final loss", fmt(summary.final_loss)),
        ("best loss", fmt(summary.best_loss)),
        ("loss reduction", fmt(summary.loss_reduction, "{:.1%}")),
        ("eval loss", fmt(summary.eval_loss)),
        ("perplexity", fmt(summary.perplexity, "{:.2f}")),
        ("tokens/s", fmt(summary.tokens_per_second, "{:,.0f}")),
        ("time", f"{summary.seconds:.1f} s"),
    ]
    if summary.estimated_full_seconds is not None:
        rows.append(("estimated full run (one device)", f"{summary.estimated_full_seconds / 3600:.1f} h"))
    if not dry_run:
        rows.append(("run", str(summary.run_dir)))
    table("Dry run: the run works" if dry_run else "Training summary", ("", "value"), rows)
    if not is_quiet() and dry_run:
        log.info("Dry run done; nothing kept. Drop --dry-run to train for real.")


def remove_partial_checkpoints(run_dir: Path) -> None:
    """Checkpoints cut short by a kill (no trainer_state.json) would confuse a later resume."""
    root = run_dir / CHECKPOINTS
    if root.is_dir():
        for path in root.iterdir():
            if path.is_dir() and path.name.startswith("checkpoint-") and not (path / "trainer_state.json").is_file():
                shutil.rmtree(path, ignore_errors=True)
