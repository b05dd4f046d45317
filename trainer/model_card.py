"""The model card `export` writes beside its GGUF (and pushes as the repo's README.md).

Every figure on it is read from a file, never typed: the training configuration
and results from the run's `run.json`, the data's provenance from the dataset's
`stats.json`, the evaluation from an `eval` report's `report.json` (also as the
Hub's `model-index`, built with huggingface_hub's own `ModelCardData`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CARD_FILE = "README.md"
CARD_MARK = "<!-- model card written by `rustdoc-gen export` -->"
"""Marks a README.md as ours, so `export` may replace it and never a README it did not write."""

TAGS = ["rust", "rustdoc", "code", "documentation", "gguf", "llama.cpp", "lora", "rustdoc-gen"]
TASK = ("text-generation", "Rust doc comment generation")


class ModelCardError(Exception):
    """Inputs the card cannot be built from (one line for the user)."""


@dataclass(frozen=True)
class CardInputs:
    """What the card describes: the exported file and the files its figures come from."""

    gguf: Path
    quant: str
    rendering: str  # "chat" | "plain": how prompts reach the model
    adapter_only: bool
    run_dir: Path | None  # None: a plain HF model was exported, not a training run
    base_model: str | None
    eval_report: Path | None = None  # an `eval` report dir (its report.json)
    repo_id: str | None = None  # OWNER/NAME when pushed


def card_path(gguf: Path) -> Path:
    return Path(gguf).parent / CARD_FILE


def check_card_inputs(gguf: Path, eval_report: Path | None) -> None:
    """Before an export starts: the card can be written beside `gguf`, and the eval report names this model."""
    target = card_path(gguf)
    if target.is_file() and CARD_MARK not in target.read_text(encoding="utf-8", errors="replace"):
        raise ModelCardError(f"{target} exists and is not a rustdoc-gen model card; export into another directory")
    if eval_report is not None:
        eval_system(read_eval_report(eval_report), gguf)


def write_export_card(source: Path, result: Any, *, base_model: str | None, eval_report: Path | None,
                      repo_id: str | None) -> Path:
    """The card of an export's result (`trainer.export.ExportResult`), written atomically beside its GGUF."""
    from rustdoc_core.atomic import write_text_atomic
    from trainer.export import adapter_base_model, resolve_source

    exported = resolve_source(source)
    if base_model is None:
        recorded = (exported.run_info().get("config") or {}).get("base_model")
        base_model = recorded or (adapter_base_model(exported.path) if exported.kind == "adapter" else str(exported.path))
    inputs = CardInputs(
        gguf=result.output, quant=result.quant, rendering=result.rendering, adapter_only=result.adapter_only,
        run_dir=exported.run.path if exported.run else None, base_model=base_model, eval_report=eval_report, repo_id=repo_id,
    )
    target = card_path(result.output)
    write_text_atomic(target, model_card(inputs))
    return target


