"""How `generate --write` and `check --fix` write (issue 23, parts 2 and 3): through symlinks to
their targets, atomically, keeping mode and owner; never a read-only file unless `--force`;
a file that cannot be written is one line, not a traceback, and the others are still written."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest

from rustdoc_core.atomic import ReadOnlyFileError, write_text_atomic
from tests.robustness.cli_runs import assert_one_error_line, run_process

UNDOCUMENTED = "pub fn parse(text: &str) -> Option<u8> {\n    text.parse().ok()\n}\n"
NEEDS_A_FIX = "/// Parses.\npub fn parse(text: &str) -> Result<u8, std::num::ParseIntError> {\n    text.parse()\n}\n"


def test_write_through_a_symlink_edits_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real" / "lib.rs"
    target.parent.mkdir()
    target.write_text(UNDOCUMENTED)
    link = tmp_path / "lib.rs"
    link.symlink_to(target)
    run = run_process("generate", "--write", "-q", link)
    assert run.exit_code == 0, run.why()
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "/// " in target.read_text()
    assert sorted(p.name for p in target.parent.iterdir()) == ["lib.rs"]  # no temporary left


def test_write_through_a_chain_of_relative_symlinks(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text(NEEDS_A_FIX)
    (tmp_path / "one.rs").symlink_to("src/lib.rs")
    (tmp_path / "two.rs").symlink_to("one.rs")
    run = run_process("check", "--fix", "-q", tmp_path / "two.rs")
    assert run.exit_code == 0, run.why()
    assert (tmp_path / "two.rs").is_symlink() and (tmp_path / "one.rs").is_symlink()
    assert "# Errors" in (tmp_path / "src" / "lib.rs").read_text()


def test_a_read_only_file_is_left_alone_named_and_exit_1_unless_forced(tmp_path):
    ro = tmp_path / "ro.rs"
    ro.write_text(UNDOCUMENTED)
    ro.chmod(0o444)
    ok = tmp_path / "ok.rs"
    ok.write_text(UNDOCUMENTED)
    run = run_process("generate", "--write", "-q", tmp_path)
    assert run.exit_code == 1, run.why()
    assert ro.read_text() == UNDOCUMENTED
    assert "/// " in ok.read_text()  # the writable file is still written
    assert run.stderr_lines[-1] == f"error: 1 file(s) not written: {ro} (read-only); --force writes read-only files"
    assert_one_error_line(run)

    forced = run_process("generate", "--write", "--force", "-q", ro)
    assert forced.exit_code == 0, forced.why()
    assert "/// " in ro.read_text()
    assert stat.S_IMODE(ro.stat().st_mode) == 0o444  # forced, but still read-only


def test_check_fix_refuses_a_read_only_file_in_one_line(tmp_path):
    ro = tmp_path / "ro.rs"
    ro.write_text(NEEDS_A_FIX)
    ro.chmod(0o444)
    run = run_process("check", "--fix", ro)
    assert run.exit_code == 1, run.why()
    assert ro.read_text() == NEEDS_A_FIX
    assert run.stderr_lines[-1] == f"error: {ro}: file is read-only"
    assert_one_error_line(run)


def _immutable(path) -> bool:
    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0


@pytest.fixture
def immutable(tmp_path):
    """`immutable(text)` -> a file holding `text` that not even root may replace (`chattr +i`)."""
    made = []

    def make(text: str):
        path = tmp_path / "frozen.rs"
        path.write_text(text)
        if not _immutable(path):
            pytest.skip("chattr +i needs root (CAP_LINUX_IMMUTABLE) on a filesystem with the flag")
        made.append(path)
        return path

    yield make
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_an_immutable_file_is_one_line_from_generate_write_even_forced(immutable):
    frozen = immutable(UNDOCUMENTED)
    run = run_process("generate", "--write", frozen)
    assert run.exit_code == 1, run.why()
    assert run.stderr_lines[-1] == f"error: 1 file(s) not written: {frozen} (read-only); --force writes read-only files"
    forced = run_process("generate", "--write", "--force", frozen)  # root may not write it either
    assert forced.exit_code == 1, forced.why()
    assert "Traceback" not in forced.stderr
    assert forced.stderr_lines[-1] == f"error: 1 file(s) not written: {frozen} (Operation not permitted)"
    assert_one_error_line(forced)
    assert frozen.read_text() == UNDOCUMENTED
    assert sorted(p.name for p in frozen.parent.iterdir()) == ["frozen.rs"]


def test_an_immutable_file_is_one_line_from_check_fix(immutable):
    frozen = immutable(NEEDS_A_FIX)
    run = run_process("check", "--fix", frozen)
    assert run.exit_code == 1, run.why()
    assert run.stderr_lines[-1] == f"error: {frozen}: file is read-only"
    assert_one_error_line(run)
    assert frozen.read_text() == NEEDS_A_FIX


def test_mode_and_owner_are_kept(tmp_path):
    path = tmp_path / "lib.rs"
    path.write_text("old")
    path.chmod(0o640)
    if os.getuid() == 0:
        os.chown(path, 1234, 5678)
    write_text_atomic(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    if os.getuid() == 0:
        assert (path.stat().st_uid, path.stat().st_gid) == (1234, 5678)


def test_read_only_refusal_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "lib.rs"
    path.write_text("old")
    path.chmod(0o400)
    with pytest.raises(ReadOnlyFileError) as raised:
        write_text_atomic(path, "new")
    assert raised.value.filename == str(path)
    assert path.read_text() == "old"
    write_text_atomic(path, "new", force=True)
    assert path.read_text() == "new"


def test_a_directory_killed_between_its_two_renames_comes_back_old(tmp_path):
    # atomic_path replaces a directory in two renames (old aside, new in); a kill between them
    # leaves no target. The next write puts the old one back before anything else.
    from rustdoc_core.atomic import atomic_path

    target = tmp_path / "dataset"
    dead_pid = 2**22 + 12345  # above pid_max's default: no such process
    aside = tmp_path / f".dataset.{dead_pid}.abc.tmp"
    (aside / "old").mkdir(parents=True)
    (aside / "old" / "train.jsonl").write_text("old records\n")
    (aside / "out").mkdir()
    (aside / "out" / "train.jsonl").write_text("half")

    with pytest.raises(RuntimeError):
        with atomic_path(target):
            raise RuntimeError("this run fails too")
    assert (target / "train.jsonl").read_text() == "old records\n"
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]
