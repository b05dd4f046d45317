"""Ctrl-C (SIGINT) exits 130 from every command, with one line saying what was kept and how
to go on (issue 23, part 5: generate, eval and prefs exited 1, as for a user error)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.robustness.cli_runs import INTERRUPTED, Run, script


def interrupt_when(args: list[str], ready: Callable[[], bool], timeout: float = 120) -> Run:
    """Run the command; send SIGINT once `ready()` holds, as Ctrl-C in a terminal would."""
    process = subprocess.Popen([*script(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, f"finished before it could be interrupted: {process.communicate()}"
        assert time.monotonic() < deadline, "never ready"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return Run(tuple(args), process.returncode, out, err)


def _changed(root: Path, before: dict[Path, float]) -> bool:
    return any(path.stat().st_mtime != mtime for path, mtime in before.items())


def test_generate_write_interrupted_exits_130_and_a_rerun_finishes(debian_crate, tmp_path):
    crate = tmp_path / "clap"
    shutil.copytree(debian_crate("clap"), crate)
    before = {p: p.stat().st_mtime for p in crate.rglob("*.rs")}
    run = interrupt_when(["generate", "--write", "--all", str(crate)], lambda: _changed(crate, before))
    assert run.exit_code == INTERRUPTED, run.why()
    last = run.stderr_lines[-1]
    assert last.startswith("error: interrupted after ") and last.endswith("files finished so far are written, run again to continue"), run.why()
    assert "Traceback" not in run.stderr

    rerun = subprocess.run([*script(), "generate", "-q", "--write", "--all", str(crate)], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    check = subprocess.run([*script(), "generate", "-q", "--check", "--all", str(crate)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]


def test_eval_interrupted_exits_130_and_says_where_its_cache_is(debian_crate, tmp_path):
    dataset = tmp_path / "clap-dataset"
    subprocess.run([*script(), "-q", "mine", str(debian_crate("clap")), "-o", str(dataset)], check=True)
    out = tmp_path / "eval"
    run = interrupt_when(
        ["eval", "--dataset", str(dataset), "--split", "train", "--system", "template", "--system", "human", "-o", str(out)],
        lambda: (out / "cache").exists() and any((out / "cache").rglob("*.jsonl")),
    )
    assert run.exit_code == INTERRUPTED, run.why()
    assert run.stderr_lines[-1].startswith("error: interrupted"), run.why()
    assert "Traceback" not in run.stderr


def test_mine_interrupted_while_starting_exits_130_not_aborted(debian_crate, tmp_path):
    started = time.monotonic()
    run = interrupt_when(["mine", str(debian_crate("clap")), "-o", str(tmp_path / "out")], lambda: time.monotonic() - started > 0.3)
    assert run.exit_code in (0, INTERRUPTED), run.why()  # it may have finished first on a fast machine
    if run.exit_code == INTERRUPTED:
        assert run.stderr_lines[-1].startswith("error: interrupted"), run.why()
        assert "Aborted!" not in run.stderr


@pytest.mark.timeout(1800)
def test_prefs_interrupted_exits_130_and_keeps_its_answers(smollm2_finetuned_run, globset_dataset, tmp_path):
    out = tmp_path / "prefs"
    run = interrupt_when(
        ["prefs", "--run", str(smollm2_finetuned_run), "--dataset", str(globset_dataset), "-o", str(out),
         "--limit", "8", "--samples", "3", "--max-tokens", "48", "--seed", "0", "--threads", "2"],
        lambda: any(p.stat().st_size > 0 for p in out.rglob("*.jsonl")) if out.exists() else False,
        timeout=600,
    )
    assert run.exit_code == INTERRUPTED, run.why()
    assert run.stderr_lines[-1].startswith("error: interrupted;") and "run the same command to continue" in run.stderr_lines[-1], run.why()
