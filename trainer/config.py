"""Typed training settings: one dataclass whose fields carry their help text.

The `train` command's options are generated from these fields, a TOML or YAML
`--config` file gives defaults, and flags given on the command line override
the file. Unknown keys and wrong types fail fast, naming the field.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_BASE_MODEL = "Qwen/Qwen2.5-Coder-1.5B-Instruct"
METHODS = ("sft", "dpo")
# No modules named: LoRA adapts the base architecture's own defaults (trainer.base_models.ARCHITECTURES).
LORA_TARGETS: tuple[str, ...] = ()
LR_SCHEDULERS = (
    "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt",
    "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay", "greedy",
)
"""transformers' SchedulerType values, named here so a bad `--lr-scheduler` fails before transformers loads
(tests/trainer/test_train_inputs.py holds them equal)."""
REPORT_TO = {"none": None, "tensorboard": "tensorboard", "trackio": "trackio", "wandb": "wandb"}
"""`--report-to` choices (transformers' integration names) -> the package each needs."""


def _option(default: Any, help: str, *, short: str | None = None, flag: str | None = None, cli: bool = True) -> Any:
    meta = {"help": help, "short": short, "flag": flag, "cli": cli}
    if isinstance(default, (list, tuple)):
        return field(default_factory=lambda: tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class TrainConfig:
    """Everything a training run depends on; recorded in the run's run.json."""

    dataset: Path | None = _option(None, "Dataset directory written by `rustdoc-gen mine` (train/validation/test JSONL).")
    output: Path | None = _option(None, "Run directory: adapter, checkpoints, metrics.jsonl, run.json, loss curve.")
    base_model: str = _option(DEFAULT_BASE_MODEL, "Base model: a Hugging Face hub id, a local model directory, or a GGUF file (dequantized to train on).")
    max_steps: int = _option(-1, "Stop after this many optimizer steps (-1: train for --epochs).")
    epochs: float = _option(1.0, "Passes over the training split (when --max-steps is -1).")
    learning_rate: float = _option(2e-4, "Peak learning rate of the LoRA weights.")
    lr_scheduler: str = _option("cosine", "Learning-rate schedule (transformers' names: cosine, linear, constant, ...).")
    warmup_ratio: float = _option(0.03, "Fraction of the steps spent warming the learning rate up.")
    batch_size: int = _option(4, "Sequences per device per forward pass.")
    gradient_accumulation: int = _option(4, "Forward passes summed into one optimizer step (effective batch = batch x this x GPUs).")
    max_seq_len: int = _option(1024, "Longest tokenized sequence (prompt + doc); longer ones are truncated.")
    packing: bool = _option(False, "Pack several records into each sequence (faster on GPUs; padding-free).")
    qlora: bool = _option(False, "Load the base in 4-bit NF4 with bitsandbytes (QLoRA); needs CUDA.")
    bf16: bool = _option(True, "Use bfloat16 on CUDA devices that support it (ignored on the CPU).")
    gradient_checkpointing: bool = _option(True, "Recompute activations in the backward pass to save memory: SFT on CUDA, DPO on "
                                      "every device (a pair is two sequences; without it DPO's memory grows with batch x length).")
    lora_r: int = _option(16, "LoRA rank.")
    lora_alpha: int = _option(32, "LoRA alpha (scale = alpha / r).")
    lora_dropout: float = _option(0.05, "Dropout on the LoRA branch.")
    lora_targets: tuple[str, ...] = _option(LORA_TARGETS, "Modules that get LoRA adapters (comma-separated; default: per architecture, e.g. q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj).")
    seed: int = _option(0, "Seed for shuffling, LoRA init and dropout: the same seed gives the same run.")
    limit: int | None = _option(None, "Train on at most this many records (after a seeded shuffle).", short="-n")
    eval_limit: int | None = _option(256, "Evaluate on at most this many validation records (0: skip evaluation).")
    eval_steps: int | None = _option(None, "Evaluate every N steps as well as after each epoch (default: each epoch only).")
    save_steps: int = _option(100, "Save a checkpoint every N steps (the last 3 are kept) for --resume.")
    logging_steps: int = _option(10, "Log loss, learning rate and tokens/s every N steps (into metrics.jsonl).")
    report_to: str = _option("none", "Also log to a tracker through transformers' integration: none, tensorboard (events in "
                        "RUN/checkpoints/runs/), trackio or wandb (pip install 'rustdoc-gen[tracking]').")
    dry_run: bool = _option(False, "Prove the run works: 1% of the data, a few steps, in a temporary directory.")
    resume: bool = _option(False, "Continue from the last complete checkpoint in --output after an interruption.")
    rag: bool = _option(False, "Retrieval (prompt format v2): show each prompt its documented neighbours from the training split "
                   "(none from its own file), so the model learns to follow examples; use the model with `generate --rag`.")
    method: str = _option("sft", "Training method: sft (supervised, on --dataset) or dpo (preference tuning of the --from "
                     "run's adapter on --preferences pairs from `rustdoc-gen prefs`).")
    preferences: Path | None = _option(None, "With --method dpo: preference dataset directory written by `rustdoc-gen prefs`.")
    from_run: Path | None = _option(None, "With --method dpo: the SFT run whose base and adapter DPO starts from.", flag="--from")
    beta: float = _option(0.1, "With --method dpo: DPO's beta, how far the tuned model may move from the SFT model (higher: less).")

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        if self.method not in METHODS:
            raise ValueError(f"method: {self.method!r} is not one of {', '.join(METHODS)}")
        if self.method == "dpo":
            if self.preferences is None:
                raise ValueError("preferences: required with --method dpo (--preferences PREFS_DIR from `rustdoc-gen prefs`)")
            if self.from_run is None:
                raise ValueError("from_run: required with --method dpo (--from SFT_RUN_DIR)")
            if self.beta <= 0:
                raise ValueError(f"beta: must be positive, got {self.beta}")
        elif self.dataset is None:
            raise ValueError("dataset: required (--dataset DIR)")
        if self.output is None and not self.dry_run:
            raise ValueError("output: required (--output RUN_DIR)")
        positive = ("batch_size", "gradient_accumulation", "max_seq_len", "lora_r", "lora_alpha", "save_steps", "logging_steps")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be positive, got {getattr(self, name)}")
        if self.max_steps == 0 or self.max_steps < -1:
            raise ValueError(f"max_steps: must be positive or -1, got {self.max_steps}")
        if self.max_steps == -1 and self.epochs <= 0:
            raise ValueError(f"epochs: must be positive, got {self.epochs}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate: must be positive, got {self.learning_rate}")
        if not 0 <= self.lora_dropout < 1:
            raise ValueError(f"lora_dropout: must be in [0, 1), got {self.lora_dropout}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(f"warmup_ratio: must be in [0, 1), got {self.warmup_ratio}")
        if self.limit is not None and self.limit <= 0:
            raise ValueError(f"limit: must be positive, got {self.limit}")
        if self.eval_limit is not None and self.eval_limit < 0:
            raise ValueError(f"eval_limit: must be 0 or more, got {self.eval_limit}")
        if self.eval_steps is not None and self.eval_steps <= 0:
            raise ValueError(f"eval_steps: must be positive, got {self.eval_steps}")
        if self.lr_scheduler not in LR_SCHEDULERS:
            raise ValueError(f"lr_scheduler: {self.lr_scheduler!r} is not one of {', '.join(LR_SCHEDULERS)}")
        if self.report_to not in REPORT_TO:
            raise ValueError(f"report_to: {self.report_to!r} is not one of {', '.join(REPORT_TO)}")
        if REPORT_TO[self.report_to] and importlib.util.find_spec(REPORT_TO[self.report_to]) is None:
            raise ValueError(f"report_to: {self.report_to} needs the {REPORT_TO[self.report_to]} package: pip install 'rustdoc-gen[tracking]'")

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key, value in data.items():
            if isinstance(value, Path):
                data[key] = str(value)
            elif isinstance(value, tuple):
                data[key] = list(value)
        return data


def config_fields() -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(TrainConfig) if f.metadata.get("cli", True)]


def field_type(f: dataclasses.Field) -> type:
    """The base type of a field (`int | None` -> int, `tuple[str, ...]` -> tuple)."""
    hint = typing.get_type_hints(TrainConfig)[f.name]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    return typing.get_origin(hint) or hint


def read_config_file(path: Path) -> dict[str, Any]:
    """Settings from a TOML or YAML file (keys as the field names, `-` or `_`; an optional [train] table)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path}: not valid TOML: {error}") from None
    elif path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise ValueError(f"{path}: not valid YAML: {str(error).splitlines()[0]}") from None
    else:
        raise ValueError(f"{path}: config files are .toml, .yaml or .yml")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a table of settings")
    if isinstance(data.get("train"), dict):
        data = data["train"]
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def build_config(file_values: dict[str, Any], overrides: dict[str, Any], base_dir: Path | None = None) -> TrainConfig:
    """Defaults < config file < command-line flags (None means "not given"). Raises ValueError naming the field."""
    known = {f.name: f for f in dataclasses.fields(TrainConfig)}
    values: dict[str, Any] = {}
    for key, value in file_values.items():
        if key not in known:
            raise ValueError(f"unknown setting {key!r} in the config file (known: {', '.join(sorted(known))})")
        values[key] = _coerce(known[key], value, base_dir)
    for key, value in overrides.items():
        if value is not None:
            values[key] = _coerce(known[key], value, None)
    config = TrainConfig(**values)
    config.validate()
    return config


def _coerce(f: dataclasses.Field, value: Any, base_dir: Path | None) -> Any:
    kind = field_type(f)
    if value is None:
        return None
    try:
        if kind is Path:
            path = Path(str(value)).expanduser()
            return base_dir / path if base_dir is not None and not path.is_absolute() else path
        if kind is tuple:
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(i).strip() for i in items if str(i).strip())
        if kind is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "yes", "1", "on"):
                return True
            if str(value).lower() in ("false", "no", "0", "off"):
                return False
            raise ValueError
        if kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if kind is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{f.name}: expected {kind.__name__}, got {value!r}") from None
