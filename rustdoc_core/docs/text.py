"""Doc text as rustdoc sees it: markers stripped, string literals decoded,
sections found outside code fences, and rendered back to `///` lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

FENCE = re.compile(r"^\s*(```+|~~~+)(.*)$")
"""A code fence line: group 1 the fence, group 2 the info string."""
_INTERRUPTING_LIST = re.compile(r"^\s{0,3}(?:[*+-]|1[.)])\s+\S")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
"""A Markdown ATX heading line: group 1 the hashes, group 2 the title."""


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block of a doc: its info string, body and first line."""

    info: str
    body: str
    start_line: int
    closed: bool

    @property
    def is_rust(self) -> bool:
        """rustdoc treats a fence as Rust unless its info string names another language."""
        tags = [t.strip() for t in re.split(r"[,\s]+", self.info) if t.strip()]
        rust_tags = {
            "rust", "ignore", "should_panic", "no_run", "compile_fail", "edition2015",
            "edition2018", "edition2021", "edition2024", "test_harness", "standalone_crate",
        }
        return all(t in rust_tags or t.startswith("E0") or t.startswith("{") for t in tags)

    @property
    def is_tested(self) -> bool:
        """Whether rustdoc compiles and runs it as a doctest."""
        return self.is_rust and "ignore" not in self.info

    def doctest_source(self) -> str:
        """The code rustdoc compiles: `# ` hidden-line markers removed."""
        lines = []
        for line in self.body.split("\n"):
            stripped = line.lstrip()
            if stripped == "#":
                continue
            if stripped.startswith("# "):
                line = line[: len(line) - len(stripped)] + stripped[2:]
            elif stripped.startswith("##"):
                line = line[: len(line) - len(stripped)] + stripped[1:]
            lines.append(line)
        return "\n".join(lines)


@dataclass(frozen=True)
class Wrap:
    """Text at (line, col) of a doc to enclose in `left` ... `right` (backticks by default)."""

    line: int
    col: int
    text: str
    left: str = "`"
    right: str = "`"


def wrap_spans(doc: str, wraps: Iterable[Wrap]) -> str:
    """The doc with each span enclosed in its delimiters: the one backtick-insertion step.

    Spans are applied right to left within a line so earlier columns stay valid; a span whose
    text is no longer at its place, or that overlaps one already wrapped, is skipped.
    """
    lines = doc.split("\n")
    by_line: dict[int, list[Wrap]] = {}
    for w in wraps:
        by_line.setdefault(w.line, []).append(w)
    for number, found in by_line.items():
        line = lines[number]
        limit = len(line) + 1
        for w in sorted(set(found), key=lambda w: -w.col):
            end = w.col + len(w.text)
            if end > limit or line[w.col : end] != w.text:
                continue
            line = line[: w.col] + w.left + w.text + w.right + line[end:]
            limit = w.col
        lines[number] = line
    return "\n".join(lines)


def code_blocks(doc: str) -> list[CodeBlock]:
    """Fenced code blocks of a doc in order, including an unclosed last one."""
    blocks: list[CodeBlock] = []
    lines = doc.split("\n")
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match.group(1), match.group(2).strip()
        body: list[str] = []
        j = i + 1
        closed = False
        while j < len(lines):
            close = FENCE.match(lines[j])
            if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence) and not close.group(2).strip():
                closed = True
                break
            body.append(lines[j])
            j += 1
        blocks.append(CodeBlock(info=info, body="\n".join(body), start_line=i, closed=closed))
        i = j + 1
    return blocks


def prose_lines(doc: str) -> list[tuple[int, str]]:
    """(line number, text) of the lines outside code fences."""
    out: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(doc.split("\n")):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) and not match.group(2).strip():
                fence = None
            continue
        out.append((number, line))
    return out


def doc_sections(doc: str) -> list[str]:
    """Markdown headings of a doc (`Examples`, `Errors`, ...), ignoring `#` lines in code."""
    sections = []
    for _, line in prose_lines(doc):
        match = HEADING.match(line)
        if match:
            sections.append(match.group(2).strip())
    return sections


def summary_range(doc: str) -> tuple[int, int]:
    """Lines [start, end) of the first paragraph (the summary)."""
    lines = doc.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = start
    while end < len(lines):
        line = lines[end]
        if not line.strip() or HEADING.match(line) or FENCE.match(line):
            break
        if end > start and _INTERRUPTING_LIST.match(line):
            break  # CommonMark: a bullet list or a list starting at 1 interrupts a paragraph
        end += 1
    return start, end


def render_doc_comment(doc: str, indent: str = "", newline: str = "\n") -> str:
    """`///` lines for a doc text, each ending with `newline`."""
    lines = doc.strip("\n").split("\n")
    return "".join(f"{indent}///{(' ' + line) if line.strip() else ''}{newline}" for line in lines)


def normalize_doc(doc: str) -> str:
    """Doc text with trailing spaces and surplus blank lines removed."""
    lines = [line.rstrip() for line in doc.strip("\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip("\n")
