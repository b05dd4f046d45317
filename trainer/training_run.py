"""One training run, whatever the method: what SFT (`trainer.train`) and DPO (`trainer.dpo`) share.

As in trl, where the SFT and DPO trainers stand on shared utilities and never on each
other, the two methods are peers over this module:

- before anything heavy is imported: the run directory checked (fresh, or resumed from
  its last complete checkpoint) and, on a failed start, not left behind empty;
- the start: quiet libraries, the seed, the device and precision; the base model and
  its tokenizer; the TrainingArguments every method takes from the config;
- the run's record (run.json fields every method writes);
- the train loop: Ctrl-C and SIGTERM keep the last checkpoint, a full disk is one line,
  the adapter is saved atomically, run.json gets the results and loss.png the curve;
- the dry run: a few steps in a temporary directory, and the full run's estimate.

Heavy libraries (torch, transformers, trl, peft) are imported inside the functions that
need them, so a bad argument fails before any of them loads.
"""

from __future__ import annotations

import errno
import logging
import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rustdoc_console import UserError, is_quiet, table
from rustdoc_core.atomic import atomic_path
from rustdoc_core.generation.prompt import PROMPT_FORMAT_VERSION
from trainer.base_models import ResolvedBase, UnsupportedArchitecture, config_architecture
from trainer.config import TrainConfig
from trainer.run_dir import RunDir, RunDirError, checkpoint_step

log = logging.getLogger(__name__)

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


# --- before anything heavy ------------------------------------------------------------------


def check_config(config: TrainConfig) -> None:
    """The config's own checks, as one line naming the field."""
    try:
        config.validate()
    except ValueError as error:
        raise UserError(str(error)) from None


def check_qlora() -> None:
    import torch

    if not torch.cuda.is_available():
        raise UserError("--qlora needs a CUDA device and none was found; train without --qlora on this machine")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise UserError("--qlora needs bitsandbytes: pip install 'rustdoc-gen[qlora]'") from None


def check_output(config: TrainConfig) -> tuple[RunDir, Path | None]:
    """The run directory and the checkpoint to resume from (None: a fresh run), checked; nothing created yet."""
    run = RunDir(Path(config.output))  # type: ignore[arg-type]
    if run.path.exists() and not run.path.is_dir():
        raise UserError(f"output {run.path} exists and is not a directory")
    checkpoint = run.last_checkpoint() if run.path.is_dir() else None
    if config.resume:
        if checkpoint is None:
            log.warning("No checkpoint in %s to resume from: starting from step 0", run.checkpoints)
    elif checkpoint is not None or run.adapter.exists():
        raise UserError(f"{run.path} already holds a training run; add --resume to continue it or choose a new --output")
    return run, checkpoint


def resumed_input_matches(run: RunDir, checkpoint: Path | None, section: str, fingerprint: Callable[[], str]) -> bool:
    """Whether a resumed run goes on with the input (run.json's `section`) it started on; a fresh run always does."""
    if checkpoint is None:
        return True
    try:
        started = (run.info().get(section) or {}).get("fingerprint")
    except RunDirError as error:
        raise UserError(str(error)) from None
    return not started or started == fingerprint()


@contextmanager
def opened_run_dir(run: RunDir, *, resume: bool) -> Iterator[None]:
    """The run directory, created; a run started here that fails before its first checkpoint takes it away
    again (no empty or half-begun run is left to block the next `--output`)."""
    created = not run.path.exists()
    try:
        run.path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {run.path}: {error.strerror}") from None
    if resume:
        run.remove_partial_checkpoints()
    try:
        yield
    except (UserError, RunDirError, OSError):
        if created and run.last_checkpoint() is None:
            shutil.rmtree(run.path, ignore_errors=True)
        raise


# --- the start ---------------------------------------------------------------------------------


def start_training(config: TrainConfig) -> tuple[bool, bool]:
    """Libraries quiet, seeds set; (CUDA present, bf16 used): the start every method shares."""
    import torch
    from transformers import set_seed

    _quiet_libraries()
    set_seed(config.seed)
    cuda = torch.cuda.is_available()
    return cuda, cuda and config.bf16 and torch.cuda.is_bf16_supported()


