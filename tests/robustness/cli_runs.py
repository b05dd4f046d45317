"""Running `rustdoc-gen` as a user does, and what every run must show (issue 23's properties).

`invoke` runs the real command line in this process (fast enough for property tests);
`run_process` runs the installed script (for signals and exit statuses as a shell sees them).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from rustdoc_cli.cli import main
from rustdoc_console import Interrupted

EXIT_STATUSES = {0, 1, 2}
REPORTS = {"check", "validate"}
"""Commands whose exit status 1 can mean "findings", printed on stdout, not an error."""
INTERRUPTED = Interrupted.exit_code


@dataclass
class Run:
    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def why(self) -> str:
        return f"rustdoc-gen {' '.join(self.args)} -> {self.exit_code}\nstdout:\n{self.stdout[-2000:]}\nstderr:\n{self.stderr[-4000:]}"


def invoke(*args: str | Path, input: str | None = None) -> Run:
    """The command line in this process; an exception escaping click counts as a traceback."""
    argv = tuple(str(a) for a in args)
    result = CliRunner().invoke(main, list(argv), input=input, catch_exceptions=True)
    escaped = result.exception if result.exception is not None and not isinstance(result.exception, SystemExit) else None
    return Run(argv, result.exit_code, result.stdout, result.stderr, escaped)


def script() -> list[str]:
    installed = Path(sys.executable).parent / "rustdoc-gen"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "rustdoc_cli"]


def run_process(*args: str | Path, timeout: float = 120, **kwargs) -> Run:
    argv = tuple(str(a) for a in args)
    out = subprocess.run([*script(), *argv], capture_output=True, text=True, timeout=timeout, **kwargs)
    return Run(argv, out.returncode, out.stdout, out.stderr)


def assert_well_behaved(run: Run) -> None:
    """Every run: a known exit status; no traceback; a failure ends in one `error:` line."""
    assert run.exception is None, f"{type(run.exception).__name__} escaped: {run.exception!r}\n{run.why()}"
    assert run.exit_code in EXIT_STATUSES | {INTERRUPTED}, run.why()
    assert "Traceback (most recent call last)" not in run.stderr + run.stdout, run.why()
    assert "internal error" not in run.stderr, run.why()
    if run.exit_code != 0:
        assert_one_error_line(run)


def assert_one_error_line(run: Run) -> None:
    """A failure is one line: the last on stderr, the only `error:` line (click's usage errors say `Error:`)."""
    lines = run.stderr_lines
    if run.exit_code == 1 and REPORTS & set(run.args) and not any(line.startswith("error:") for line in lines):
        return  # a report of findings (`check`, `validate`) on stdout: exit 1 without an error, by design
    assert lines, f"a failure with nothing on stderr\n{run.why()}"
    last = lines[-1]
    if run.exit_code == 2 and last.startswith("Error: "):
        return  # click's usage error: usage lines above it, the error last
    assert last.startswith("error: "), f"the last line on stderr is not the error\n{run.why()}"
    assert sum(line.startswith("error:") for line in lines) == 1, run.why()
    if "-q" in run.args:  # quiet: the error, after nothing but warnings
        assert all(line.startswith(("WARNING ", "ERROR ")) for line in lines[:-1]), f"-q printed more than warnings\n{run.why()}"
