"""`rustdoc-gen mine` as a user runs it: git URLs (a local `file://` repo, no network),
the cli preset, and bad input that must end in one line, a non-zero exit and no output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_miner.presets import load_presets
from tests.conftest import FIXTURES

FIXTURE_CRATE = FIXTURES / "miner"


def rustdoc_gen(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rustdoc_cli", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, timeout=120)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def origin(tmp_path) -> tuple[Path, str, str]:
    """A git repo with two commits: the fixture crate, then one more documented fn."""
    repo = tmp_path / "origin" / "widgets"
    shutil.copytree(FIXTURE_CRATE, repo)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first")
    first = git(repo, "rev-parse", "HEAD")
    (repo / "src" / "later.rs").write_text("/// Returns a value added in the second commit.\npub fn later() -> u8 {\n    2\n}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "second")
    return repo, first, git(repo, "rev-parse", "HEAD")


def _names(out: Path) -> set[str]:
    return {json.loads(line)["name"] for split in ("train", "validation", "test") for line in (out / f"{split}.jsonl").open()}


def _single_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = [l for l in done.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_git_url_is_cloned_shallow_into_the_cache_with_its_commit_recorded(origin, tmp_path):
    repo, first, second = origin
    cache = tmp_path / "cache"
    out = tmp_path / "out"
    done = rustdoc_gen("mine", f"file://{repo}", "-o", str(out), "-j", "1", env={"XDG_CACHE_HOME": str(cache)})
    assert done.returncode == 0, done.stderr
    stats = json.loads((out / "stats.json").read_text())
    (entry,) = stats["repos"]
    assert (entry["name"], entry["url"], entry["commit"], entry["license"]) == ("widgets", f"file://{repo}", second, "MIT OR Apache-2.0")
    (clone,) = (cache / "rustdoc-gen" / "repos").iterdir()
    assert git(clone, "rev-list", "--count", "HEAD") == "1"  # shallow
    assert "later" in _names(out)
    assert f"wrote {stats['records']} records to {out}" in done.stdout


def test_rev_pins_a_commit_and_a_pinned_clone_is_reused_without_the_origin(origin, tmp_path):
    repo, first, _ = origin
    out = tmp_path / "out"
    args = ("mine", f"file://{repo}", "--rev", first, "--cache-dir", str(tmp_path / "cache"), "-o", str(out), "-q")
    assert rustdoc_gen(*args).returncode == 0
    assert "later" not in _names(out)
    assert json.loads((out / "stats.json").read_text())["repos"][0]["commit"] == first
    shutil.rmtree(repo)  # the pinned clone in the cache is enough now
    done = rustdoc_gen(*args)
    assert done.returncode == 0, done.stderr


def test_cli_preset_pins_ripgrep_clap_bat_and_eza_to_full_commits():
    (repos) = load_presets()["cli"]
    assert [r.name for r in repos] == ["ripgrep", "clap", "bat", "eza"]
    for r in repos:
        assert r.url.startswith("https://github.com/") and len(r.commit) == 40 and int(r.commit, 16) >= 0
        assert r.version


def test_help_teaches_with_an_example():
    done = rustdoc_gen("mine", "--help")
    assert done.returncode == 0
    assert "rustdoc-gen mine --preset cli -o data/cli" in done.stdout and "--rev" in done.stdout


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing-path", "no such file or directory"),
        ("no-rust", "no Rust files to mine"),
        ("uncloneable-url", "cannot clone file:///nonexistent"),
        ("output-under-a-file", "cannot write the dataset to"),
        ("output-is-not-a-dataset", "is a non-empty directory that is not a dataset"),
    ],
)
def test_bad_input_gives_one_line_a_nonzero_exit_and_writes_nothing(case, expected, tmp_path):
    (tmp_path / "docs-only").mkdir()
    (tmp_path / "docs-only" / "README.md").write_text("no Rust here\n")
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("keep me\n")
    inputs, out = {
        "missing-path": ([str(tmp_path / "nope")], tmp_path / "out"),
        "no-rust": ([str(tmp_path / "docs-only")], tmp_path / "out"),
        "uncloneable-url": (["file:///nonexistent/repo.git"], tmp_path / "out"),
        "output-under-a-file": ([str(FIXTURE_CRATE)], tmp_path / "a-file" / "out"),
        "output-is-not-a-dataset": ([str(FIXTURE_CRATE)], tmp_path / "other"),
    }[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    done = rustdoc_gen("mine", *inputs, "-o", str(out), "--cache-dir", str(tmp_path / "cache"))
    assert expected in _single_error_line(done)
    after = sorted(p.name for p in tmp_path.iterdir() if p.name != "cache")
    assert after == before  # nothing half-written beside the output
    assert (tmp_path / "other" / "notes.txt").read_text() == "keep me\n"
    if (tmp_path / "cache").exists():
        assert not any((tmp_path / "cache").rglob("*.rs"))


def test_a_failed_run_leaves_the_previous_dataset_in_place(tmp_path):
    out = tmp_path / "out"
    assert rustdoc_gen("mine", str(FIXTURE_CRATE), "-o", str(out), "-q").returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _single_error_line(rustdoc_gen("mine", str(tmp_path / "missing"), "-o", str(out)))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_killed_run_leaves_the_previous_dataset_whole(debian_crate, tmp_path):
    import signal
    import time

    out = tmp_path / "out"
    assert rustdoc_gen("mine", str(FIXTURE_CRATE), "-o", str(out), "-q").returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    run = subprocess.Popen([sys.executable, "-m", "rustdoc_cli", "mine", "-q", "-j", "1", str(debian_crate("clap")),
                            str(debian_crate("bat")), "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".tmp") and any(p.rglob("*.jsonl*")) for p in tmp_path.iterdir()):
        assert run.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
