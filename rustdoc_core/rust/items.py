"""The Rust item model: what a documentable item is, read from real Rust with
tree-sitter-rust. The miner, the eval, `generate` and the server all read Rust
through this module.

Line numbers are 0-based; byte offsets index the UTF-8 source.
"""

from __future__ import annotations

import copy
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from typing import Any

from tree_sitter import Language, Node, Parser, Point, Tree

from rustdoc_core.rust.comments import decode_string_literal, strip_block_comment
from rustdoc_core.rust.edit_map import EditMap
from rustdoc_core.rust.positions import UTF16, LineIndex

ITEM_KINDS = (
    "fn", "method", "trait_method", "struct", "enum", "union", "trait", "type",
    "const", "static", "macro", "mod", "field", "variant",
)
"""Kinds of documentable items. `method` is a fn in an impl, `trait_method` a fn
declared or defined in a trait; associated consts and types use `const` and `type`
with their container set."""

_ITEM_NODES = {
    "function_item": "fn",
    "function_signature_item": "fn",
    "struct_item": "struct",
    "enum_item": "enum",
    "union_item": "union",
    "trait_item": "trait",
    "type_item": "type",
    "associated_type": "type",
    "const_item": "const",
    "static_item": "static",
    "macro_definition": "macro",
    "mod_item": "mod",
}
_PANIC_MACROS = {"panic", "assert", "assert_eq", "assert_ne", "unreachable", "todo", "unimplemented"}
SMALL_ITEM_LINES = 40
"""A cursor inside the body of an item at most this long still selects the item."""


@lru_cache(maxsize=1)
def rust_language() -> Language:
    import tree_sitter_rust

    return Language(tree_sitter_rust.language())


def new_parser() -> Parser:
    """A fresh parser, for a caller that keeps one (a `RustSource` across its edits)."""
    return Parser(rust_language())


_PARSERS = threading.local()


def parser() -> Parser:
    """The Rust parser every module shares, one per thread (a tree-sitter parser is not
    safe to use from two threads at once)."""
    shared = getattr(_PARSERS, "parser", None)
    if shared is None:
        shared = _PARSERS.parser = new_parser()
    return shared


@dataclass(frozen=True)
class Param:
    """One parameter: its pattern as written, its type, and the names it binds."""

    pattern: str
    type: str | None
    names: tuple[str, ...]
    is_self: bool = False


@dataclass(frozen=True)
class Container:
    """The impl, trait or module an item is declared in."""

    kind: str  # "impl" | "trait" | "mod" | "extern"
    header: str  # e.g. `impl<T> Display for Wrapper<T>`, `pub trait Reader`, `mod io`
    name: str | None = None  # trait or module name
    self_type: str | None = None  # impl's self type
    trait: str | None = None  # impl's trait, None for inherent impls
    is_public: bool = True  # trait or module visibility (impls: True)
    doc_hidden: bool = False  # under `#[doc(hidden)]`: clippy's section lints skip its members


@dataclass(frozen=True)
class PanicSite:
    """A place in a body that can panic: `unwrap`, `expect`, `panic`, `assert`, `index`, ..."""

    kind: str
    text: str
    line: int
    in_const: bool = False  # inside a `const { ... }` block: evaluated at compile time
    allowed: bool = False  # under `#[allow(clippy::missing_panics_doc)]` / `#[expect(...)]` in the body


@dataclass(frozen=True)
class DocFragment:
    """One piece of a doc: a `///` line, a `/** */` block or a `#[doc = ...]` attribute."""

    style: str  # "line" | "block" | "attr"
    text: str
    start_byte: int
    end_byte: int
    start_line: int
    end_line: int


@dataclass(frozen=True)
class DocComment:
    """An item's doc as rustdoc sees it, with where it stands in the source."""

    text: str
    fragments: tuple[DocFragment, ...]

    @property
    def start_line(self) -> int:
        return min(f.start_line for f in self.fragments)

    @property
    def end_line(self) -> int:
        return max(f.end_line for f in self.fragments)

    @property
    def styles(self) -> tuple[str, ...]:
        return tuple(sorted({f.style for f in self.fragments}))


