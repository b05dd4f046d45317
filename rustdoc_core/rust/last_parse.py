"""Answers from the last parse while edits wait for the next one.

py-tree-sitter's parse holds the GIL, so a re-parse anywhere in the language server holds
up its event loop: after a keystroke the code-action list answers from what the last
parse knew, and the parse waits for a pause in typing. `as_last_parsed(source)` is that
view of a `RustSource` whose edits wait for a parse (the source itself when none do):

- its text and lines are the current ones;
- the items the last parse found keep their place, moved past the edits;
- an item edited in its head (doc, attributes, signature), or a struct, enum, field or
  variant edited anywhere, is read again from its own text, a parse of that item alone
  (a fn of thirty lines: tenths of a millisecond), so its name, doc and span are as
  typed; the containers and flags around it are those the last parse gave it. An edit
  inside a fn's body, or between a module's or trait's items, only moves the item's end.

What an edit changes farther away (a brace that reshapes the code after it, an impl's
header, a new item typed between others) shows once the source is parsed again.
"""

from __future__ import annotations

from dataclasses import replace

from rustdoc_core.rust.edit_map import EditMap, EditRegion
from rustdoc_core.rust.items import DocComment, DocFragment, RustItem, RustSource, parser

MEMBER_KINDS = ("field", "variant")
"""Items that are read again inside a struct or enum of their own (a field of a variant: with
its variant)."""
BODY_KINDS = ("fn", "method", "trait_method", "mod", "trait")
"""Items whose body is code or a list of items: an edit inside it does not read the item again
(its name, doc and head are as they were; what the body says shows after the parse)."""
READ_AGAIN_BYTES = 4_000
"""A longer item an edit touched is not read again, only moved (reading it costs milliseconds)."""


def as_last_parsed(source: RustSource) -> RustSource:
    """`source` as its last parse knew it, moved past the edits since (no parse); `source`
    itself when it is parsed."""
    return source if source.parsed or source.last_parse is None else LastParse(source)


