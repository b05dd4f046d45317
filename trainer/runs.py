"""`rustdoc-gen runs RUN...`: training runs side by side, from their own files.

Each run directory `train` wrote holds `run.json` (config, timestamps, results)
and `metrics.jsonl` (one row per logged step); the figures here are read from
them, so an interrupted or still running run shows what it has logged so far.
`--plot` overlays the runs' loss curves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from rustdoc_console import UserError, stdout, verbosity_options


@dataclass(frozen=True)
class RunFigures:
    """One run's figures, as the table shows them."""

    name: str
    path: Path
    status: str
    base: str
    steps: int
    final_loss: float | None
    best_loss: float | None
    final_eval_loss: float | None
    best_eval_loss: float | None
    perplexity: float | None  # of the final eval loss
    tokens_per_second: float | None  # mean over the logged steps
    wall_seconds: float | None  # started -> finished (or the last write of metrics.jsonl, for a run without an end)
    history: tuple[dict[str, Any], ...]


ROWS = (
    ("base", "base", None),
    ("status", "status", None),
    ("steps", "steps", "{:,}"),
    ("final train loss", "final_loss", "{:.4f}"),
    ("best train loss", "best_loss", "{:.4f}"),
    ("final eval loss", "final_eval_loss", "{:.4f}"),
    ("best eval loss", "best_eval_loss", "{:.4f}"),
    ("perplexity", "perplexity", "{:.2f}"),
    ("tokens/s", "tokens_per_second", "{:,.0f}"),
    ("wall time", "wall_seconds", None),
)
"""Table rows: label, RunFigures field, number format (None: shown as is, or as a duration)."""


def load_run(path: Path) -> RunFigures:
    """A run's figures from its run.json and metrics.jsonl; UserError if `path` is not a run dir."""
    from trainer.run_dir import RunDir, RunDirError

    run_dir = RunDir(Path(path))
    if not run_dir.has_info():
        raise UserError(f"{path} is not a training run (no {RunDir.INFO}; `rustdoc-gen train --output DIR` makes one)")
    try:
        run = run_dir.info()
    except RunDirError as error:
        raise UserError(str(error)) from None
    history = run_dir.read_metrics()
    # What a run wrote by hand or half: rows that are not objects and figures that are not
    # numbers are left out, not shown as a traceback.
    run = run if isinstance(run, dict) else {}
    history = [{k: v for k, v in r.items() if k not in _FIGURES or _number(v) is not None} for r in history if isinstance(r, dict)]
    losses = [r["loss"] for r in history if r.get("loss") is not None]
    eval_rows = [r for r in history if r.get("eval_loss") is not None]
    evals = [r["eval_loss"] for r in eval_rows]
    speeds = [r["tokens_per_second"] for r in history if r.get("tokens_per_second")]
    results = {k: v for k, v in (run.get("results") or {}).items() if _number(v) is not None} if isinstance(run.get("results"), dict) else {}
    final_eval = results.get("eval_loss", evals[-1] if evals else None)
    config = run.get("config") if isinstance(run.get("config"), dict) else {}
    base = str(config.get("base_model") or "?")
    metrics_file = run_dir.metrics_file
    return RunFigures(
        name=Path(path).name,
        path=Path(path),
        status=str(run.get("status", "?")),
        base=Path(base).name if Path(base).is_absolute() else base,
        steps=int(results.get("steps") or max((r.get("step", 0) for r in history), default=0)),
        final_loss=losses[-1] if losses else None,
        best_loss=min(losses) if losses else None,
        final_eval_loss=final_eval,
        best_eval_loss=min(evals) if evals else final_eval,
        perplexity=results.get("perplexity", eval_rows[-1].get("perplexity") if eval_rows else None),
        tokens_per_second=sum(speeds) / len(speeds) if speeds else None,
        wall_seconds=_wall_seconds(run, metrics_file),
        history=tuple(history),
    )


_FIGURES = ("step", "loss", "eval_loss", "perplexity", "tokens_per_second", "steps", "epoch", "learning_rate")


def _number(value: Any) -> float | None:
    """A figure as logged, if it is a finite number (not a bool, a string or a list)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value in (float("inf"), float("-inf")):
        return None
    return value


def _wall_seconds(run: dict[str, Any], metrics_file: Path) -> float | None:
    started = run.get("started")
    if not started or not isinstance(started, str):
        return None
    try:
        begin = datetime.fromisoformat(started)
        end = datetime.fromisoformat(run["finished"]) if isinstance(run.get("finished"), str) else None
    except ValueError:
        return None
    if end is None and metrics_file.is_file():
        end = datetime.fromtimestamp(metrics_file.stat().st_mtime, tz=begin.tzinfo)
    if end is None:
        return None
    try:
        return max(0.0, (end - begin).total_seconds())
    except TypeError:  # one time with a zone, one without
        return None


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def table_rows(runs: list[RunFigures]) -> list[list[str]]:
    """One row per figure, one column per run."""
    rows = []
    for label, attribute, pattern in ROWS:
        cells = []
        for run in runs:
            value = getattr(run, attribute)
            if attribute == "wall_seconds":
                cells.append(duration(value))
            elif value is None:
                cells.append("–")
            else:
                cells.append(pattern.format(value) if pattern else str(value))
        rows.append([label, *cells])
    return rows


def plot_runs(runs: list[RunFigures], target: Path) -> None:
    """Train loss curves (lines) and eval losses (dashed, with markers) of all runs on one chart (PNG, atomic)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rustdoc_core.atomic import atomic_path

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for index, run in enumerate(runs):
        color = plt.get_cmap("tab10")(index % 10)
        train = [(r["step"], r["loss"]) for r in run.history if r.get("loss") is not None]
        evals = [(r["step"], r["eval_loss"]) for r in run.history if r.get("eval_loss") is not None]
        if train:
            ax.plot(*zip(*train), color=color, label=f"{run.name} train")
        if evals:
            ax.plot(*zip(*evals), "o--", color=color, label=f"{run.name} eval")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title("Loss by step")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(Path(target), suffix=".png") as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})
    plt.close(fig)


@click.command(
    "runs",
    short_help="Compare training runs: losses, perplexity, speed, time.",
    epilog="""\b
Examples:
  rustdoc-gen runs runs/r1 runs/r2
  rustdoc-gen runs runs/* --plot runs/losses.png
""",
)
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
                metavar="RUN_DIR...")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.png",
              help="Also draw the runs' train and eval loss curves on one chart.")
@verbosity_options
def runs(run_dirs: tuple[Path, ...], plot_file: Path | None) -> None:
    """Print one column per training run: base model, steps, final and best
    train and eval loss, perplexity, tokens/s and wall time.

    The figures come from each run's run.json and metrics.jsonl, as `train`
    wrote them; a run still going shows what it has logged so far.
    """
    from rich.table import Table

    if plot_file is not None and plot_file.suffix.lower() != ".png":
        raise UserError(f"--plot {plot_file}: the chart is a PNG; name it FILE.png")
    loaded = [load_run(path) for path in run_dirs]
    out = Table(title=f"{len(loaded)} run{'s' if len(loaded) != 1 else ''}", title_justify="left")
    out.add_column("")
    for run in loaded:
        out.add_column(run.name, justify="right")
    for row in table_rows(loaded):
        out.add_row(*row)
    stdout.print(out)
    if plot_file is not None:
        plot_runs(loaded, plot_file)
        stdout.print(str(plot_file))