@dataclass(frozen=True)
class RustItem:
    """A documentable Rust item and everything the prompt, checker and editor need of it."""

    kind: str
    name: str
    signature: str
    source: str
    start_byte: int
    end_byte: int
    start_line: int
    end_line: int
    doc_line: int
    """Line where a new doc comment goes: above the item's attributes and doc."""
    head_byte: int
    """Where the item's head starts: its first doc fragment or attribute, or the item."""
    indent: str
    visibility: str | None = None
    params: tuple[Param, ...] = ()
    return_type: str | None = None
    generics: str | None = None
    where_clause: str | None = None
    qualifiers: tuple[str, ...] = ()  # subset of ("const", "async", "unsafe", "extern")
    attributes: tuple[str, ...] = ()  # non-doc attributes as written
    containers: tuple[Container, ...] = ()  # outermost first
    body: str | None = None
    body_start_line: int | None = None
    panic_sites: tuple[PanicSite, ...] = ()
    doc: DocComment | None = None
    doc_hidden: bool = False
    in_test: bool = False
    in_error: bool = False
    macro_exported: bool = False
    field_names: tuple[str, ...] = ()  # fields of a struct/union, variants of an enum

    # --- derived facts -------------------------------------------------------------

    @property
    def container(self) -> Container | None:
        """The innermost impl or trait this item belongs to, if any."""
        for c in reversed(self.containers):
            if c.kind in ("impl", "trait", "extern"):
                return c
            if c.kind == "mod":
                return None
        return None

    @property
    def module_path(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.containers if c.kind == "mod" and c.name)

    @property
    def display_kind(self) -> str:
        return "fn" if self.is_fn else self.kind

    @property
    def label(self) -> str:
        """`fn name`, `struct Name`, ... for messages and code action titles."""
        if self.kind == "macro":
            return f"macro {self.name}!"
        return f"{self.display_kind} {self.name}"

    @property
    def is_fn(self) -> bool:
        return self.kind in ("fn", "method", "trait_method")

    @property
    def is_unsafe(self) -> bool:
        return "unsafe" in self.qualifiers

    @property
    def is_trait_impl_member(self) -> bool:
        """Members of `impl Trait for T` take their docs from the trait."""
        c = self.container
        return c is not None and c.kind == "impl" and c.trait is not None

    @property
    def is_public(self) -> bool:
        """Whether the item is part of the public API as far as this file shows.

        `pub` items (not `pub(crate)`), members of public traits, variants of
        public enums and exported macros. Module privacy is not considered: a
        file alone cannot tell what a `pub use` re-exports.
        """
        if self.kind == "macro":
            return self.macro_exported
        c = self.container
        if c is not None and c.kind == "trait":
            return c.is_public
        return self.visibility == "pub"  # variants and their fields: set from the enum by the parser

    @property
    def returns_result(self) -> bool:
        return returns_result(self.return_type)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(n for p in self.params if not p.is_self for n in p.names)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RustItem":
        data = dict(data)
        data["params"] = tuple(Param(**{**p, "names": tuple(p["names"])}) for p in data.get("params", ()))
        data["containers"] = tuple(Container(**c) for c in data.get("containers", ()))
        data["panic_sites"] = tuple(PanicSite(**p) for p in data.get("panic_sites", ()))
        doc = data.get("doc")
        if doc is not None:
            data["doc"] = DocComment(doc["text"], tuple(DocFragment(**f) for f in doc["fragments"]))
        for name in ("qualifiers", "attributes", "field_names"):
            data[name] = tuple(data.get(name, ()))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def with_doc(self, doc: DocComment | None) -> "RustItem":
        return replace(self, doc=doc)


def returns_result(return_type: str | None) -> bool:
    """`Result<..>`, `io::Result<..>`, `anyhow::Result<T>`, ... (the last path segment is `Result`)."""
    if not return_type:
        return False
    head = return_type.strip().split("<", 1)[0].strip()
    return head.split("::")[-1] == "Result"


_CHAR_LITERAL = re.compile(r"'(?:\\.[^']*|[^\\'])'")


def split_top_level(text: str) -> list[str]:
    """Top-level comma-separated parts of generic arguments, a tuple or a macro's arguments,
    stripped, empty ones dropped: `Vec<u8>, (a, b), "x, y"` -> [`Vec<u8>`, `(a, b)`, `"x, y"`].

    `<` opens a level only right after a name or `::` (`Vec<u8>`, not `a < b` or `a <= b`);
    `>` closes one only when a `<` is open and it is not part of `->` or `=>`. String and
    char literals are skipped whole.
    """
    parts: list[str] = []
    open_brackets: list[str] = []
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            end = i + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            i = end + 1
            continue
        if ch == "'":
            char = _CHAR_LITERAL.match(text, i)
            if char:
                i = char.end()
                continue
        if ch in "([{":
            open_brackets.append(ch)
        elif ch == "<" and i and (text[i - 1].isalnum() or text[i - 1] in "_:") and text[i + 1 : i + 2] != "=":
            open_brackets.append(ch)
        elif open_brackets and (ch in ")]}" or (ch == ">" and open_brackets[-1] == "<" and text[i - 1] not in "-=")):
            open_brackets.pop()
        elif ch == "," and not open_brackets:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def generic_args(type_text: str) -> list[str]:
    """Top-level arguments of a generic type: `Result<Vec<u8>, E>` -> [`Vec<u8>`, `E`]."""
    if "<" not in type_text:
        return []
    inner = type_text.split("<", 1)[1].rsplit(">", 1)[0]
    return [_squash(arg) for arg in split_top_level(inner)]


def result_error_type(return_type: str | None) -> str | None:
    """The error type of `Result<T, E>`, or the module an alias comes from (`io::Result` -> `io::Error`)."""
    if not returns_result(return_type):
        return None
    assert return_type is not None
    args = generic_args(return_type)
    if len(args) > 1:
        return ", ".join(args[1:])
    prefix = return_type.partition("<")[0].strip().rsplit("::", 1)
    return f"{prefix[0]}::Error" if len(prefix) == 2 else None


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", errors="replace") if node is not None and node.text is not None else ""


def _squash(text: str) -> str:
    return " ".join(text.split())


