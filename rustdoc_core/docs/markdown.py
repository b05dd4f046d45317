"""A doc's Markdown blocks, parsed once: the one block parser the doc rules share.

`parse_markdown(doc)` splits doc text (markers already stripped) into blocks the way
rustdoc's CommonMark reader does, as far as the doc rules need: fenced and indented code,
headings, paragraphs, lists (with their entries), tables, block quotes, link reference
definitions and blank lines. The checker reads prose from it as clippy's doc_markdown does
(`prose_blocks`); the output guard cuts and re-renders blocks (`select` keeps the link
definitions a kept paragraph uses, and drops the ones only cut paragraphs used); grounding
reads link definitions.

Line numbers are 0-based lines of the doc text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

FENCE = re.compile(r"^\s*(```+|~~~+)(.*)$")
"""A code fence line: group 1 the fence, group 2 the info string."""
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
"""A Markdown ATX heading line: group 1 the hashes, group 2 the title."""
LIST_ITEM = re.compile(r"^(\s*)(?:[*+-]|\d+[.)])\s+")
"""A list entry's first line: group 1 its indent."""
LINK_DEFINITION = re.compile(r"^\s{0,3}\[(?P<label>[^\]]+)\]:\s*<?(?P<target>[^\s>]+)>?")
"""A link reference definition `[label]: target "title"`."""
_INTERRUPTING_LIST = re.compile(r"^\s{0,3}(?:[*+-]|1[.)])\s+\S")
"""A list entry that may interrupt a paragraph (CommonMark: a bullet, or an ordered list at 1)."""
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_FULL_REFERENCE = re.compile(r"\]\[([^\]]*)\]")
_SHORTCUT = re.compile(r"(?<![\]\\])\[([^\[\]]+)\](?![(\[:])")

BLANK = "blank"
HEADING_BLOCK = "heading"
CODE = "code"  # fenced
INDENTED_CODE = "indented_code"
PARAGRAPH = "paragraph"
LIST = "list"
TABLE = "table"
QUOTE = "quote"
LINK_DEF = "link_definition"
KINDS = (BLANK, HEADING_BLOCK, CODE, INDENTED_CODE, PARAGRAPH, LIST, TABLE, QUOTE, LINK_DEF)
TEXT_KINDS = (PARAGRAPH, LIST, HEADING_BLOCK)
"""Blocks whose text rustdoc renders as prose (and clippy's doc_markdown checks at their end)."""


@dataclass(frozen=True)
class Block:
    """A run of doc lines that form one Markdown block."""

    kind: str  # one of KINDS
    start: int  # its first line
    lines: tuple[str, ...]
    info: str = ""  # a fenced code block's info string
    closed: bool = True  # a fenced code block has its closing fence

    @property
    def end(self) -> int:
        """One past its last line."""
        return self.start + len(self.lines)

    @property
    def numbered(self) -> list[tuple[int, str]]:
        """(line, text) of each of its lines."""
        return list(enumerate(self.lines, self.start))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def body(self) -> str:
        """A fenced code block's code, fences excluded."""
        if self.kind != CODE:
            return self.text
        return "\n".join(self.lines[1:-1] if self.closed else self.lines[1:])

    @property
    def level(self) -> int:
        """A heading's level (1 for `#` or a `===` underline), else 0."""
        if self.kind != HEADING_BLOCK:
            return 0
        match = HEADING.match(self.lines[0])
        if match:
            return len(match.group(1))
        return 1 if self.lines[-1].strip().startswith("=") else 2

    @property
    def title(self) -> str:
        """A heading's title."""
        if self.kind != HEADING_BLOCK:
            return ""
        match = HEADING.match(self.lines[0])
        if match:
            return match.group(2).strip()
        return " ".join(line.strip() for line in self.lines[:-1])  # a setext heading

    def entries(self) -> list[list[tuple[int, str]]]:
        """A list's entries: (line, text) of each entry's first line and its continuation lines."""
        out: list[list[tuple[int, str]]] = []
        for number, line in self.numbered:
            if LIST_ITEM.match(line) or not out:
                out.append([(number, line)])
            else:
                out[-1].append((number, line))
        return out


@dataclass(frozen=True)
class LinkDefinition:
    label: str  # lower-cased, as references match it
    target: str
    line: int
    col: int  # of the target


