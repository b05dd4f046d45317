"""Preference tuning after SFT: `rustdoc-gen train --method dpo --preferences PREFS --from RUN`.

trl's DPOTrainer trains the SFT run's own LoRA adapter further (base + adapter loaded as
trainable) on the prompt/chosen/rejected pairs of `rustdoc-gen prefs`; the reference model
is the SFT adapter as it was (trl keeps a frozen copy of it beside the trained one), so
`--beta` bounds how far DPO moves the model from the SFT model, not from the base.

The run directory is a run like any other (`trainer.train`): adapter/ (on the SFT run's
base, so `export` and `eval` take it as they take an SFT run), checkpoints/ for --resume,
metrics.jsonl (with DPO's rewards/margins and accuracies), run.json (method, beta, the run
it came from, the preference set's fingerprint) and loss.png. CUDA: bf16 where supported,
gradient checkpointing, optional QLoRA; the CPU works for small models.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from rustdoc_console import UserError
from rustdoc_core.generation.prompt import render_plain
from trainer.config import TrainConfig
from trainer.train import (
    ADAPTER,
    DRY_RUN_STEPS,
    RUN_JSON,
    TrainSummary,
    _write_run_json,
    check_qlora,
    last_checkpoint,
    load_base_model,
    make_callbacks,
    prepare_run_dir,
    restart_metrics,
    run_trainer,
    start_training,
    trainer_args,
)

log = logging.getLogger(__name__)

PAIR_FIELDS = ("prompt", "chosen", "rejected")


def sft_run_info(run_dir: Path) -> dict[str, Any]:
    """The SFT run's run.json; fails in one line when it is not a finished run with an adapter."""
    if not (run_dir / ADAPTER / "adapter_config.json").is_file() or not (run_dir / RUN_JSON).is_file():
        raise UserError(f"--from {run_dir}: not a finished training run (no {ADAPTER}/ or {RUN_JSON}); train it with --method sft first")
    return json.loads((run_dir / RUN_JSON).read_text(encoding="utf-8"))


def preferences_fingerprint(directory: Path) -> str:
    from trainer.preferences import PAIRS_FILE

    return hashlib.sha256((directory / PAIRS_FILE).read_bytes()).hexdigest()


def load_pairs(directory: Path, *, limit: int | None, seed: int) -> list[dict[str, Any]]:
    """The prompt/chosen/rejected pairs of a `prefs` directory, shuffled with `seed`, at most `limit`."""
    from trainer.preferences import PAIRS_FILE

    path = directory / PAIRS_FILE
    if not path.is_file():
        raise UserError(f"--preferences {directory}: no {PAIRS_FILE}; write it with `rustdoc-gen prefs -o {directory}`")
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            pairs.append({key: record[key] for key in PAIR_FIELDS})
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise UserError(f"{path}: line {number} is not a prompt/chosen/rejected record ({error})") from None
    if not pairs:
        raise UserError(f"--preferences {directory}: no pairs in {PAIRS_FILE} (every prompt tied; sample more answers with --samples)")
    random.Random(f"{seed}:preferences").shuffle(pairs)
    return pairs[:limit] if limit is not None else pairs


def rendered_pairs(pairs: list[dict[str, Any]], rendering: str, eos_token: str) -> list[dict[str, Any]]:
    """Pairs as the model is asked (`train.rendered_records`' twin for preference pairs): conversational
    for "chat", plain prompt and answer strings for a base without a chat template."""
    if rendering == "chat":
        return pairs
    return [
        {"prompt": render_plain(p["prompt"]), "chosen": p["chosen"][0]["content"] + eos_token,
         "rejected": p["rejected"][0]["content"] + eos_token}
        for p in pairs
    ]


def dpo_args(config: TrainConfig, run_dir: Path, *, cuda: bool, use_bf16: bool):
    from trl import DPOConfig

    return DPOConfig(
        **trainer_args(config, run_dir, cuda=cuda, use_bf16=use_bf16),
        beta=config.beta,
        eval_strategy="no",
        gradient_checkpointing=cuda and config.gradient_checkpointing,
    )


def train_dpo(config: TrainConfig) -> TrainSummary:
    """Run (or resume, or dry-run) DPO on the --from run's adapter; return its summary."""
    sft_dir = Path(config.from_run)  # type: ignore[arg-type]
    prefs = Path(config.preferences)  # type: ignore[arg-type]
    sft = sft_run_info(sft_dir)
    if config.qlora:
        check_qlora()
    if config.dry_run:
        return dry_run_dpo(config, sft_dir, sft, prefs)
    pairs = load_pairs(prefs, limit=config.limit, seed=config.seed)
    run_dir, checkpoint = prepare_run_dir(config)
    if run_dir.resolve() == sft_dir.resolve():
        raise UserError(f"--output {run_dir} is the --from run; DPO writes a new run (choose another --output)")
    if checkpoint is not None and (run_dir / RUN_JSON).is_file():
        started = json.loads((run_dir / RUN_JSON).read_text()).get("preferences", {}).get("fingerprint")
        if started and started != preferences_fingerprint(prefs):
            raise UserError(f"preferences {prefs} differ from those {run_dir} started on; resume with the same pairs or start a new run")
    return _run_dpo(config, run_dir, checkpoint, sft_dir, sft, prefs, pairs, write=True)


