"""Preference tuning after SFT: `rustdoc-gen train --method dpo --preferences PREFS --from RUN`.

trl's DPOTrainer trains the SFT run's own LoRA adapter further (base + adapter loaded as
trainable) on the prompt/chosen/rejected pairs of `rustdoc-gen prefs`; the reference model
is the SFT adapter as it was, so `--beta` bounds how far DPO moves the model from the SFT
model, not from the base.

Memory stays bounded by one layer's activations: a pair is two sequences (chosen and
rejected) of up to --max-seq-len, and DPO recomputes activations in the backward pass
(`--gradient-checkpointing`, on by default, on the CPU too) rather than holding them all.
The reference is trl's frozen copy of the SFT adapter ("ref", a few MB beside the trained
one), run without gradients; the logits are never materialized (trl's fused LM head).

The run directory is a run like any other (`trainer.run_dir`): adapter/ (on the SFT run's
base, so `export` and `eval` take it as they take an SFT run), checkpoints/ for --resume,
metrics.jsonl (with DPO's rewards/margins and accuracies), run.json (method, beta, the run
it came from, the preference set's fingerprint) and loss.png. SFT and DPO are peers over
`trainer.training_run`; neither imports the other.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from rustdoc_console import UserError
from rustdoc_core.generation.prompt import render_plain
from trainer.base_models import ResolvedBase
from trainer.config import TrainConfig
from trainer.run_dir import RunDir, RunDirError
from trainer.training_run import (
    RunOutputs,
    TrainSummary,
    begin_record,
    check_config,
    check_output,
    check_qlora,
    dry_run,
    kept_records,
    load_base_model,
    make_callbacks,
    opened_run_dir,
    resumed_input_matches,
    run_trainer,
    start_training,
    trainer_args,
    write_record,
)

log = logging.getLogger(__name__)

PAIR_FIELDS = ("prompt", "chosen", "rejected")
DRY_RUN_PAIRS = 16


def sft_run_info(sft: RunDir) -> dict[str, Any]:
    """The SFT run's run.json; fails in one line when it is not a finished run with an adapter."""
    try:
        return sft.require_finished("--from", "train it with --method sft first")
    except RunDirError as error:
        raise UserError(str(error)) from None


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


def dpo_args(config: TrainConfig, run: RunDir, *, cuda: bool, use_bf16: bool):
    from trl import DPOConfig

    return DPOConfig(
        **{
            **trainer_args(config, run, cuda=cuda, use_bf16=use_bf16),
            # A pair is two sequences (chosen, rejected) of up to --max-seq-len; without recomputing activations the
            # backward pass holds them all. Measured on SmolLM2-135M, pairs of up to ~1,000 tokens: 4.9 GB peak at
            # batch 1, 8.7 GB at batch 2 (about 3.8 GB a pair more: the default batch 4 passes 16 GB), 5.2 GB at
            # batch 2 with it. trl's own DPO default, here on every device.
            "activation_checkpointing": config.gradient_checkpointing,
        },
        beta=config.beta,
        eval_strategy="no",
    )


def train_dpo(config: TrainConfig) -> TrainSummary:
    """Run (or resume, or dry-run) DPO on the --from run's adapter; return its summary. Every argument is
    checked before torch, transformers or peft is imported."""
    check_config(config)
    sft = RunDir(Path(config.from_run))  # type: ignore[arg-type]
    prefs = Path(config.preferences)  # type: ignore[arg-type]
    sft_info = sft_run_info(sft)
    pairs = load_pairs(prefs, limit=None, seed=config.seed)
    base = _sft_base(sft, sft_info)
    if config.dry_run:
        trial_pairs = pairs[: min(DRY_RUN_PAIRS, config.limit or DRY_RUN_PAIRS)]
        if config.qlora:
            check_qlora()
        return dry_run(config, records=len(pairs),
                       run_trial=lambda trial, run: _run_dpo(trial, run, None, sft, sft_info, base, prefs, trial_pairs))
    if Path(config.output).resolve() == sft.path.resolve():  # type: ignore[arg-type]
        raise UserError(f"--output {config.output} is the --from run; DPO writes a new run (choose another --output)")
    run, checkpoint = check_output(config)
    if not resumed_input_matches(run, checkpoint, "preferences", lambda: preferences_fingerprint(prefs)):
        raise UserError(f"preferences {prefs} differ from those {run.path} started on; resume with the same pairs or start a new run")
    if config.qlora:
        check_qlora()
    pairs = pairs[: config.limit] if config.limit is not None else pairs
    with opened_run_dir(run, resume=config.resume):
        return _run_dpo(config, run, checkpoint, sft, sft_info, base, prefs, pairs)