@dataclass(frozen=True)
class MarkdownDoc:
    """A doc's text and its blocks, in order; every line belongs to exactly one block."""

    text: str
    blocks: tuple[Block, ...]
    link_definitions: dict[str, LinkDefinition] = field(compare=False)  # by lower-cased label; the first wins

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def prose_lines(self) -> list[tuple[int, str]]:
        """(line, text) of every line outside fenced code blocks."""
        return [pair for block in self.blocks if block.kind != CODE for pair in block.numbered]

    def code_blocks(self) -> list[Block]:
        """The fenced code blocks, an unclosed last one included."""
        return [block for block in self.blocks if block.kind == CODE]

    def headings(self) -> list[Block]:
        return [block for block in self.blocks if block.kind == HEADING_BLOCK]

    def summary_range(self) -> tuple[int, int]:
        """Lines [start, end) of the first paragraph (the summary); empty when the doc opens
        with a heading or a code block."""
        first = next((b for b in self.blocks if b.kind != BLANK), None)
        if first is None:
            return len(self.lines), len(self.lines)
        if first.kind in (HEADING_BLOCK, CODE):
            return first.start, first.start
        if first.kind == LIST:
            entry = first.entries()[0]
            return entry[0][0], entry[-1][0] + 1
        return first.start, first.end

    def prose_blocks(self) -> list[list[tuple[int, str]]]:
        """Runs of prose lines as clippy's doc_markdown reads them, each checked on its own: a
        paragraph, a heading, a list entry; a table only where a later one of those ends (clippy
        checks a table's text when the next paragraph, heading or entry ends). Code, block quotes
        and link definitions are not prose."""
        last_text = max((i for i, b in enumerate(self.blocks) if b.kind in TEXT_KINDS), default=-1)
        out: list[list[tuple[int, str]]] = []
        for i, block in enumerate(self.blocks):
            if block.kind == LIST:
                out.extend(block.entries())
            elif block.kind in TEXT_KINDS or (block.kind == TABLE and i < last_text):
                out.append(block.numbered)
        return out

    def references(self, block: Block) -> set[str]:
        """Labels (lower case) of the link definitions a block's text refers to:
        `[text][label]`, `[label][]` and `[label]`."""
        if block.kind in (CODE, INDENTED_CODE, LINK_DEF, BLANK):
            return set()
        found = set()
        for line in block.lines:
            masked = re.sub(r"(`+)(.+?)\1", lambda m: " " * len(m.group(0)), line)
            for match in _FULL_REFERENCE.finditer(masked):
                label = match.group(1).strip().lower()
                if not label:  # `[label][]`: the label is the text before
                    head = masked[: match.start()]
                    label = head[head.rfind("[") + 1 :].strip().lower()
                found.add(label)
            for match in _SHORTCUT.finditer(masked):
                found.add(match.group(1).strip().lower())
        return {label for label in found if label in self.link_definitions}

    def select(self, keep: Iterable[int]) -> str:
        """The doc with only the blocks at indices `keep`, blank lines kept, and each link
        definition kept where a kept block refers to it, or where no block refers to it at all;
        a definition only dropped blocks used goes with them (a dangling `[`x`][c]` never stays
        behind, nor a definition nothing uses)."""
        keep = set(keep)
        used_by_kept: set[str] = set()
        used_at_all: set[str] = set()
        for i, block in enumerate(self.blocks):
            labels = self.references(block)
            used_at_all |= labels
            if i in keep:
                used_by_kept |= labels
        out: list[str] = []
        for i, block in enumerate(self.blocks):
            if block.kind == BLANK:
                out.extend(block.lines)
            elif block.kind == LINK_DEF:
                label = _definition_label(block.lines[0])
                if label in used_by_kept or (label not in used_at_all and i in keep):
                    out.extend(block.lines)
            elif i in keep:
                out.extend(block.lines)
        return "\n".join(out)


def link_definition(line: str, number: int = 0) -> LinkDefinition | None:
    """The link reference definition a line holds, if any."""
    match = LINK_DEFINITION.match(line)
    if match is None:
        return None
    return LinkDefinition(match.group("label").strip().lower(), match.group("target"), number, match.start("target"))


def _definition_label(line: str) -> str:
    found = link_definition(line)
    return found.label if found else ""


@lru_cache(maxsize=512)
def parse_markdown(doc: str) -> MarkdownDoc:
    """The blocks of a doc text (cached: the checker, the guard and repair ask about the same text)."""
    blocks = tuple(_Reader(doc.split("\n")).read())
    definitions: dict[str, LinkDefinition] = {}
    for block in blocks:
        found = link_definition(block.lines[0], block.start) if block.kind == LINK_DEF else None
        if found is not None:
            definitions.setdefault(found.label, found)
    return MarkdownDoc(doc, blocks, definitions)


