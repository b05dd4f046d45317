"""Small crates written by tests: a Cargo.toml and source files, each text dedented."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_crate(root: Path, name: str, files: dict[str, str]) -> Path:
    """Crate `name` (edition 2021) at `root` with `files` (path under root -> text); returns `root`."""
    manifest = f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n'
    for path, text in {"Cargo.toml": manifest, **files}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(text), encoding="utf-8")
    return root
