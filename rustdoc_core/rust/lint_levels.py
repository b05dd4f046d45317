"""Lint levels as rustc and clippy read them, and rustdoc-gen's own settings.

- In the code: `#![allow(...)]` / `#[warn(...)]` / `deny` / `forbid` / `expect` on the crate, a
  module (its `mod x;` line or its file's inner attributes), an impl, a trait, an item, a field.
- In Cargo.toml: `[lints.rust]`, `[lints.clippy]`, `[lints.rustdoc]`, or `[lints] workspace = true`
  taking the workspace root's `[workspace.lints]`. Cargo passes these as command-line flags, so
  any attribute in the code overrides them.
- rustdoc-gen's settings: a `rustdoc-gen.toml`, or `[package.metadata.rustdoc-gen]` /
  `[workspace.metadata.rustdoc-gen]` in Cargo.toml (`tool_settings`); what the keys mean is the
  doc rules' business (`docs/rule_config.py`).

Levels are kept as ordered settings, outermost first: the last one naming a lint, or a group
that holds it, wins, and nothing overrides a `forbid`. A crate index reads the module tree's
levels once per crate (`CrateIndex.lint_base`); a file's own are read from its current parse
(`FileLintScopes`), so an editor buffer's unsaved `#[allow]` counts.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tree_sitter import Node

LEVELS = ("allow", "expect", "warn", "deny", "forbid")
SILENT = ("allow", "expect")
"""Levels under which a lint reports nothing."""
CARGO_TOOLS = {"rust": "", "clippy": "clippy::", "rustdoc": "rustdoc::"}
"""`[lints.TOOL]` tables and the prefix their lint names take in code."""
TOOL_CONFIG_FILE = "rustdoc-gen.toml"
TOOL_METADATA_KEY = "rustdoc-gen"


@dataclass(frozen=True)
class LintSetting:
    """One level given to one lint or lint group (`clippy::pedantic`, `warnings`)."""

    level: str
    name: str


LintSettings = tuple[LintSetting, ...]
"""Settings in the order they apply: outermost (command line, Cargo) first."""


def level_of(settings: Iterable[LintSetting], names: Iterable[str]) -> str | None:
    """The level `settings` give a lint known by any of `names` (itself and its groups); None
    when none of them is set."""
    wanted = set(names)
    level = None
    for setting in settings:
        if setting.name in wanted and level != "forbid":
            level = setting.level
    return level


def normalize_lint_name(name: str) -> str:
    """`clippy :: missing-errors-doc` -> `clippy::missing_errors_doc` (rustc reads dashes as underscores)."""
    return re.sub(r"\s+", "", name).replace("-", "_")


_LINT_ATTRIBUTE = re.compile(r"^#!?\[\s*(allow|warn|deny|forbid|expect)\s*\((.*)\)\s*\]$", re.S)


def attribute_settings(attribute: str) -> LintSettings:
    """The settings one attribute gives, in order: `#[allow(clippy::a, clippy::b, reason = "..")]`
    gives two; any other attribute none (a `cfg_attr(.., allow(..))` depends on the build)."""
    match = _LINT_ATTRIBUTE.match(attribute.strip())
    if match is None:
        return ()
    level, arguments = match.groups()
    names = [part for part in _top_level_parts(arguments) if "=" not in part and part.strip()]
    return tuple(LintSetting(level, normalize_lint_name(name)) for name in names)


def attributes_settings(attributes: Iterable[str]) -> LintSettings:
    return tuple(setting for attribute in attributes for setting in attribute_settings(attribute))


def _top_level_parts(text: str) -> list[str]:
    """Comma-separated parts outside parentheses and string literals."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


# --- in a file ----------------------------------------------------------------------------

_LIST_NODES = frozenset({
    "source_file", "declaration_list", "field_declaration_list", "enum_variant_list",
})
"""Nodes whose children are items, members or fields that attributes attach to."""
_BODY_OWNERS = frozenset({
    "mod_item", "impl_item", "trait_item", "struct_item", "union_item", "enum_item", "enum_variant",
    "foreign_mod_item",
})
"""Nodes whose `body` holds more of them."""


