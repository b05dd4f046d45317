"""`python -m bench retrieval`: the retrieval index (rustdoc_core.generation.retrieval) on Debian's clap.

- building the index of clap's whole source, against parsing the same files with the
  item model in the same run (what `generate` and the server's start-up pay anyway);
- re-indexing one saved file (what the server does on save), against parsing that file;
- the k-nearest query for every item of clap's largest file (p50 and p95), against one
  parse of that file: what the server already does after each edit, before it lists
  code actions. A query that stays well under that parse does not show in the latency.

CPU time of this process is given beside wall time: other jobs on a shared machine
inflate wall time, not CPU time.

    python -m bench retrieval [--crate clap] [--repeat 5] [--k 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bench.harness import Report, debian_crates, fastest

ROOT = Path(__file__).resolve().parent.parent


def _ms(seconds: float) -> float:
    return seconds * 1000


def run(args: list[str]) -> Report:
    parser = argparse.ArgumentParser(prog="python -m bench retrieval")
    parser.add_argument("--crate", default="clap", help="Debian crate whose whole source is indexed")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per build figure (best is kept)")
    parser.add_argument("--k", type=int, default=3, help="neighbours per query")
    options = parser.parse_args(args)

    from rustdoc_core.generation.retrieval import RetrievalIndex
    from rustdoc_core.rust.items import RustSource

    root = debian_crates([options.crate])[0]
    files = sorted(root.rglob("*.rs"))
    texts = {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in files}
    sources = {}

    def parse_all() -> None:
        sources.clear()
        for name, text in texts.items():
            source = RustSource(text)
            source.items()
            sources[name] = source

    def build() -> RetrievalIndex:
        index = RetrievalIndex()
        for name, source in sources.items():
            index.add_source(name, source)
        return index

    report = Report(f"Retrieval index on {root.name} ({len(files)} files, {sum(map(len, texts.values())) / 1e6:.1f} MB)")
    parse_s, parse_cpu = fastest(options.repeat, parse_all)
    build_s, build_cpu = fastest(options.repeat, build)
    index = build()
    report.add("index build (items already parsed), wall", _ms(build_s), "ms", _ms(parse_s), "parse of every file")
    report.add("index build (items already parsed), CPU", _ms(build_cpu), "ms", _ms(parse_cpu), "parse of every file")

    largest = max(texts, key=lambda name: len(texts[name]))
    text = texts[largest]
    file_parse, file_parse_cpu = fastest(options.repeat, lambda: RustSource(text).items())
    source = sources[largest]
    reindex, reindex_cpu = fastest(options.repeat, lambda: index.replace_file(largest, source))
    report.add("re-index the largest file on save, wall", _ms(reindex), "ms", _ms(file_parse), "parse of that file")
    report.add("re-index the largest file on save, CPU", _ms(reindex_cpu), "ms", _ms(file_parse_cpu), "parse of that file")

    items = source.items()
    walls, cpus = [], []
    for item in items:
        start, start_cpu = time.perf_counter(), time.process_time()
        index.neighbours(largest, item, options.k)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    walls.sort()
    cpus.sort()
    p95 = walls[int(0.95 * (len(walls) - 1))]
    report.add(f"query p50 (k={options.k}), wall", _ms(statistics.median(walls)), "ms", _ms(file_parse), "parse of the file", "<= 0.5x")
    report.add(f"query p95 (k={options.k}), wall", _ms(p95), "ms", _ms(file_parse), "parse of the file", "<= 1.0x")
    report.add(f"query p50 (k={options.k}), CPU", _ms(statistics.median(cpus)), "ms", _ms(file_parse_cpu), "parse of the file", "<= 0.5x")
    report.notes.append(
        f"{len(index)} documented items indexed; {len(items)} queries, one per item of {largest} "
        f"({len(text) / 1e3:.0f} kB). bench/server.py gives the code-action list latency on the same file."
    )
    return report