class RustSource:
    """A parsed Rust file: text, tree, line index; edited incrementally.

    An edit can leave the parse for later (`edit(..., parse=False)`): the tree is brought up
    to the text when something reads it (`tree`, and so every item read), or by `parse()`.
    Until then `last_parse` is the source as last parsed and `edits_since_parse` where its
    bytes went, for answers from what that parse knew (`rust.last_parse`).

    The language server edits on its event loop while its worker thread reads (a prompt's
    context): edits, parses and item reads take turns (a lock), and a tree once handed out
    is never edited in place (an edit works on a copy).
    """

    def __init__(self, text: str | bytes, parser: Parser | None = None):
        self.parser = parser or new_parser()
        self.data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        self._tree: Tree = self.parser.parse(self.data)
        self._tree_behind = False  # edited since the tree was parsed
        self._turns = threading.RLock()
        self.lines = LineIndex.of(self.data)
        self._items: list[RustItem] | None = None
        self._near: dict[tuple[Any, ...], RustItem | None] = {}  # items the window reader built, until the next edit
        self.last_parse: RustSource | None = None
        """While edits wait for a parse: this source as it was parsed last (text, tree, lines, items read)."""
        self.edits_since_parse: EditMap | None = None
        """While edits wait for a parse: where the bytes of `last_parse` are now."""

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    @property
    def tree(self) -> Tree:
        """The syntax tree of the text as it is now (parsed here if edits wait for it)."""
        with self._turns:
            if self._tree_behind:
                self.parse()
            return self._tree

    @property
    def parsed(self) -> bool:
        """Whether the tree is up to date with the text (no edit waits for a parse)."""
        return not self._tree_behind

    # --- editing -------------------------------------------------------------------

    def edit(self, start_byte: int, old_end_byte: int, new_text: str, *, parse: bool = True) -> None:
        """Replace bytes [start, old_end) with `new_text` and re-parse incrementally, now or,
        with `parse=False`, when the tree is next needed."""
        with self._turns:
            self._edit(start_byte, old_end_byte, new_text, parse)

    def _edit(self, start_byte: int, old_end_byte: int, new_text: str, parse: bool) -> None:
        if not self._tree_behind:  # the tree as parsed: kept (parse=False) or in a reader's hands
            if not parse:
                self._keep_last_parse()
            self._tree = self._tree.copy()
        new_bytes = new_text.encode("utf-8")
        start_point = self._point(start_byte)
        old_end_point = self._point(old_end_byte)
        data = self.data[:start_byte] + new_bytes + self.data[old_end_byte:]
        new_end_byte = start_byte + len(new_bytes)
        self.data = data
        self.lines = self.lines.edited(data, start_byte, old_end_byte, new_end_byte)
        self._tree.edit(
            start_byte=start_byte,
            old_end_byte=old_end_byte,
            new_end_byte=new_end_byte,
            start_point=start_point,
            old_end_point=old_end_point,
            new_end_point=self._point(new_end_byte),
        )
        self._tree_behind = True
        if self.edits_since_parse is not None:
            self.edits_since_parse.add(start_byte, old_end_byte, new_end_byte)
        self._items = None
        self._near = {}
        if parse:
            self.parse()

    def parse(self) -> None:
        """Bring the tree up to the text (an incremental parse of what the edits changed)."""
        with self._turns:
            if self._tree_behind:
                self._tree = self.parser.parse(self.data, self._tree)
                self._tree_behind = False
            self.last_parse = None
            self.edits_since_parse = None

    def _keep_last_parse(self) -> None:
        # The parsed tree stays with the copy, this source goes on with a copy of the tree (a
        # tree edited but not parsed again reads its old text at shifted offsets: no one reads it).
        last = copy.copy(self)
        last._turns = threading.RLock()
        self.last_parse = last
        self.edits_since_parse = EditMap()

    def edit_lsp(self, start: tuple[int, int], end: tuple[int, int], new_text: str, encoding: str = UTF16) -> None:
        self.edit(
            self.lines.position_to_byte(*start, encoding=encoding),
            self.lines.position_to_byte(*end, encoding=encoding),
            new_text,
        )

    def _point(self, offset: int) -> Point:
        line = self.lines.line_of_byte(offset)
        return Point(line, offset - self.lines.line_starts[line])

    # --- items ---------------------------------------------------------------------

    def items(self) -> list[RustItem]:
        """Every documentable item, in document order (containers before members)."""
        with self._turns:
            if self._items is None:
                self._items = list(_ItemReader(self).read())
            return self._items

    def items_inside(self, containers: tuple[Container, ...], in_test: bool = False, in_error: bool = False) -> list[RustItem]:
        """The items of this text read as a piece of a file inside `containers` (an item
        cut out of its impl, say), the flags given as its walk there would have them."""
        with self._turns:
            return list(_ItemReader(self).read(containers, in_test, in_error))

    def items_overlapping(self, start_byte: int, end_byte: int) -> list[RustItem]:
        """The items whose span (head to end) touches bytes [start, end], in document order.

        Without the full list at hand (right after an edit) only these items are built,
        so a cursor's item costs a walk of the tree, not a read of every item.
        """
        with self._turns:
            if self._items is not None:
                found: Iterator[RustItem] = iter(self._items)
            else:
                found = _WindowReader(self, start_byte, end_byte).read()
            return [i for i in found if i.head_byte <= end_byte and i.end_byte >= start_byte]

    def item_at(self, line: int, character: int, encoding: str = UTF16) -> RustItem | None:
        """The item a cursor is on: its attributes or doc, its signature, or the body of a small item.

        The innermost match wins (a method over its impl's other members).
        """
        offset = self.lines.position_to_byte(line, character, encoding)
        line_end = self.lines.line_starts[line + 1] if line + 1 < self.lines.line_count else len(self.data)
        best: RustItem | None = None
        for item in self.items_overlapping(offset, line_end):  # a head later on the cursor's line counts
            # the indentation before the item counts as on it
            head = item.head_byte if self.shares_line(item) else self._line_start(item.head_byte)
            if not head <= offset <= item.end_byte:
                continue
            in_body = item.body_start_line is not None and line > item.body_start_line
            if in_body and item.kind in ("trait", "mod"):
                continue  # between members of a trait or module: not the container itself
            if in_body and item.end_line - item.start_line > SMALL_ITEM_LINES:
                continue  # deep inside a big body
            if best is None or item.start_byte >= best.start_byte:
                best = item
        return best

    def shares_line(self, item: RustItem) -> bool:
        """Whether code stands before the item's head on its line (`A { x: u8, y: u8 }`,
        `struct A; struct B;`), so that whole `///` lines cannot go above it."""
        return bool(self.data[self._line_start(item.head_byte) : item.head_byte].strip())

    def _line_start(self, offset: int) -> int:
        return self.lines.line_starts[self.lines.line_of_byte(offset)]

    def use_lines(self, limit: int = 12) -> list[str]:
        """The file's top-level `use` declarations (bounded), for prompt context."""
        out = []
        for child in self.tree.root_node.named_children:
            if child.type == "use_declaration":
                out.append(_squash(_text(child)))
                if len(out) >= limit:
                    break
        return out

    def has_errors(self) -> bool:
        return self.tree.root_node.has_error