@dataclass(frozen=True)
class FileLintScopes:
    """The lint settings of one file by byte range: its inner attributes over the whole file (or an
    inline module's body), each item's outer attributes over that item."""

    ranges: tuple[tuple[int, int, LintSettings], ...] = ()  # (start, end, settings), parents before children

    @classmethod
    def of(cls, root: Node) -> "FileLintScopes":
        ranges: list[tuple[int, int, LintSettings]] = []
        stack = [root]  # a stack, not recursion: nesting is as deep as the file likes
        while stack:
            node = stack.pop()
            pending: list[LintSetting] = []
            found: list[Node] = []
            for child in node.children:
                if child.type == "inner_attribute_item":
                    settings = attribute_settings(_text(child))
                    if settings:
                        ranges.append((node.start_byte, node.end_byte, settings))
                    continue
                if child.type == "attribute_item":
                    pending.extend(attribute_settings(_text(child)))
                    continue
                if child.type in ("line_comment", "block_comment", ",", "{", "}"):
                    continue
                if pending:
                    ranges.append((child.start_byte, child.end_byte, tuple(pending)))
                    pending = []
                if child.type in _BODY_OWNERS:
                    body = child.child_by_field_name("body")
                    if body is not None and body.type in _LIST_NODES:
                        found.append(body)
            stack.extend(reversed(found))
        ranges.sort(key=lambda r: (r[0], -r[1]))
        return cls(tuple(ranges))

    def at(self, byte: int) -> LintSettings:
        """The settings that hold at a byte (an item's start), outermost first."""
        return tuple(s for start, end, settings in self.ranges if start <= byte < end for s in settings)


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


# --- in Cargo.toml ------------------------------------------------------------------------


def cargo_lint_settings(manifest_data: Mapping[str, Any], workspace_data: Mapping[str, Any] | None = None) -> LintSettings:
    """The settings a package's `[lints]` gives (its workspace's `[workspace.lints]` when it says
    `workspace = true`), in the order Cargo passes them to rustc: by `priority`, then by name
    from Z to A (so a group like `all` comes after the lints of the same priority)."""
    lints = manifest_data.get("lints")
    if not isinstance(lints, Mapping):
        return ()
    if lints.get("workspace") is True:
        workspace = (workspace_data or {}).get("workspace")
        lints = workspace.get("lints") if isinstance(workspace, Mapping) else None
        if not isinstance(lints, Mapping):
            return ()
    entries: list[tuple[int, str, LintSetting]] = []
    for tool, table in lints.items():
        if tool not in CARGO_TOOLS or not isinstance(table, Mapping):
            continue
        for name, spec in table.items():
            level = spec.get("level") if isinstance(spec, Mapping) else spec
            priority = spec.get("priority", 0) if isinstance(spec, Mapping) else 0
            if level not in LEVELS or not isinstance(priority, int):
                continue
            lint = normalize_lint_name(CARGO_TOOLS[tool] + str(name))
            entries.append((priority, normalize_lint_name(str(name)), LintSetting(level, lint)))
    entries.sort(key=lambda e: e[1], reverse=True)
    entries.sort(key=lambda e: e[0])
    return tuple(setting for _, _, setting in entries)


def workspace_root(crate_dir: Path) -> Path | None:
    """The directory of the workspace a package belongs to: `package.workspace` when set, else the
    nearest directory above holding a Cargo.toml with `[workspace]` (the crate's own included)."""
    manifest = _read_toml(crate_dir / "Cargo.toml")
    package = manifest.get("package")
    explicit = package.get("workspace") if isinstance(package, Mapping) else None
    if isinstance(explicit, str):
        return (crate_dir / explicit).resolve()
    here = crate_dir.resolve()
    while True:
        if isinstance(_read_toml(here / "Cargo.toml").get("workspace"), Mapping):
            return here
        if here.parent == here:
            return None
        here = here.parent


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


# --- rustdoc-gen's own settings -----------------------------------------------------------


@dataclass(frozen=True)
class ToolSettings:
    """rustdoc-gen's settings table for a crate, and where it was found (None: nowhere)."""

    table: Mapping[str, Any] = field(default_factory=dict)
    origin: str | None = None
    error: str | None = None  # why the file found could not be read (its table is then empty)


def tool_settings(start: Path) -> ToolSettings:
    """The first rustdoc-gen settings found from directory `start` upward: a `rustdoc-gen.toml`,
    else `[package.metadata.rustdoc-gen]` / `[workspace.metadata.rustdoc-gen]` of the
    directory's Cargo.toml; the search stops at a workspace root or a repository's top. A
    `rustdoc-gen.toml` that is not valid TOML comes back with its `error`.
    """
    here = start.resolve()
    while True:
        config = here / TOOL_CONFIG_FILE
        if config.is_file():
            try:
                return ToolSettings(tomllib.loads(config.read_text(encoding="utf-8")), str(config))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
                return ToolSettings({}, str(config), f"{config}: {err}")
        manifest = _read_toml(here / "Cargo.toml")
        for section in ("package", "workspace"):
            table = manifest.get(section)
            metadata = table.get("metadata") if isinstance(table, Mapping) else None
            found = metadata.get(TOOL_METADATA_KEY) if isinstance(metadata, Mapping) else None
            if isinstance(found, Mapping):
                return ToolSettings(found, f"{here / 'Cargo.toml'} [{section}.metadata.{TOOL_METADATA_KEY}]")
        if "workspace" in manifest or (here / ".git").exists() or here.parent == here:
            return ToolSettings()
        here = here.parent
