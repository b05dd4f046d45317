"""Which files of a repository are mined: `.rs` files outside tests, benches,
examples (unless asked for), vendored and build-output trees; symlinks followed
inside the repository, loops counted, never a crash."""

from __future__ import annotations

import os
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

TEST_DIRS = frozenset({"tests", "test", "benches", "bench", "fuzz", "testdata", "test-data"})
EXAMPLE_DIRS = frozenset({"examples"})
TEST_FILES = frozenset({"tests.rs", "test.rs"})
"""Out-of-line `#[cfg(test)] mod tests;` bodies: the cfg sits on the declaration in another file."""
VENDORED_DIRS = frozenset({"vendor", "vendored", "third_party", "third-party", "thirdparty"})
BUILD_DIRS = frozenset({"target", "node_modules"})
"""Build output: skipped without counting (a `target/` can hold a hundred thousand files)."""


@dataclass(frozen=True)
class WalkOptions:
    include_examples: bool = False


@dataclass(frozen=True)
class RustFile:
    relpath: str  # "/"-separated, relative to the repo root
    size: int


def rust_files(root: Path, options: WalkOptions, skipped: Counter[str]) -> list[RustFile]:
    """The repo's `.rs` files to mine, sorted by path; skips are counted by reason in `skipped`."""
    out: list[RustFile] = []
    root_real = os.path.realpath(root)
    seen_dirs: set[tuple[int, int]] = set()

    def visit(directory: str, rel: str) -> None:
        try:
            st = os.stat(directory)
        except OSError:
            skipped["unreadable"] += 1
            return
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            skipped["symlink-loop"] += 1
            return
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            skipped["unreadable"] += 1
            return
        for entry in entries:
            name = entry.name
            child_rel = f"{rel}/{name}" if rel else name
            try:
                is_link = entry.is_symlink()
                mode = os.stat(entry.path).st_mode  # follows links
            except OSError as exc:
                if is_link and exc.errno == 40:  # ELOOP
                    skipped["symlink-loop"] += 1
                elif is_link:
                    skipped["broken-symlink"] += 1
                elif name.endswith(".rs"):
                    skipped["unreadable"] += 1
                continue
            if is_link and not _inside(os.path.realpath(entry.path), root_real):
                if stat.S_ISDIR(mode) or name.endswith(".rs"):
                    skipped["symlink-outside-repo"] += 1
                continue
            if stat.S_ISDIR(mode):
                reason = _dir_skip_reason(name, options)
                if reason is None:
                    visit(entry.path, child_rel)
                elif reason != "hidden":
                    skipped[reason] += _count_rs(entry.path)
                continue
            if not (stat.S_ISREG(mode) and name.endswith(".rs")):
                continue
            if name in TEST_FILES or name.endswith(("_test.rs", "_tests.rs")):
                skipped["tests-or-benches"] += 1
                continue
            if not _printable_name(child_rel):
                skipped["bad-file-name"] += 1
                continue
            try:
                size = os.stat(entry.path).st_size
            except OSError:
                skipped["unreadable"] += 1
                continue
            out.append(RustFile(child_rel, size))

    visit(str(root), "")
    out.sort(key=lambda f: f.relpath)
    return out


def _dir_skip_reason(name: str, options: WalkOptions) -> str | None:
    if name.startswith(".") or name in BUILD_DIRS:
        return "hidden"
    lower = name.lower()
    if lower in TEST_DIRS:
        return "tests-or-benches"
    if lower in EXAMPLE_DIRS and not options.include_examples:
        return "examples"
    if lower in VENDORED_DIRS:
        return "vendored"
    return None


def _count_rs(directory: str) -> int:
    """How many `.rs` files a skipped tree holds (for the summary), without following links."""
    count = 0
    for _, _, files in os.walk(directory):
        count += sum(1 for f in files if f.endswith(".rs"))
    return count


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _printable_name(rel: str) -> bool:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in a file name (surrogate escapes)
        return False
    return True
