"""Where the bytes of a parsed text went after the edits made since: an `EditMap` carries
offsets of the text as parsed to the text as it is now, and back.

The edits are kept as regions, each one place that changed: old bytes [old_start, old_end)
became new bytes [new_start, new_end). Outside the regions, text only moved. Regions that
touch are merged, so typing a word is one region, not one per key.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass


@dataclass(frozen=True)
class EditRegion:
    """Bytes [old_start, old_end) of the parsed text are bytes [new_start, new_end) now."""

    old_start: int
    old_end: int
    new_start: int
    new_end: int


class EditMap:
    """The edits since a parse, as a map of byte offsets: parsed text -> current text."""

    def __init__(self) -> None:
        self.regions: list[EditRegion] = []  # in order, apart (a gap of unchanged text between any two)

    def __len__(self) -> int:
        return len(self.regions)

    def add(self, start: int, old_end: int, new_end: int) -> None:
        """Current bytes [start, old_end) became [start, new_end)."""
        regions = self.regions
        delta = new_end - old_end
        first = bisect_left([r.new_end for r in regions], start)  # the first region that reaches the edit
        last = bisect_right([r.new_start for r in regions], old_end, lo=first)  # past the last one it reaches
        joined = regions[first:last]
        before = regions[first - 1] if first else None
        if joined:
            head, tail = joined[0], joined[-1]
            old_start = head.old_start - max(0, head.new_start - start)
            old_stop = tail.old_end + max(0, old_end - tail.new_end)
            region = EditRegion(old_start, old_stop, min(start, head.new_start), max(old_end, tail.new_end) + delta)
        else:
            shift = before.new_end - before.old_end if before is not None else 0
            region = EditRegion(start - shift, old_end - shift, start, new_end)
        after = [EditRegion(r.old_start, r.old_end, r.new_start + delta, r.new_end + delta) for r in regions[last:]]
        self.regions = [*regions[:first], region, *after]

    # --- parsed -> current --------------------------------------------------------------------

    def start_after(self, offset: int) -> int:
        """Where a thing that starts at `offset` of the parsed text starts now: text inserted
        right at it comes before it; one starting in replaced text starts where that did."""
        index = bisect_right([r.old_start for r in self.regions], offset) - 1
        if index < 0:
            return offset
        region = self.regions[index]
        return region.new_start if offset < region.old_end else region.new_end + offset - region.old_end

    def end_after(self, offset: int) -> int:
        """Where a thing that ends at `offset` (exclusive) of the parsed text ends now: text
        inserted right after it is not its own; one ending in replaced text ends where that does."""
        index = bisect_left([r.old_start for r in self.regions], offset) - 1
        if index < 0:
            return offset
        region = self.regions[index]
        return region.new_end if offset <= region.old_end else region.new_end + offset - region.old_end

    # --- current -> parsed --------------------------------------------------------------------

    def before(self, offset: int, *, end: bool = False) -> int:
        """The offset of the parsed text that `offset` of the current text came from; inside
        new text, the start of what it replaced (the end, with `end`)."""
        index = bisect_right([r.new_start for r in self.regions], offset) - 1
        if index < 0:
            return offset
        region = self.regions[index]
        if offset <= region.new_end:
            return region.old_end if end else region.old_start
        return region.old_end + offset - region.new_end

    def touched(self, start: int, end: int) -> list[EditRegion]:
        """The regions that meet parsed bytes [start, end] (both ends included)."""
        return [r for r in self.regions if r.old_start <= end and r.old_end >= start]
