"""Unified diffs of documented files, in the shape `git apply` takes."""

from __future__ import annotations

import difflib
from pathlib import Path


def unified_diff(path: Path, old: str, new: str) -> str:
    """A `git apply`-able unified diff of one file, with `\\ No newline at end of file` where due."""
    name = _diff_name(path)
    out = []
    for line in difflib.unified_diff(_diff_lines(old), _diff_lines(new), f"a/{name}", f"b/{name}"):
        if line.startswith(("---", "+++")):
            out.append(line.rstrip("\n") + "\n")
        elif not line.endswith("\n"):
            out.append(line + "\n\\ No newline at end of file\n")
        else:
            out.append(line)
    return "".join(out)


def _diff_name(path: Path) -> str:
    """The path as `git apply` wants it after `a/`: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix().lstrip("/")


def _diff_lines(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines
