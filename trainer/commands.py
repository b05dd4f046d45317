"""`rustdoc-gen train` and `rustdoc-gen export` (and `eval`, from trainer.evaluation).

Thin commands over `trainer.config`, `trainer.train` and `trainer.export`;
torch and friends are imported inside them, so the CLI starts fast.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from rustdoc_console import UserError, stderr, stdout, table, verbosity_options
from rustdoc_console.decode_options import decode_click_options
from trainer.config import DEFAULT_BASE_MODEL, config_fields, field_type
from trainer.evaluation.commands import eval_command
from trainer.preferences import SAMPLE_TEMPERATURE

ACCELERATE_CONFIGS = Path(__file__).resolve().parent / "accelerate_configs"
"""accelerate launch --config_file configs shipped with the trainer: DDP, FSDP2, DeepSpeed ZeRO-2."""

TRAIN_EPILOG = f"""\b
Examples:
  rustdoc-gen train --dataset data/cli --output runs/r1
  rustdoc-gen train --dataset data/cli --output runs/r1 --dry-run      # prove it works first
  rustdoc-gen train --dataset data/cli --output runs/r1 -n 2000 --max-steps 300 --seed 1
  rustdoc-gen train --output runs/r1 --resume                          # after Ctrl-C or a crash
  rustdoc-gen train --config train.toml --qlora --packing --max-seq-len 2048
  rustdoc-gen train --method dpo --preferences prefs/r1 --from runs/r1 --output runs/r1-dpo --beta 0.1   # DPO after SFT
  rustdoc-gen train --dataset data/cli --output runs/s1 --base-model SmolLM2-135M-Instruct.Q4_1.gguf   # a GGUF base

\b
Config file (TOML or YAML, keys as the options; flags override it):
  dataset = "data/cli"
  output = "runs/r1"
  base_model = "{DEFAULT_BASE_MODEL}"
  max_steps = 500
  learning_rate = 1e-4
  lora_targets = ["q_proj", "k_proj", "v_proj", "o_proj"]

\b
Data parallel (accelerate): one process per GPU, the run dir written by the main process.
Configs shipped in {ACCELERATE_CONFIGS}:
  ddp.yaml (DDP), fsdp.yaml (FSDP2, sharded), deepspeed_zero2.yaml (DeepSpeed ZeRO-2)
  accelerate launch --config_file {ACCELERATE_CONFIGS / "ddp.yaml"} --num_processes 4 \\
      -m rustdoc_cli train --dataset data/cli --output runs/r1 --batch-size 8 --gradient-accumulation 2
  accelerate launch --multi_gpu --num_processes 2 -m rustdoc_cli train ... # no CUDA: two CPU processes (gloo)
Relaunch the same command with --resume after a kill.

\b
The run dir gets adapter/, checkpoints/, metrics.jsonl, run.json and loss.png;
`rustdoc-gen export RUN_DIR -o model.gguf` turns it into a model for the editor.
"""


def _config_options(func):
    """One click option per TrainConfig field, with the field's help; None = not given."""
    for f in reversed(config_fields()):
        kind = field_type(f)
        name = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        decls = [name, f.name] + ([f.metadata["short"]] if f.metadata.get("short") else [])
        default = None if f.default is dataclasses.MISSING else f.default
        shown = f" [default: {default}]" if default is not None and default is not False and kind is not tuple else ""
        if kind is tuple and f.default_factory():  # type: ignore[misc]
            shown = f" [default: {','.join(f.default_factory())}]"  # type: ignore[misc]
        help_text = f.metadata["help"] + shown
        if kind is bool:
            if f.default:
                option = click.option(f"{name}/--no-{name[2:]}", f.name, default=None, help=help_text)
            else:
                option = click.option(name, f.name, is_flag=True, default=None, help=help_text)
        elif kind is Path:
            option = click.option(*decls, type=click.Path(path_type=Path), default=None, help=help_text)
        elif kind is tuple:
            option = click.option(*decls, type=str, default=None, metavar="A,B,...", help=help_text)
        else:
            option = click.option(*decls, type=kind, default=None, help=help_text)
        func = option(func)
    return func



