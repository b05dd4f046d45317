"""What a crate exports: its module tree (`mod x;` files, inline `mod x { }`) and `pub use`
re-exports, so a `pub fn` of a private module that nothing re-exports is known not to be
public API. clippy's section lints check exactly that reachability (effective visibility).

Only library crates export anything; a crate without `src/lib.rs` exports nothing here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tree_sitter import Node

from rustdoc_core.rust.items import RustItem, RustSource
from rustdoc_core.rust.lint_levels import (
    FileLintScopes,
    LintSettings,
    ToolSettings,
    cargo_lint_settings,
    tool_settings,
    workspace_root,
)
from rustdoc_core.rust.manifest import nearest_manifest
from rustdoc_core.rust.result_aliases import ResultAlias, collect_result_aliases

ModPath = tuple[str, ...]


def _resolved(path: Path) -> Path:
    """`path.resolve()`, once per absolute path: a crate's files are asked about again and again
    (each item of each file, each code action), and resolving walks the file system. A relative
    path depends on the working directory, so it is resolved each time."""
    return _resolved_absolute(path) if path.is_absolute() else path.resolve()


@lru_cache(maxsize=8192)
def _resolved_absolute(path: Path) -> Path:
    return path.resolve()


@dataclass
class _Module:
    path: ModPath
    is_pub: bool
    items: dict[str, bool] = field(default_factory=dict)  # name -> `pub`
    uses: list[tuple[ModPath, str]] = field(default_factory=list)  # (`pub use` path, bound name or `*`)


@dataclass
class CrateIndex:
    """Modules of one library crate, which are reachable from its root, and which files hold them."""

    root: Path  # the crate directory (holds Cargo.toml)
    files: dict[Path, ModPath] = field(default_factory=dict)  # resolved file -> its module
    modules: dict[ModPath, _Module] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # every item, member and module name in the crate
    members: dict[str, set[str]] = field(default_factory=dict)  # type or trait name -> its methods, fields, variants, ...
    file_uses: dict[Path, set[str]] = field(default_factory=dict)  # names each file's `use`s bring in ("*": a glob)
    dependencies: set[str] = field(default_factory=set)
    result_aliases: dict[str, ResultAlias] = field(default_factory=dict)  # `type Fallible<T> = Result<T, E>`, by name
    documented_types: list[RustItem] = field(default_factory=list)  # structs and enums with a doc (what an error type is)
    cargo_lints: LintSettings = ()  # `[lints]` of Cargo.toml (the workspace's, if inherited)
    lint_base: dict[Path, LintSettings] = field(default_factory=dict)  # resolved file -> levels its module gets from outside it
    tool: ToolSettings = field(default_factory=ToolSettings)  # rustdoc-gen's settings for the crate
    _exported_modules: set[ModPath] = field(default_factory=set)
    _exported_items: set[ModPath] = field(default_factory=set)  # full paths of re-exported items

    @classmethod
    def build(cls, crate_dir: Path) -> "CrateIndex":
        from rustdoc_core.rust.manifest import read_manifest

        index = cls(crate_dir.resolve())
        manifest = read_manifest(crate_dir / "Cargo.toml")
        index.dependencies = manifest.dependencies
        workspace = workspace_root(crate_dir)
        index.cargo_lints = cargo_lint_settings(
            manifest.data, read_manifest(workspace / "Cargo.toml").data if workspace is not None else None
        )
        index.tool = tool_settings(crate_dir)
        lib = crate_dir / "src" / "lib.rs"
        if lib.is_file():
            index._read_file(lib, (), is_mod_rs=True, lint_base=())
            index._resolve()
        main = crate_dir / "src" / "main.rs"
        if main.is_file():
            index._read_binary_lint_levels(main)
        return index

    def module_of(self, path: Path) -> ModPath | None:
        return self.files.get(_resolved(path))

    def exported(self, path: Path, item: RustItem) -> bool | None:
        """Whether `item` of file `path` is reachable public API; None if the file is not in the
        crate's module tree (a test, an example, a build script, a binary)."""
        module = self.module_of(path)
        if module is None:
            return None
        if not item.is_public:
            return False
        mods = module + item.module_path
        trait = item.container.name if item.container is not None and item.container.kind == "trait" else None
        if trait is not None:
            return self._item_exported(mods, trait)
        if item.container is not None and item.container.kind == "impl":
            # An inherent impl's members are as reachable as its self type.
            self_type = re.sub(r"<.*", "", item.container.self_type or "").split("::")[-1].strip()
            if not self_type:
                return mods in self._exported_modules
            # The impl may sit in another module than the type (`impl super::S` in a private one).
            homes = [m for m, module in self.modules.items() if self_type in module.items] or [mods]
            return any(self._item_exported(m, self_type) for m in homes)
        return self._item_exported(mods, item.name)

    def module_exported(self, path: Path) -> bool | None:
        """Whether the module file `path` holds is reachable public API (the crate root is); None
        when the file is not in the crate's module tree."""
        module = self.module_of(path)
        return None if module is None else module in self._exported_modules

    def resolves(self, path: Path, link: str) -> bool | None:
        """Whether an intra-doc link path in file `path` names something that exists: an item of
        the crate, a name the file imports, std, a dependency, the prelude or a primitive. None
        when the file is not part of the crate's module tree (nothing to resolve against)."""
        uses = self.file_uses.get(_resolved(path))
        if uses is None:
            return None
        segments = [s for s in link.split("::") if s]
        if not segments:
            return True
        first = segments[0]
        if first in ("std", "core", "alloc") or first in self.dependencies:
            return True
        if first in ("crate", "self", "super", "Self"):
            return all(s in self.names or s in ("self", "super") for s in segments[1:])
        if first in self.names:
            # `Type::member` needs that member on that type (or trait); deeper paths, each name somewhere.
            for owner, member in zip(segments, segments[1:]):
                if owner in self.members and member not in self.members[owner]:
                    return False
            return all(s in self.names for s in segments[1:])
        return first in uses or "*" in uses or first in _PRELUDE

    def _item_exported(self, module: ModPath, name: str) -> bool:
        return module in self._exported_modules or module + (name,) in self._exported_items

    # --- reading --------------------------------------------------------------------

    def _read_file(self, path: Path, module: ModPath, is_mod_rs: bool, lint_base: LintSettings) -> None:
        resolved = path.resolve()
        if resolved in self.files:
            return
        self.files[resolved] = module
        self.lint_base[resolved] = lint_base
        try:
            source = RustSource(path.read_bytes())
        except OSError:
            return
        self.modules.setdefault(module, _Module(module, is_pub=module == ()))
        from rustdoc_core.rust.macros import macro_items

        for item in source.items() + macro_items(source):
            self.names.add(item.name)
            owner = _owner_name(item)
            if owner:
                self.members.setdefault(owner, set()).add(item.name)
            if item.kind in ("struct", "enum") and item.doc is not None:
                self.documented_types.append(item)
        self.names.update(module)
        self.result_aliases.update(collect_result_aliases([source]))
        self.file_uses[resolved] = _file_uses(source.tree.root_node)
        directory = path.parent if is_mod_rs else path.parent / path.stem
        scopes = FileLintScopes.of(source.tree.root_node)
        self._read_list(source.tree.root_node, module, directory, lambda at: lint_base + scopes.at(at))

    def _read_binary_lint_levels(self, main: Path) -> None:
        """The lint levels of a binary's module files (its exports are not read: it has none)."""
        pending = [(main, True, ())]
        while pending:
            path, is_mod_rs, base = pending.pop()
            resolved = path.resolve()
            if resolved in self.lint_base:
                continue
            self.lint_base[resolved] = base
            try:
                root = RustSource(path.read_bytes()).tree.root_node
            except OSError:
                continue
            scopes = FileLintScopes.of(root)
            directory = path.parent if is_mod_rs else path.parent / path.stem
            lists = [(root, directory)]
            while lists:
                node, folder = lists.pop()
                for child in node.named_children:
                    if child.type != "mod_item" or child.child_by_field_name("name") is None:
                        continue
                    name = _text(child.child_by_field_name("name"))
                    body = child.child_by_field_name("body")
                    if body is not None:
                        lists.append((body, folder / name))
                        continue
                    for candidate, mod_rs in ((folder / f"{name}.rs", False), (folder / name / "mod.rs", True)):
                        if candidate.is_file():
                            pending.append((candidate, mod_rs, base + scopes.at(child.start_byte)))
                            break

    def _read_list(self, node: Node, module: ModPath, directory: Path, levels_at: Callable[[int], LintSettings]) -> None:
        here = self.modules.setdefault(module, _Module(module, is_pub=module == ()))
        attrs: list[str] = []
        for child in node.named_children:
            if child.type == "attribute_item":
                attrs.append(_text(child))
                continue
            is_test = any("cfg" in a and "test" in a and "not(test)" not in a.replace(" ", "") for a in attrs)
            attrs = []
            if child.type in ("line_comment", "block_comment"):
                continue
            vis = next((c for c in child.children if c.type == "visibility_modifier"), None)
            is_pub = vis is not None and _text(vis) == "pub"
            if child.type == "use_declaration":
                if is_pub:
                    argument = child.child_by_field_name("argument")
                    if argument is not None:
                        here.uses.extend(_use_paths(argument, ()))
                continue
            name_node = child.child_by_field_name("name")
            if name_node is None:
                continue
            name = _text(name_node)
            here.items[name] = is_pub
            if child.type != "mod_item" or is_test:
                continue
            sub = module + (name,)
            self.modules.setdefault(sub, _Module(sub, is_pub))
            self.modules[sub].is_pub = is_pub
            body = child.child_by_field_name("body")
            if body is not None:
                self._read_list(body, sub, directory / name, levels_at)
            else:
                for candidate, mod_rs in ((directory / f"{name}.rs", False), (directory / name / "mod.rs", True)):
                    if candidate.is_file():
                        self._read_file(candidate, sub, mod_rs, levels_at(child.start_byte))
                        break

    # --- reachability ----------------------------------------------------------------

    def _resolve(self) -> None:
        exported: set[ModPath] = {()}
        items: set[ModPath] = set()
        changed = True
        while changed:
            changed = False
            for path, module in self.modules.items():
                if path and path not in exported and module.is_pub and path[:-1] in exported:
                    exported.add(path)
                    changed = True
            for path in list(exported):
                for target, bound in self.modules[path].uses:
                    for full in self._targets(path, target):
                        if bound == "*":
                            if full in self.modules and full not in exported:
                                # A glob re-exports the module's pub items, not the module itself.
                                for name, is_pub in self.modules[full].items.items():
                                    if is_pub and full + (name,) not in items:
                                        items.add(full + (name,))
                                        changed = True
                                    if is_pub and full + (name,) in self.modules and full + (name,) not in exported:
                                        exported.add(full + (name,))
                                        changed = True
                        elif full in self.modules:
                            if full not in exported:
                                exported.add(full)
                                changed = True
                        elif full not in items:
                            items.add(full)
                            changed = True
            # An item re-exported from a private module may itself be that module's own re-export
            # (clap: `pub use crate::parser::ArgMatches` -> `pub use self::matches::{ArgMatches, ..}`
            # -> `pub use arg_matches::{ArgMatches, ..}`): follow the chain to where it is defined.
            for full in list(items):
                owner = self.modules.get(full[:-1])
                if owner is None:
                    continue
                for target, bound in owner.uses:
                    if bound not in (full[-1], "*"):
                        continue
                    for origin in self._targets(full[:-1], target if bound != "*" else target + (full[-1],)):
                        if origin in self.modules:
                            if origin not in exported:
                                exported.add(origin)
                                changed = True
                        elif origin != full and origin not in items:
                            items.add(origin)
                            changed = True
        self._exported_modules = exported
        self._exported_items = items

    def _targets(self, here: ModPath, target: ModPath) -> list[ModPath]:
        """Absolute candidates for a `use` path written in module `here`."""
        if not target:
            return []
        head, rest = target[0], target[1:]
        if head == "crate":
            return [rest]
        if head == "self":
            return [here + rest]
        if head == "super":
            base = here
            while target and target[0] == "super":
                base, target = base[:-1], target[1:]
            return [base + target]
        return [here + target, target]  # 2018 relative path, or a 2015 crate-absolute one


