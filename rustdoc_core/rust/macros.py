"""Items that a file's own `macro_rules!` macros define where the file invokes them.

clippy lints the fns such an expansion defines (at the macro body's lines); a parse of the
file alone sees only token trees. This expands the simple cases: rules whose matcher is a
sequence of literal tokens and `$name:fragment` bindings, without `$(...)` repetitions.
Items come back at the rows and columns of the macro body, so their docs map to real lines.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import Any

from tree_sitter import Node

from rustdoc_core.rust.items import Container, RustItem, RustSource, rust_language

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def macro_items(source: RustSource) -> list[RustItem]:
    """Items defined by expanding the file's local `macro_rules!` at their invocations."""
    root = source.tree.root_node
    macros: dict[str, list[tuple[re.Pattern[str], Node]]] = {}
    for node in _descendants(root, "macro_definition"):
        name = node.child_by_field_name("name")
        if name is None:
            continue
        rules = []
        for rule in (c for c in node.named_children if c.type == "macro_rule"):
            pattern = rule.child_by_field_name("left")
            body = rule.child_by_field_name("right")
            matcher = _matcher(pattern) if pattern is not None else None
            if matcher is not None and body is not None and "$(" not in _text(body):
                rules.append((matcher, body))
        if rules:
            macros[_text(name)] = rules
    out: list[RustItem] = []
    for call in _descendants(root, "macro_invocation"):
        name = call.child_by_field_name("macro")
        args = next((c for c in call.children if c.type == "token_tree"), None)
        if name is None or args is None or _text(name) not in macros or not _at_item_level(call):
            continue
        inner = _text(args)[1:-1].strip()
        for matcher, body in macros[_text(name)]:
            match = matcher.fullmatch(inner)
            if match is None:
                continue
            out.extend(_expand(body, match.groupdict(), _modules(call)))
            break
    return out


def _expand(body: Node, bindings: dict[str, str], modules: tuple[Container, ...]) -> list[RustItem]:
    text = _text(body)[1:-1]
    start = body.start_point
    padded = "\n" * start.row + " " * (start.column + 1) + text

    def substitute(m: re.Match[str]) -> str:
        name = m.group(1)
        return "crate" if name == "crate" else bindings.get(name, m.group(0))

    expanded = re.sub(r"\$(\w+)", substitute, padded)
    items = []
    for item in RustSource(expanded).items():
        # clippy does not look for panics in bodies that come from a macro expansion.
        items.append(replace(item, panic_sites=(), containers=modules + item.containers))
    return items


def _matcher(pattern: Node) -> re.Pattern[str] | None:
    parts: list[str] = []
    children = pattern.children[1:-1]  # without the delimiters
    for child in children:
        if child.type == "token_binding_pattern":
            name = child.child_by_field_name("name")
            kind = child.child_by_field_name("type")
            if name is None:
                return None
            group = _text(name).lstrip("$")
            fragment = _text(kind) if kind is not None else "tt"
            parts.append(f"(?P<{group}>{_IDENT})" if fragment == "ident" else f"(?P<{group}>.+?)")
        elif child.type in ("token_repetition_pattern", "token_tree_pattern"):
            return None
        else:
            parts.append(re.escape(_text(child)))
    try:
        return re.compile(r"\s*".join(parts), re.S)
    except re.error:
        return None


def _at_item_level(call: Node) -> bool:
    parent = call.parent
    if parent is not None and parent.type == "expression_statement":
        parent = parent.parent
    return parent is not None and parent.type in ("source_file", "declaration_list")


def _modules(call: Node) -> tuple[Container, ...]:
    mods: list[Container] = []
    parent = call.parent
    while parent is not None:
        if parent.type == "mod_item":
            name = parent.child_by_field_name("name")
            vis = next((c for c in parent.children if c.type == "visibility_modifier"), None)
            mods.append(Container("mod", f"mod {_text(name)}", name=_text(name), is_public=vis is not None and _text(vis) == "pub"))
        parent = parent.parent
    return tuple(reversed(mods))


@lru_cache(maxsize=None)
def _query(kind: str) -> Any:
    from tree_sitter import Query

    return Query(rust_language(), f"({kind}) @node")


def _descendants(node: Node, kind: str) -> list[Node]:
    """Nodes of a kind under `node`, in document order (a query: the walk happens in C)."""
    from tree_sitter import QueryCursor

    found = QueryCursor(_query(kind)).captures(node).get("node", [])
    return sorted(found, key=lambda n: n.start_byte)


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""
