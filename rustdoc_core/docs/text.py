"""Doc text as rustdoc sees it: markers stripped, string literals decoded,
sections found outside code fences, and rendered back to `///` lines.

The blocks come from the one Markdown parser (`markdown.parse_markdown`); the helpers here
answer the common questions about them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from rustdoc_core.docs.markdown import FENCE, HEADING, parse_markdown

__all__ = ["FENCE", "HEADING", "CodeBlock", "Wrap", "code_blocks", "doc_sections", "normalize_doc",
           "prose_lines", "render_doc_comment", "summary_range", "wrap_spans"]


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
    return [CodeBlock(b.info, b.body, b.start, b.closed) for b in parse_markdown(doc).code_blocks()]


def prose_lines(doc: str) -> list[tuple[int, str]]:
    """(line number, text) of the lines outside code fences."""
    return parse_markdown(doc).prose_lines()


def doc_sections(doc: str) -> list[str]:
    """Markdown headings of a doc (`Examples`, `Errors`, ...), ignoring `#` lines in code."""
    return [block.title for block in parse_markdown(doc).headings()]


def summary_range(doc: str) -> tuple[int, int]:
    """Lines [start, end) of the first paragraph (the summary)."""
    return parse_markdown(doc).summary_range()


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