@dataclass(frozen=True)
class _Descend:
    """A list node for the reader to walk next (a module, trait, impl or extern body), before the
    siblings after its container."""

    body: Node
    containers: tuple[Container, ...]
    in_test: bool
    in_error: bool


class _ItemReader:
    """Walks the tree once and builds RustItems."""

    def __init__(self, source: RustSource):
        self.src = source
        self.data = source.data

    def read(self, containers: tuple[Container, ...] = (), in_test: bool = False, in_error: bool = False) -> Iterator[RustItem]:
        """The items of the text, read as standing inside `containers` (a file: none)."""
        # A stack of list walks, not recursion: modules nest as deep as a file likes (rustc's
        # own parser overflows near 1,000 levels; a reader of untrusted text must not).
        walks = [self._walk_list(self.src.tree.root_node, containers, in_test=in_test, in_error=in_error)]
        while walks:
            step = next(walks[-1], None)
            if step is None:
                walks.pop()
            elif isinstance(step, _Descend):
                walks.append(self._walk_list(step.body, step.containers, step.in_test, step.in_error))
            else:
                yield step

    # Siblings before an item (docs, attributes, plain comments) belong to it.
    def _walk_list(self, parent: Node, containers: tuple[Container, ...], in_test: bool, in_error: bool) -> Iterator[RustItem | _Descend]:
        pending: list[Node] = []
        after_error = False
        for child in parent.children:
            ctype = child.type
            if ctype in ("line_comment", "block_comment", "attribute_item"):
                pending.append(child)
                continue
            if ctype == "ERROR":
                pending = []
                # Items whose text survived inside an ERROR node are skipped; good
                # ones after it are kept.
                after_error = True
                continue
            kind = _ITEM_NODES.get(ctype)
            if kind is None:
                if ctype == "impl_item":
                    yield from self._impl(child, pending, containers, in_test, in_error)
                elif ctype == "foreign_mod_item":
                    body = child.child_by_field_name("body")
                    if body is not None:
                        header = _squash(self._slice(child.start_byte, body.start_byte))
                        c = Container("extern", header)
                        yield _Descend(body, containers + (c,), in_test, in_error)
                pending = []
                after_error = child.has_error
                continue
            # The item right after a syntax error (only comments between) is unreadable too: the
            # error swallows the comments after it, so a doc put before the item would be lost,
            # and written again on every run.
            item = self._item(child, kind, pending, containers, in_test, in_error or child.has_error or after_error)
            after_error = child.has_error
            pending = []
            if item is None:
                continue
            yield item
            if ctype == "trait_item" or ctype == "mod_item":
                body = child.child_by_field_name("body")
                if body is not None:
                    ckind = "trait" if ctype == "trait_item" else "mod"
                    header = _squash(self._slice(child.start_byte, body.start_byte))
                    c = Container(ckind, header, name=item.name, is_public=item.visibility == "pub", doc_hidden=item.doc_hidden)
                    yield _Descend(body, containers + (c,), in_test or item.in_test, in_error or item.in_error)
            elif ctype in ("struct_item", "union_item", "enum_item"):
                yield from self._members(child, item, containers, in_test, in_error)

    def _impl(self, node: Node, pending: list[Node], containers: tuple[Container, ...], in_test: bool, in_error: bool) -> Iterator[_Descend]:
        body = node.child_by_field_name("body")
        if body is None:
            return
        trait = node.child_by_field_name("trait")
        self_type = node.child_by_field_name("type")
        attrs = [_squash(_text(p)) for p in pending if p.type == "attribute_item"]
        test = in_test or any(_is_cfg_test(a) for a in attrs)
        c = Container(
            "impl",
            _squash(self._slice(node.start_byte, body.start_byte)),
            self_type=_squash(_text(self_type)) or None,
            trait=_squash(_text(trait)) or None,
            doc_hidden=any(re.search(r"\bdoc\s*\(\s*hidden\s*\)", a) for a in attrs),
        )
        yield _Descend(body, containers + (c,), test, in_error or node.has_error)

    def _members(self, node: Node, parent: RustItem, containers: tuple[Container, ...], in_test: bool, in_error: bool) -> Iterator[RustItem]:
        body = node.child_by_field_name("body")
        if body is None or body.type not in ("field_declaration_list", "enum_variant_list"):
            return
        pending: list[Node] = []
        member_kind = "variant" if body.type == "enum_variant_list" else "field"
        c = Container("type", f"{parent.display_kind} {parent.name}", name=parent.name, is_public=parent.is_public)
        for child in body.children:
            if child.type in ("line_comment", "block_comment", "attribute_item"):
                pending.append(child)
                continue
            if child.type not in ("field_declaration", "enum_variant"):
                if child.type != ",":
                    pending = []
                continue
            item = self._item(child, member_kind, pending, containers + (c,), in_test or parent.in_test, in_error or child.has_error)
            pending = []
            if item is None:
                continue
            if member_kind == "variant" or parent.kind == "variant":
                # variants, and fields of struct-like variants, are as visible as their enum
                item = replace(item, visibility="pub" if parent.is_public else parent.visibility)
            yield item
            if child.type == "enum_variant":
                # Fields of a struct-like variant are documentable too (`missing_docs` asks for them).
                yield from self._members(child, item, containers + (c,), in_test, in_error)

    def _item(
        self,
        node: Node,
        kind: str,
        pending: list[Node],
        containers: tuple[Container, ...],
        in_test: bool,
        in_error: bool,
    ) -> RustItem | None:
        name = _text(node.child_by_field_name("name"))
        if not name:
            return None
        if kind == "fn" and containers:
            kind = {"impl": "method", "trait": "trait_method"}.get(containers[-1].kind, kind)
        is_fn = kind in ("fn", "method", "trait_method")
        fragments, attrs, head_start = self._prefix(pending)
        visibility, qualifiers = _modifiers(node, kind, containers)
        # a macro's rules, a field's type and a variant's fields are not a body
        body = None if kind in ("macro", "field", "variant") else node.child_by_field_name("body")
        start_line = node.start_point.row
        return RustItem(
            kind=kind,
            name=name,
            signature=self._signature(node, kind, name, body),
            source=_text(node),
            start_byte=node.start_byte,
            end_byte=node.end_byte,
            start_line=start_line,
            end_line=node.end_point.row,
            # a new doc goes above the first attribute or doc fragment, after any plain comment
            doc_line=self.src.lines.line_of_byte(head_start) if head_start is not None else start_line,
            head_byte=head_start if head_start is not None else node.start_byte,
            indent=self._indent(start_line),
            visibility=visibility,
            params=_params(node) if is_fn else (),
            return_type=_squash(_text(node.child_by_field_name("return_type"))) or None,
            generics=_squash(_text(node.child_by_field_name("type_parameters"))) or None,
            where_clause=_squash(_text(next((c for c in node.children if c.type == "where_clause"), None))) or None,
            qualifiers=qualifiers,
            attributes=tuple(attrs),
            containers=containers,
            body=_text(body) if body is not None else None,
            body_start_line=body.start_point.row if body is not None else None,
            panic_sites=tuple(_panic_sites(body)) if body is not None and is_fn else (),
            doc=DocComment(_doc_text(fragments), tuple(fragments)) if fragments else None,
            doc_hidden=any(re.search(r"\bdoc\s*\(\s*hidden\s*\)", a) for a in attrs),
            in_test=in_test or any(_is_cfg_test(a) or _is_test_attr(a) for a in attrs),
            in_error=in_error,
            macro_exported=kind == "macro" and any("macro_export" in a for a in attrs),
            field_names=_field_names(body) if kind in ("struct", "union", "enum") and body is not None else (),
        )

    def _signature(self, node: Node, kind: str, name: str, body: Node | None) -> str:
        """The item's head as written, up to its body or value, whitespace squashed."""
        if kind == "macro":
            return f"macro_rules! {name}"
        end = node.child_by_field_name("value") if kind in ("const", "static") else body
        sig_end = end.start_byte if end is not None else node.end_byte
        return _squash(self._slice(node.start_byte, sig_end)).rstrip("=; {").rstrip()

    def _indent(self, line: int) -> str:
        text = self.src.lines.line_bytes(line).decode("utf-8", errors="replace")
        return text[: len(text) - len(text.lstrip())]

    def _prefix(self, pending: list[Node]) -> tuple[list[DocFragment], list[str], int | None]:
        """Doc fragments and non-doc attributes before an item; where its head starts."""
        fragments: list[DocFragment] = []
        attrs: list[str] = []
        head_start: int | None = None
        for node in pending:
            if node.type in ("line_comment", "block_comment"):
                outer = node.child_by_field_name("outer")
                doc = node.child_by_field_name("doc")
                if outer is None:
                    continue  # plain comments and `//!` inner docs are not the item's doc
                body = _text(doc) if doc is not None else ""
                style = "line" if node.type == "line_comment" else "block"
                fragments.append(self._fragment(node, style, body))
                head_start = node.start_byte if head_start is None else head_start
                continue
            text = _squash(_text(node))
            head_start = node.start_byte if head_start is None else head_start
            docs = _doc_attribute_values(node)
            if docs is None:
                attrs.append(text)
            for value in docs or ():
                fragments.append(self._fragment(node, "attr", value))
        return fragments, attrs, head_start

    def _fragment(self, node: Node, style: str, body: str) -> DocFragment:
        return DocFragment(style, body, node.start_byte, node.end_byte, node.start_point.row, node.end_point.row - (1 if node.end_point.column == 0 else 0))

    def _slice(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", errors="replace")


class _WindowReader(_ItemReader):
    """The same walk, building only the items (and impls) that touch a byte window.

    Containers and flags still come from the walk itself, so what is built equals the
    full read's item; what lies wholly outside the window is passed over unbuilt.
    """

    def __init__(self, source: RustSource, start_byte: int, end_byte: int):
        super().__init__(source)
        self._window = (start_byte, end_byte)

    def _walk_list(self, parent: Node, *rest: Any, **flags: Any) -> Iterator[RustItem | _Descend]:
        return super()._walk_list(_WindowedList(parent, self._window), *rest, **flags)  # type: ignore[arg-type]

    def _outside(self, node: Node, pending: list[Node]) -> bool:
        head = pending[0].start_byte if pending else node.start_byte
        return head > self._window[1] or node.end_byte < self._window[0]

    def _item(self, node: Node, kind: str, pending: list[Node], *rest: Any) -> RustItem | None:
        # None also skips the members of a container outside the window: they lie inside it.
        if self._outside(node, pending):
            return None
        # Two reads near one place between edits (the cursor's item, then what the edit touched) build it once.
        key = (node.start_byte, node.end_byte, kind, tuple(p.start_byte for p in pending), *rest)
        if key not in self.src._near:
            self.src._near[key] = super()._item(node, kind, pending, *rest)
        return self.src._near[key]

    def _impl(self, node: Node, pending: list[Node], *rest: Any) -> Iterator[_Descend]:
        return iter(()) if self._outside(node, pending) else super()._impl(node, pending, *rest)


PREFIX_NODES = ("line_comment", "block_comment", "attribute_item")
"""What stands before an item and belongs to it (the reader's `pending`): docs, plain comments, attributes."""


class _WindowedList:
    """A list node (file, impl or module body) showing only the children that can touch a
    byte window: from the first one reaching it to the last one starting in it, with the
    comments and attributes around them up to the items they belong to. A long impl is
    not walked whole."""

    def __init__(self, node: Node, window: tuple[int, int]):
        self._node = node
        children = node.children
        first = bisect_left(children, window[0], key=lambda c: c.end_byte)
        while first > 0 and children[first - 1].type in PREFIX_NODES:
            first -= 1
        last = bisect_right(children, window[1], key=lambda c: c.start_byte)
        while 0 < last < len(children) and children[last - 1].type in PREFIX_NODES:
            last += 1  # a head in the window: the item it belongs to comes after it
        self.children = children[first:last]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._node, name)


