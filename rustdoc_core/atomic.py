"""Atomic writes: a file or directory that outlives a command is written under a
temporary name beside its target and renamed into place, so a killed job leaves
the last good state and never a half-written one."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
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
    prefix = f"{temporary_prefix(target)}{os.getpid()}."
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
    """Remove temporaries that killed runs left beside `target` (their process is gone).

    A run killed between moving an old directory aside and renaming the new one in left
    no target: the old one goes back first, so the target is old or new, never lost."""
    prefix = temporary_prefix(target)
    # Matched by hand, not by glob: a file name may hold `*`, `[` or `**` itself.
    try:
        entries = [p for p in target.parent.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")]
    except OSError:
        return
    for candidate in entries:
        pid_text = candidate.name[len(prefix) :].split(".", 1)[0]
        if not pid_text.isdigit() or not candidate.is_dir() or _process_alive(int(pid_text)):
            continue
        old = candidate / "old"
        if old.is_dir() and not os.path.lexists(target):
            os.replace(old, target)
        shutil.rmtree(candidate, ignore_errors=True)


def temporary_prefix(target: Path) -> str:
    """How the temporaries of `target` begin: `.NAME.` (then the writer's pid, a random part and
    `.tmp`); a name too long to take that much more is cut and given a digest of itself."""
    name = target.name
    if len(name.encode("utf-8")) > 200:  # NAME_MAX is 255 bytes
        digest = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        name = name.encode("utf-8", "surrogateescape")[:150].decode("utf-8", "ignore") + "~" + digest
    return f".{name}."


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ReadOnlyFileError(PermissionError):
    """The target has no write permission: it is left alone unless the caller forces the write."""


def write_text_atomic(target: Path, text: str, encoding: str = "utf-8", newline: str = "", *, force: bool = False) -> None:
    """Write `text` to `target` atomically, keeping its mode and owner if it exists.

    A symlink is written through: its target file is replaced, the link stays a link.
    A device or a FIFO (`-o /dev/stdout`) is written as it is, not replaced.
    A file without write permission (`chmod a-w`) raises ReadOnlyFileError unless
    `force`; root is refused too, as `rm` asks before removing a write-protected file.
    An error from the system (an immutable file, a full disk) is an OSError naming
    `target`, not the temporary. `newline=""` writes the text exactly as given (CRLF
    stays CRLF).
    """
    target = Path(target)
    real = Path(os.path.realpath(target)) if target.is_symlink() else target
    try:
        status = real.stat()
    except FileNotFoundError:
        status = None
    if status is not None and not stat.S_ISREG(status.st_mode) and not stat.S_ISDIR(status.st_mode):
        # `-o /dev/null`, `-o /dev/stdout`, a FIFO: written as they are, never renamed over
        with open(real, "w", encoding=encoding, newline=newline) as handle:
            handle.write(text)
        return
    if status is not None and not force and is_read_only(real, status.st_mode):
        raise ReadOnlyFileError(errno.EACCES, "file is read-only", str(target))
    try:
        with atomic_path(real) as tmp:
            with open(tmp, "w", encoding=encoding, newline=newline) as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            if status is not None:
                _keep_owner_and_mode(tmp, status)
    except OSError as err:
        # Named after the file the user asked for, not the temporary (the errno keeps its subclass).
        raise OSError(err.errno, err.strerror or str(err), str(target)) from err


def is_read_only(path: Path, mode: int) -> bool:
    """Whether a file is write-protected: no owner write bit, or no write access for this user."""
    return not mode & stat.S_IWUSR or not os.access(path, os.W_OK)


def _keep_owner_and_mode(tmp: Path, status: os.stat_result) -> None:
    if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.chown(tmp, status.st_uid, status.st_gid)
        except PermissionError:
            pass  # only root may give a file away; the new file is ours, as with `sed -i`
    os.chmod(tmp, stat.S_IMODE(status.st_mode))
