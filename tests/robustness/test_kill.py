"""Kill tests for every writer of this part (issue 23, part 3): `generate --write`, `check --fix`
and `mine`, killed (SIGKILL, whole process group) at random points, several times over.

After each kill every output file is the old one or the new one, never a mix; then a rerun
completes, and its result is what an uninterrupted run writes. The seed is printed, and
RUSTDOC_GEN_KILL_SEED=N replays it.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.robustness.cli_runs import script

KILLS = 4

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def rng() -> random.Random:
    seed = int(os.environ.get("RUSTDOC_GEN_KILL_SEED") or random.SystemRandom().randrange(2**32))
    print(f"kill points seeded with RUSTDOC_GEN_KILL_SEED={seed}")
    return random.Random(seed)


def _files(root: Path) -> dict[str, bytes]:
    """Every file under `root` by relative path, temporaries of killed writes apart."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part.endswith(".tmp") and part.startswith(".") for part in p.relative_to(root).parts)
    }


def _temporaries(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*.tmp") if p.is_dir()]


def _run(args: list[str], timeout: float = 300) -> tuple[int, float]:
    start = time.monotonic()
    done = subprocess.run([*script(), *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.returncode, time.monotonic() - start


def _kill_at(args: list[str], delay: float) -> None:
    """Start the command in its own process group and SIGKILL the group after `delay` seconds."""
    process = subprocess.Popen([*script(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    # Pool workers of `mine` die with the group; wait for them to be gone.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)


def _kill_and_rerun_in_place(command: list[str], crate: Path, tmp_path: Path, rng: random.Random) -> None:
    """A writer that edits files in place: each file is old or new after every kill."""
    reference = tmp_path / "reference"
    shutil.copytree(crate, reference, symlinks=True)
    old = _files(reference)
    status, seconds = _run([*command, str(reference)])
    new = _files(reference)
    changed = [name for name in old if old[name] != new.get(name)]
    assert len(changed) >= 10, "the writer must have files to write for the kills to mean something"
    assert set(new) == set(old)

    work = tmp_path / "work"
    shutil.copytree(crate, work, symlinks=True)
    for kill in range(KILLS):
        delay = rng.uniform(0.3, max(seconds, 0.5))
        _kill_at([*command, str(work)], delay)
        now = _files(work)
        assert set(now) == set(old), f"kill {kill} at {delay:.2f}s: files appeared or went: {set(now) ^ set(old)}"
        mixed = [name for name in now if now[name] not in (old[name], new[name])]
        assert not mixed, f"kill {kill} at {delay:.2f}s left files neither old nor new: {mixed[:5]}"
        print(f"kill {kill} at {delay:.2f}s of {seconds:.2f}s: {sum(now[n] == new[n] != old[n] for n in changed)} of {len(changed)} files written")

    rerun_status, _ = _run([*command, str(work)])
    assert rerun_status == status
    assert _files(work) == new
    assert not _temporaries(work) or all(not any(t.iterdir()) for t in _temporaries(work)), _temporaries(work)
    # And a second run changes nothing.
    _run([*command, str(work)])
    assert _files(work) == new


def test_generate_write_killed_anywhere_leaves_each_file_old_or_new(debian_crate, tmp_path, rng):
    _kill_and_rerun_in_place(["generate", "--write", "--all", "-q"], debian_crate("clap"), tmp_path, rng)


def _with_needless_safety_sections(text: str) -> str:
    """Each documented fn given a `# Safety` section it does not need (it is not `unsafe`):
    what `check --fix` removes."""
    out: list[str] = []
    for line in text.split("\n"):
        head = re.match(r"^(\s*)(pub(\([a-z]+\))? )?fn ", line)
        if head and out and out[-1].strip().startswith("///"):
            indent = head.group(1)
            out += [f"{indent}///", f"{indent}/// # Safety", f"{indent}///", f"{indent}/// Nothing to uphold."]
        out.append(line)
    return "\n".join(out)


def test_check_fix_killed_anywhere_leaves_each_file_old_or_new(debian_crate, tmp_path, rng):
    crate = tmp_path / "crate"
    shutil.copytree(debian_crate("clap"), crate, symlinks=True)
    for path in crate.rglob("*.rs"):
        path.write_text(_with_needless_safety_sections(path.read_text(encoding="utf-8")), encoding="utf-8")
    _kill_and_rerun_in_place(["check", "--fix", "-q", "--fail-on", "never"], crate, tmp_path, rng)


def test_mine_killed_anywhere_leaves_the_old_dataset_or_the_whole_new_one(debian_crate, tmp_path, rng):
    sources = [str(debian_crate(name)) for name in ("clap", "bat", "ignore", "grep-searcher")]
    reference = tmp_path / "reference"
    _, seconds = _run(["mine", "-q", *sources, "-o", str(reference)])
    new = _files(reference)
    assert new and "stats.json" in new

    out = tmp_path / "dataset"
    _run(["mine", "-q", str(debian_crate("globset")), "-o", str(out)])  # the dataset the run replaces
    old = _files(out)
    assert old != new
    for kill in range(KILLS):
        delay = rng.uniform(0.2, 1.1 * max(seconds, 0.5))  # to the very end: the rename is the last step
        _kill_at(["mine", "-q", *sources, "-o", str(out)], delay)
        assert out.exists(), f"kill {kill} at {delay:.2f}s lost the old dataset"
        now = _files(out)
        assert now in (old, new), f"kill {kill} at {delay:.2f}s left a dataset that is neither the old one nor the new one"
        print(f"kill {kill} at {delay:.2f}s of {seconds:.2f}s: dataset {'new' if now == new else 'old'}")
        if now == new:
            break
    _run(["mine", "-q", *sources, "-o", str(out)])
    assert _files(out) == new
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dataset.")] == []