def dry_run_dpo(config: TrainConfig, sft_dir: Path, sft: dict[str, Any], prefs: Path) -> TrainSummary:
    """A few pairs, a few steps, checkpoint and adapter saved, in a temporary directory."""
    everything = load_pairs(prefs, limit=None, seed=config.seed)
    pairs = everything[: min(16, config.limit or 16)]
    steps = DRY_RUN_STEPS if config.max_steps == -1 else min(config.max_steps, DRY_RUN_STEPS)
    trial = replace(config, max_steps=steps, save_steps=max(1, steps - 1), logging_steps=1, dry_run=False, resume=False)
    with tempfile.TemporaryDirectory(prefix="rustdoc-gen-dpo-dry-run-") as tmp:
        log.info("Dry run: %d pairs, %d steps, in %s", len(pairs), steps, tmp)
        summary = _run_dpo(trial, Path(tmp), None, sft_dir, sft, prefs, pairs, write=True)
        summary.run_dir = Path(config.output) if config.output else Path(tmp)
        records = min(len(everything), config.limit or len(everything))
        full_steps = config.max_steps if config.max_steps != -1 else math.ceil(
            records * config.epochs / (config.batch_size * config.gradient_accumulation)
        )
        summary.estimated_full_seconds = full_steps * summary.seconds / max(summary.steps, 1)
        if last_checkpoint(Path(tmp)) is None or not (Path(tmp) / ADAPTER / "adapter_config.json").is_file():
            raise UserError("dry run finished but wrote no checkpoint or adapter")
    return summary


def _run_dpo(
    config: TrainConfig,
    run_dir: Path,
    checkpoint: Path | None,
    sft_dir: Path,
    sft: dict[str, Any],
    prefs: Path,
    pairs: list[dict[str, Any]],
    *,
    write: bool,
) -> TrainSummary:
    from datasets import Dataset
    from peft import PeftModel
    from trl import DPOTrainer

    from trainer.base_models import ResolvedBase
    from trainer.export import ExportError, adapter_base_model

    cuda, use_bf16 = start_training(config)
    try:
        base_dir = adapter_base_model(sft_dir / ADAPTER)
    except ExportError as error:
        raise UserError(str(error)) from None
    recorded = sft.get("base") or {}
    base = ResolvedBase(given=str(sft.get("config", {}).get("base_model", base_dir)), load_from=base_dir,
                        gguf=Path(recorded["gguf"]) if recorded.get("gguf") else None)
    tokenizer, model, _ = load_base_model(replace(config, base_model=base_dir), use_bf16, base)
    # The SFT adapter, trainable: DPO goes on from it (trl adds a frozen copy as the reference).
    model = PeftModel.from_pretrained(model, str(sft_dir / ADAPTER), is_trainable=True)
    rendering = sft.get("prompt_rendering") or ("chat" if tokenizer.chat_template else "plain")
    train_pairs = rendered_pairs(pairs, rendering, tokenizer.eos_token)

    main_process, common = restart_metrics(run_dir, checkpoint, cuda=cuda, use_bf16=use_bf16)
    run_info: dict[str, Any] = {
        **common,
        "method": "dpo",
        "beta": config.beta,
        "from_run": str(sft_dir.resolve()),
        "config": {**config.to_dict(), "base_model": str(base.gguf or base_dir)},
        "base": {"load_from": base_dir, "gguf": str(base.gguf) if base.gguf else None},
        "lora_targets": sft.get("lora_targets"),
        "prompt_rendering": rendering,
        "dataset": sft.get("dataset", {}),  # the SFT data: export's held-back prompt comes from its test split
        "preferences": {
            "path": str(prefs.resolve()),
            "fingerprint": preferences_fingerprint(prefs),
            "pairs": len(train_pairs),
        },
    }
    if main_process:
        _write_run_json(run_dir, run_info)

    metrics, bar = make_callbacks(run_dir, write)
    trainer = DPOTrainer(
        model=model,
        ref_model=None,
        args=dpo_args(config, run_dir, cuda=cuda, use_bf16=use_bf16),
        train_dataset=Dataset.from_list(train_pairs),
        processing_class=tokenizer,
        callbacks=[metrics, bar],
    )
    return run_trainer(
        trainer, run_dir=run_dir, run_info=run_info, checkpoint=checkpoint, callbacks=(metrics, bar),
        records=(len(train_pairs), 0), write=write, adapters=["default"],
        plot_title=f"{Path(base.gguf or base_dir).name} DPO beta={config.beta:g} from {sft_dir.name}",
    )

