"""`python -m bench miner`: mining throughput on Debian's real crates against a bare
tree-sitter parse of the same files in the same run, 1 vs 2 worker processes, and
peak memory on a corpus and on four times that corpus (flat = streaming).

    python -m bench miner [--crates globset,grep-searcher,ignore,clap,bat] [--repeat 3] [--scale 4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.harness import Report, debian_crates, fastest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CRATES = "globset,grep-searcher,ignore,clap,bat"

_CHILD = """
import json, resource, sys
from pathlib import Path
from rustdoc_console import configure
from corpus_miner.mine import MineOptions, mine_dataset
from corpus_miner.sources import local_source
configure(quiet=True)
roots, out, workers = json.loads(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
stats = mine_dataset([local_source(Path(r)) for r in roots], out, MineOptions(workers=workers))
print(json.dumps({"self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "worker_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "records": stats["records"]}))
"""


def _child_run(roots: list[Path], out: Path, workers: int) -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps([str(r) for r in roots]), str(out), str(workers)],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(args: list[str]) -> Report:
    parser = argparse.ArgumentParser(prog="python -m bench miner")
    parser.add_argument("--crates", default=DEFAULT_CRATES, help="Debian crates to mine (comma-separated)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure (best is kept)")
    parser.add_argument("--scale", type=int, default=4, help="corpus copies for the memory figure")
    opts = parser.parse_args(args)

    from corpus_miner.mine import MineOptions, mine_dataset
    from corpus_miner.sources import local_source
    from corpus_miner.walk import WalkOptions, rust_files
    from rustdoc_console import configure
    from rustdoc_core.rust.items import RustSource, new_parser

    configure(quiet=True)
    crates = debian_crates([c.strip() for c in opts.crates.split(",") if c.strip()])
    files = [c / f.relpath for c in crates for f in rust_files(c, WalkOptions(), Counter())]
    megabytes = sum(f.stat().st_size for f in files) / 1e6
    sources = [local_source(c) for c in crates]
    parser_ = new_parser()

    def bare_parse() -> None:
        for f in files:
            parser_.parse(f.read_bytes())

    def item_model() -> None:
        for f in files:
            RustSource(f.read_bytes(), parser_).items()

    work = Path(tempfile.mkdtemp(prefix="bench-miner-"))
    try:
        parse_s, parse_cpu = fastest(opts.repeat, bare_parse)
        items_s, items_cpu = fastest(opts.repeat, item_model)
        mine1_s, mine1_cpu = fastest(opts.repeat, lambda: mine_dataset(sources, work / "one", MineOptions(workers=1)))
        mine2_s, _ = fastest(opts.repeat, lambda: mine_dataset(sources, work / "two", MineOptions(workers=2)))
        records = json.loads((work / "one" / "stats.json").read_text())["records"]

        # Memory: the same mining on the corpus and on `scale` copies of it, each in a fresh process.
        copies = []
        for i in range(opts.scale):
            for crate in crates:
                copy = work / "corpus" / f"{crate.name}-copy{i}"
                shutil.copytree(crate, copy, symlinks=True)
                copies.append(copy)
        small = _child_run(list(crates), work / "mem1", 2)
        large = _child_run(copies, work / "memN", 2)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report = Report(f"miner: {len(crates)} Debian crates, {len(files)} files, {megabytes:.2f} MB, {records:,} records")
    report.add("mine, 1 worker (CPU time)", mine1_cpu, "s", parse_cpu, "bare tree-sitter parse", target="<= 2.0x")
    report.add("  of which parse + RustSource.items()", items_cpu, "s", parse_cpu, "bare tree-sitter parse")
    report.add("mine, 1 worker (wall time)", mine1_s, "s", parse_s, "bare tree-sitter parse", target="<= 2.0x")
    report.add("mine, 2 workers (wall time)", mine2_s, "s", parse_s, "bare tree-sitter parse", target="<= 2.0x")
    report.add("mine, 1 worker (throughput)", megabytes / mine1_s, "MB/s", megabytes / parse_s, "bare parse", higher_is_better=True)
    report.add("mine, 2 workers (throughput)", megabytes / mine2_s, "MB/s", megabytes / mine1_s, "1 worker", higher_is_better=True)
    report.add(f"peak RSS main process, {opts.scale}x corpus", large["self_kb"] / 1024, "MiB",
               small["self_kb"] / 1024, "1x corpus", target="<= 1.25x (flat)")
    report.add(f"peak RSS largest worker, {opts.scale}x corpus", large["worker_kb"] / 1024, "MiB",
               small["worker_kb"] / 1024, "1x corpus", target="<= 1.25x (flat)")
    report.notes += [
        f"Machine load when measured (1-minute average): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.",
        "Times are the best of --repeat runs; mine covers walk, parse, items, prompts, dedupe and the atomic write.",
        "The bare parse is one process; the 2-worker ratio therefore shows what the second core buys.",
        f"Memory runs mine with 2 workers in fresh processes; the {opts.scale}x corpus holds copies, so its "
        "records are dropped as duplicates after full extraction (dedupe keys: 32 bytes per unique record).",
    ]
    return report
