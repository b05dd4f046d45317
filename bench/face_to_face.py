"""The face-to-face eval: template, base, SFT, SFT+RAG, DPO and DPO+RAG on a repository no
model trained on, side by side in one report, from one command, on the CPU.

    python -m bench face_to_face [--smoke] [--train-minutes 12] [--dpo-steps 24] [--prefs-limit 48]
                                 [--samples 3] [--eval-limit 40] [--test-crate globset]

The chain, every step what a user runs:
  1. the quality bench's data and SFT run (`bench/quality.py`: `mine` with the test crate
     held out, `train` on its base GGUF, Qwen2.5-Coder-0.5B by default): reused from .cache/bench/quality
     when that bench has produced them, else built here the same way;
  2. `export --adapter-only` of the SFT run;
  3. `prefs`: the SFT model's sampled answers to --prefs-limit training prompts, scored, paired;
  4. `train --method dpo --from SFT`: --dpo-steps DPO steps on those pairs; the process's peak RSS is
     measured (the kernel's count) and printed, against a target of 8 GB;
  5. `export --adapter-only` of the DPO run;
  6. `eval` on the held-out crate: template, base, SFT, DPO, and SFT+RAG / DPO+RAG where the
     eval knows the `+rag` system suffix, with doctests of the crate's examples (not in --smoke).

Budget (2 CPU cores, SmolLM2-135M): with the defaults about 45 minutes from nothing (the SFT
run is most of it: --train-minutes), about 20 minutes when the quality bench's run is there;
--smoke checks the chain in about 10. Resumable: every finished step is kept in the work
directory; the same command goes on from where it stopped. It writes WORK/face-to-face/table.md
(the table the README shows) and side_by_side.md (each system's doc for the same items).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import quality
from bench.harness import Report

ROOT = quality.ROOT
QUALITY_WORK = ROOT / ".cache" / "bench" / "quality"
ROWS = (
    ("chrf", "chrF", "{:.1f}"),
    ("bleu4", "BLEU-4", "{:.1f}"),
    ("rouge_l", "ROUGE-L", "{:.1f}"),
    ("clean_share", "docs with no findings", "{:.0%}"),
    ("findings_per_doc", "findings per doc", "{:.2f}"),
    ("raw_repetition", "answers repeating themselves", "{:.0%}"),
    ("raw_echoed", "answers echoing the code", "{:.0%}"),
    ("raw_ungrounded", "answers naming what does not exist", "{:.0%}"),
    ("kept", "answers kept as written", "{:.0%}"),
    ("repaired", "answers repaired", "{:.0%}"),
    ("promoted", "answers opened by their second sentence", "{:.0%}"),
    ("replaced", "fallbacks to the template", "{:.0%}"),
    ("examples_valid", "examples valid Rust", "{:.0%}"),
    ("doctests_pass", "doctests passing", "{:.0%}"),
    ("tokens_per_doc", "tokens per doc", "{:.0f}"),
)
"""The table's rows: eval figure key, title, format."""


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="python -m bench face_to_face", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="check the chain: 2 crates, 2 SFT steps, 4 prompts, 2 DPO steps, 4 items")
    parser.add_argument("--train-minutes", type=float, default=12.0, help="SFT budget when the run is built here (default 12)")
    parser.add_argument("--test-crate", default=None, help="crate held out for the eval (default globset)")
    parser.add_argument("--eval-limit", type=int, default=None, help="held-out items evaluated (default 40)")
    parser.add_argument("--prefs-limit", type=int, default=None, help="training prompts sampled for pairs (default 48)")
    parser.add_argument("--samples", type=int, default=3, help="answers sampled per prompt (default 3)")
    parser.add_argument("--max-tokens", type=int, default=None, help="most tokens per answer, prefs and eval (default 160)")
    parser.add_argument("--dpo-steps", type=int, default=None, help="DPO optimizer steps (default 24)")
    parser.add_argument("--beta", type=float, default=0.1, help="DPO beta (default 0.1)")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="where the chain lives (default: .cache/bench/quality when its SFT run is there, else .cache/bench/face-to-face)")
    args = parser.parse_args(argv)
    smoke = args.smoke
    args.eval_limit = args.eval_limit or (4 if smoke else 40)
    args.prefs_limit = args.prefs_limit or (4 if smoke else 48)
    args.dpo_steps = args.dpo_steps or (2 if smoke else 24)
    args.max_tokens = args.max_tokens or (48 if smoke else 160)
    if args.work_dir is None:
        shared = QUALITY_WORK.with_name("quality-smoke" if smoke else "quality")
        args.work_dir = shared if (shared / "run" / "adapter" / "adapter_config.json").is_file() else (
            ROOT / ".cache" / "bench" / ("face-to-face-smoke" if smoke else "face-to-face"))
    # The quality bench's own settings, so its Plan accepts (or builds) the same data and SFT run.
    quality_argv = ["--work-dir", str(args.work_dir), "--train-minutes", str(args.train_minutes)]
    quality_argv += ["--smoke"] if smoke else []
    quality_argv += ["--test-crate", args.test_crate] if args.test_crate else []
    quality_argv += ["--eval-limit", str(args.eval_limit)]
    return args, quality_argv