@click.command(
    "train",
    short_help="LoRA fine-tune a base model (hub id, dir or GGUF) on a dataset.",
    epilog=TRAIN_EPILOG,
    context_settings={"max_content_width": 110},
)
@click.option(
    "--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML or YAML file of settings (the option names below); flags override it.",
)
@_config_options
@verbosity_options
def train(config_file: Path | None, **flags: Any) -> None:
    """Fine-tune a LoRA adapter on a dataset from `rustdoc-gen mine` with trl's SFTTrainer.

    The loss falls on the doc only (prompt/completion records; the chat template
    is the base model's, and a base without one, such as Gemma-3-270M, is asked
    in plain text). A GGUF base is dequantized and kept as RUN_DIR/base/. LoRA
    targets default per architecture (Llama, Qwen2, Qwen3, Mistral, Gemma 3,
    StarCoder2; others are refused by name). CUDA: bf16 where supported, gradient checkpointing,
    optional 4-bit QLoRA. The CPU works too, slowly: for tiny models and smoke
    runs. Ctrl-C keeps the last checkpoint; --resume continues from it.
    """
    from trainer.config import build_config, read_config_file
    from trainer.run_dir import RunDir
    from trainer.training_run import TrainingInterrupted, print_summary

    try:
        file_values = read_config_file(config_file) if config_file else {}
        base_dir = config_file.parent if config_file else None
        output = flags.get("output") or file_values.get("output")
        if flags.get("resume") and output is not None:
            # Resuming: the run's own settings are the defaults, so `--output RUN --resume` suffices.
            file_values = {**_previous_config(RunDir(Path(output))), **file_values}
        config = build_config(file_values, flags, base_dir=base_dir)
    except (ValueError, OSError) as error:  # RunDirError is a ValueError: a corrupt run.json is one line
        raise UserError(str(error)) from None
    try:
        summary = _training_method(config.method)(config)
    except TrainingInterrupted as stop:
        from rich.markup import escape

        where = f"; last checkpoint {escape(str(stop.checkpoint))}" if stop.checkpoint else "; no checkpoint yet"
        stderr.print(f"[yellow]interrupted[/] at step {stop.step}{where}. "
                     f"Continue with: rustdoc-gen train --output {escape(str(config.output))} --resume")
        raise click.exceptions.Exit(130) from None
    print_summary(summary, dry_run=config.dry_run)
    if not config.dry_run:
        stdout.print(str(RunDir(summary.run_dir).adapter))


def _training_method(method: str):
    """The function that runs `method` (SFT and DPO are peers: neither imports the other)."""
    if method == "dpo":
        from trainer.dpo import train_dpo

        return train_dpo
    from trainer.train import train_sft

    return train_sft


def _previous_config(run) -> dict[str, Any]:
    """The settings a run started with, for `--resume` to default to."""
    return {k: v for k, v in run.config().items() if k not in ("resume", "dry_run", "output") and v is not None}


@click.command(
    "export",
    short_help="Merge, convert to GGUF and quantize a trained model.",
    epilog="""\b
Examples:
  rustdoc-gen export runs/r1 -o models/rustdoc-q4.gguf
  rustdoc-gen export runs/r1 -o models/rustdoc-q8.gguf --quant Q8_0 --keep-f16 models/rustdoc-f16.gguf
  rustdoc-gen export ~/models/Qwen2.5-Coder-1.5B-Instruct -o models/base-q4.gguf   # a plain HF model
  rustdoc-gen export runs/r1 --adapter-only -o models/rustdoc-lora.gguf   # a few MB, for the base GGUF:
  rustdoc-gen generate --model SmolLM2-135M-Instruct.Q4_1.gguf --adapter models/rustdoc-lora.gguf src/
  rustdoc-gen export runs/r1 --ollama -o models/rustdoc-lora.gguf    # and models/rustdoc-lora.Modelfile:
  ollama create rustdoc -f models/rustdoc-lora.Modelfile
  rustdoc-gen export runs/r1 -o models/rustdoc-q4.gguf --eval-report reports/r1 --push-to-hub me/rustdoc-q4
  rustdoc-gen serve   # then set rustdocGen.model.path to the .gguf
""",
)
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="RUN_DIR_OR_MODEL_DIR")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="GGUF file to write (atomically).")
@click.option("--quant", type=click.Choice(["Q4_K_M", "Q5_K_M", "Q8_0", "f16"]), default="Q4_K_M", show_default=True, help="Quantization (llama.cpp's quantizer).")
@click.option("--base-model", help="Base model of the adapter (default: the one recorded in adapter_config.json).")
@click.option("--merged-dir", type=click.Path(file_okay=False, path_type=Path), help="Where to write the merged HF safetensors model.  [default: RUN_DIR/merged]")
@click.option("--keep-f16", type=click.Path(dir_okay=False, path_type=Path), help="Also keep the f16 GGUF at this path.")
@click.option("--no-verify", is_flag=True, help="Skip loading the result with llama.cpp to check tokenization and generation.")
@click.option("--threads", type=click.IntRange(min=1), help="CPU threads for quantizing and the check.  [default: all]")
@click.option("--adapter-only", is_flag=True, help="Write the LoRA adapter alone, as a GGUF LoRA adapter (llama.cpp's format, "
              "a few MB) that runs on the base GGUF (`generate --model BASE.gguf --adapter OUT.gguf`); --quant does not apply.")