def _indent(line: str) -> int:
    """Columns of leading whitespace, a tab counting as four."""
    stripped = line.lstrip(" \t")
    prefix = line[: len(line) - len(stripped)]
    return len(prefix) + 3 * prefix.count("\t")


def _closes(line: str, fence: str) -> bool:
    match = FENCE.match(line)
    return bool(match) and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) and not match.group(2).strip()


class _Reader:
    """One pass over the lines; `in_list` carries across blank lines, as a list's entries may."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.in_list = False

    def read(self) -> Iterable[Block]:
        lines = self.lines
        i = 0
        previous_blank = True  # the doc's start counts as after a blank line
        while i < len(lines):
            line = lines[i]
            fence = FENCE.match(line)
            if fence:
                j = i + 1
                while j < len(lines) and not _closes(lines[j], fence.group(1)):
                    j += 1
                closed = j < len(lines)
                end = j + 1 if closed else j
                yield Block(CODE, i, tuple(lines[i:end]), info=fence.group(2).strip(), closed=closed)
                i, previous_blank = end, True
                continue
            if not line.strip():
                yield Block(BLANK, i, (line,))
                i, previous_blank = i + 1, True
                continue
            indent = _indent(line)
            if indent >= 4 and previous_blank and not self.in_list:
                end = self._indented_code_end(i)
                yield Block(INDENTED_CODE, i, tuple(lines[i:end]))
                i, previous_blank = end, False
                continue
            if LIST_ITEM.match(line):
                self.in_list = True
            elif indent == 0 and previous_blank:
                self.in_list = False
            block = self._block_at(i)
            yield block
            i, previous_blank = block.end, False

    def _block_at(self, i: int) -> Block:
        lines = self.lines
        line = lines[i]
        stripped = line.lstrip()
        if HEADING.match(line):
            return Block(HEADING_BLOCK, i, (line,))
        if stripped.startswith(">") and _indent(line) < 4:
            return Block(QUOTE, i, tuple(lines[i : self._run_end(i, lazy=True)]))
        if LINK_DEFINITION.match(line):
            return Block(LINK_DEF, i, (line,))
        if self._table_starts(i):
            return Block(TABLE, i, tuple(lines[i : self._run_end(i, lazy=True)]))
        end = self._run_end(i, lazy=False)
        if LIST_ITEM.match(line):
            return Block(LIST, i, tuple(lines[i:end]))
        if end < len(lines) and _SETEXT_UNDERLINE.match(lines[end]):
            return Block(HEADING_BLOCK, i, tuple(lines[i : end + 1]))  # `Title` over `=====` or `-----`
        return Block(PARAGRAPH, i, tuple(lines[i:end]))

    def _table_starts(self, i: int) -> bool:
        return (
            i + 1 < len(self.lines)
            and "|" in self.lines[i]
            and "-" in self.lines[i + 1]
            and bool(_TABLE_DELIMITER.match(self.lines[i + 1]))
        )

    def _run_end(self, i: int, lazy: bool) -> int:
        """One past the last line of the paragraph-like run starting at `i`: up to a blank line,
        a fence or a heading; unless `lazy`, also a link definition, a table's head, or a list
        entry interrupting a paragraph."""
        lines = self.lines
        is_list = bool(LIST_ITEM.match(lines[i]))
        end = i + 1
        while end < len(lines):
            line = lines[end]
            if not line.strip() or FENCE.match(line) or HEADING.match(line):
                break
            if not lazy:
                if LINK_DEFINITION.match(line) or self._table_starts(end) or _SETEXT_UNDERLINE.match(line):
                    break
                if line.lstrip().startswith(">") and _indent(line) < 4:
                    break  # a block quote interrupts a paragraph
                if not is_list and _INTERRUPTING_LIST.match(line):
                    break
            end += 1
        return end

    def _indented_code_end(self, i: int) -> int:
        """Indented code runs over blank lines while the next non-blank line is indented too."""
        lines = self.lines
        end = i + 1
        while end < len(lines):
            if lines[end].strip():
                if _indent(lines[end]) < 4:
                    break
                end += 1
                continue
            nxt = end
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            if nxt < len(lines) and _indent(lines[nxt]) >= 4:
                end = nxt
                continue
            break
        return end
