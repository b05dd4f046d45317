"""Inner docs: the `//!` lines, `/*! */` blocks and `#![doc = "..."]` attributes that document
the crate (at the top of its root file), a module (at the top of its own file) or an inline
`mod x { ... }` (at the top of its body), read into the same `DocComment` an item's outer doc
is, so that the doc rules check them as rustdoc and clippy do.
"""

from __future__ import annotations

from tree_sitter import Node

from rustdoc_core.rust.items import DocComment, DocFragment, RustSource, _doc_attribute_values, _doc_text


def inner_doc(source: RustSource, body: Node | None = None) -> DocComment | None:
    """The inner doc at the top of a file (or of an inline module's `body`); None without one.
    A macro-made `#![doc = include_str!(..)]` has no text here: its file is not read."""
    node = body if body is not None else source.tree.root_node
    fragments: list[DocFragment] = []
    for child in node.children:
        if child.type in ("line_comment", "block_comment"):
            if child.child_by_field_name("inner") is not None:
                doc = child.child_by_field_name("doc")
                text = (doc.text or b"").decode("utf-8", "replace") if doc is not None else ""
                fragments.append(_fragment(child, "line" if child.type == "line_comment" else "block", text))
            continue
        if child.type == "inner_attribute_item":
            for value in _doc_attribute_values(child) or ():
                fragments.append(_fragment(child, "attr", value))
            continue
        if child.type in ("{", "}"):
            continue
        break  # inner docs stand before the first item
    return joined_doc(fragments) if fragments else None


def joined_doc(fragments: list[DocFragment]) -> DocComment:
    """The doc that fragments make together (an inline module's outer doc, then its inner one)."""
    return DocComment(_doc_text(fragments), tuple(fragments))


def _fragment(node: Node, style: str, text: str) -> DocFragment:
    end_row = node.end_point.row - (1 if node.end_point.column == 0 else 0)
    return DocFragment(style, text, node.start_byte, node.end_byte, node.start_point.row, end_row)
