"""The nearest `Cargo.toml` above a path, read once: the one Cargo.toml walker."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CargoManifest:
    """A `Cargo.toml` and what the tools read from it."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict, compare=False)
    """The parsed TOML; empty when the file could not be read or parsed."""

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def package(self) -> dict[str, Any]:
        package = self.data.get("package")
        return package if isinstance(package, dict) else {}

    @property
    def package_name(self) -> str | None:
        name = self.package.get("name")
        return name if isinstance(name, str) and name else None

    @property
    def crate_name(self) -> str | None:
        """The library's name as code writes it (`[lib] name`, else the package's, `-` as `_`)."""
        lib = self.data.get("lib")
        name = lib.get("name") if isinstance(lib, dict) else None
        name = name if isinstance(name, str) and name else self.package_name
        return name.replace("-", "_") if name else None

    @property
    def description(self) -> str | None:
        value = self.package.get("description")
        return value if isinstance(value, str) else None

    @property
    def dependencies(self) -> set[str]:
        """Names of all dependencies (normal, dev, build, target-specific), as code writes them."""
        names: set[str] = set()
        tables = [self.data] + [t for t in (self.data.get("target") or {}).values() if isinstance(t, dict)]
        for table in tables:
            for key in ("dependencies", "dev-dependencies", "build-dependencies"):
                deps = table.get(key)
                if isinstance(deps, dict):
                    for name, spec in deps.items():
                        package = spec.get("package") if isinstance(spec, dict) else None
                        names.add(str(name).replace("-", "_"))
                        if isinstance(package, str):
                            names.add(package.replace("-", "_"))
        return names


def nearest_manifest(path: str | Path, *, stop: str | Path | None = None, package_only: bool = False) -> CargoManifest | None:
    """The first `Cargo.toml` in `path` (a directory) or its parents, up to `stop` if given.

    With `package_only`, manifests without a `[package]` (virtual workspaces) are passed over.
    """
    here = Path(path).resolve()
    stop = Path(stop).resolve() if stop is not None else None
    while True:
        candidate = here / "Cargo.toml"
        if candidate.is_file():
            manifest = read_manifest(candidate)
            if not package_only or manifest.package:
                return manifest
        if here == stop or here.parent == here:
            return None
        here = here.parent


def read_manifest(path: Path) -> CargoManifest:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = {}
    return CargoManifest(path, data)
