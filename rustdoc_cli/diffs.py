"""Unified diffs of documented files, in the shape `git apply` takes.

`generate` knows which lines it changed (its doc edits), so the diff comes from them in one
pass over the file; difflib's matcher, which is far from linear on a file of thousands of
similar lines, is only the fallback where no edits are known."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from rustdoc_core.docs.edits import DocEdit

CONTEXT_LINES = 3

Opcode = tuple[str, int, int, int, int]


def unified_diff(path: Path, old: str, new: str, edits: Sequence[DocEdit] | None = None) -> str:
    """A `git apply`-able unified diff of one file, with `\\ No newline at end of file` where due.
    `edits`: the line edits that made `new` from `old`, if known."""
    a, b = _diff_lines(old), _diff_lines(new)
    opcodes = _opcodes_of_edits(a, b, edits) if edits is not None else None
    matcher = _Changes(a, b, opcodes) if opcodes is not None else difflib.SequenceMatcher(None, a, b, autojunk=False)
    name = _diff_name(path)
    out: list[str] = []
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        if not out:
            out += [f"--- a/{name}\n", f"+++ b/{name}\n"]
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [_line(" ", line) for line in a[i1:i2]]
                continue
            out += [_line("-", line) for line in a[i1:i2]]
            out += [_line("+", line) for line in b[j1:j2]]
    return "".join(out)


class _Changes(difflib.SequenceMatcher):
    """A matcher whose opcodes are known already: difflib's grouping into hunks, our changes."""

    def __init__(self, a: list[str], b: list[str], opcodes: list[Opcode]):
        super().__init__(None, a, b, autojunk=False)
        self._known = opcodes

    def get_opcodes(self) -> list[Opcode]:  # noqa: D401 - difflib's name
        return self._known


def _opcodes_of_edits(a: list[str], b: list[str], edits: Sequence[DocEdit]) -> list[Opcode] | None:
    """difflib-style opcodes from line edits; lines the edits call unchanged but that differ (a
    last line given a newline) become one-line replacements. None if they do not add up."""
    raw: list[Opcode] = []
    i = j = 0
    for edit in sorted(edits, key=lambda e: (e.start_line, e.end_line)):
        if edit.start_line > i:
            raw.append(("equal", i, edit.start_line, j, j + edit.start_line - i))
            j += edit.start_line - i
        added = len(_diff_lines(edit.new_text))
        raw.append(("replace", edit.start_line, edit.end_line, j, j + added))
        i, j = edit.end_line, j + added
    if len(a) - i != len(b) - j:
        return None
    raw.append(("equal", i, len(a), j, len(b)))
    out: list[Opcode] = []
    for tag, i1, i2, j1, j2 in raw:
        if tag != "equal":
            if i2 > i1 or j2 > j1:
                out.append(("replace" if i2 > i1 and j2 > j1 else "delete" if i2 > i1 else "insert", i1, i2, j1, j2))
            continue
        start = i1
        for k in range(i1, i2 + 1):
            if k == i2 or a[k] != b[j1 + k - i1]:
                if k > start:
                    out.append(("equal", start, k, j1 + start - i1, j1 + k - i1))
                if k < i2:
                    out.append(("replace", k, k + 1, j1 + k - i1, j1 + k - i1 + 1))
                start = k + 1
    return out


def _range(start: int, stop: int) -> str:
    """A hunk's `start,length` as unified diffs write it (1-based; an empty range names the line before)."""
    length = stop - start
    first = start + 1 if length else start
    return str(first) if length == 1 else f"{first},{length}"


def _line(mark: str, line: str) -> str:
    return mark + line if line.endswith("\n") else f"{mark}{line}\n\\ No newline at end of file\n"


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
