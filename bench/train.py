"""Training throughput with and without sequence packing, and the export's size and time.

    python -m bench train [--steps 4] [--batch-size 2] [--max-seq-len 1024] [--crate globset]

Uses the tiny Qwen2 model of the tests (real 151,936-token vocabulary, built
offline and cached) and records mined from a Debian crate. Same run, same data:
tokens/s with --packing against tokens/s without; the Q4_K_M GGUF's size and
export time against the f16 one's. On a CUDA machine the same command trains on
the GPU (bf16) and reports GPU figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.harness import Report, debian_crates

REPO_ROOT = Path(__file__).resolve().parent.parent


def _mine(crate: str, out: Path) -> Path:
    from click.testing import CliRunner

    from rustdoc_cli.cli import main as cli

    source = debian_crates([crate])[0]
    result = CliRunner().invoke(cli, ["-q", "mine", str(source), "-o", str(out)])
    if result.exit_code != 0:
        raise SystemExit(f"mining {crate} failed: {result.output}")
    return out


def _tokens_per_second(dataset: Path, model: Path, run_dir: Path, args: argparse.Namespace, packing: bool) -> tuple[float, float]:
    from trainer.config import TrainConfig
    from trainer.train import train_sft

    config = TrainConfig(
        dataset=dataset, output=run_dir, base_model=str(model), max_steps=args.steps + 1, batch_size=args.batch_size,
        gradient_accumulation=1, max_seq_len=args.max_seq_len, packing=packing, logging_steps=1, eval_limit=0,
        save_steps=10_000, seed=0,
    )
    summary = train_sft(config)
    # The first step pays for warm-up (allocations, kernel selection): leave it out.
    speeds = [r["tokens_per_second"] for r in summary.history if r.get("tokens_per_second") and r["step"] > 1]
    return sum(speeds) / len(speeds), summary.seconds


def run(argv: list[str]) -> Report:
    parser = argparse.ArgumentParser(prog="python -m bench train")
    parser.add_argument("--steps", type=int, default=4, help="measured optimizer steps per setting")
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--max-seq-len", type=int, default=1024)
    parser.add_argument("--crate", default="globset", help="Debian crate whose records are trained on")
    args = parser.parse_args(argv)

    import torch

    from rustdoc_console import configure
    from tests.support.fixtures import tiny_model_path
    from trainer.export import export_model

    configure(quiet=True)
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"cpu ({torch.get_num_threads()} threads)"
    report = Report(f"Training and export on the tiny Qwen2 (hidden 256, 4 layers, vocab 151,936), {device}")
    model = tiny_model_path()
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        work = Path(tmp)
        dataset = _mine(args.crate, work / "data")
        plain, plain_s = _tokens_per_second(dataset, model, work / "run-plain", args, packing=False)
        packed, packed_s = _tokens_per_second(dataset, model, work / "run-packed", args, packing=True)
        report.add("train tokens/s, packing", packed, "tok/s", baseline=plain, baseline_name="no packing", higher_is_better=True)
        report.notes.append(
            f"{args.steps} measured steps each, batch {args.batch_size}, max_seq_len {args.max_seq_len}, "
            f"records from {args.crate}; wall {plain_s:.0f} s without packing, {packed_s:.0f} s with"
        )

        timings = {}
        sizes = {}
        for quant in ("f16", "Q4_K_M"):
            start = time.perf_counter()
            result = export_model(model, work / f"tiny-{quant}.gguf", quant=quant, verify=False)
            timings[quant] = time.perf_counter() - start
            sizes[quant] = result.output_bytes / 1e6
        report.add("export size, Q4_K_M", sizes["Q4_K_M"], "MB", baseline=sizes["f16"], baseline_name="f16")
        report.add("export time, Q4_K_M (convert + quantize)", timings["Q4_K_M"], "s", baseline=timings["f16"], baseline_name="f16 convert")
        report.notes.append("Export times exclude the verification load; K-quant sizes include the f32 norms and Q6_K/Q8 tensors llama.cpp keeps.")
    return report
