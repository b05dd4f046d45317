"""`python -m bench documenting`: the documenting pipeline is linear in a file's items.

`generate` over one file of N undocumented one-line fns (the template engine, a diff, as a user
runs it, in process), for N = 2k, 4k, 8k; each size's time per item against the smallest
size's, measured in the same run: a linear pipeline keeps the ratio near 1 (the four copies
of the path it replaced took 4.6 s, 21 s and 84 s, a ratio of 4.6 at 8k). Then a 50,000-line
file, the issue's target (under 10 s), and `generate --check` on it (planning only) as the
baseline of what reading the file costs.

CPU time of this process is shown beside wall time: other jobs on a shared machine inflate
wall time, not CPU time.

    python -m bench documenting [--sizes 2000 4000 8000] [--big-lines 50000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import io
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

from bench.harness import Report, fastest


def one_line_fns(count: int) -> str:
    """A file of `count` undocumented public one-line fns, a blank line after each."""
    return "".join(f"pub fn item_{i}(x: u32) -> u32 {{ x + {i} }}\n\n" for i in range(count))


def _generate(path: Path, *flags: str) -> None:
    from click.testing import CliRunner

    from rustdoc_cli.cli import main

    with redirect_stdout(io.StringIO()):
        result = CliRunner().invoke(main, ["generate", str(path), "-q", *flags], catch_exceptions=False)
    if result.exit_code not in (0, 1):  # --check exits 1 when items lack docs
        raise SystemExit(f"error: generate failed on {path}: {result.output[-500:]}")


def run(args: list[str]) -> Report:
    parser = argparse.ArgumentParser(prog="python -m bench documenting")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 4000, 8000], help="items per file")
    parser.add_argument("--big-lines", type=int, default=50_000, help="lines of the big file (two per item)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per figure (fastest kept)")
    options = parser.parse_args(args)

    report = Report("Documenting a file: time per item as the file grows (template engine, diff)")
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.rs"
        warm.write_text(one_line_fns(10), encoding="utf-8")
        _generate(warm)  # imports and first-use caches out of the figures
        per_item: dict[int, float] = {}
        for size in sorted(options.sizes):
            path = Path(tmp) / f"items_{size}.rs"
            path.write_text(one_line_fns(size), encoding="utf-8")
            wall, cpu = fastest(options.repeat, lambda p=path: _generate(p))
            per_item[size] = cpu / size
            smallest = min(per_item)
            report.add(f"{size} items: CPU per item", per_item[size] * 1000, "ms", per_item[smallest] * 1000,
                       f"{smallest} items: CPU per item", target="<= 1.5x")
            report.notes.append(f"{size} items: {wall:.2f} s wall, {cpu:.2f} s CPU")
        big = Path(tmp) / "big.rs"
        big.write_text(one_line_fns(options.big_lines // 2), encoding="utf-8")
        check_wall, check_cpu = fastest(options.repeat, lambda: _generate(big, "--check"))
        wall, cpu = fastest(options.repeat, lambda: _generate(big))
        report.add(f"{options.big_lines:,}-line file documented: wall", wall, "s", check_wall,
                   "the same file planned only (--check)", target="< 10 s")
        report.notes.append(f"{options.big_lines:,}-line file: {cpu:.2f} s CPU documented, {check_cpu:.2f} s CPU planned only")
    return report