_PRELUDE = frozenset("""
Option Some None Result Ok Err Vec String Box ToString ToOwned Clone Copy Send Sync Sized Unpin Drop Fn FnMut FnOnce
Iterator IntoIterator DoubleEndedIterator ExactSizeIterator Extend FromIterator Default Eq PartialEq Ord PartialOrd
AsRef AsMut Into From TryFrom TryInto Debug Hash
bool char str u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64 slice array tuple unit pointer reference never
println print eprintln eprint format vec assert assert_eq assert_ne debug_assert panic write writeln matches todo
unreachable unimplemented include_str include_bytes concat env cfg dbg format_args
""".split())
"""Names an intra-doc link resolves in any module: the std prelude, primitives and std's macros."""


def _owner_name(item: RustItem) -> str | None:
    """The type or trait an item is a member of: `Foo` for `impl<T> Foo<T> { fn x }`, `enum Foo`'s variants."""
    for c in reversed(item.containers):
        if c.kind == "impl" and c.self_type:
            return re.sub(r"<.*", "", c.self_type).split("::")[-1].strip()
        if c.kind in ("trait", "type") and c.name:
            return c.name
        if c.kind == "mod":
            return None
    return None


def _file_uses(root: Node) -> set[str]:
    """Names any `use` of a file binds (`*` for a glob import)."""
    out: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "use_declaration":
            argument = node.child_by_field_name("argument")
            if argument is not None:
                out.update(name for _, name in _use_paths(argument, ()))
            continue
        if node.type == "extern_crate_declaration":
            name = node.child_by_field_name("alias") or node.child_by_field_name("name")
            if name is not None:
                out.add(_text(name))
            continue
        stack.extend(node.named_children)
    return out


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def _use_paths(node: Node, prefix: ModPath) -> list[tuple[ModPath, str]]:
    """(path, name) of each leaf of a use tree; `*` for globs."""
    kind = node.type
    if kind in ("identifier", "self", "crate", "super"):
        path = prefix + (_text(node),)
        return [(path, path[-1])]
    if kind == "scoped_identifier":
        return [(prefix + tuple(_text(node).replace(" ", "").split("::")), _text(node).split("::")[-1].strip())]
    if kind == "use_as_clause":
        path_node = node.child_by_field_name("path")
        alias = node.child_by_field_name("alias")
        found = _use_paths(path_node, prefix) if path_node is not None else []
        return [(p, _text(alias) if alias is not None else n) for p, n in found]
    if kind == "use_wildcard":
        inner = node.named_children[0] if node.named_children else None
        base = prefix + (tuple(_text(inner).replace(" ", "").split("::")) if inner is not None else ())
        return [(base, "*")]
    if kind == "scoped_use_list":
        path_node = node.child_by_field_name("path")
        list_node = node.child_by_field_name("list")
        base = prefix + (tuple(_text(path_node).replace(" ", "").split("::")) if path_node is not None else ())
        return _use_paths(list_node, base) if list_node is not None else []
    if kind == "use_list":
        out: list[tuple[ModPath, str]] = []
        for child in node.named_children:
            if child.type == "self":
                out.append((prefix, prefix[-1] if prefix else "self"))
            else:
                out.extend(_use_paths(child, prefix))
        return out
    return []