def _modifiers(node: Node, kind: str, containers: tuple[Container, ...]) -> tuple[str | None, tuple[str, ...]]:
    """The item's visibility as written (`pub`, `pub(crate)`, None) and its qualifiers."""
    visibility = None
    qualifiers: list[str] = []
    for child in node.children:
        if child.type == "visibility_modifier":
            visibility = _squash(_text(child))
        elif child.type == "function_modifiers":
            qualifiers.extend("extern" if m.type == "extern_modifier" else m.type for m in child.children)
        elif child.type == "unsafe":
            qualifiers.append("unsafe")
    if containers and containers[-1].kind == "extern" and kind in ("fn", "static"):
        qualifiers.append("unsafe")  # calling into a foreign fn is unsafe
    return visibility, tuple(dict.fromkeys(qualifiers))


def _params(node: Node) -> tuple[Param, ...]:
    """A fn's parameters: `self` forms, patterns with their types, and C variadics."""
    parameters = node.child_by_field_name("parameters")
    params: list[Param] = []
    for p in parameters.named_children if parameters is not None else ():
        if p.type == "self_parameter":
            params.append(Param(_squash(_text(p)), None, ("self",), is_self=True))
        elif p.type == "parameter":
            pattern = p.child_by_field_name("pattern")
            written = p.text[: pattern.end_byte - p.start_byte].decode("utf-8", errors="replace") if pattern is not None else ""
            params.append(Param(_squash(written), _squash(_text(p.child_by_field_name("type"))) or None, tuple(_bound_names(pattern))))
        elif p.type == "variadic_parameter":
            params.append(Param("...", None, ()))
    return tuple(params)


