"""Which files are Rust sources to document: walking paths, reading them, crate roots."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

SKIPPED_DIRS = {"target", ".git", ".hg", ".svn", "node_modules"}


class InputError(ValueError):
    """A path the command cannot work on (missing, not Rust, not UTF-8): one line for the user."""


def rust_files(paths: Iterable[Path]) -> list[Path]:
    """The `.rs` files named, or found under named directories (skipping `target/` and hidden dirs)."""
    found: dict[Path, Path] = {}  # resolved -> as the user named it: a file named twice is done once
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise InputError(f"no such file or directory: {path}")
        if path.is_dir():
            for candidate in sorted(_walk(path)):
                found.setdefault(candidate.resolve(), candidate)
        elif path.suffix != ".rs":
            raise InputError(f"not a Rust file (expected a .rs file or a crate directory): {path}")
        elif not path.is_file():  # a FIFO would block the read for ever, /dev/zero never end it
            raise InputError(f"not a regular file: {path}")
        else:
            found.setdefault(path.resolve(), path)
    return list(found.values())


def _walk(root: Path) -> Iterator[Path]:
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            if child.name in SKIPPED_DIRS or child.name.startswith("."):
                continue
            yield from _walk(child)
        elif child.suffix == ".rs" and child.is_file():
            yield child


def read_rust_file(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text (byte {err.start}): {path}") from err


def is_crate_root(path: Path) -> bool:
    """`src/lib.rs`, `src/main.rs` and `src/bin/*.rs`: files whose `//!` doc is the crate's."""
    parent = path.parent
    if path.name in ("lib.rs", "main.rs") and parent.name == "src":
        return True
    return is_binary_root(path)


def is_binary_root(path: Path) -> bool:
    """`src/bin/NAME.rs` and `src/bin/NAME/main.rs`."""
    parent = path.parent
    return parent.name == "bin" and parent.parent.name == "src" or (path.name == "main.rs" and parent.parent.name == "bin")
