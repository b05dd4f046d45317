"""The benchmark harness: a registry of named benchmarks and one table format.

A benchmark is a module `bench/NAME.py` with `def run(args: list[str]) -> Report`.
Every measured figure comes with the baseline it is compared against, taken in
the same run on the same input, and the table shows the ratio.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
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
