"""Which items want a doc and have none: what the "document this file" source action covers.

Whether to offer that action is asked on every code-action list, and reading every
item of a large file takes tens of milliseconds, too slow to do after each keystroke.
So the answer follows the edits instead: the items found by the last full read keep
their place (shifted past each edit), and only what the edits touched is read again.

What an edit can change farther away (a container's header or attributes, a brace
that reshapes the code after it, or a parse error that puts a whole impl out of
reach) shows after the next full read, which runs on the first question once typing
has paused for `SETTLE_S`.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path

from tree_sitter import Node

from rustdoc_core.rust.doc_policy import wants_doc
from rustdoc_core.rust.items import PREFIX_NODES, RustItem, RustSource

SETTLE_S = 0.3
"""A pause in typing this long, and the next question reads the whole file again."""
MAX_WINDOWS = 32
"""More separate edited places than this, and the whole file is read again."""

Span = tuple[int, int]  # byte offsets [start, end], both inclusive for touching


def documentable(source: RustSource, item: RustItem, include_private: bool, path: Path | None = None) -> bool:
    """An item the source action documents: it wants a doc and has none (`doc_policy.wants_doc`),
    and `///` lines can go above it."""
    return wants_doc(item, include_private=include_private, path=path) and not source.shares_line(item)


def wanting_doc(source: RustSource, include_private: bool, path: Path | None = None) -> Iterator[RustItem]:
    """Every item of the file (at `path`) that is `documentable`, in document order."""
    for item in source.items():
        if documentable(source, item, include_private, path):
            yield item


class UndocumentedIndex:
    """Where the items that `wants_doc` are in one open document, followed through its edits."""

    def __init__(self, settle_s: float = SETTLE_S) -> None:
        self.settle_s = settle_s
        self._include_private: bool | None = None  # None: no full read yet
        self._spans: list[Span] = []  # from a wanting item's line start to its end
        self._windows: list[Span] = []  # edited since the last question, to read again
        self._edited_since_read = False
        self._last_edit = 0.0

    def edited(self, start: int, old_end: int, new_end: int) -> None:
        """Bytes [start, old_end) became [start, new_end)."""
        self._last_edit = time.monotonic()
        if self._include_private is None:
            return
        self._edited_since_read = True
        delta = new_end - old_end
        self._spans = [moved for span in self._spans if (moved := _past(span, start, old_end, delta)) is not None]
        windows = [(start, new_end)]
        for a, b in self._windows:
            moved = _past((a, b), start, old_end, delta)
            windows.append(moved if moved is not None else (min(a, start), max(b + delta if b > old_end else new_end, new_end)))
        self._windows = _merged(windows)
        if len(self._windows) > MAX_WINDOWS:
            self._include_private = None

    def any_wanting(self, source: RustSource, include_private: bool, path: Path | None = None) -> bool:
        """Whether some item in `source` (as edited) `wants_doc`."""
        settled = time.monotonic() - self._last_edit >= self.settle_s
        if include_private != self._include_private or (self._edited_since_read and settled):
            self._read_all(source, include_private, path)
        # What the edits touched is read now, once: its items replace the spans there.
        for start, end in self._windows:
            end = _item_ahead(source, end)
            fresh = [_span(source, i) for i in source.items_overlapping(start, end) if documentable(source, i, include_private, path)]
            kept = [span for span in self._spans if span[1] < start or span[0] > end]
            self._spans = sorted({*kept, *fresh})
        self._windows = []
        return bool(self._spans)

    def _read_all(self, source: RustSource, include_private: bool, path: Path | None = None) -> None:
        self._include_private = include_private
        self._windows = []
        self._edited_since_read = False
        self._spans = [_span(source, item) for item in wanting_doc(source, include_private, path)]


def _item_ahead(source: RustSource, offset: int) -> int:
    """Where the item starts that the code from `offset` leads up to, across blank space,
    comments and attributes (an edit there changes that item's head); else `offset`."""
    node = source.tree.root_node.descendant_for_byte_range(offset, offset)
    prefix = node
    while prefix is not None and prefix.type not in PREFIX_NODES:
        prefix = prefix.parent
    ahead = prefix if prefix is not None else _first_child_after(node, offset)
    while ahead is not None and ahead.type in PREFIX_NODES:
        ahead = ahead.next_sibling
    return max(offset, ahead.start_byte) if ahead is not None else offset


def _first_child_after(node: Node | None, offset: int) -> Node | None:
    # Not Node.first_child_for_byte: on a leaf, py-tree-sitter 0.26 hands back a null node that crashes.
    children = node.children if node is not None else []
    index = bisect_left(children, offset + 1, key=lambda c: c.end_byte)
    return children[index] if index < len(children) else None


def _span(source: RustSource, item: RustItem) -> Span:
    """From the start of the item's head line (code before it there matters) to its end."""
    return source.lines.line_starts[source.lines.line_of_byte(item.head_byte)], item.end_byte


def _past(span: Span, start: int, old_end: int, delta: int) -> Span | None:
    """`span` after the edit, or None where the edit touches it."""
    a, b = span
    if b < start:
        return span
    if a > old_end:
        return a + delta, b + delta
    return None


def _merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