@click.option("--base-gguf", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --adapter-only: the base GGUF to check the adapter on.  [default: the GGUF the run was trained from, "
              "else the base converted for the check]")
@click.option("--ollama", is_flag=True, help="Also write OUTPUT.Modelfile for Ollama (`ollama create NAME -f OUTPUT.Modelfile`): "
              "FROM the base GGUF, ADAPTER this adapter, the way Ollama takes a Qwen2 LoRA. Implies --adapter-only; the base "
              "GGUF is --base-gguf or the GGUF the run was trained from.")
@click.option("--eval-report", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="REPORT_DIR",
              help="An `eval` report that evaluated this GGUF: its figures go on the model card (README.md, always written "
              "beside the GGUF) and into its model-index.")
@click.option("--push-to-hub", metavar="OWNER/NAME", help="Upload the GGUF and its model card to this Hugging Face repo "
              "(one commit; token from HF_TOKEN or `hf auth login`).")
@click.option("--private", is_flag=True, help="Create the --push-to-hub repo private (an existing repo keeps its visibility).")
@click.option("--revision", metavar="BRANCH", help="Push to this branch, created from main if missing.  [default: main]")
@verbosity_options
def export(source: Path, output: Path, quant: str, base_model: str | None, merged_dir: Path | None,
           keep_f16: Path | None, no_verify: bool, threads: int | None, adapter_only: bool, base_gguf: Path | None,
           ollama: bool, eval_report: Path | None, push_to_hub: str | None, private: bool, revision: str | None) -> None:
    """Turn a training run (or an HF model dir of a supported architecture) into one GGUF file.

    Merges the LoRA adapter into its base (merge_and_unload) and writes HF
    safetensors, converts to GGUF f16 with llama.cpp's own converter (fetched
    once from the llama-cpp-python sdist; tokenizer and chat template included,
    and a base that came as a GGUF keeps its tokenizer metadata as is) and
    quantizes with llama.cpp's quantizer. Before the file is put in place, the
    f16's logits are compared with the HF model's on a held-back prompt, as
    llama.cpp's own conversion check does (NMSE below 1e-2 passes; the figures
    are printed), and the result is loaded, asked to document a held-back item,
    and its tokenization of sample texts is compared with the HF tokenizer's.
    A file that fails its check is kept as OUTPUT.failed-check.gguf, with what
    was measured in the error, and OUTPUT is left as it was. A kill leaves the
    old OUTPUT or the new one, never a mix.
    Architectures: Llama (SmolLM2, CodeLlama), Qwen2, Qwen3, Mistral, Gemma 3, StarCoder2.
    """
    from rustdoc_core.hub import HubPushError, check_push, push_export
    from trainer.export import ExportError, describe, export_model
    from trainer.model_card import ModelCardError, check_card_inputs, write_export_card

    if output.exists() and output.is_dir():
        raise UserError(f"output {output} is a directory; give a file name such as {output / 'model.gguf'}")
    try:  # before the long work: what would make the card or the push fail
        check_card_inputs(output, eval_report)
        if push_to_hub:
            check_push(push_to_hub)
    except (ModelCardError, HubPushError) as error:
        raise UserError(str(error)) from None
    try:
        result = export_model(
            source, output, quant=quant, base_model=base_model, merged_dir=merged_dir,
            keep_f16=keep_f16, verify=not no_verify, threads=threads, adapter_only=adapter_only or ollama, base_gguf=base_gguf,
            ollama=ollama,
        )
    except ExportError as error:
        raise UserError(str(error)) from None
    except OSError as error:
        raise UserError(f"export failed: {error.strerror or error}") from None
    card = write_export_card(source, result, base_model=base_model, eval_report=eval_report, repo_id=push_to_hub)
    table("Export", ("", "value"), [*describe(result), ("model card", str(card))])
    stdout.print(str(result.output))
    if push_to_hub:
        try:
            pushed = push_export(result.output, card, push_to_hub, private=private, revision=revision)
        except HubPushError as error:
            raise UserError(f"{error}; nothing was committed to {push_to_hub} (the export is in {result.output})") from None
        stdout.print(pushed.commit_url)


PREFS_EPILOG = """\b
Examples:
  rustdoc-gen prefs --run runs/r1 --dataset data/cli -o prefs/r1 --limit 200 --samples 4
  rustdoc-gen prefs --run runs/r1 --dataset data/cli -o prefs/r1 \\
      --crate-dir globset=/usr/share/cargo/registry/globset-0.4.9        # examples must pass as doctests
  rustdoc-gen prefs --run runs/r1 --dataset data/cli -o prefs/r1 --chosen human   # the human doc as chosen
  rustdoc-gen train --method dpo --preferences prefs/r1 --from runs/r1 --output runs/r1-dpo

\b
Writes PREFS/train.jsonl (prompt/chosen/rejected, `datasets.load_dataset(PREFS)` reads it),
scores.jsonl (every scored answer), stats.json and README.md (how the pairs were scored).
Answers are cached in PREFS/cache: run the same command again to continue an interrupted run.
"""


@click.command("prefs", short_help="Preference pairs for DPO from the SFT model's own samples.",
               epilog=PREFS_EPILOG, context_settings={"max_content_width": 110})
@click.option("--run", "run_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The SFT training run (`rustdoc-gen train --output RUN`) whose model answers.")
@click.option("--dataset", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Dataset directory from `rustdoc-gen mine`; its train split gives the prompts.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Preference dataset directory to write (its cache makes re-runs continue).")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=None, help="Use a seeded sample of N prompts.  [default: all]")
@click.option("-k", "--samples", type=click.IntRange(min=2), default=4, show_default=True, help="Answers sampled per prompt.")
@click.option("--chosen", type=click.Choice(["sample", "human"]), default="sample", show_default=True,
              help="What goes in as chosen: the best-scored answer, or the human doc.")
@click.option("--crate-dir", "crate_dirs", multiple=True, metavar="REPO=DIR",
              help="Local, offline-buildable crate of a dataset repo: answers' examples run as doctests "
                   "and a failing one costs its answer. Repeatable.")
@click.option("--model", "model_spec", metavar="SPEC", default=None,
              help="Sample this generator (model:PATH.gguf, model:BASE.gguf@ADAPTER.gguf, or a model server: "
                   "openai:URL#MODEL) instead of the run's "
                   "own export.  [default: RUN exported once into PREFS/cache]")
@decode_click_options(defaults={"temperature": SAMPLE_TEMPERATURE})
@verbosity_options
def prefs(run_dir: Path, dataset: Path, output: Path, limit: int | None, samples: int, chosen: str,
          crate_dirs: tuple[str, ...], model_spec: str | None, **decode: Any) -> None:
    """Build DPO preference pairs that label themselves.

    The SFT model answers each training prompt K times (sampled at --temperature,
    default 0.8, one seed per answer from --seed), through the prompt format,
    decoding and output guard the editor uses. Each answer is scored: chrF
    against the human doc, minus points for the output guard's errors
    (repetition, echoed code, ungrounded names, ...), the checker's findings, a
    fallback to the template, and failing doctests (with --crate-dir). The best
    answer is chosen and the worst rejected; prompts where they tie are skipped.
    """
    from rustdoc_core.generation.decode import options_from_kwargs
    from trainer.evaluation.commands import _crate_dirs
    from trainer.preferences import PrefsConfig, build_preferences

    if decode.get("temperature") is None:
        decode["temperature"] = SAMPLE_TEMPERATURE
    options = options_from_kwargs(decode)
    config = PrefsConfig(run=run_dir, dataset=dataset, output=output, samples=samples, limit=limit, seed=options.seed,
                         options=options, crate_dirs=_crate_dirs(crate_dirs), chosen=chosen, model=model_spec)
    summary = build_preferences(config)
    table("Preference pairs", ("", "value"), [
        ("prompts", summary.prompts),
        ("answers scored (sampled now)", f"{summary.answers} ({summary.sampled_now})"),
        ("pairs", summary.pairs),
        ("ties skipped", summary.ties),
        ("mean score chosen / rejected", f"{summary.chosen_mean} / {summary.rejected_mean}"),
        ("guard errors chosen / rejected", f"{summary.guard_errors_chosen} / {summary.guard_errors_rejected}"),
        ("fallbacks chosen / rejected", f"{summary.fallbacks_chosen} / {summary.fallbacks_rejected}"),
        ("sampling time", f"{summary.seconds_sampling:.1f} s"),
    ])
    stdout.print(str(output))


__all__ = ["eval_command", "export", "prefs", "train"]
