"""What a code action (or a hint's quick fix) carries to its resolve: which document and item.

Sent to the client as `CodeAction.data` / `Diagnostic.data` and read back from what
the client returns, which may be anything; `from_wire` says None to what it cannot use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from rustdoc_core.rust.items import RustItem

Mode = Literal["generate", "regenerate", "update", "file"]
MODES: tuple[Mode, ...] = ("generate", "regenerate", "update", "file")
"""`update`: apply the certain fixes of a stale doc (`rustdoc_core.docs.fixes.update_doc`), no generation."""


@dataclass(frozen=True)
class ActionData:
    uri: str
    version: int | None
    mode: Mode
    position: tuple[int, int] | None = None
    """(line, character) of the item's start, in the negotiated encoding; None for the whole file."""
    item: str | None = None
    """The item's label (`fn parse_port`), to find it again if it moved."""

    @classmethod
    def for_item(cls, uri: str, version: int | None, item: RustItem, position: tuple[int, int]) -> ActionData:
        """The data of an action on `item`, which starts at `position`."""
        return cls(uri, version, "regenerate" if item.doc is not None else "generate", position, item.label)

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"uri": self.uri, "version": self.version, "mode": self.mode}
        if self.position is not None:
            wire["position"] = {"line": self.position[0], "character": self.position[1]}
        if self.item is not None:
            wire["item"] = self.item
        return wire

    @classmethod
    def from_wire(cls, wire: Any) -> ActionData | None:
        """The data back from the client; None when it is not ours or not usable."""
        if not isinstance(wire, dict) or not isinstance(wire.get("uri"), str) or wire.get("mode") not in MODES:
            return None
        version = wire.get("version")
        item = wire.get("item")
        return cls(
            uri=wire["uri"],
            version=version if _is_int(version) else None,
            mode=wire["mode"],
            position=_position(wire.get("position")),
            item=item if isinstance(item, str) else None,
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _position(wire: Any) -> tuple[int, int] | None:
    if not isinstance(wire, dict):
        return None
    line, character = wire.get("line"), wire.get("character")
    if not (_is_int(line) and _is_int(character)) or line < 0 or character < 0:
        return None
    return line, character
