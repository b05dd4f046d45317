"""Property harness over what `generate` and `check` read and write (issue 23, part 2).

For any Rust file the strategies can make (odd, broken, deep, not UTF-8) under any name
(markup, control characters, unicode, long), as a plain file, a symlink, read-only, a
FIFO, missing: every command exits 0, 1 or 2; a failure is one `error:` line, the last
on stderr; nothing is changed unless asked, and then only the file named; `--write`
and `--fix` only add or remove doc lines, and a second run changes nothing.

In process (click's runner): thousands of inputs a minute. The seed is in the header.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.robustness.cli_runs import Run, assert_well_behaved, invoke
from tests.robustness.harness import fewer, seeded
from tests.robustness.inputs import file_names, rust_file_bytes, rust_texts
from tests.robustness.snapshots import changed, snapshot

LAYOUTS = st.sampled_from(["file", "crate_root", "crate_module", "symlink", "symlink_chain", "read_only", "beside_other"])
ODD_PATHS = st.sampled_from(["missing", "missing_parent", "dangling_link", "link_loop", "fifo", "directory", "not_rs", "empty_dir"])


class Workspace:
    """A temporary directory with one Rust file laid out as `layout`; `target` is what the user names."""

    def __init__(self, name: str, data: bytes, layout: str):
        self.root = Path(tempfile.mkdtemp(prefix="robust-"))
        self.layout = layout
        if layout in ("crate_root", "crate_module"):
            (self.root / "Cargo.toml").write_text('[package]\nname = "odd"\nversion = "0.1.0"\nedition = "2021"\n')
            src = self.root / "src"
            src.mkdir()
            if layout == "crate_root":
                self.real = src / "lib.rs"
            else:
                (src / "lib.rs").write_text("//! Crate.\npub mod inner;\n")
                self.real = src / "inner.rs"
        else:
            self.real = self.root / "real" / name
            self.real.parent.mkdir()
        self.real.write_bytes(data)
        self.target = self.real
        if layout == "symlink":
            self.target = self.root / "links" / name
            self.target.parent.mkdir()
            self.target.symlink_to(self.real)
        elif layout == "symlink_chain":
            middle = self.root / "middle.rs"
            middle.symlink_to(os.path.relpath(self.real, self.root))
            self.target = self.root / "chain" / name
            self.target.parent.mkdir()
            self.target.symlink_to("../middle.rs")
        elif layout == "read_only":
            self.real.chmod(0o444)
        elif layout == "beside_other":
            (self.real.parent / "other.rs").write_text("pub fn other() {}\n")

    def close(self) -> None:
        for path in self.root.rglob("*"):
            if not path.is_symlink() and path.exists():
                path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(self.root, ignore_errors=True)


_INLINE_DOC = re.compile(r"/\*\*(?!\*)(?:(?!\*/).)*\*/ ?", re.S)


def _without_docs(data: bytes) -> list[str]:
    """The file's lines with the docs a writer may add taken out: `///` and `//!` lines, inline
    `/** ... */` (a field or variant that shares its line), blank lines."""
    text = _INLINE_DOC.sub("", data.decode("utf-8").removeprefix("\ufeff"))  # the BOM stays first, docs go after it
    return [line for line in text.splitlines() if line.strip() and not line.strip().startswith(("///", "//!"))]


def _assert_only_docs_added(before: bytes, after: bytes, run: Run) -> None:
    assert _without_docs(before) == _without_docs(after), f"--write changed lines that are not docs\n{run.why()}"
    assert len(after) >= len(before), f"--write removed text\n{run.why()}"


def _assert_only_doc_lines_changed(before: bytes, after: bytes, run: Run) -> None:
    code = lambda data: [line for line in data.decode("utf-8").splitlines() if not line.strip().startswith("///")]  # noqa: E731
    assert code(before) == code(after), f"--fix changed lines that are not `///` docs\n{run.why()}"


@seeded
@given(data=rust_file_bytes(), name=file_names(), layout=LAYOUTS, quiet=st.booleans(), everything=st.booleans(),
       mode=st.sampled_from(["add", "update", "overwrite"]), fmt=st.sampled_from(["human", "json", "sarif"]))
def test_generate_and_check_on_any_file(data, name, layout, quiet, everything, mode, fmt):
    space = Workspace(name, data, layout)
    try:
        q = ["-q"] if quiet else []
        target = space.target
        start = snapshot(space.root)
        for args in (["generate", *q, target], ["generate", "--check", *q, target], ["check", "--format", fmt, *q, target]):
            run = invoke(*args)
            assert_well_behaved(run)
            assert changed(start, snapshot(space.root)) == [], f"a read-only command changed files\n{run.why()}"

        flags = (["--all"] if everything else []) + ({"update": ["--update"], "overwrite": ["--overwrite"]}.get(mode, []))
        wrote = invoke("generate", "--write", *flags, *q, target)
        assert_well_behaved(wrote)
        after = snapshot(space.root)
        real_name = str(space.real.relative_to(space.root))
        assert set(changed(start, after)) <= {real_name}, f"--write changed other files\n{wrote.why()}"
        if layout == "read_only":
            assert changed(start, after) == []
        if real_name in changed(start, after):
            assert after[real_name][1] == start[real_name][1], "--write changed the file's mode"
            if mode == "add":
                _assert_only_docs_added(data, space.real.read_bytes(), wrote)
            again = invoke("generate", "--write", *flags, *q, target)
            assert_well_behaved(again)
            assert changed(after, snapshot(space.root)) == [], f"a second --write changed the file\n{again.why()}"

        before_fix = snapshot(space.root)
        fixed = invoke("check", "--fix", *q, target)
        assert_well_behaved(fixed)
        after_fix = snapshot(space.root)
        assert set(changed(before_fix, after_fix)) <= {real_name}, f"--fix changed other files\n{fixed.why()}"
        if real_name in changed(before_fix, after_fix):
            _assert_only_doc_lines_changed(before_fix[real_name][2], after_fix[real_name][2], fixed)
            again = invoke("check", "--fix", *q, target)
            assert_well_behaved(again)
            assert changed(after_fix, snapshot(space.root)) == [], f"a second --fix changed the file\n{again.why()}"
        if layout == "symlink":
            assert space.target.is_symlink()
    finally:
        space.close()


@seeded
@given(kind=ODD_PATHS, name=file_names(), command=st.sampled_from([
    ["generate"], ["generate", "--write"], ["generate", "--check"], ["check"], ["check", "--fix"], ["check", "-o", "{out}"],
]))
def test_odd_paths_get_one_line(kind, name, command):
    root = Path(tempfile.mkdtemp(prefix="robust-"))
    try:
        target = root / name
        if kind == "missing_parent":
            target = root / "no" / "such" / name
        elif kind == "dangling_link":
            target.symlink_to(root / "nowhere.rs")
        elif kind == "link_loop":
            target.symlink_to(target)
        elif kind == "fifo":
            os.mkfifo(target)
        elif kind == "directory":
            target.mkdir()
            (target / "lib.rs").write_text("pub fn inside() {}\n")
        elif kind == "not_rs":
            target = root / (name[:-4] + ".txt")  # one byte longer than ".rs": the name stays within NAME_MAX
            target.write_text("pub fn f() {}\n")
        elif kind == "empty_dir":
            target = root / "empty"
            target.mkdir()
        args = [a.replace("{out}", str(root / "out" / "report.txt")) for a in command]
        start = snapshot(root)
        run = invoke(*args, target)
        assert_well_behaved(run)
        if kind not in ("directory",) and "-o" not in args:
            assert changed(start, snapshot(root)) == [], run.why()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@seeded
@fewer(2)  # a crate of files per input
@given(texts=st.lists(rust_texts(), min_size=1, max_size=6), everything=st.booleans())
def test_a_crate_of_odd_files_is_documented_in_one_go_and_stays_documented(texts, everything):
    root = Path(tempfile.mkdtemp(prefix="robust-"))
    try:
        (root / "Cargo.toml").write_text('[package]\nname = "odd"\nversion = "0.1.0"\n')
        (root / "src").mkdir()
        mods = "".join(f"pub mod m{i};\n" for i in range(1, len(texts)))
        (root / "src" / "lib.rs").write_text(mods + texts[0])
        for i, text in enumerate(texts[1:], 1):
            (root / "src" / f"m{i}.rs").write_text(text)
        flags = ["--all"] if everything else []
        wrote = invoke("generate", "--write", "-q", *flags, root)
        assert_well_behaved(wrote)
        after = snapshot(root)
        again = invoke("generate", "--write", "-q", *flags, root)
        assert_well_behaved(again)
        assert changed(after, snapshot(root)) == [], f"a second --write changed files\n{again.why()}"
        if wrote.exit_code == 0:
            checked = invoke("generate", "--check", "-q", *flags, root)
            assert_well_behaved(checked)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_read_only_layout_is_really_read_only():
    # The harness's read-only files must be read-only to the code under test (root ignores modes,
    # so the refusal rests on the mode bits, which this pins).
    space = Workspace("x.rs", b"pub fn f() {}\n", "read_only")
    try:
        assert not space.real.stat().st_mode & stat.S_IWUSR
    finally:
        space.close()