def _sft_base(sft: RunDir, sft_info: dict[str, Any]) -> ResolvedBase:
    """The base the SFT adapter applies to, located (a hub id offline: its cached snapshot, or one line)."""
    from trainer.base_models import locate_base_model
    from trainer.export import ExportError, adapter_base_model

    try:
        base_dir = adapter_base_model(sft.adapter)
        located = locate_base_model(base_dir)
    except (ExportError, ValueError) as error:
        raise UserError(str(error)) from None
    recorded = sft_info.get("base") or {}
    return ResolvedBase(given=base_dir, load_from=located, gguf=Path(recorded["gguf"]) if recorded.get("gguf") else None)


def _run_dpo(config: TrainConfig, run: RunDir, checkpoint: Path | None, sft: RunDir, sft_info: dict[str, Any],
             base: ResolvedBase, prefs: Path, pairs: list[dict[str, Any]]) -> TrainSummary:
    from datasets import Dataset
    from peft import PeftModel
    from trl import DPOTrainer

    cuda, use_bf16 = start_training(config)
    tokenizer, model, _ = load_base_model(replace(config, base_model=base.load_from), use_bf16, base)
    # The SFT adapter, trainable: DPO goes on from it.
    model = PeftModel.from_pretrained(model, str(sft.adapter), is_trainable=True)
    rendering = sft_info.get("prompt_rendering") or ("chat" if tokenizer.chat_template else "plain")
    train_pairs = rendered_pairs(pairs, rendering, tokenizer.eos_token)
    info = _run_record(config, run, checkpoint, sft, sft_info, base, prefs, rendering, len(train_pairs),
                       cuda=cuda, use_bf16=use_bf16)
    write_record(run, info)
    callbacks = make_callbacks(run)
    trainer = DPOTrainer(
        model=model,
        ref_model=None,
        args=dpo_args(config, run, cuda=cuda, use_bf16=use_bf16),
        train_dataset=Dataset.from_list(train_pairs),
        processing_class=tokenizer,
        callbacks=list(callbacks),
    )
    title = f"{Path(base.gguf or base.load_from).name} DPO beta={config.beta:g} from {sft.path.name}"
    records = kept_records(trainer, config)
    return run_trainer(trainer, callbacks, RunOutputs(run, info, checkpoint, records, title, adapters=["default"]))


def _run_record(config: TrainConfig, run: RunDir, checkpoint: Path | None, sft: RunDir, sft_info: dict[str, Any],
                base: ResolvedBase, prefs: Path, rendering: str, pairs: int, *, cuda: bool, use_bf16: bool) -> dict[str, Any]:
    """run.json of a DPO run as it starts: the shared fields, the SFT run it goes on from, the pairs."""
    return {
        **begin_record(run, checkpoint, cuda=cuda, use_bf16=use_bf16),
        "method": "dpo",
        "beta": config.beta,
        "from_run": str(sft.path.resolve()),
        "config": {**config.to_dict(), "base_model": str(base.gguf or base.load_from)},
        "base": {"load_from": base.load_from, "gguf": str(base.gguf) if base.gguf else None},
        "lora_targets": sft_info.get("lora_targets"),
        "prompt_rendering": rendering,
        "dataset": sft_info.get("dataset", {}),  # the SFT data: export's held-back prompt comes from its test split
        "preferences": {
            "path": str(prefs.resolve()),
            "fingerprint": preferences_fingerprint(prefs),
            "pairs": pairs,
        },
    }
