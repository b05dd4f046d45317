"""Which items want a doc and have none: what the "document this file" source action covers.

Whether to offer that action is asked on every code-action list, and reading every
item of a large file takes tens of milliseconds, too slow to do after each keystroke.
So the answer follows the edits instead: the items found by the last full read keep
their place (shifted past each edit), and only what the edits touched is read again.

What an edit can change farther away (a container's header or attributes, a brace
that reshapes the code after it, or a parse error that puts a whole impl out of
reach) shows after the next full read, which runs on the first question once typing
has paused for `SETTLE_S`.

While an edit waits for its parse (`RustSource.parsed` is false), the question reads
nothing: the answer is what the last read knew, an item it found wanting a doc still
wanting one where an edit since touched it. The server re-parses after a short pause
and then reads the edited places (`catch_up`).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from rustdoc_core.rust.doc_policy import wants_doc
from rustdoc_core.rust.items import PREFIX_NODES, RustItem, RustSource

SETTLE_S = 0.3
"""A pause in typing this long, and the next question reads the whole file again."""
MAX_WINDOWS = 32
"""More separate edited places than this, and the whole file is read again."""

Span = tuple[int, int]  # byte offsets [start, end], both inclusive for touching


@dataclass(frozen=True)
class Window:
    """An edited place, to read again once parsed; `wanting`: an item there wanted a doc."""

    start: int
    end: int
    wanting: bool = False


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
        self._windows: list[Window] = []  # edited since the last read of them, to read again
        self._edited_since_read = False
        self._last_edit = 0.0

    def edited(self, start: int, old_end: int, new_end: int) -> None:
        """Bytes [start, old_end) became [start, new_end)."""
        self._last_edit = time.monotonic()
        if self._include_private is None:
            return
        self._edited_since_read = True
        delta = new_end - old_end
        kept = [(span, _past(span, start, old_end, delta)) for span in self._spans]
        self._spans = [moved for _, moved in kept if moved is not None]
        windows = [Window(start, new_end, wanting=any(moved is None for _, moved in kept))]
        for window in self._windows:
            moved = _past((window.start, window.end), start, old_end, delta)
            if moved is None:
                end = window.end + delta if window.end > old_end else new_end
                moved = (min(window.start, start), max(end, new_end))
            windows.append(Window(*moved, wanting=window.wanting))
        self._windows = _merged(windows)
        if len(self._windows) > MAX_WINDOWS:
            self._include_private = None

    @property
    def read_once(self) -> bool:
        """Whether the whole file has been read (for the settings in force)."""
        return self._include_private is not None

    def any_wanting(self, source: RustSource, include_private: bool, path: Path | None = None) -> bool:
        """Whether some item in `source` (as edited) `wants_doc`; while edits wait for a parse,
        as far as the last read knew (no parse here)."""
        if not source.parsed and include_private == self._include_private:
            return bool(self._spans) or any(window.wanting for window in self._windows)
        self.catch_up(source, include_private, path)
        return bool(self._spans)

    def catch_up(self, source: RustSource, include_private: bool, path: Path | None = None) -> None:
        """Read what the edits touched (the whole file, once typing has paused for `settle_s`)."""
        settled = time.monotonic() - self._last_edit >= self.settle_s
        if include_private != self._include_private or (self._edited_since_read and settled):
            self._read_all(source, include_private, path)
        # What the edits touched is read now, once: its items replace the spans there.
        for window in self._windows:
            start, end = window.start, _item_ahead(source, window.end)
            fresh = [_span(source, i) for i in source.items_overlapping(start, end) if documentable(source, i, include_private, path)]
            kept = [span for span in self._spans if span[1] < start or span[0] > end]
            self._spans = sorted({*kept, *fresh})
        self._windows = []

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


def _merged(windows: list[Window]) -> list[Window]:
    out: list[Window] = []
    for window in sorted(windows, key=lambda w: (w.start, w.end)):
        if out and window.start <= out[-1].end:
            last = out[-1]
            out[-1] = Window(last.start, max(last.end, window.end), last.wanting or window.wanting)
        else:
            out.append(window)
    return out
