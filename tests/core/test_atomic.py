"""Atomic outputs: a killed writer leaves the last good state, and its leftovers are cleaned."""

import os
import signal
import subprocess
import sys

import pytest

from rustdoc_core.atomic import atomic_path, write_text_atomic


def test_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "data.txt"
    write_text_atomic(target, "good\r\n")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_bytes() == b"good\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["data.txt"]


def test_directory_target_is_replaced_whole(tmp_path):
    target = tmp_path / "dataset"
    for text in ("one", "two"):
        with atomic_path(target) as tmp:
            tmp.mkdir()
            (tmp / "train.jsonl").write_text(text)
    assert (target / "train.jsonl").read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]


def test_temporaries_of_a_killed_process_are_removed_by_the_next_write(tmp_path):
    target = tmp_path / "dataset"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from rustdoc_core.atomic import atomic_path\n"
        "with atomic_path(Path(sys.argv[1])) as tmp:\n"
        "    tmp.mkdir(); print('ready', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and not target.exists()

    with atomic_path(target) as tmp:
        tmp.mkdir()
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]


def test_temporaries_of_a_live_process_are_kept(tmp_path):
    target = tmp_path / "model.gguf"
    live = tmp_path / f".model.gguf.{os.getpid()}.abc.tmp"
    live.mkdir()
    write_text_atomic(target, "x")
    assert live.exists()