def rag_supported(spec: str, dataset: Path) -> bool:
    """Whether this eval knows the `+rag` system suffix (retrieval, issue 13's other half)."""
    from rustdoc_console import UserError
    from rustdoc_core.generation.decode import DecodeOptions
    from trainer.evaluation.systems import make_system

    try:
        make_system(spec + "+rag", DecodeOptions(), (dataset, "test")).close()
    except (UserError, ValueError, TypeError, OSError):
        return False
    return True


def sft_chain(qargs: argparse.Namespace, work: Path) -> tuple[Path, Path, Path]:
    """Dataset, SFT run and base GGUF: the quality bench's as it left them, else built as it builds them."""
    gguf = quality.base_gguf(qargs.base_gguf)
    if (work / "run" / "adapter" / "adapter_config.json").is_file() and (work / "data" / "stats.json").is_file():
        plan = json.loads((work / "plan.json").read_text()) if (work / "plan.json").is_file() else {}
        qargs.test_crate = plan.get("test_crate", qargs.test_crate)
        return work / "data", work / "run", gguf
    plan = quality.Plan(work, qargs, gguf)
    dataset = quality.mine(qargs, work)
    step_seconds = 1.0 if "steps" in plan.data else quality.bare_loop(qargs, dataset, gguf, work)["seconds_per_step"]
    return dataset, quality.fine_tune(qargs, dataset, gguf, work, plan, step_seconds), gguf


def adapter_export(run_dir: Path, target: Path) -> Path:
    if not target.is_file():
        quality.rustdoc_gen("-q", "export", str(run_dir), "--adapter-only", "-o", str(target))
    return target


def preference_pairs(args: argparse.Namespace, dataset: Path, run_dir: Path, model: str, out: Path) -> dict[str, Any]:
    if not (out / "stats.json").is_file():
        quality.rustdoc_gen("-q", "prefs", "--run", str(run_dir), "--dataset", str(dataset), "-o", str(out), "--model", model,
                            "--limit", str(args.prefs_limit), "--samples", str(args.samples), "--max-tokens", str(args.max_tokens),
                            "--seed", "0")
    return json.loads((out / "stats.json").read_text())


DPO_PEAK_FILE = "peak_rss.json"
DPO_MEMORY_TARGET_GB = 8.0


