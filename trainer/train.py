"""LoRA supervised fine-tuning on a mined dataset, with trl's SFTTrainer: `train --method sft`.

Records are in trl's conversational prompt/completion shape (built by
`rustdoc_core.generation.prompt.training_record`), so the loss falls on the doc only and
the chat template is the tokenizer's. A base without a chat template trains on
the same prompts rendered as plain text (`rustdoc_core.generation.prompt.render_plain`);
run.json records which rendering it was. The base may be a hub id, a model
directory or a GGUF file (`trainer.base_models`). The run directory is `trainer.run_dir`'s;
what SFT shares with DPO (the start, the train loop, the record, the dry run) is
`trainer.training_run`'s.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
from pathlib import Path
from typing import Any

from rustdoc_console import UserError
from rustdoc_core.generation.prompt import PROMPT_FORMAT_VERSION, READABLE_PROMPT_FORMATS, render_plain
from trainer.base_models import ResolvedBase
from trainer.config import TrainConfig
from trainer.run_dir import RunDir
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
    process_state,
    resumed_input_matches,
    run_trainer,
    start_training,
    trainer_args,
    write_record,
)

log = logging.getLogger(__name__)

DRY_RUN_SHARE = 0.01
DRY_RUN_MIN_RECORDS = 16


# --- data -------------------------------------------------------------------------------


def check_dataset(directory: Path) -> None:
    """Fail fast (one line) on a dataset that is missing or does not validate."""
    if not directory.is_dir():
        raise UserError(f"dataset {directory}: no such directory (write one with `rustdoc-gen mine REPO -o {directory}`)")
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


# --- the method ------------------------------------------------------------------------------


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


def sft_args(config: TrainConfig, run: RunDir, *, cuda: bool, use_bf16: bool, has_eval: bool):
    from trl import SFTConfig

    return SFTConfig(
        **trainer_args(config, run, cuda=cuda, use_bf16=use_bf16),
        per_device_eval_batch_size=config.batch_size,
        eval_strategy=("steps" if config.eval_steps else "epoch") if has_eval else "no",
        eval_steps=config.eval_steps,
        packing=config.packing,
        completion_only_loss=True,
    )


def train_sft(config: TrainConfig) -> TrainSummary:
    """Run (or resume, or dry-run) one fine-tuning job; return its summary. Every argument is checked
    before torch, transformers or peft is imported."""
    check_config(config)
    dataset_dir = Path(config.dataset)  # type: ignore[arg-type]
    check_dataset(dataset_dir)
    located = _locate_base(config)
    if config.dry_run:
        return _dry_run(config, dataset_dir, located)
    run, checkpoint = check_output(config)
    if not resumed_input_matches(run, checkpoint, "dataset", lambda: dataset_fingerprint(dataset_dir)):
        raise UserError(f"dataset {dataset_dir} differs from the one {run.path} started on; resume with the same data or start a new run")
    if config.qlora:
        check_qlora()
    examples = rag_examples(dataset_dir) if config.rag else None
    train_records = load_split(dataset_dir, "train", limit=config.limit, seed=config.seed, examples=examples)
    validation = [] if config.eval_limit == 0 else load_split(dataset_dir, "validation", limit=config.eval_limit, seed=config.seed, examples=examples)
    if not train_records:
        raise UserError(f"dataset {dataset_dir} has no training records")
    with opened_run_dir(run, resume=config.resume):
        return _run(config, run, checkpoint, train_records, validation, located)


def _locate_base(config: TrainConfig) -> str:
    from trainer.base_models import locate_base_model

    try:
        return locate_base_model(config.base_model)
    except ValueError as error:
        raise UserError(str(error)) from None


def _dry_run(config: TrainConfig, dataset_dir: Path, located: str) -> TrainSummary:
    """1% of the data (at least 16 records), a few steps, checkpoint and adapter saved, in a temporary dir."""
    if config.qlora:
        check_qlora()
    everything = load_split(dataset_dir, "train", limit=None, seed=config.seed)
    if not everything:
        raise UserError(f"dataset {dataset_dir} has no training records")
    share = max(DRY_RUN_MIN_RECORDS, math.ceil(len(everything) * DRY_RUN_SHARE))
    count = min(share, config.limit or share)
    examples = rag_examples(dataset_dir) if config.rag else None
    # With --rag, the same records asked with their neighbours.
    records = everything[:count] if examples is None else load_split(dataset_dir, "train", limit=count, seed=config.seed, examples=examples)
    validation = load_split(dataset_dir, "validation", limit=8, seed=config.seed, examples=examples) if config.eval_limit != 0 else []
    return dry_run(config, records=len(everything),
                   run_trial=lambda trial, run: _run(trial, run, None, records, validation, located))


def _run(config: TrainConfig, run: RunDir, checkpoint: Path | None, train_records: list[dict[str, Any]],
         validation: list[dict[str, Any]], located: str) -> TrainSummary:
    from datasets import Dataset
    from trl import SFTTrainer

    cuda, use_bf16 = start_training(config)
    base = _resolve_base(config, run, located)
    tokenizer, model, targets = load_base_model(config, use_bf16, base)
    rendering = prompt_rendering(tokenizer)
    train_records = rendered_records(train_records, rendering, tokenizer.eos_token)
    validation = rendered_records(validation, rendering, tokenizer.eos_token)
    info = _run_record(config, run, checkpoint, base, targets, rendering, (len(train_records), len(validation)),
                       cuda=cuda, use_bf16=use_bf16)
    write_record(run, info)
    callbacks = make_callbacks(run)
    trainer = SFTTrainer(
        model=model,
        args=sft_args(config, run, cuda=cuda, use_bf16=use_bf16, has_eval=bool(validation)),
        train_dataset=Dataset.from_list(train_records),
        eval_dataset=Dataset.from_list(validation) if validation else None,
        processing_class=tokenizer,
        peft_config=lora_config(config, targets),
        callbacks=list(callbacks),
    )
    records = kept_records(trainer, config)
    title = f"{Path(base.gguf or base.load_from).name} LoRA r={config.lora_r}"
    return run_trainer(trainer, callbacks, RunOutputs(run, info, checkpoint, records, title))


def _resolve_base(config: TrainConfig, run: RunDir, located: str) -> ResolvedBase:
    """The base as from_pretrained reads it; a GGUF base is rebuilt once under `RUN/base/`."""
    from trainer.base_models import resolve_base_model

    try:
        # Under `accelerate launch` the main process rebuilds a GGUF base; the others then find it there.
        with process_state().main_process_first():
            return resolve_base_model(config.base_model, run.path, located)
    except ValueError as error:
        raise UserError(str(error)) from None


def _run_record(config: TrainConfig, run: RunDir, checkpoint: Path | None, base: ResolvedBase, targets: tuple[str, ...],
                rendering: str, records: tuple[int, int], *, cuda: bool, use_bf16: bool) -> dict[str, Any]:
    """run.json of an SFT run as it starts: the shared fields, the config, the base, the data."""
    dataset = Path(config.dataset)  # type: ignore[arg-type]
    return {
        **begin_record(run, checkpoint, cuda=cuda, use_bf16=use_bf16),
        "method": "sft",
        "config": {**config.to_dict(), "base_model": base.recorded},
        "base": {"load_from": base.load_from, "gguf": str(base.gguf) if base.gguf else None},
        "lora_targets": list(targets),
        "prompt_rendering": rendering,
        "dataset": {
            "path": str(dataset.resolve()),
            "fingerprint": dataset_fingerprint(dataset),
            "records_train": records[0],
            "records_validation": records[1],
        },
    }
