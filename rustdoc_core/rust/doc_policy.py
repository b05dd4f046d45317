"""Which items want a doc, and which have one: the one answer `generate`, `check`, the
editor's actions and diagnostics, the demo and the miner share.

An item wants a doc when it is documentation at all (not test code, not `#[doc(hidden)]`,
not a trait-impl member, which takes the trait's doc, not code the parser could not read)
and is public, or private items were asked for. It has one when it carries a doc comment
or doc attribute (`///`, `/** */`, `#[doc = "..."]`), a doc attribute whose value a macro
makes (`#[doc = include_str!("../README.md")]`, `#[doc = concat!(...)]`), or, for
`mod x;`, when `x.rs` opens with a `//!` doc.
"""

from __future__ import annotations

import re
from pathlib import Path

from rustdoc_core.rust.items import RustItem, RustSource

_MACRO_DOC = re.compile(r"^#\[\s*(?:cfg_attr\s*\(.*,\s*)?doc\s*=\s*(?:::)?[A-Za-z_][\w:]*\s*!", re.S)
"""`#[doc = include_str!(...)]`, `#[doc = concat!(...)]`, `#[cfg_attr(x, doc = include_str!(...))]`."""


def needs_doc(item: RustItem, include_private: bool = False) -> bool:
    """Whether `item` should get a doc (ignoring whether it has one already): the policy `generate`,
    the server and the checker share.

    Trait-impl members take the trait's doc, test code and `#[doc(hidden)]` items
    are not documentation, and items the parser could not read are left alone.
    """
    if item.in_test or item.doc_hidden or item.is_trait_impl_member or item.in_error:
        return False
    return include_private or item.is_public


def has_macro_doc(item: RustItem) -> bool:
    """Whether a doc attribute of `item` takes its text from a macro (`include_str!`, `concat!`):
    a doc rustdoc shows, though its text is not in the source."""
    return any(_MACRO_DOC.match(attribute) for attribute in item.attributes)


def has_doc(item: RustItem, path: Path | None = None) -> bool:
    """Whether `item` is documented: a doc comment or attribute, a macro-made doc, or (a `mod x;`
    in file `path`) a `//!` doc at the top of its own file."""
    if item.doc is not None or has_macro_doc(item):
        return True
    return path is not None and module_file_documented(path, item)


def wants_doc(item: RustItem, *, include_private: bool = False, path: Path | None = None) -> bool:
    """Whether `item` (of file `path`, when known) should get a doc and has none."""
    return needs_doc(item, include_private) and not has_doc(item, path)


def has_inner_doc(source: RustSource) -> bool:
    """Whether the file carries an inner doc (`//!`, `/*! */`, `#![doc = ...]`) at its top level."""
    for node in source.tree.root_node.children:
        if node.type in ("line_comment", "block_comment") and node.child_by_field_name("inner") is not None:
            return True
        if node.type == "inner_attribute_item":
            text = (node.text or b"").decode("utf-8", errors="replace")
            if re.match(r"#!\[\s*doc\s*=", text) or re.match(r"#!\[\s*cfg_attr\s*\(.*,\s*doc\s*=", text, re.S):
                return True
    return False


def module_file_documented(path: Path, item: RustItem) -> bool:
    """`mod x;` whose file (`x.rs` or `x/mod.rs`) opens with a `//!` doc is documented there."""
    if item.kind != "mod" or item.body is not None:
        return False
    explicit = next((m.group(1) for a in item.attributes if (m := re.match(r'#\[\s*path\s*=\s*"([^"]+)"', a))), None)
    base = path.parent if path.name in ("lib.rs", "main.rs", "mod.rs") else path.parent / path.stem
    for module in item.module_path:
        base = base / module
    candidates = [path.parent / explicit] if explicit else [base / f"{item.name}.rs", base / item.name / "mod.rs"]
    for candidate in candidates:
        if candidate.is_file():
            try:
                return has_inner_doc(RustSource(candidate.read_bytes()))
            except OSError:
                return False
    return False