def dpo(args: argparse.Namespace, qargs: argparse.Namespace, sft_dir: Path, prefs: Path, out: Path) -> tuple[Path, float | None]:
    """The DPO run and the peak resident memory of the `train --method dpo` process, in bytes (as measured when
    it ran: a finished run keeps the figure in DPO/peak_rss.json; None for a run from before it was kept)."""
    peak_file = out / DPO_PEAK_FILE
    if (out / "adapter" / "adapter_config.json").is_file():
        return out, json.loads(peak_file.read_text())["peak_rss_bytes"] if peak_file.is_file() else None
    flags = ["--method", "dpo", "--preferences", str(prefs), "--from", str(sft_dir), "--output", str(out),
             "--max-steps", str(args.dpo_steps), "--beta", str(args.beta), "--batch-size", "2", "--gradient-accumulation", "1",
             "--max-seq-len", str(qargs.max_seq_len), "--learning-rate", "1e-4", "--warmup-ratio", "0",
             "--logging-steps", "1", "--save-steps", str(max(1, args.dpo_steps // 4)), "--seed", "0"]
    peak = peak_rss_of("-q", "train", *flags, *(["--resume"] if out.exists() else []))
    peak_file.write_text(json.dumps({"peak_rss_bytes": peak}) + "\n")
    return out, peak


def peak_rss_of(*args: str) -> int:
    """Run `rustdoc-gen ARGS` as `quality.rustdoc_gen` does; return the process's peak resident memory in bytes
    (the kernel's own count, wait4's ru_maxrss, in KiB on Linux)."""
    command = [sys.executable, "-m", "rustdoc_cli", *args]
    print("$ rustdoc-gen " + " ".join(args), flush=True)
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"error: `rustdoc-gen {args[1] if args[0] == '-q' else args[0]}` failed (exit {process.returncode}); its output is above")
    return usage.ru_maxrss * 1024


def evaluate(args: argparse.Namespace, dataset: Path, systems: dict[str, str], out: Path, crate_dir: Path | None) -> dict[str, Any]:
    flags = [x for spec in systems.values() for x in ("--system", spec)]
    extra = ["--crate-dir", f"{crate_dir.name}={crate_dir}"] if crate_dir is not None else []
    quality.rustdoc_gen("-q", "eval", "--dataset", str(dataset), "--split", "test", "--limit", str(args.eval_limit), *flags,
                        "--max-tokens", str(args.max_tokens), "--examples", "4", *extra, "-o", str(out))
    return json.loads((out / "report.json").read_text())


def table_rows(report: dict[str, Any], names: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    overall, cost = report["figures"]["overall"], report["cost"]
    labels = list(names)
    rows = []
    for key, title, pattern in ROWS:
        values = [overall[names[label]].get(key) for label in labels]
        rows.append([title, *("-" if v is None else pattern.format(v) for v in values)])
    rows.append(["seconds per doc", *(f"{cost[names[label]]['seconds_per_doc']:.2f}" for label in labels)])
    return ["", *labels], rows


def side_by_side(report: dict[str, Any], names: dict[str, str]) -> str:
    """Each shown item: the human doc and every system's final doc, one after the other."""
    parts = ["# The same items, every system\n"]
    for shown in report["examples"]:
        parts.append(f"## `{shown['label']}` ({shown['repo']}:{shown['path']}:{shown['line']})\n")
        parts.append(f"```rust\n{shown['signature']}\n```\n")
        parts.append("**human**\n\n" + _quoted(shown["human"]))
        for label, name in names.items():
            doc = shown["docs"][name]
            findings = ", ".join(doc["findings"]) or "none"
            parts.append(f"**{label}** ({doc['origin']}; findings: {findings})\n\n" + _quoted(doc["text"]))
    return "\n".join(parts)


def _quoted(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in (text or "(empty)").splitlines()) + "\n"


def run(argv: list[str]) -> Report:
    from rich.console import Console
    from rich.table import Table

    from bench.harness import debian_crates

    args, quality_argv = _parse(argv)
    qargs = quality._parse(quality_argv)
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    here = work / "face-to-face"
    here.mkdir(exist_ok=True)
    started = time.perf_counter()
    seconds: dict[str, float] = {}

    def timed(name: str, step, *a):
        start = time.perf_counter()
        result = step(*a)
        seconds[name] = time.perf_counter() - start
        return result

    dataset, sft_dir, gguf = timed("data + SFT", sft_chain, qargs, work)
    sft_adapter = timed("export SFT", adapter_export, sft_dir, work / "tuned-adapter.gguf")
    stats = timed("prefs", preference_pairs, args, dataset, sft_dir, f"model:{gguf}@{sft_adapter}", here / "prefs")
    dpo_dir, dpo_peak = timed("DPO", dpo, args, qargs, sft_dir, here / "prefs", here / "dpo")
    dpo_adapter = timed("export DPO", adapter_export, dpo_dir, here / "dpo-adapter.gguf")

    sft_spec, dpo_spec = f"model:{gguf}@{sft_adapter}", f"model:{gguf}@{dpo_adapter}"
    systems = {"template": "template", "base": f"model:{gguf}", "SFT": sft_spec}
    rag = rag_supported(sft_spec, dataset)
    if rag:
        systems["SFT+RAG"] = sft_spec + "+rag"
    systems["DPO"] = dpo_spec
    if rag:
        systems["DPO+RAG"] = dpo_spec + "+rag"
    crate_dir = None if args.smoke else next((d for d, name in zip(debian_crates(qargs.crates), qargs.crates) if name == qargs.test_crate), None)
    report = timed("eval", evaluate, args, dataset, systems, here / "eval", crate_dir)
    by_spec = {s["spec"]: s["name"] for s in report["systems"]}
    names = {label: by_spec[spec] for label, spec in systems.items()}

    header, rows = table_rows(report, names)
    title = f"{report['dataset']['items']} held-out items of {qargs.test_crate} (never trained on)"
    out = Table(title=title, title_justify="left")
    for column in header:
        out.add_column(column, justify="right" if column else "left")
    for row in rows:
        out.add_row(*row)
    Console().print(out)
    (here / "table.md").write_text(quality.markdown(header, rows))
    (here / "side_by_side.md").write_text(side_by_side(report, names))

    overall = report["figures"]["overall"]
    result = Report(f"Face to face: {gguf.name}, SFT and DPO, with and without retrieval ({os.cpu_count()} cores)")
    if dpo_peak is not None:
        result.add("DPO step, peak RSS", dpo_peak / 1e9, "GB", target=f"< {DPO_MEMORY_TARGET_GB:g} GB")

    def fig(label: str, key: str, against: str, *, higher: bool, target: str | None = None) -> None:
        if label in names and against in names and overall[names[label]].get(key) is not None:
            result.add(f"{key}, {label}", overall[names[label]][key], "", baseline=overall[names[against]].get(key),
                       baseline_name=against, target=target, higher_is_better=higher)

    fig("SFT", "chrf", "base", higher=True)
    fig("SFT+RAG", "chrf", "SFT", higher=True, target=">= 1.10x")
    fig("DPO", "chrf", "SFT", higher=True)
    fig("DPO+RAG", "chrf", "DPO", higher=True, target=">= 1.10x")
    fig("DPO", "findings_per_doc", "SFT", higher=False, target="< 1.0x")
    fig("DPO", "replaced", "SFT", higher=False, target="< 1.0x")
    for key in ("raw_repetition", "raw_echoed", "raw_ungrounded"):
        fig("DPO", key, "SFT", higher=False)
    dpo_info = json.loads((dpo_dir / "run.json").read_text())
    margins = [r["rewards/margins"] for r in quality._metrics(dpo_dir) if r.get("rewards/margins") is not None]
    result.notes += [
        f"data: {qargs.test_crate} held out whole; eval on {report['dataset']['items']} test items, at most {args.max_tokens} tokens a doc; "
        + ("doctests in " + str(crate_dir) if crate_dir else "no doctests"),
        f"SFT: {sft_dir} ({json.loads((sft_dir / 'run.json').read_text())['results']['steps']} LoRA steps)",
        f"prefs: {stats['prompts']} training prompts x {stats['samples_per_prompt']} answers -> {stats['pairs']} pairs "
        f"({stats['ties']} ties); mean score chosen {stats['chosen_mean_score']} / rejected {stats['rejected_mean_score']}; "
        f"guard errors chosen {stats['guard_errors']['chosen']} / rejected {stats['guard_errors']['rejected']}",
        f"DPO: {dpo_info['results']['steps']} steps, beta {dpo_info['beta']:g}, peak RSS "
        + (f"{dpo_peak / 1e9:.2f} GB" if dpo_peak is not None else "not measured (a run from before it was kept)")
        + f"; loss {dpo_info['results']['first_loss']:.3f} -> "
        f"{dpo_info['results']['final_loss']:.3f}" + (f"; reward margin {margins[0]:.3f} -> {margins[-1]:.3f}" if margins else ""),
        "RAG: " + ("the eval's +rag systems" if rag else "not measured: this eval has no +rag system suffix yet"),
        "time: " + ", ".join(f"{name} {s / 60:.1f} min" for name, s in seconds.items()) + f"; total {(time.perf_counter() - started) / 60:.1f} min",
        f"table: {here / 'table.md'}; the same items side by side: {here / 'side_by_side.md'}; full report {here / 'eval' / 'report.md'}",
        f"measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
    ]
    return result
