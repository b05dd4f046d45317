"""The benchmark harness: a registry of named benchmarks and one table format.

A benchmark is a module `bench/NAME.py` with `def run(args: list[str]) -> Report`.
Every measured figure comes with the baseline it is compared against, taken in
the same run on the same input, and the table shows the ratio.
"""

from __future__ import annotations

import json
import platform
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass
class Figure:
    """One measured figure and, where it has one, its same-run baseline."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str | None = None
    target: str | None = None  # e.g. "<= 2.0x" for a ratio target, shown beside the ratio
    higher_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline


@dataclass
class Report:
    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *args: Any, **kwargs: Any) -> Figure:
        figure = Figure(*args, **kwargs)
        self.figures.append(figure)
        return figure

    def to_json(self) -> str:
        return json.dumps({"title": self.title, "machine": machine(), "figures": [
            {**asdict(f), "ratio": f.ratio} for f in self.figures], "notes": self.notes}, indent=2)


def machine() -> dict[str, Any]:
    import os

    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def print_report(report: Report, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=report.title, title_justify="left")
    for column in ("figure", "value", "baseline", "ratio", "target"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for f in report.figures:
        baseline = f"{_fmt(f.baseline)} {f.unit}" + (f" ({f.baseline_name})" if f.baseline_name else "") if f.baseline is not None else "-"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "-"
        table.add_row(f.name, f"{_fmt(f.value)} {f.unit}", baseline, ratio, f.target or "")
    console.print(table)
    for note in report.notes:
        console.print(f"  {note}")


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.4f}"


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """`with stopwatch() as elapsed: ...; elapsed()` -> seconds."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def fastest(repeat: int, func: Callable[[], Any]) -> tuple[float, float]:
    """Fastest wall time and fastest CPU time (this process) of `repeat` calls, in seconds.

    CPU time is what a run costs when other jobs share the cores; wall time is
    what a user waits, and the only measure of what a second worker buys."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return min(walls), min(cpus)


def debian_crates(names: list[str]) -> list[Path]:
    """The source directories of Debian-packaged crates (`scripts/fetch-debian-crates`), newest version of each."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([str(root / "scripts" / "fetch-debian-crates")], check=True, capture_output=True, text=True)
    registry = Path(done.stdout.strip().splitlines()[-1])
    dirs = []
    for name in names:
        matches = sorted(p for p in registry.iterdir() if p.name.rsplit("-", 1)[0] == name)
        if not matches:
            raise SystemExit(f"error: crate {name} is not in {registry}")
        dirs.append(matches[-1])
    return dirs