class LastParse(RustSource):
    """A read-only view of an edited source: its current text, the last parse's items."""

    def __init__(self, source: RustSource):
        assert source.last_parse is not None and source.edits_since_parse is not None
        # The attributes RustSource's own readers use (item_at, shares_line): the current text's.
        self.parser = source.parser
        self.data = source.data
        self.lines = source.lines
        self._items: list[RustItem] | None = None
        self._near = {}
        self._tree_behind = False
        self.last_parse = None
        self.edits_since_parse = None
        self.current = source
        self.parsed_source: RustSource = source.last_parse
        self.edits: EditMap = source.edits_since_parse
        self._origins: dict[RustItem, RustItem] = {}

    @property
    def tree(self):  # type: ignore[override]
        """The current tree: parsing it is what this view is for avoiding; whoever asks, gets it."""
        return self.current.tree

    def edit(self, *args, **kwargs) -> None:  # type: ignore[override]
        raise TypeError("a LastParse is read-only: edit the source it views")

    def parse(self) -> None:
        raise TypeError("a LastParse is read-only: parse the source it views")

    # --- items --------------------------------------------------------------------------------

    def items(self) -> list[RustItem]:
        if self._items is None:
            self._items = self._moved(self.parsed_source.items())
        return self._items

    def items_overlapping(self, start_byte: int, end_byte: int) -> list[RustItem]:
        edits, old = self.edits, self.parsed_source.lines
        end = edits.before(end_byte, end=True)
        end = old.line_starts[old.line_of_byte(end) + 1] - 1 if old.line_of_byte(end) + 1 < old.line_count else len(old.data)
        parsed = self.parsed_source.items_overlapping(edits.before(start_byte), end)  # (and the heads later on its line)
        return [i for i in self._moved(parsed) if i.head_byte <= end_byte and i.end_byte >= start_byte]

    def parsed_item(self, item: RustItem) -> RustItem | None:
        """The last parse's own item that `item` (from this view) is, moved or read again."""
        return self._origins.get(item)

    def lines_now(self, first: int, end: int) -> int | None:
        """How many lines down lines [first, end) of the last parse have moved; None where an
        edit since touched them."""
        old = self.parsed_source.lines
        start = old.line_starts[first]
        stop = old.line_starts[end] - 1 if end < old.line_count else len(old.data)
        if self.edits.touched(start, max(start, stop)):
            return None
        return self.lines.line_of_byte(self.edits.start_after(start)) - first

    # --- moving and reading again -----------------------------------------------------------------

    def _moved(self, parsed: list[RustItem]) -> list[RustItem]:
        """`parsed` (in document order) as they are now: moved, or read again where edited."""
        units = self._edited_units(parsed)
        out: list[RustItem] = []
        for item in parsed:
            if any(_inside(item, unit) for unit in units):
                continue  # read again with its unit
            out.append(self._move(item))
        for unit in units:
            out.extend(self._read_again(unit))
        out.sort(key=lambda i: (i.start_byte, -i.end_byte))
        return out

    def _edited_units(self, parsed: list[RustItem]) -> list[RustItem]:
        """The items to read again: per edited place, the innermost items it touches (from the
        start of their head's line), where the edit is in their head (doc, attributes,
        signature) or they have no body of code or items; none longer than READ_AGAIN_BYTES."""
        by_region: dict[EditRegion, list[RustItem]] = {}
        old = self.parsed_source.lines
        for item in parsed:
            if item.end_byte - item.head_byte > READ_AGAIN_BYTES or _in_variant(item):
                continue  # too long to read on a keystroke; a variant's field is read with its variant
            head_line = old.line_starts[old.line_of_byte(item.head_byte)]
            for region in self.edits.touched(head_line, item.end_byte):
                if item.kind in BODY_KINDS and self._in_body(item, region):
                    continue
                by_region.setdefault(region, []).append(item)
        units: list[RustItem] = []
        for touching in by_region.values():
            units += [i for i in touching if not any(o is not i and _inside(o, i) for o in touching)]
        units = list({id(u): u for u in units}.values())
        return [u for u in units if not any(o is not u and _inside(u, o) for o in units)]

    def _in_body(self, item: RustItem, region: EditRegion) -> bool:
        lines = self.parsed_source.lines
        return (
            item.body_start_line is not None
            and lines.line_of_byte(region.old_start) > item.body_start_line
            and region.old_end < item.end_byte
        )

    def _move(self, item: RustItem) -> RustItem:
        """An item as the last parse read it, its places moved past the edits."""
        edits, lines = self.edits, self.lines
        start = edits.start_after(item.start_byte)
        moved = _shifted(item, start - item.start_byte, lines.line_of_byte(start) - item.start_line)
        end = edits.end_after(item.end_byte)
        head = edits.start_after(item.head_byte)
        if (head, end) != (moved.head_byte, moved.end_byte):  # an edit inside the item
            doc = item.doc
            if doc is not None:
                doc = DocComment(doc.text, tuple(self._move_fragment(f) for f in doc.fragments))
            moved = replace(
                moved,
                head_byte=head,
                doc_line=lines.line_of_byte(head) if item.head_byte < item.start_byte else moved.start_line,
                end_byte=end,
                end_line=lines.line_of_byte(end),
                doc=doc,
            )
        self._origins[moved] = item
        return moved

    def _move_fragment(self, fragment: DocFragment) -> DocFragment:
        start, end = self.edits.start_after(fragment.start_byte), self.edits.end_after(fragment.end_byte)
        last = self.lines.line_of_byte(end) - (1 if self.lines.line_starts[self.lines.line_of_byte(end)] == end else 0)
        return replace(fragment, start_byte=start, end_byte=end, start_line=self.lines.line_of_byte(start), end_line=max(last, self.lines.line_of_byte(start)))

    def _read_again(self, unit: RustItem) -> list[RustItem]:
        """The items of `unit`'s current text, parsed alone, in the last parse's containers (a
        field or variant inside a struct or enum of the same name, with nothing else in it)."""
        edits, old = self.edits, self.parsed_source.lines
        regions = edits.touched(old.line_starts[old.line_of_byte(unit.head_byte)], unit.end_byte)
        start = min(edits.start_after(unit.head_byte), *(r.new_start for r in regions))
        stop = max(edits.end_after(unit.end_byte), *(r.new_end for r in regions))
        first_line = self.lines.line_of_byte(start)
        line_start = self.lines.line_starts[first_line]
        text = self.data[line_start:stop]
        if unit.kind in MEMBER_KINDS:
            owner = unit.containers[-1]  # `struct S`, `union U` or `enum E`
            around = f"{'pub ' if owner.is_public else ''}{owner.header.split()[0]} {owner.name} {{\n".encode()
            piece = RustSource(around + text + b"\n}", parser())
            read = [i for i in piece.items_inside(unit.containers[:-1], unit.in_test, unit.in_error) if i.kind in MEMBER_KINDS]
            bytes_down, lines_down = line_start - len(around), first_line - 1
        else:
            read = RustSource(text, parser()).items_inside(unit.containers, unit.in_test, unit.in_error)
            bytes_down, lines_down = line_start, first_line
        found = []
        for item in read:
            item = _shifted(item, bytes_down, lines_down)
            if item.head_byte < start:
                continue  # code before the unit on its first line
            if item.containers == unit.containers and item.label == unit.label:
                self._origins[item] = unit
            found.append(item)
        return found


def _in_variant(item: RustItem) -> bool:
    return item.kind == "field" and bool(item.containers) and item.containers[-1].header.startswith("variant ")


def _inside(item: RustItem, unit: RustItem) -> bool:
    return unit.head_byte <= item.head_byte and item.end_byte <= unit.end_byte


def _shifted(item: RustItem, bytes_down: int, lines_down: int) -> RustItem:
    """`item` with every byte offset and line moved (its text as it was)."""
    if not bytes_down and not lines_down:
        return item
    doc = item.doc
    if doc is not None:
        doc = DocComment(
            doc.text,
            tuple(
                replace(
                    f,
                    start_byte=f.start_byte + bytes_down,
                    end_byte=f.end_byte + bytes_down,
                    start_line=f.start_line + lines_down,
                    end_line=f.end_line + lines_down,
                )
                for f in doc.fragments
            ),
        )
    return replace(
        item,
        start_byte=item.start_byte + bytes_down,
        end_byte=item.end_byte + bytes_down,
        head_byte=item.head_byte + bytes_down,
        start_line=item.start_line + lines_down,
        end_line=item.end_line + lines_down,
        doc_line=item.doc_line + lines_down,
        body_start_line=item.body_start_line + lines_down if item.body_start_line is not None else None,
        panic_sites=tuple(replace(p, line=p.line + lines_down) for p in item.panic_sites),
        doc=doc,
    )
