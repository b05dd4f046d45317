"""Atomic writes: a file or directory that outlives a command is written under a
temporary name beside its target and renamed into place, so a killed job leaves
the last good state and never a half-written one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success rename it onto `target`.

    Works for a file or a directory (the caller creates what it likes at the
    yielded path). On any exception the temporary is removed and `target` is
    untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    prefix = f".{target.name}.{os.getpid()}."
    tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=target.parent)) / ("out" + suffix)
    try:
        yield tmp
        if target.is_dir() and not target.is_symlink():
            # A directory cannot be replaced in one rename: move the old one
            # aside first, so there is never a moment with a half target.
            old = tmp.parent / "old"
            os.replace(target, old)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp.parent, ignore_errors=True)


def remove_stale_temporaries(target: Path) -> None:
    """Remove temporaries that killed runs left beside `target` (their process is gone)."""
    for candidate in target.parent.glob(f".{target.name}.*.tmp"):
        pid_text = candidate.name[len(target.name) + 2 :].split(".", 1)[0]
        if not pid_text.isdigit() or not candidate.is_dir() or _process_alive(int(pid_text)):
            continue
        shutil.rmtree(candidate, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_text_atomic(target: Path, text: str, encoding: str = "utf-8", newline: str = "") -> None:
    """Write `text` to `target` atomically, keeping its mode if it exists.

    `newline=""` writes the text exactly as given (CRLF stays CRLF).
    """
    target = Path(target)
    mode = target.stat().st_mode if target.exists() else None
    with atomic_path(target) as tmp:
        with open(tmp, "w", encoding=encoding, newline=newline) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)