def _field_names(body: Node) -> tuple[str, ...]:
    """Names of a struct's or union's fields, or an enum's variants."""
    return tuple(
        _text(c.child_by_field_name("name"))
        for c in body.named_children
        if c.type in ("field_declaration", "enum_variant") and c.child_by_field_name("name") is not None
    )


def _doc_text(fragments: list[DocFragment]) -> str:
    """Join fragments and unindent them the way rustdoc does.

    Sugared fragments (`///`, `/** */`) lose their common indentation; when they
    are mixed with `#[doc = ...]` attributes, those count one extra space, so
    `/// a` and `#[doc = "b"]` both come out flush left.
    """
    pieces: list[tuple[bool, list[str]]] = []
    for f in fragments:
        if f.style == "line":
            pieces.append((True, [f.text.rstrip("\n").rstrip("\r")]))
        elif f.style == "block":
            pieces.append((True, strip_block_comment(f.text)))
        else:
            pieces.append((False, f.text.split("\n")))
    sugared = [s for s, _ in pieces]
    add = 1 if any(sugared) and not all(sugared) else 0
    indents = [
        len(line) - len(line.lstrip()) + (0 if is_sugared else add)
        for is_sugared, lines in pieces
        for line in lines
        if line.strip()
    ]
    cut = min(indents) if indents else 0
    out: list[str] = []
    for is_sugared, lines in pieces:
        drop = cut if is_sugared else max(0, cut - add)
        out.extend(line[min(drop, len(line) - len(line.lstrip())) :].rstrip() if line.strip() else "" for line in lines)
    return "\n".join(out).strip("\n")