def _quiet_libraries() -> None:
    # Our own bar shows progress; the libraries' per-map and weight-loading bars only under -vv.
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG or logging.getLogger("datasets").level > logging.DEBUG:
        import datasets
        import transformers

        datasets.disable_progress_bars()
        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()


def load_base_model(config: TrainConfig, use_bf16: bool, base: ResolvedBase):
    """Tokenizer, model and LoRA targets of a supported base (an unsupported architecture is refused by name)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"dtype": torch.bfloat16 if use_bf16 else torch.float32}
    if config.qlora:
        kwargs.update(_qlora_kwargs(use_bf16))
    try:
        architecture = config_architecture(AutoConfig.from_pretrained(base.load_from), f"base model {base.given}")
        tokenizer = AutoTokenizer.from_pretrained(base.load_from)
        model = AutoModelForCausalLM.from_pretrained(base.load_from, **kwargs)
    except UnsupportedArchitecture as error:
        raise UserError(str(error)) from None
    except (OSError, ValueError, KeyError) as error:
        raise UserError(f"cannot load base model {base.given!r}: {str(error).strip().splitlines()[0]}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if config.qlora:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.gradient_checkpointing)
    return tokenizer, model, config.lora_targets or architecture.lora_targets


def _qlora_kwargs(use_bf16: bool) -> dict[str, Any]:
    """from_pretrained's arguments for a 4-bit NF4 base on this process's GPU."""
    import torch
    from transformers import BitsAndBytesConfig

    return {
        "quantization_config": BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16 if use_bf16 else torch.float16,
        ),
        "device_map": {"": process_state().process_index},
    }


def warmup_args(ratio: float) -> dict[str, float]:
    """The warmup share of the steps as this transformers reads it: 5.x takes a float below 1 in
    `warmup_steps` as a ratio (and drops `warmup_ratio`); 4.x reads `warmup_steps` as a count."""
    import transformers

    if int(transformers.__version__.split(".", 1)[0]) >= 5:
        return {"warmup_steps": ratio}
    return {"warmup_ratio": ratio}


def trainer_args(config: TrainConfig, run: RunDir, *, cuda: bool, use_bf16: bool) -> dict[str, Any]:
    """The TrainingArguments every method (SFT, DPO) takes from the config: steps, batch, schedule,
    checkpoints, seeds, precision, device and reporting."""
    return {
        "output_dir": str(run.checkpoints),
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


# --- the run's record -------------------------------------------------------------------------


def process_state():
    """accelerate's state of this process among those training together. Without CUDA it is a CPU state, so
    processes started by accelerate's multi-process launcher (`accelerate launch --multi_gpu --num_processes N`,
    or torchrun) train data-parallel over gloo, as the Trainer's own CPU state expects."""
    import os

    import torch
    from accelerate import PartialState

    cuda = torch.cuda.is_available()
    if not cuda and os.environ.get("MASTER_ADDR") and "WORLD_SIZE" not in os.environ and not _warned:
        # `accelerate launch --cpu --num_processes N` starts one process (more need mpirun): say so, once.
        _warned.append(True)
        log.warning("accelerate launch --cpu starts a single process; for N data-parallel CPU processes (gloo) run "
                    "`accelerate launch --multi_gpu --num_processes N -m rustdoc_cli train ...`")
    return PartialState(cpu=not cuda)


_warned: list[bool] = []


def is_main_process() -> bool:
    """Under `accelerate launch` every process runs the run; only the main one writes its files."""
    return process_state().is_main_process


def process_count() -> int:
    """How many processes train together (data parallel under `accelerate launch`; 1 otherwise)."""
    return process_state().num_processes


def begin_record(run: RunDir, checkpoint: Path | None, *, cuda: bool, use_bf16: bool) -> dict[str, Any]:
    """metrics.jsonl cut back to the resumed step (or removed, for a fresh run) on the main process; the
    run.json fields every method records."""
    import torch

    resumed_from = checkpoint_step(checkpoint) if checkpoint is not None else None
    if is_main_process():
        if resumed_from is not None:
            run.truncate_metrics(resumed_from)
        elif run.metrics_file.exists():
            run.metrics_file.unlink()
    return {
        "status": "running",
        "started": _now(),
        "prompt_format_version": PROMPT_FORMAT_VERSION,
        "versions": library_versions(),
        "git_commit": git_commit(),
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "precision": "bf16" if use_bf16 else "fp32",
        "processes": process_count(),
        "resumed_from_step": resumed_from,
    }


