"""The one place that owns the console: logging, progress bars, tables and errors.

Every command reports the same way: `-v` shows debug logs, `-q` shows only
warnings and errors and turns progress bars off. Results go to stdout; logs,
progress and errors go to stderr, so `rustdoc-gen generate > doc.diff` works.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

T = TypeVar("T")

# Results are plain text: no markup or emoji codes are read in them, so a path holding
# `[/]` or `:smile:` prints as it is. Styled lines on stderr are built as `Text`.
stdout = Console(soft_wrap=True, highlight=False, markup=False, emoji=False)
stderr = Console(stderr=True, highlight=False, emoji=False)

_state = {"quiet": False, "verbose": 0}


class UserError(click.ClickException):
    """Bad input from the user: printed as one line, exit status 1.

    The message is text, never markup: a path holding `[/]` or `[bold]` prints as it is."""

    def show(self, file: Any = None) -> None:  # noqa: ARG002 - click's signature
        stderr.print(error_line(self.format_message()), highlight=False, soft_wrap=True)


class Interrupted(UserError):
    """Ctrl-C: one line saying what was kept and how to go on, exit status 130 (128 + SIGINT,
    as shells report it), so scripts can tell an interrupt from a failure."""

    exit_code = 130


def error_line(message: str) -> Text:
    """`error: MESSAGE` on one line, the message taken as plain text (line breaks become spaces)."""
    return Text.assemble(("error:", "bold red"), " ", " ".join(str(message).splitlines()))


class ConsoleLogHandler(RichHandler):
    """Rich's log lines on a terminal; into a pipe or a file (CI logs, `2> log`), one plain
    line per record, as `LEVEL    message`: not wrapped at 80 columns, not padded with spaces."""

    def emit(self, record: logging.LogRecord) -> None:
        if self.console.is_terminal:
            super().emit(record)
            return
        try:
            message = self.format(record)
            if not record.exc_info:  # one record, one line, even when a file name holds a line break
                message = " ".join(message.splitlines())
            line = message if record.levelno == logging.INFO else f"{record.levelname:<8} {message}"
            if _state["verbose"]:
                line = f"{self.formatter.formatTime(record, '%H:%M:%S') if self.formatter else ''} {line}"
            self.console.file.write(line + "\n")
            self.console.file.flush()
        except Exception:  # noqa: BLE001 - logging's own contract: report, never raise
            self.handleError(record)


def configure(verbose: int = 0, quiet: bool = False) -> None:
    """Set up logging once per process for the chosen verbosity."""
    _state["quiet"] = quiet
    _state["verbose"] = verbose
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, RichHandler):
            root.removeHandler(handler)
    handler = ConsoleLogHandler(console=stderr, show_time=verbose > 0, show_path=verbose > 1, markup=False)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # Third-party chatter stays at warning unless asked for twice.
    if quiet:
        try:
            from huggingface_hub.utils import disable_progress_bars
        except ImportError:
            pass
        else:
            disable_progress_bars()
    for noisy in ("urllib3", "httpx", "httpx2", "filelock", "huggingface_hub", "datasets", "pygls", "asyncio", "llama.cpp"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose > 1 else logging.WARNING)


def is_quiet() -> bool:
    return bool(_state["quiet"])


def verbosity() -> int:
    """How many `-v` the command was given (0 without)."""
    return int(_state["verbose"])


def verbosity_options(func: Callable[..., T]) -> Callable[..., T]:
    """Add `-v/--verbose` and `-q/--quiet` to a command and apply them before it runs."""

    @click.option("-q", "--quiet", is_flag=True, help="Only print warnings and errors; no progress bars.")
    @click.option("-v", "--verbose", count=True, help="Print debug logs (twice: also from libraries).")
    @functools.wraps(func)
    def wrapper(*args: Any, verbose: int, quiet: bool, **kwargs: Any) -> T:
        if verbose or quiet:
            configure(verbose=verbose, quiet=quiet)
        return func(*args, **kwargs)

    return wrapper


def progress(transient: bool = False) -> Progress:
    """A progress bar on stderr, disabled under `--quiet` or when stderr is not a terminal."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=transient,
        disable=is_quiet(),
    )


@contextmanager
def task_progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """One bar for one job; yields `advance(n)`."""
    with progress() as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar."""
    if total is None and isinstance(items, Sequence):
        total = len(items)
    with task_progress(description, total) as advance:
        for item in items:
            yield item
            advance(1)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a summary table to stderr (results stay on stdout)."""
    if is_quiet():
        return
    out = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        out.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        out.add_row(*(Text(format_cell(cell)) for cell in row))  # cells are text (paths), not markup
    stderr.print(out)


def format_cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