def _doc_attribute_values(node: Node) -> list[str] | None:
    """Values of `#[doc = "..."]` and `#[cfg_attr(..., doc = "...")]`; None if not a doc attribute.

    `#[doc(hidden)]` and other `doc(...)` forms carry no text: they are kept as attributes.
    """
    attribute = next((c for c in node.named_children if c.type == "attribute"), None)
    if attribute is None:
        return None
    path = _text(attribute.named_children[0]) if attribute.named_children else ""
    value = attribute.child_by_field_name("value")
    if path == "doc" and value is not None:
        decoded = decode_string_literal(_text(value))
        return [decoded] if decoded is not None else None
    if path == "cfg_attr":
        args = attribute.child_by_field_name("arguments")
        if args is None:
            return None
        tokens = args.children
        values = []
        for i, tok in enumerate(tokens):
            if (
                tok.type == "identifier"
                and _text(tok) == "doc"
                and i + 2 < len(tokens)
                and tokens[i + 1].type == "="
                and tokens[i + 2].type in ("string_literal", "raw_string_literal")
                and (i == 0 or tokens[i - 1].type == ",")
            ):
                decoded = decode_string_literal(_text(tokens[i + 2]))
                if decoded is not None:
                    values.append(decoded)
        if values and not _cfg_enabled(_cfg_predicate(tokens)):
            return []  # e.g. clap's `#[cfg_attr(not(feature = "x"), doc = " ```ignore")]`: not in the built docs
        return values or None
    return None


def _cfg_predicate(tokens: list[Node]) -> str:
    """Text of a `cfg_attr(PREDICATE, ...)` argument list's predicate."""
    parts = []
    for tok in tokens[1:]:
        if tok.type == ",":
            break
        parts.append(_text(tok))
    return " ".join(parts)


def _cfg_enabled(predicate: str) -> bool:
    """Whether a cfg predicate holds for the docs as published: every `feature = ..`,
    `doc`, `docsrs` and platform cfg on, `test` off; `not`, `all`, `any` evaluated."""
    tokens = re.findall(r'"(?:\\.|[^"\\])*"|[A-Za-z_]\w*|[(),=]', predicate)
    pos = 0

    def parse() -> bool:
        nonlocal pos
        name = tokens[pos]
        pos += 1
        if pos < len(tokens) and tokens[pos] == "(" and name in ("not", "all", "any"):
            pos += 1
            args = []
            while tokens[pos] != ")":
                if tokens[pos] == ",":
                    pos += 1
                    continue
                args.append(parse())
            pos += 1
            if name == "not":
                return not args[0] if args else True
            return all(args) if name == "all" else any(args)
        if pos < len(tokens) and tokens[pos] == "=":
            pos += 2
            return True
        return name != "test"

    try:
        return parse() if tokens else True
    except IndexError:
        return True


def _is_cfg_test(attr: str) -> bool:
    return bool(re.match(r"#\[\s*cfg\s*\(.*\btest\b", attr)) and "not(test)" not in attr.replace(" ", "")


def _is_test_attr(attr: str) -> bool:
    return bool(re.match(r"#\[\s*(tokio::)?test\b|#\[\s*bench\b", attr))


def _bound_names(pattern: Node | None) -> Iterator[str]:
    """Identifiers a parameter pattern binds: `(a, b)` -> a, b; `_` -> nothing; `mut x` -> x."""
    if pattern is None:
        return
    if pattern.type == "identifier":
        name = _text(pattern)
        if name != "_":
            yield name
        return
    if pattern.type in ("field_identifier", "shorthand_field_identifier"):
        yield _text(pattern)
        return
    for child in pattern.named_children:
        if pattern.type in ("struct_pattern", "tuple_struct_pattern") and child == pattern.child_by_field_name("type"):
            continue
        if child.type in ("scoped_identifier", "type_identifier"):
            continue
        if child.type == "field_pattern":
            inner = child.child_by_field_name("pattern")
            if inner is not None:
                yield from _bound_names(inner)
            else:
                yield from _bound_names(child.child_by_field_name("name"))
            continue
        yield from _bound_names(child)