class CrateIndexes:
    """One `CrateIndex` per crate directory, built on first use."""

    def __init__(self) -> None:
        self._by_dir: dict[Path, CrateIndex | None] = {}
        self._by_folder: dict[Path, CrateIndex | None] = {}  # a source folder -> its crate's index
        self._tool_by_folder: dict[Path, ToolSettings] = {}  # outside any crate
        self._scopes: dict[tuple[Path, bytes], FileLintScopes] = {}  # the last files' own lint levels, by text
        self._own_aliases: dict[bytes, dict[str, ResultAlias]] = {}  # the last texts' own Result aliases

    def index_for(self, path: Path) -> CrateIndex | None:
        folder = _resolved(path.parent)
        if folder not in self._by_folder:
            manifest = nearest_manifest(folder, package_only=True)
            index = None
            if manifest is not None:
                directory = manifest.directory
                if directory not in self._by_dir:
                    self._by_dir[directory] = CrateIndex.build(directory)
                index = self._by_dir[directory]
            self._by_folder[folder] = index
        return self._by_folder[folder]

    def exported(self, path: Path, item: RustItem) -> bool | None:
        index = self.index_for(path)
        return index.exported(path, item) if index is not None else None

    def module_of(self, path: Path) -> tuple[str, ...] | None:
        """The module file `path` holds (`()`: the crate root), None outside a crate's module tree."""
        index = self.index_for(path)
        return index.module_of(path) if index is not None else None

    def module_exported(self, path: Path) -> bool | None:
        index = self.index_for(path)
        return index.module_exported(path) if index is not None else None

    def lint_settings(self, path: Path, source: RustSource) -> FileLints:
        """The lint levels over file `path` (of text `source`): the crate's Cargo `[lints]`, what
        its module gets from the crate root and the `mod` lines above it, and the file's own."""
        index = self.index_for(path)
        outside = (index.cargo_lints + index.lint_base.get(_resolved(path), ())) if index is not None else ()
        key = (path, source.data)  # the editor asks again and again about an unchanged buffer
        scopes = self._scopes.get(key)
        if scopes is None:
            scopes = FileLintScopes.of(source.tree.root_node)
            if len(self._scopes) >= 8:
                self._scopes.clear()
            self._scopes[key] = scopes
        return FileLints(outside, scopes)

    def tool_settings(self, path: Path) -> ToolSettings:
        """rustdoc-gen's settings for file `path`: its crate's, else the nearest above it (read once per folder)."""
        index = self.index_for(path)
        if index is not None:
            return index.tool
        folder = _resolved(path.parent)
        if folder not in self._tool_by_folder:
            self._tool_by_folder[folder] = tool_settings(folder)
        return self._tool_by_folder[folder]

    def result_aliases(self, path: Path, source: RustSource | None = None) -> dict[str, ResultAlias]:
        """The `Result` aliases an item of file `path` may return: its crate's, and `source`'s own
        (a file outside the crate's module tree, or not saved yet)."""
        index = self.index_for(path)
        aliases = dict(index.result_aliases) if index is not None else {}
        if source is not None:
            own = self._own_aliases.get(source.data)  # the editor asks again and again about an unchanged buffer
            if own is None:
                own = collect_result_aliases([source])
                if len(self._own_aliases) >= 8:
                    self._own_aliases.clear()
                self._own_aliases[source.data] = own
            aliases.update(own)
        return aliases


@dataclass(frozen=True)
class FileLints:
    """The lint levels of one file: those from outside it, then its own by byte range."""

    outside: LintSettings
    scopes: FileLintScopes

    def at(self, byte: int) -> LintSettings:
        """The settings in force at a byte of the file (an item's start), outermost first."""
        return self.outside + self.scopes.at(byte)
