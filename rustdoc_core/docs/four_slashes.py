"""`////` lines: a doc line with one slash too many is a plain comment, and rustdoc leaves it out
of the doc (often leaving a summary cut off mid-sentence). Found where clippy's
four_forward_slashes finds them, and fixed as it suggests: `////` becomes `///`.

clippy 0.1.95 looks at each item of a module or a fn body (not an impl's or a trait's members,
nor fields): from the line above the item upward, over blank lines, comments and attributes,
until a line of code; a line starting with `////` (not `/////`, not `////!`) is one.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from rustdoc_core.rust.items import RustSource

_ITEM_NODES = frozenset({
    "function_item", "struct_item", "enum_item", "union_item", "trait_item", "type_item", "const_item",
    "static_item", "macro_definition", "mod_item", "impl_item", "use_declaration", "extern_crate_declaration",
    "foreign_mod_item",
})
"""Tree-sitter nodes of the items clippy's check_item sees."""
_LABELS = {
    "function_item": "fn", "struct_item": "struct", "enum_item": "enum", "union_item": "union", "trait_item": "trait",
    "type_item": "type", "const_item": "const", "static_item": "static", "macro_definition": "macro",
    "mod_item": "mod", "impl_item": "impl", "use_declaration": "use", "extern_crate_declaration": "extern crate",
    "foreign_mod_item": "extern block",
}


@dataclass(frozen=True)
class FourSlashes:
    """The `////` lines above one item."""

    item_byte: int  # where the item's code starts (after its attributes)
    label: str  # `fn parse`, `impl Foo`, ...
    rows: tuple[int, ...]  # 0-based lines starting with `////`, top first
    line: int  # where clippy reports it (0-based): the first of those lines, the item's doc, or the item
    col: int  # 0-based

    @property
    def message(self) -> str:
        where = ", ".join(str(row + 1) for row in self.rows)
        lines = "line" if len(self.rows) == 1 else "lines"
        return (
            f"`////` makes a plain comment, not a doc line: rustdoc leaves {lines} {where} out of the doc of "
            f"{self.label}"
        )


def is_four_slash_line(line: str) -> bool:
    text = line.strip()
    return text.startswith("////") and text[4:5] not in ("/", "!")


def as_doc_line(line: str) -> str:
    """The line with its `////` made `///` (the rest kept byte for byte)."""
    return line.replace("////", "///", 1)


def four_slash_comments(source: RustSource) -> list[FourSlashes]:
    """Every item with `////` lines above it, in file order."""
    lines = source.text.split("\n")
    out: list[FourSlashes] = []
    stack = [source.tree.root_node]
    while stack:  # a stack, not recursion: nesting is as deep as the file likes
        node = stack.pop()
        found: list[Node] = []
        docs: list[Node] = []
        test = False
        for child in node.named_children:
            if child.type in ("line_comment", "block_comment"):
                if child.child_by_field_name("outer") is not None:
                    docs.append(child)
                continue
            if child.type == "attribute_item":
                text = (child.text or b"").decode("utf-8", "replace").replace(" ", "")
                test = test or ("cfg(test)" in text)
                continue
            if child.type in _ITEM_NODES and not test:
                hit = _above(child, docs, lines)
                if hit is not None:
                    out.append(hit)
                body = child.child_by_field_name("body")
                if body is not None and child.type in ("mod_item", "function_item"):
                    found.append(body)
            docs, test = [], False
        stack.extend(reversed(found))
    return sorted(out, key=lambda f: f.item_byte)


def four_slash_rows(lines: list[str], row: int) -> list[int]:
    """The `////` lines above line `row` (an item's first line of code), bottom first: from the
    line above upward, over blank lines, comments and attributes, until a line of code."""
    rows = []
    for number in range(row - 1, -1, -1):
        text = lines[number].strip() if number < len(lines) else ""
        if text and not text.startswith("//") and not text.startswith("#["):
            break
        if is_four_slash_line(text):
            rows.append(number)
    return rows


def _above(node: Node, docs: list[Node], lines: list[str]) -> FourSlashes | None:
    row = node.start_point.row
    rows = four_slash_rows(lines, row)
    if not rows:
        return None
    starts = [(row, node.start_point.column)] + [(d.start_point.row, d.start_point.column) for d in docs]
    starts += [(r, 0) for r in rows]
    line, col = min(starts)
    name = node.child_by_field_name("name") or node.child_by_field_name("type")
    label = _LABELS[node.type] + (" " + (name.text or b"").decode("utf-8", "replace") if name is not None else "")
    return FourSlashes(node.start_byte, label, tuple(sorted(rows)), line, col)
