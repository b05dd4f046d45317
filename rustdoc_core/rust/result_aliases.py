"""`type MathResult<T> = Result<T, MathError>`: return types written through a Result alias.

clippy sees through `fn f() -> MathResult<()>` and asks for `# Errors`; the item
model reads the written return type only, so callers that see a whole crate
collect the aliases and expand them before asking for a doc.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from tree_sitter import Node

from rustdoc_core.rust.items import RustItem, RustSource, generic_args, returns_result

_TYPE_ALIAS = re.compile(r"^(?:pub(?:\s*\([^)]*\))?\s+)?type\s+(\w+)\s*(?:<(.*?)>)?\s*=\s*(.+?)\s*;?\s*$", re.S)


@dataclass(frozen=True)
class ResultAlias:
    """`type MathResult<T> = Result<T, MathError>`: its generic parameter names and target."""

    params: tuple[str, ...]
    target: str


def collect_result_aliases(sources: Iterable[RustSource]) -> dict[str, ResultAlias]:
    """Type aliases (outside impls and traits) that stand for a `Result`, by name, across the given files."""
    aliases: dict[str, ResultAlias] = {}
    for source in sources:
        for node in _module_type_items(source.tree.root_node):
            match = _TYPE_ALIAS.match(" ".join(node.text.decode("utf-8", errors="replace").split()))
            if not match or not returns_result(match.group(3)):
                continue
            params = tuple(
                p.split(":")[0].split("=")[0].strip()
                for p in generic_args(f"<{match.group(2) or ''}>")
                if not p.startswith("'")
            )
            aliases[match.group(1)] = ResultAlias(params, match.group(3))
    return aliases


def _module_type_items(root: Node) -> list[Node]:
    """The `type` items of a file outside impls and traits (at its top and in its inline
    modules), in document order: the few nodes an alias can be, without reading every item
    (the editor asks on every code-action list, and a large file's items take 100 ms)."""
    found: list[Node] = []
    lists = [root]
    while lists:
        for child in lists.pop().children:
            if child.type == "type_item":
                found.append(child)
            elif child.type == "mod_item" and (body := child.child_by_field_name("body")) is not None:
                lists.append(body)
    return sorted(found, key=lambda node: node.start_byte)


def resolve_result_alias(item: RustItem, aliases: dict[str, ResultAlias]) -> RustItem:
    """`item` with a return type written through a Result alias expanded (`MathResult<i64>` -> `Result<i64, MathError>`)."""
    if not item.is_fn or not item.return_type or returns_result(item.return_type):
        return item
    alias = aliases.get(item.return_type.partition("<")[0].strip().split("::")[-1])
    if alias is None:
        return item
    args = [a for a in generic_args(item.return_type) if not a.startswith("'")]
    target = alias.target
    for param, arg in zip(alias.params, args):
        target = re.sub(rf"\b{re.escape(param)}\b", arg, target)
    return replace(item, return_type=target)