def read_eval_report(directory: Path) -> dict[str, Any]:
    path = Path(directory) / "report.json"
    if not path.is_file():
        raise ModelCardError(f"--eval-report {directory}: no report.json there (write one with `rustdoc-gen eval ... -o {directory}`)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ModelCardError(f"{path}: not JSON ({err.msg})") from None


def eval_system(report: dict[str, Any], gguf: Path) -> str:
    """The report's system that is this model: its `model:` spec names this file (else the only model in it)."""
    models = [s for s in report["systems"] if s["spec"].startswith("model:")]
    for system in models:
        files = [Path(p).name for p in system["spec"][len("model:"):].split("@")]
        if Path(gguf).name in files:
            return system["name"]
    if len(models) == 1:
        return models[0]["name"]
    names = ", ".join(f"{s['name']} ({s['spec']})" for s in models) or "none"
    raise ModelCardError(f"the eval report has no system for {Path(gguf).name} (model systems: {names}); "
                         f"evaluate it with --system model:{gguf}")


def _dataset_stats(run: dict[str, Any]) -> tuple[Path | None, dict[str, Any]]:
    path = run.get("dataset", {}).get("path")
    if not path or not (Path(path) / "stats.json").is_file():
        return (Path(path) if path else None), {}
    return Path(path), json.loads((Path(path) / "stats.json").read_text(encoding="utf-8"))


def hub_model_id(base_model: str | None) -> str | None:
    """The base as a Hub id: given as one, or a snapshot in the Hugging Face cache (`models--OWNER--NAME/...`)."""
    if not base_model:
        return None
    path = Path(base_model)
    cached = re.search(r"models--([^/]+?)--([^/]+)/snapshots/", str(path))
    if cached:
        return f"{cached.group(1)}/{cached.group(2)}"
    if path.exists() or path.is_absolute() or path.suffix == ".gguf":
        return None
    return base_model if re.fullmatch(r"[\w.-]+/[\w.-]+", base_model) else None


def base_license(base_model: str | None) -> str:
    """The base model's license from its own card (a local dir's README.md), else `unknown`."""
    if base_model and (Path(base_model) / CARD_FILE).is_file():
        from huggingface_hub import ModelCard

        license_id = ModelCard.load(Path(base_model) / CARD_FILE).data.license
        if isinstance(license_id, str) and license_id:
            return license_id
    return "unknown"


def _number(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value


def eval_results(report: dict[str, Any], system: str, dataset_name: str) -> list[Any]:
    """The report's figures for `system`, as huggingface_hub EvalResults (metrics without a value left out)."""
    from huggingface_hub import EvalResult

    figures = report["figures"]["overall"][system]
    labels = report.get("metrics", {})
    results = []
    for key, value in figures.items():
        if key not in labels or value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        results.append(EvalResult(
            task_type=TASK[0], task_name=TASK[1],
            dataset_type="json", dataset_name=dataset_name, dataset_split=report["dataset"]["split"],
            metric_type=key, metric_name=labels[key]["label"], metric_value=_number(value),
        ))
    return results


def model_card(inputs: CardInputs) -> str:
    """The card's Markdown, YAML front matter first."""
    from huggingface_hub import ModelCardData

    from trainer.run_dir import RunDir

    run = RunDir(inputs.run_dir).info() if inputs.run_dir is not None else {}
    base = inputs.base_model or run.get("config", {}).get("base_model")
    dataset_dir, stats = _dataset_stats(run)
    name = inputs.repo_id.split("/")[-1] if inputs.repo_id else Path(inputs.gguf).stem
    report = read_eval_report(inputs.eval_report) if inputs.eval_report else None
    system = eval_system(report, inputs.gguf) if report else None
    dataset_name = f"{Path(report['dataset']['dir']).name} (rustdoc-gen mine)" if report else ""
    data = ModelCardData(
        model_name=name,
        license=base_license(base),
        base_model=hub_model_id(base),
        tags=TAGS if inputs.run_dir else [t for t in TAGS if t != "lora"],
        pipeline_tag="text-generation",
        library_name="gguf",
        language=["en"],
        eval_results=eval_results(report, system, dataset_name) if report else None,
    )
    parts = [
        f"---\n{data.to_yaml()}\n---",
        CARD_MARK,
        _summary(inputs, name, base),
        _evaluation(report, system) if report else "",
        _training(run),
        _provenance(dataset_dir, stats),
        _prompt_format(inputs.rendering, run),
        _usage(inputs, base),
        _limitations(inputs, stats),
    ]
    return "\n\n".join(p for p in parts if p).rstrip() + "\n"


def _summary(inputs: CardInputs, name: str, base: str | None) -> str:
    what = (f"a GGUF LoRA adapter for `{base}`, to apply on that base's GGUF" if inputs.adapter_only
            else f"a {inputs.quant} GGUF" + (f", LoRA-tuned from `{base}` and merged" if base and inputs.run_dir else ""))
    return (f"# {name}\n\nWrites rustdoc comments for Rust items: {what}. "
            f"Made with [rustdoc-gen](https://github.com/rustdoc-gen/rustdoc-gen) (`mine`, `train`, `export`); "
            f"it runs on a CPU through llama.cpp, in the editor's language server or on the command line.")


def _fmt(value: Any, percent: bool = False) -> str:
    if value is None:
        return "–"
    if percent and isinstance(value, (int, float)):
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _evaluation(report: dict[str, Any], system: str) -> str:
    names = [s["name"] for s in report["systems"]]
    overall = report["figures"]["overall"]
    data = report["dataset"]
    lines = [
        "## Evaluation",
        "",
        f"From `rustdoc-gen eval` on {data['items']} items of the `{data['split']}` split of `{data['dir']}` "
        f"(prompt format v{report['prompt_format_version']}, greedy decoding, seed {data['seed']}). "
        f"This model is `{system}`; the other columns are the systems it was compared with.",
        "",
        "| metric | " + " | ".join(f"`{n}`" for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for key, meta in report.get("metrics", {}).items():
        if key not in overall[system]:
            continue
        cells = [_fmt(overall[n].get(key), meta.get("percent", False)) for n in names]
        lines.append(f"| {meta['label']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _training(run: dict[str, Any]) -> str:
    if not run:
        return ""
    config = run.get("config", {})
    lines = ["## Training", "", "LoRA supervised fine-tuning with trl's SFTTrainer (completion-only loss), as recorded in `run.json`.",
             "", "| setting | value |", "|---|---|"]
    for key, value in config.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        lines.append(f"| `{key}` | {_cell(shown)} |")
    results = run.get("results") or {}
    if results:
        lines += ["", "| result | value |", "|---|---:|"]
        lines += [f"| {key.replace('_', ' ')} | {_fmt(value)} |" for key, value in results.items()]
    facts = [("device", run.get("device")), ("precision", run.get("precision")), ("git commit", run.get("git_commit")),
             ("started", run.get("started")), ("finished", run.get("finished"))]
    versions = ", ".join(f"{lib} {v}" for lib, v in (run.get("versions") or {}).items() if v)
    facts.append(("libraries", versions))
    lines += [""] + [f"- {label}: {_cell(value)}" for label, value in facts if value]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "–" if value is None or value == "" else str(value).replace("|", "\\|").replace("\n", " ")


def _provenance(dataset_dir: Path | None, stats: dict[str, Any]) -> str:
    if not stats:
        return "" if dataset_dir is None else f"## Training data\n\nMined by `rustdoc-gen mine` into `{dataset_dir}`."
    lines = ["## Training data", "",
             f"(doc comment, item) pairs mined by `rustdoc-gen mine` into `{dataset_dir}` from these repositories "
             "(from the dataset's `stats.json`; its README.md is the dataset card):", "",
             "| repo | url | commit | license | records kept |", "|---|---|---|---|---:|"]
    for repo in stats.get("repos", []):
        lines.append(f"| {_cell(repo.get('name'))} | {_cell(repo.get('url'))} | {_cell(repo.get('commit'))} "
                     f"| {_cell(repo.get('license') or 'unknown')} | {_cell(repo.get('kept'))} |")
    splits = stats.get("splits", {})
    if splits:
        lines += ["", "Records per split: " + ", ".join(f"{split} {count}" for split, count in splits.items()) + "."]
    return "\n".join(lines)


def _prompt_format(rendering: str, run: dict[str, Any]) -> str:
    from rustdoc_core.generation.prompt import PROMPT_FORMAT_VERSION, build_messages, prompt_context, render_plain
    from rustdoc_core.rust.items import RustSource
    from trainer.export import SAMPLE_RUST

    version = run.get("prompt_format_version", PROMPT_FORMAT_VERSION)
    source = RustSource(SAMPLE_RUST)
    item = source.items()[0]
    messages = build_messages(item, prompt_context(source, item))
    if rendering == "plain":
        how = "as one plain text (the base has no chat template); the doc follows the last line"
        shown = render_plain(messages)
    else:
        how = "as chat messages through the chat template inside the GGUF; the answer is the doc text"
        shown = "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages)
    fence = "````"
    return (f"## Prompt format\n\nrustdoc-gen prompt format v{version}, rendering `{rendering}`: each item is asked {how}, "
            f"without `///` markers. For `{item.label}` the model is asked:\n\n{fence}text\n{shown.rstrip()}\n{fence}")


def _usage(inputs: CardInputs, base: str | None) -> str:
    file = Path(inputs.gguf).name
    if inputs.repo_id:
        fetch = f'MODEL="$(rustdoc-gen model pull -q {inputs.repo_id} {file})"   # into the Hugging Face cache; prints its path\n'
    else:
        fetch = f"MODEL={file}\n"
    if inputs.adapter_only:
        model = '--model BASE.gguf --adapter "$MODEL"'
        llama = f'llama-cli -m BASE.gguf --lora {file} --temp 0 -p "..."'
        note = (f"BASE.gguf is the base it was trained on, `{base}`, as a GGUF "
                "(`rustdoc-gen export BASE_MODEL_DIR -o BASE.gguf` makes one from the model's directory).\n\n")
    else:
        model = '--model "$MODEL"'
        llama = f"llama-cli -m {file} -cnv --temp 0" if inputs.rendering == "chat" else f'llama-cli -m {file} --temp 0 -p "..."'
        note = ""
    return (
        "## How to use\n\n" + note +
        "With rustdoc-gen (command line, or the language server for VS Code and Neovim):\n\n"
        f"```bash\n{fetch}rustdoc-gen generate src/ {model}            # a diff of the new docs\n"
        f"rustdoc-gen generate src/ {model} --write\n"
        f"rustdoc-gen demo {model}                  # a local page: template and model side by side\n```\n\n"
        "In an editor, set `rustdocGen.model.path` (VS Code) or `model = { path = ... }` (Neovim) to the file.\n\n"
        "With llama.cpp alone (ask in the prompt format above; decode greedily):\n\n"
        f"```bash\n{llama}\n```"
    )


def _limitations(inputs: CardInputs, stats: dict[str, Any]) -> str:
    repos = ", ".join(r["name"] for r in stats.get("repos", [])) if stats else ""
    lines = [
        "## Limitations",
        "",
        "- It writes docs from the item's code and a little context (imports, the enclosing impl, nearby signatures); "
        "it does not read the rest of the crate, so it can be wrong about behaviour the code does not show.",
        "- Small models repeat themselves, echo code or name parameters that do not exist. rustdoc-gen's output guard "
        "repairs or replaces such answers (the template's doc) before they reach a file; llama.cpp alone does not.",
        "- Examples in `# Examples` are not compiled by the model: run `cargo test --doc` on what it wrote.",
        (f"- Quantized to {inputs.quant}: a little less exact than the f16 weights it came from." if not inputs.adapter_only
         else "- The adapter works only on the base it was trained on; rustdoc-gen refuses another base."),
    ]
    if repos:
        lines.append(f"- Trained on docs from {repos}: their style (and their licenses, above) shape what it writes.")
    return "\n".join(lines)
