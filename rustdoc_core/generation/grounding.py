"""Grounding: the names a doc presents as code must name something real.

A doc presents a name as code in backticks (`` `GlobSet::new` ``), in an intra-doc link
(`[GlobSet]`, `[text](crate::Glob)`) or as a path. Each must be one of:
- the item itself, its parameters, fields, generics, container, or a name in its own code;
- a name of the same crate (`NameIndex`, built once from the files a run sees);
- a name of std/core/alloc (`std_names`), or a path into them;
- a dependency named in Cargo.toml (or the crate itself), as a path head.

`ungrounded_mentions` lists the others; the output guard turns them into findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rustdoc_core.docs.markdown import LINK_DEF, link_definition, parse_markdown
from rustdoc_core.docs.text import code_blocks
from rustdoc_core.generation.prompt import PromptContext
from rustdoc_core.rust.items import RustItem, RustSource
from rustdoc_core.rust.std_names import STD_ITEMS, STD_METHODS, STD_MODULES, STD_ROOTS, is_std_name

if TYPE_CHECKING:
    from rustdoc_core.rust.manifest import CargoManifest

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BACKTICK_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_FULL_REFERENCE = re.compile(r"\]\[([^\]\s]+)\]")
_PLACEHOLDER = re.compile(r"^(?:[A-Z][A-Z0-9_]+|[a-z]{1,3}\d?)$")
"""An ALL-CAPS placeholder or variable (`FILE`, `RUST_LOG`) or a short literal (`h`, `no`): not a name."""
_GENERIC_PARAM = re.compile(r"^[A-Z]$")
_LINK_TARGET = re.compile(r"\]\(([^()\s]+)\)")
_SHORTCUT_LINK = re.compile(r"(?<![\]\\])\[([A-Za-z_][\w:]*(?:\(\))?!?)\](?![(\[:])")
_NAME_SPAN = re.compile(r"^(?:&(?:mut\s+)?|\*)?((?:::)?[A-Za-z_]\w*(?:::[A-Za-z_]\w*)*)(?:<[^<>]*(?:<[^<>]*>[^<>]*)*>)?(?:\(\)|\(\.\.\)|!|\?)?$")
_PATH = re.compile(r"(?<![\w.])((?:[A-Za-z_]\w*::)+[A-Za-z_]\w*)")
_TYPE_LIKE = re.compile(r"(?<![\w.:'\"])([A-Z][A-Za-z0-9_]*)\b")
_FILE_NAME = re.compile(r"^[\w.-]*\.[A-Za-z]\w*$")
_LET_BINDING = re.compile(r"\blet\s+(?:mut\s+)?([a-z_]\w*)")
_PATH_HEADS = frozenset({"crate", "self", "super", "Self"})


@dataclass(frozen=True)
class NameIndex:
    """The names one crate defines (items, fields, variants, methods, modules) and the crates
    it can name (itself and its dependencies): built once per run from the files it sees."""

    names: frozenset[str] = frozenset()
    crates: frozenset[str] = frozenset()

    @classmethod
    def from_items(cls, items: Iterable[RustItem], *, uses: Iterable[str] = (), crates: Iterable[str] = ()) -> "NameIndex":
        names: set[str] = set()
        for item in items:
            names.add(item.name)
            names.update(item.field_names)
            names.update(c.name for c in item.containers if c.name)
            names.update(_type_names(c.self_type) for c in item.containers if c.self_type)
        for line in uses:
            names.update(IDENT.findall(line.removeprefix("pub ").removeprefix("use ")))
        names.discard("")
        return cls(frozenset(names), frozenset(c.replace("-", "_") for c in crates if c))

    @classmethod
    def from_sources(cls, sources: Iterable[RustSource], manifest_dir: Path | None = None) -> "NameIndex":
        """The index of a crate from its parsed files; crate and dependency names from the
        Cargo.toml nearest `manifest_dir`, if there is one."""
        from rustdoc_core.rust.manifest import nearest_manifest

        items: list[RustItem] = []
        uses: list[str] = []
        for source in sources:
            items.extend(source.items())
            uses.extend(source.use_lines(10**6))
        index = cls.from_items(items, uses=uses)
        manifest = nearest_manifest(manifest_dir, package_only=True) if manifest_dir is not None else None
        return index | cls.of_manifest(manifest) if manifest is not None else index

    @classmethod
    def of_manifest(cls, manifest: "CargoManifest") -> "NameIndex":
        """What a Cargo.toml names: the crate itself, its dependencies, its features."""
        crates = {*manifest.dependencies, *([manifest.crate_name] if manifest.crate_name else [])}
        table = manifest.data.get("features")
        features = frozenset(str(k) for k in table) if isinstance(table, dict) else frozenset()
        return cls(features, frozenset(c.replace("-", "_") for c in crates if c))

    def __or__(self, other: "NameIndex") -> "NameIndex":
        return NameIndex(self.names | other.names, self.crates | other.crates)


def _type_names(text: str) -> str:
    match = IDENT.search(text)
    return match.group(0) if match else ""


@dataclass(frozen=True)
class Mention:
    """A name the doc presents as code, where it stands (0-based line and column of the doc)."""

    line: int
    col: int
    text: str  # the span as written (without backticks / brackets)
    name: str  # the part that is not grounded


@dataclass
class _Known:
    local: set[str] = field(default_factory=set)
    index: NameIndex = field(default_factory=NameIndex)

    def name(self, name: str) -> bool:
        if _PLACEHOLDER.match(name):
            return True
        return name in self.local or name in self.index.names or is_std_name(name) or name in self.index.crates

    def path(self, segments: list[str]) -> str | None:
        """The first segment of a path that names nothing real, or None."""
        head, rest = segments[0], segments[1:]
        if head in STD_ROOTS:
            if rest and rest[0] not in STD_MODULES and rest[0] not in STD_ITEMS and rest[0] not in STD_METHODS:
                return rest[0]
            return None  # deeper std paths are std's business
        if head in self.index.crates and head not in self.local and head not in self.index.names:
            return None  # a dependency: its own names are not ours to know
        if head in _PATH_HEADS:
            return next((s for s in rest if not self.name(s)), None)
        if not self.name(head):
            return head
        if head in STD_ITEMS or head in STD_MODULES:
            return None  # `String::from`, `fmt::Display`
        return next((s for s in rest if not self.name(s)), None)


def local_names(item: RustItem, extra_code: Iterable[str] = ()) -> set[str]:
    """Names real for `item` whatever the crate: its own, its parameters, fields, container,
    and every identifier in its code (signature, body, attributes) or in `extra_code`."""
    names = {item.name, *item.field_names, *item.param_names}
    parts = item.name.split("_")
    names.update("_".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1))  # `is_required_set` -> `required`
    names.update(c.name for c in item.containers if c.name)
    for text in (item.source, item.signature, *item.attributes, *(c.header for c in item.containers), *extra_code):
        names.update(IDENT.findall(text or ""))
    return names


def context_code(context: PromptContext | None) -> tuple[str, ...]:
    """The code around an item that its prompt shows (container header, sibling signatures, `use`
    lines): names in it are real too."""
    if context is None:
        return ()
    return tuple(filter(None, (context.container_header, *context.sibling_signatures, *context.use_lines)))


def code_mentions(doc: str) -> list[Mention]:
    """Spans the doc presents as code, outside code blocks: backticks and intra-doc link targets
    (a shortcut link `[label]` with a reference definition is checked at its definition)."""
    out: list[Mention] = []
    md = parse_markdown(doc)
    defined = {label.strip("`") for label in md.link_definitions}
    definitions = {b.start for b in md.blocks if b.kind == LINK_DEF}
    for number, line in md.prose_lines():
        for match in _BACKTICK_SPAN.finditer(line):
            out.append(Mention(number, match.start(1), match.group(1).strip(), ""))
        for match in _LINK_TARGET.finditer(line):
            target = match.group(1)
            if "://" not in target and not target.startswith(("#", "/", ".", "mailto:")):
                out.append(Mention(number, match.start(1), target.strip("`<>"), ""))
        definition = link_definition(line, number) if number in definitions else None
        if definition is not None:
            target = definition.target
            if "://" not in target and not target.startswith(("#", "/", ".", "mailto:")):
                out.append(Mention(number, definition.col, target.strip("`<>"), ""))
            continue
        for match in _SHORTCUT_LINK.finditer(line):
            if match.group(1).lower() not in defined:
                out.append(Mention(number, match.start(1), match.group(1), ""))
        for match in _FULL_REFERENCE.finditer(line):
            out.append(Mention(number, match.start(1), match.group(1).strip("`"), ""))
    return out


def ungrounded_mentions(item: RustItem, doc: str, index: NameIndex | None = None, *, context_code: Iterable[str] = ()) -> list[Mention]:
    """The names `doc` presents as code that name nothing real for `item` (see the module doc)."""
    example_bindings = {name for block in code_blocks(doc) if block.is_rust for name in _LET_BINDING.findall(block.body)}
    known = _Known(local_names(item, context_code) | example_bindings, index or NameIndex())
    out: list[Mention] = []
    for mention in code_mentions(doc):
        bad = _unknown_in_span(mention.text, known)
        if bad is not None:
            out.append(Mention(mention.line, mention.col, mention.text, bad))
    return out


def _unknown_in_span(span: str, known: _Known) -> str | None:
    span = span.strip()
    whole = _NAME_SPAN.match(span)
    if whole:
        segments = [s for s in whole.group(1).split("::") if s]
        bad = known.path(segments) if len(segments) > 1 else (None if known.name(segments[0]) else segments[0])
        if bad is not None:
            return bad
        generics = span[whole.end(1) :]  # `Vec<T>`: a one-letter argument is a generic placeholder
        return next((n for n in _TYPE_LIKE.findall(generics) if not known.name(n) and not _GENERIC_PARAM.match(n)), None)
    if _FILE_NAME.match(span) or span[:1].isdigit() or span[:1] in "\"'":
        return None  # a file name or a literal
    for path in _PATH.findall(span):
        bad = known.path(path.split("::"))
        if bad is not None:
            return bad
    stripped = _PATH.sub(" ", re.sub(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)'", " ", span))
    return next((n for n in _TYPE_LIKE.findall(stripped) if not known.name(n) and not _GENERIC_PARAM.match(n)), None)
