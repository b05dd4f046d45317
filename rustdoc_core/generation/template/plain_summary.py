"""What the template says of an item whose name does not read as English: its name and kind
("The `did_you_mean` function.", "The `Never` variant."). True of every item, and no more."""

from __future__ import annotations

from rustdoc_core.rust.items import RustItem

_KIND_WORDS = {
    "fn": "function", "method": "method", "trait_method": "method",
    "struct": "struct", "enum": "enum", "union": "union", "variant": "variant", "field": "field", "const": "constant",
    "static": "static", "trait": "trait", "type": "type", "macro": "macro", "mod": "module",
}

MAX_NAME = 150
"""Past this many characters, a name in a summary makes the summary too long to be one."""


def plain_summary(item: RustItem) -> str:
    if len(item.name) > MAX_NAME:
        return "An item of this crate."
    kind = _KIND_WORDS[item.kind]
    if item.kind == "fn" and any(p.is_self for p in item.params):
        kind = "method"
    return f"The `{item.name}{'!' if item.kind == 'macro' else ''}` {kind}."
