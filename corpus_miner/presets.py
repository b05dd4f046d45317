"""Named reference corpora (`--preset cli`): repos at pinned commits, from presets.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from rustdoc_console import UserError


@dataclass(frozen=True)
class PresetRepo:
    name: str
    url: str
    commit: str
    version: str = ""
    tag: str = ""


def load_presets() -> dict[str, tuple[PresetRepo, ...]]:
    """Every preset by name, each a tuple of pinned repos."""
    data = tomllib.loads(resources.files("corpus_miner").joinpath("presets.toml").read_text("utf-8"))
    out: dict[str, tuple[PresetRepo, ...]] = {}
    for name, preset in data.items():
        out[name] = tuple(PresetRepo(**repo) for repo in preset["repos"])
    return out


def preset(name: str) -> tuple[PresetRepo, ...]:
    presets = load_presets()
    if name not in presets:
        raise UserError(f"no preset named {name!r}; available: {', '.join(sorted(presets))}")
    return presets[name]