def write_record(run: RunDir, info: dict[str, Any]) -> None:
    """run.json, from the main process only."""
    if is_main_process():
        run.write_info(info)


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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- the train loop ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOutputs:
    """Where a method's run goes and what it records: the run dir, its record so far, the checkpoint it
    resumes from, the record counts (train, validation), the loss plot's title, the adapters to save."""

    run: RunDir
    info: dict[str, Any]
    checkpoint: Path | None
    records: tuple[int, int]
    plot_title: str
    adapters: list[str] | None = None  # which of the model's adapters to save (default all)


def kept_records(trainer: Any, config: TrainConfig) -> tuple[int, int]:
    """The records trl kept (it drops those whose prompt alone fills --max-seq-len): none to train on is one line;
    no validation left turns evaluation off with a warning rather than failing at the first evaluation."""
    train = len(trainer.train_dataset)
    if train == 0:
        raise UserError(f"every training record's prompt is longer than --max-seq-len {config.max_seq_len}: raise it")
    validation = len(trainer.eval_dataset) if trainer.eval_dataset is not None else 0
    if trainer.eval_dataset is not None and validation == 0:
        log.warning("every validation record's prompt is longer than --max-seq-len %d: no evaluation (raise it to evaluate)",
                    config.max_seq_len)
        trainer.eval_dataset = None
        trainer.args.eval_strategy = "no"
    return train, validation


def make_callbacks(run: RunDir) -> tuple[Any, Any]:
    """Our trainer callbacks (metrics.jsonl with tokens/s, the progress bar), for a method to pass its trainer."""
    from trainer.callbacks import MetricsLog, ProgressBar

    return MetricsLog(run), ProgressBar()


def run_trainer(trainer: Any, callbacks: tuple[Any, Any], out: RunOutputs) -> TrainSummary:
    """Train with a built trl trainer (SFT or DPO) and finish the run as every method does."""
    from transformers import PrinterCallback

    metrics, bar = callbacks
    trainer.remove_callback(PrinterCallback)
    start = time.perf_counter()
    try:
        eval_loss = _train(trainer, out, metrics)
    finally:
        bar.close()
    seconds = time.perf_counter() - start
    save_adapter(trainer, out)
    summary = summarize(out, out.run.read_metrics(), steps=trainer.state.global_step, eval_loss=eval_loss, seconds=seconds)
    if trainer.is_world_process_zero():
        record_results(out, summary)
    return summary


def save_adapter(trainer: Any, out: RunOutputs) -> None:
    """RUN/adapter/, atomically: the trained adapter (only `out.adapters` of the model's, when named) and the
    tokenizer. Every process takes part, as FSDP and DeepSpeed gather the sharded weights; the main one writes."""
    staging = out.run.path / ".adapter.saving"
    if trainer.is_world_process_zero():
        shutil.rmtree(staging, ignore_errors=True)
    trainer.accelerator.wait_for_everyone()
    trainer.save_model(str(staging))
    if trainer.is_world_process_zero():
        for name in getattr(trainer.model, "peft_config", {}):
            if out.adapters and name not in out.adapters and name != "default":
                shutil.rmtree(staging / name, ignore_errors=True)  # e.g. DPO's frozen "ref" copy
        (staging / "training_args.bin").unlink(missing_ok=True)
        with atomic_path(out.run.adapter) as tmp:
            os.replace(staging, tmp)
    trainer.accelerator.wait_for_everyone()


