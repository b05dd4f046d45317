"""`type MathResult<T> = Result<T, MathError>`: return types written through a Result alias.

clippy sees through `fn f() -> MathResult<()>` and asks for `# Errors`; the item
model reads the written return type only, so callers that see a whole crate
collect the aliases and expand them before asking for a doc.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

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
        for item in source.items():
            if item.kind != "type" or item.container is not None:
                continue
            match = _TYPE_ALIAS.match(" ".join(item.source.split()))
            if not match or not returns_result(match.group(3)):
                continue
            params = tuple(
                p.split(":")[0].split("=")[0].strip()
                for p in generic_args(f"<{match.group(2) or ''}>")
                if not p.startswith("'")
            )
            aliases[match.group(1)] = ResultAlias(params, match.group(3))
    return aliases


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