_PANIC_QUERY_SOURCE = """
(macro_invocation macro: (_) @macro) @site.macro
(call_expression function: (field_expression value: (_) @receiver field: (field_identifier) @method)) @site.call
(index_expression) @site.index
"""


@lru_cache(maxsize=1)
def _panic_query() -> Any:
    from tree_sitter import Query

    return Query(rust_language(), _PANIC_QUERY_SOURCE)


_ITEM_MACROS = frozenset({"lazy_static", "thread_local"})
"""Macros whose arguments declare statics: their initializers become items of their own, which
missing_panics_doc does not count as the fn's body (grep-cli's `lazy_static! { static ref RE: Regex
= Regex::new(..).unwrap(); }`)."""
_STRING_OR_COMMENT = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.S)
_PANIC_IN_MACRO_ARGS = re.compile(r"\.\s*(unwrap|expect)\s*\(|(?<![\w:])(panic|assert|assert_eq|assert_ne)\s*!")


def _panic_sites(body: Node) -> Iterator[PanicSite]:
    """Calls that can panic in a fn body, not counting nested fn items: parsed sites in
    document order, then `unwrap`/`expect`/`panic!`/`assert!` inside other macros'
    arguments (`println!("{}", x.unwrap())`), which tree-sitter leaves as unparsed token
    trees but clippy sees expanded; those come without text.

    A tree-sitter query finds the candidates in C; Python only looks at the few matches.
    """
    from tree_sitter import QueryCursor

    found: list[tuple[int, int, PanicSite]] = []
    in_macro_args: list[tuple[int, PanicSite]] = []
    for _, captures in QueryCursor(_panic_query()).matches(body):
        if "site.macro" in captures:
            node = captures["site.macro"][0]
            name = _text(captures["macro"][0]).split("::")[-1]
            if name not in _PANIC_MACROS:
                if name not in _ITEM_MACROS and not _inside_nested_fn(node, body):
                    context = _site_context(node, body)
                    in_macro_args.extend((node.start_byte, replace(site, **context)) for site in _macro_argument_sites(node))
                continue
            kind = "panic" if name in ("panic", "unreachable", "todo", "unimplemented") else "assert"
            site = PanicSite(kind, _squash(_text(node))[:80], node.start_point.row)
        elif "site.call" in captures:
            node = captures["site.call"][0]
            method = _text(captures["method"][0])
            if method not in ("unwrap", "expect"):
                continue
            site = PanicSite(method, _squash(_text(captures["receiver"][0]))[:80], node.start_point.row)
        else:
            node = captures["site.index"][0]
            site = PanicSite("index", _squash(_text(node))[:80], node.start_point.row)
        if _inside_nested_fn(node, body):
            continue
        found.append((node.start_byte, -node.end_byte, replace(site, **_site_context(node, body))))
    found.sort(key=lambda entry: (entry[0], entry[1]))
    in_macro_args.sort(key=lambda entry: entry[0])
    for _, _, site in found:
        yield site
    for _, site in in_macro_args:
        yield site


def _macro_argument_sites(macro: Node) -> Iterator[PanicSite]:
    args = next((c for c in macro.children if c.type == "token_tree"), None)
    if args is None:
        return
    text = _STRING_OR_COMMENT.sub('""', _text(args))
    for match in _PANIC_IN_MACRO_ARGS.finditer(text):
        kind = match.group(1) or ("panic" if match.group(2) == "panic" else "assert")
        yield PanicSite(kind, "", macro.start_point.row)


_ALLOW_PANICS = re.compile(r"#\[\s*(?:allow|expect)\s*\(.*\bmissing_panics_doc\b")


def _site_context(node: Node, body: Node) -> dict[str, bool]:
    """Whether a panic site sits in a `const { ... }` block, or under a statement or expression
    that allows clippy::missing_panics_doc (the attribute items just before an enclosing node)."""
    in_const = allowed = False
    current = node
    while current is not None and current != body:
        if current.type == "const_block":
            in_const = True
        sibling = current.prev_named_sibling
        while sibling is not None and sibling.type == "attribute_item":
            allowed = allowed or bool(_ALLOW_PANICS.match(_text(sibling)))
            sibling = sibling.prev_named_sibling
        current = current.parent
    return {"in_const": in_const, "allowed": allowed}


def _inside_nested_fn(node: Node, body: Node) -> bool:
    parent = node.parent
    while parent is not None and parent != body:
        if parent.type == "function_item":
            return True
        parent = parent.parent
    return False


def parse_items(text: str | bytes) -> list[RustItem]:
    """All documentable items of a Rust source text."""
    return RustSource(text).items()


def parse_item_source(source: str) -> RustItem | None:
    """The first item of a snippet (an item's own source, as stored in a dataset record)."""
    items = parse_items(source)
    return items[0] if items else None
