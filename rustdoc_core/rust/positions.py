"""Byte offsets, lines and LSP positions (UTF-16, UTF-8 or UTF-32 code units).

tree-sitter speaks UTF-8 bytes; LSP speaks (line, character) with characters
counted in the negotiated encoding, UTF-16 unless the client says otherwise.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

UTF8 = "utf-8"
UTF16 = "utf-16"


def _units(text: str, encoding: str) -> int:
    if encoding == UTF8:
        return len(text.encode("utf-8"))
    if encoding == UTF16:
        return len(text.encode("utf-16-le")) // 2
    return len(text)


@dataclass(frozen=True)
class LineIndex:
    """Start byte of every line of a UTF-8 buffer, for O(log n) conversions."""

    data: bytes
    line_starts: tuple[int, ...]

    @classmethod
    def of(cls, data: bytes) -> "LineIndex":
        starts = [0]
        find = data.find
        i = find(b"\n")
        while i != -1:
            starts.append(i + 1)
            i = find(b"\n", i + 1)
        return cls(data, tuple(starts))

    def edited(self, data: bytes, start: int, old_end: int, new_end: int) -> "LineIndex":
        """The index of `data`: this buffer with bytes [start, old_end) replaced by `data[start:new_end]`.

        Lines before the edit keep their starts and those after it shift: an edit
        costs its own length, not a new scan of the whole buffer.
        """
        starts = self.line_starts
        before = bisect_right(starts, start)  # lines starting at or before `start` stay
        after = bisect_right(starts, old_end)  # lines starting after `old_end` shift
        inner = []
        find = data.find
        i = find(b"\n", start, new_end)
        while i != -1:
            inner.append(i + 1)
            i = find(b"\n", i + 1, new_end)
        delta = new_end - old_end
        return LineIndex(data, starts[:before] + tuple(inner) + tuple([s + delta for s in starts[after:]]))

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_of_byte(self, offset: int) -> int:
        return max(0, bisect_right(self.line_starts, offset) - 1)

    def line_bytes(self, line: int) -> bytes:
        """The line's bytes without its line ending."""
        start = self.line_starts[line]
        end = self.line_starts[line + 1] - 1 if line + 1 < len(self.line_starts) else len(self.data)
        chunk = self.data[start:end]
        return chunk[:-1] if chunk.endswith(b"\r") else chunk

    def byte_to_position(self, offset: int, encoding: str = UTF16) -> tuple[int, int]:
        """(line, character) of a byte offset, characters in `encoding` units."""
        offset = min(max(offset, 0), len(self.data))
        line = self.line_of_byte(offset)
        prefix = self.data[self.line_starts[line] : offset].decode("utf-8", errors="replace")
        return line, _units(prefix, encoding)

    def position_to_byte(self, line: int, character: int, encoding: str = UTF16) -> int:
        """Byte offset of an LSP position; clamps past-the-end lines and characters."""
        if line < 0:
            return 0
        if line >= len(self.line_starts):
            return len(self.data)
        raw = self.line_bytes(line)
        if encoding == UTF8 or raw.isascii():  # one unit per byte
            return self.line_starts[line] + min(max(character, 0), len(raw))
        text = raw.decode("utf-8", errors="replace")
        count = 0
        consumed = 0
        for ch in text:
            width = 2 if encoding == UTF16 and ord(ch) > 0xFFFF else 1
            if count + width > character:
                break
            count += width
            consumed += len(ch.encode("utf-8"))
        return self.line_starts[line] + consumed
