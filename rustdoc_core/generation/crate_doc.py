"""Docs that live outside an item's own comment: the crate's `//!` doc, and a `mod x;`
documented by the `//!` at the top of its file."""

from __future__ import annotations

import re
from pathlib import Path

from rustdoc_core.rust.files import is_binary_root
from rustdoc_core.rust.items import RustSource
from rustdoc_core.rust.manifest import nearest_manifest


def crate_doc_text(path: Path) -> str:
    """A crate doc from Cargo.toml's `description` when it reads as a clean summary, else the template's."""
    from rustdoc_core.docs.checker import check_doc
    from rustdoc_core.generation.template import template_doc

    name, description = _package_info(path)
    ident = re.sub(r"\W", "_", name) or "crate"
    if not ident[0].isalpha() and ident[0] != "_":
        ident = "_" + ident
    stand_in = RustSource(f"pub mod {ident} {{}}\n").items()[0]
    if description:
        summary = " ".join(description.split())
        first = re.split(r"(?<=[.!?])\s", summary, maxsplit=1)[0].strip()
        if first and not first.endswith((".", "!", "?")):
            first += "."
        if first and not [f for f in check_doc(stand_in, first) if f.severity in ("error", "warning")]:
            return first
    return template_doc(stand_in)


def _package_info(path: Path) -> tuple[str, str | None]:
    manifest = nearest_manifest(path.parent)
    if manifest is None:
        return path.parent.parent.name if path.parent.name == "src" else path.stem, None
    name = manifest.package_name or manifest.directory.name
    if is_binary_root(path):
        name = path.stem if path.name != "main.rs" else path.parent.name
    return name, manifest.description