def _train(trainer: Any, out: RunOutputs, metrics: Any) -> float | None:
    """trainer.train (resumed from `out.checkpoint`), then the final eval loss; Ctrl-C, SIGTERM and a full disk
    stop it with the last checkpoint intact."""
    try:
        with _sigterm_as_interrupt():
            trainer.train(resume_from_checkpoint=str(out.checkpoint) if out.checkpoint is not None else None)
            return _final_eval_loss(trainer, metrics) if out.records[1] else None
    except KeyboardInterrupt:
        write_record(out.run, {**out.info, "status": "interrupted"})
        raise TrainingInterrupted(trainer.state.global_step, out.run.last_checkpoint()) from None
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise UserError(
                f"no space left on the device while training; checkpoints in {out.run.checkpoints} are intact, "
                "free space and add --resume"
            ) from None
        raise


def _final_eval_loss(trainer: Any, metrics: Any) -> float | None:
    # The trainer evaluates at each epoch's end, also when max_steps stops it mid-epoch.
    last = metrics.rows[-1] if metrics.rows else {}
    if last.get("eval_loss") is not None and last.get("step") == trainer.state.global_step:
        return last["eval_loss"]
    return trainer.evaluate().get("eval_loss")


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


def summarize(out: RunOutputs, history: list[dict[str, Any]], *, steps: int, eval_loss: float | None,
              seconds: float) -> TrainSummary:
    from trainer.callbacks import perplexity

    losses = [r["loss"] for r in history if r.get("loss") is not None]
    speeds = [r["tokens_per_second"] for r in history if r.get("tokens_per_second")]
    return TrainSummary(
        run_dir=out.run.path,
        steps=steps,
        records_train=out.records[0],
        records_validation=out.records[1],
        first_loss=losses[0] if losses else None,
        final_loss=losses[-1] if losses else None,
        best_loss=min(losses) if losses else None,
        eval_loss=eval_loss,
        perplexity=perplexity(eval_loss),
        tokens_per_second=sum(speeds) / len(speeds) if speeds else None,
        seconds=seconds,
        resumed_from=checkpoint_step(out.checkpoint) if out.checkpoint is not None else None,
        history=history,
    )


def record_results(out: RunOutputs, summary: TrainSummary) -> None:
    """run.json marked finished with the results; loss.png drawn."""
    out.run.write_info({
        **out.info,
        "status": "finished",
        "finished": _now(),
        "results": {
            "steps": summary.steps,
            "first_loss": summary.first_loss,
            "final_loss": summary.final_loss,
            "best_loss": summary.best_loss,
            "loss_reduction": summary.loss_reduction,
            "eval_loss": summary.eval_loss,
            "perplexity": summary.perplexity,
            "tokens_per_second": summary.tokens_per_second,
            "train_seconds": round(summary.seconds, 2),
        },
    })
    plot_losses(summary.history, out.run.loss_plot, title=out.plot_title)


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


# --- the dry run -------------------------------------------------------------------------------


def dry_run(config: TrainConfig, *, records: int, run_trial: Callable[[TrainConfig, RunDir], TrainSummary]) -> TrainSummary:
    """A few steps of the method (`run_trial(trial config, run dir)`) in a temporary directory, checkpoint and
    adapter saved; the summary carries the full run's estimated time at the trial's pace (`records`: how many
    the full run would train on)."""
    steps = DRY_RUN_STEPS if config.max_steps == -1 else min(config.max_steps, DRY_RUN_STEPS)
    trial = replace(config, max_steps=steps, save_steps=max(1, steps - 1), logging_steps=1, eval_steps=None,
                    dry_run=False, resume=False)
    with tempfile.TemporaryDirectory(prefix="rustdoc-gen-dry-run-") as tmp:
        run = RunDir(Path(tmp))
        log.info("Dry run: %d steps in %s", steps, tmp)
        summary = run_trial(trial, run)
        if run.last_checkpoint() is None or not run.has_adapter():
            raise UserError("dry run finished but wrote no checkpoint or adapter")
    summary.run_dir = Path(config.output) if config.output else run.path
    summary.estimated_full_seconds = full_run_steps(config, records) * summary.seconds / max(summary.steps, 1)
    return summary


def full_run_steps(config: TrainConfig, records: int) -> int:
    """Optimizer steps of the run `config` describes on `records` records (at most --limit of them)."""
    if config.max_steps != -1:
        return config.max_steps
    records = min(records, config.limit or records)
    return math.ceil(records * config.epochs / (config.batch_size * config.gradient_accumulation))


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
