"""Doc comments as edits: `///` lines inserted above an item, or an item's old doc
replaced, and `//!` crate docs at the top of a crate root.

An edit only ever inserts or removes whole doc lines: code, indentation, line
endings (CRLF stays CRLF) and a missing final newline are kept as they were.
The command line applies edits to files, the language server sends them as
`TextEdit`s: both build them here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rustdoc_core.docs.text import render_doc_comment
from rustdoc_core.rust.items import DocFragment, RustItem, RustSource


class DocEditError(ValueError):
    """The doc cannot go in as whole lines (the item shares its line with other code)."""


@dataclass(frozen=True)
class DocEdit:
    """Replace lines [start_line, end_line) with `new_text` (whole lines, each ending in the file's line ending)."""

    start_line: int
    end_line: int
    new_text: str

    @property
    def is_insertion(self) -> bool:
        return self.start_line == self.end_line


def line_ending(text: str | bytes, line: int | None = None) -> str:
    """The line ending to write: that of `line` if it has one, else the file's most common one."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if line is not None:
        lines = data.split(b"\n")
        if 0 <= line < len(lines) - 1:
            return "\r\n" if lines[line].endswith(b"\r") else "\n"
    return _most_common_ending(data)


def source_line_ending(source: RustSource, line: int | None = None) -> str:
    """`line_ending` of a parsed file, found through its line index: what one item's edit asks,
    without a pass over the whole file for each item."""
    starts = source.lines.line_starts
    if line is not None and 0 <= line < len(starts) - 1:
        newline_at = starts[line + 1] - 1
        return "\r\n" if newline_at > 0 and source.data[newline_at - 1 : newline_at] == b"\r" else "\n"
    return _most_common_ending(source.data)


@lru_cache(maxsize=8)
def _most_common_ending(data: bytes) -> str:
    """The file's most common line ending (cached: bytes keep their hash, so asking again is cheap)."""
    crlf = data.count(b"\r\n")
    lf = data.count(b"\n") - crlf
    return "\r\n" if crlf > lf else "\n"


def _lines(text: str) -> list[str]:
    """Lines with their endings (`\r\n` kept); a last line without one is kept as is.

    Only `\n` breaks a line: a lone `\r` does not, for rustc or tree-sitter.
    """
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def doc_edit(source: RustSource, item: RustItem, doc: str) -> DocEdit:
    """The edit that gives `item` the doc `doc` (text without `///` markers).

    Without a doc: `///` lines inserted at `item.doc_line` (above its attributes,
    after a plain comment). With one: the old doc's own lines replaced, the new doc
    standing where its first fragment stood. Raises DocEditError when the item's
    head shares a line with other code, where whole lines cannot carry a doc.
    """
    if not doc.strip():
        raise DocEditError(f"empty doc for {item.label}")
    lines = source.lines
    if item.doc is None:
        if source.shares_line(item):
            return inline_doc_edit(source, [(item, doc)])
        newline = source_line_ending(source, item.doc_line)
        return DocEdit(item.doc_line, item.doc_line, render_doc_comment(doc, item.indent, newline))

    removable = [f for f in item.doc.fragments if _stands_alone(source, f)]
    if not removable:
        # Every fragment shares its line with code: add the new doc above, keep the old inline ones out of reach.
        raise DocEditError(f"the doc of {item.label} shares its lines with code; edit it by hand")
    first = min(f.start_line for f in removable)
    last = max(f.end_line for f in removable)
    removed = {n for f in removable for n in range(f.start_line, f.end_line + 1)}
    newline = source_line_ending(source, first)
    indent = _indent_of(source, first) if first != item.start_line else item.indent
    starts = (*lines.line_starts, len(source.data))
    kept = "".join(source.data[starts[n] : starts[n + 1]].decode("utf-8", errors="replace") for n in range(first, last + 1) if n not in removed)
    return DocEdit(first, last + 1, render_doc_comment(doc, indent, newline) + kept)


def _indent_of(source: RustSource, line: int) -> str:
    text = source.lines.line_bytes(line).decode("utf-8", errors="replace")
    return text[: len(text) - len(text.lstrip())]


def inline_doc(doc: str) -> str:
    """A doc that fits inside a line of code: `/** text */ `, or `#[doc = "..."] ` when it has several lines."""
    text = doc.strip()
    if "\n" not in text and "*/" not in text and "/*" not in text:
        return f"/** {text} */ "
    return f"#[doc = {rust_string_literal(text)}] "


def rust_string_literal(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def inline_doc_edit(source: RustSource, placements: Sequence[tuple[RustItem, str]]) -> DocEdit:
    """One line rewritten with a doc inserted right before each item's head (all heads on that line).

    For items that share their line with other code, where `///` lines cannot
    go without moving code: the code's bytes stay as they were, only the docs
    are added between them.
    """
    lines = source.lines
    head_lines = {lines.line_of_byte(item.head_byte) for item, _ in placements}
    if len(head_lines) != 1:
        raise ValueError("inline docs of one edit must share one line")
    (line,) = head_lines
    for item, doc in placements:
        if item.doc is not None:
            raise DocEditError(f"the doc of {item.label} shares its line with code; edit it by hand")
        if not doc.strip():
            raise DocEditError(f"empty doc for {item.label}")
    start = lines.line_starts[line]
    end = lines.line_starts[line + 1] if line + 1 < lines.line_count else len(source.data)
    data = source.data
    pieces: list[bytes] = []
    cursor = start
    for item, doc in sorted(placements, key=lambda p: p[0].head_byte):
        pieces.append(data[cursor : item.head_byte])
        pieces.append(inline_doc(doc).encode("utf-8"))
        cursor = item.head_byte
    pieces.append(data[cursor:end])
    return DocEdit(line, line + 1, b"".join(pieces).decode("utf-8"))


_DOC_ONLY_ATTR = re.compile(r"^#\[\s*(doc\s*=|cfg_attr\s*\((?:[^,()]|\([^()]*\))*,\s*doc\s*=)", re.S)


def _stands_alone(source: RustSource, fragment: DocFragment) -> bool:
    """Whether a fragment fills its lines alone (so removing the lines removes only doc)."""
    data = source.data
    lines = source.lines
    start = lines.line_starts[fragment.start_line]
    end_line_start = lines.line_starts[fragment.end_line]
    end = end_line_start + len(lines.line_bytes(fragment.end_line))
    if data[start : fragment.start_byte].strip() or data[fragment.end_byte : max(end, fragment.end_byte)].strip():
        return False
    if fragment.style == "attr":
        text = data[fragment.start_byte : fragment.end_byte].decode("utf-8", errors="replace")
        return _is_doc_only_attribute(text)
    return True


_STRING = re.compile(r'r(#*)".*?"\1|"(?:[^"\\]|\\.)*"', re.S)


def _is_doc_only_attribute(text: str) -> bool:
    """`#[doc = ".."]` or `#[cfg_attr(pred, doc = "..")]`; not a `cfg_attr` that also derives or allows."""
    if not _DOC_ONLY_ATTR.match(text):
        return False
    bare = _STRING.sub('""', text.strip())
    if not bare.startswith("#[cfg_attr"):
        return True
    inner = bare[bare.index("(") + 1 : bare.rindex(")")]
    parts, depth, current = [], 0, ""
    for ch in inner:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    parts = [p.strip() for p in parts if p.strip()]
    return len(parts) == 2 and re.fullmatch(r'doc\s*=\s*""', parts[1]) is not None


def apply_edits(text: str, edits: Sequence[DocEdit]) -> str:
    """Apply non-overlapping line edits in one pass over the text (linear in its lines)."""
    lines = _lines(text)
    ordered = sorted(edits, key=lambda e: (e.start_line, e.end_line))
    for a, b in zip(ordered, ordered[1:]):
        if b.start_line < a.end_line:
            raise ValueError(f"overlapping doc edits at lines {a.start_line}-{a.end_line} and {b.start_line}-{b.end_line}")
    if ordered and ordered[-1].end_line > len(lines):
        raise ValueError(f"doc edit beyond the end of the text (line {ordered[-1].start_line})")
    if ordered and ordered[-1].start_line == len(lines) and lines and not lines[-1].endswith("\n"):
        lines[-1] += line_ending(text)  # inserting after a last line without a newline: give it one first
    out: list[str] = []
    done = 0
    for edit in ordered:
        out.extend(lines[done : edit.start_line])
        if edit.new_text:
            out.append(edit.new_text)
        done = edit.end_line
    out.extend(lines[done:])
    return "".join(out)


def doc_edits_for(
    source: RustSource, placements: Sequence[tuple[RustItem, str]]
) -> tuple[list[DocEdit], list[tuple[RustItem, DocEditError]]]:
    """Edits giving several items of one file their docs at once, ready for `apply_edits`.

    Items sharing one line with code get a single inline edit for that line;
    `///` insertions at the same line stack in the order given. Returns the edits
    and the items refused, each with why.
    """
    by_line: dict[tuple[int, int], DocEdit] = {}
    refused: list[tuple[RustItem, DocEditError]] = []
    inline: dict[int, list[tuple[RustItem, str]]] = {}
    for item, doc in placements:
        if item.doc is None and source.shares_line(item):
            inline.setdefault(source.lines.line_of_byte(item.head_byte), []).append((item, doc))
            continue
        try:
            edit = doc_edit(source, item, doc)
        except DocEditError as err:
            refused.append((item, err))
            continue
        key = (edit.start_line, edit.end_line)
        if key in by_line and not edit.is_insertion:
            refused.append((item, DocEditError(f"the doc of {item.label} overlaps another edit")))
        elif key in by_line:
            by_line[key] = DocEdit(edit.start_line, edit.end_line, by_line[key].new_text + edit.new_text)
        else:
            by_line[key] = edit
    for line_items in inline.values():
        try:
            edit = inline_doc_edit(source, line_items)
        except DocEditError as err:
            refused.extend((item, err) for item, _ in line_items)
            continue
        by_line[(edit.start_line, edit.end_line)] = edit
    edits: list[DocEdit] = []
    for edit in sorted(by_line.values(), key=lambda e: (e.start_line, e.end_line)):
        if edits and edit.start_line < edits[-1].end_line:
            owners = [item for item, _ in placements if doc_line_range(source, item, edit)]
            refused.extend((item, DocEditError(f"the doc of {item.label} overlaps another edit")) for item in owners)
            continue
        edits.append(edit)
    return edits, refused


def doc_line_range(source: RustSource, item: RustItem, edit: DocEdit) -> bool:
    """Whether `edit` is the one that documents `item` (it starts at the item's doc line or head line)."""
    head_line = source.lines.line_of_byte(item.head_byte)
    starts = {item.doc_line, head_line} | ({item.doc.start_line} if item.doc is not None else set())
    return edit.start_line in starts


# --- crate docs ---------------------------------------------------------------------------------------


def crate_doc_line(source: RustSource) -> int:
    """Where a `//!` crate doc goes: after a shebang and the leading plain comments (a license header)."""
    line = 0
    count = source.lines.line_count
    first = source.lines.line_bytes(0) if count else b""
    if first.startswith(b"#!") and not first[2:].lstrip().startswith(b"["):
        if count < 2:  # the shebang line has no newline after it: nowhere to put the doc below it
            raise DocEditError("the file is one shebang line (no newline ends it)")
        line = 1
    for node in source.tree.root_node.children:
        if node.start_point.row < line:
            continue
        if node.type == "line_comment" and node.child_by_field_name("inner") is None and node.child_by_field_name("outer") is None:
            line = node.end_point.row + (0 if node.end_point.column == 0 else 1)
            continue
        if node.type == "block_comment" and node.child_by_field_name("inner") is None and node.child_by_field_name("outer") is None:
            line = node.end_point.row + 1
            continue
        break
    # A blank line after the license header separates it from the doc; keep the doc below it.
    while line < count - 1 and not source.lines.line_bytes(line).strip() and line > 0:
        line += 1
    return min(line, count)


def crate_doc_edit(source: RustSource, doc: str) -> DocEdit:
    """Insert `//!` lines for a crate (or module file) doc at the top of the file."""
    if not doc.strip():
        raise DocEditError("empty crate doc")
    line = crate_doc_line(source)
    for node in source.tree.root_node.children:
        if node.start_point.row > line:
            break
        if node.has_error:  # a broken header would swallow the `//!` lines: added again on every run
            raise DocEditError(f"a syntax error at line {node.start_point.row + 1}, above where the crate doc goes")
    newline = source_line_ending(source)
    body = "".join(f"//!{(' ' + text) if text.strip() else ''}{newline}" for text in doc.strip("\n").split("\n"))
    return DocEdit(line, line, body)
