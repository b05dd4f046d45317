"""Shared fixtures: real Rust crates from Debian, and where things live."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _debian_registry() -> Path:
    out = subprocess.run(
        [str(REPO_ROOT / "scripts" / "fetch-debian-crates")], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def debian_registry() -> Path:
    """Directory holding Debian's unpacked crate sources (`globset-0.4.9`, `clap-4.0.32`, ...)."""
    return _debian_registry()


@pytest.fixture(scope="session")
def debian_crate(debian_registry: Path):
    """`debian_crate("globset")` -> the read-only source directory of that Debian-packaged crate."""

    def find(name: str) -> Path:
        matches = sorted(p for p in debian_registry.iterdir() if p.name.rsplit("-", 1)[0] == name)
        if not matches:
            raise LookupError(f"crate {name} is not among {sorted(p.name for p in debian_registry.iterdir())}")
        return matches[-1]

    return find


@pytest.fixture
def crate_copy(debian_crate, tmp_path: Path):
    """`crate_copy("globset")` -> a writable copy of a Debian-packaged crate in tmp_path."""

    def copy(name: str) -> Path:
        src = debian_crate(name)
        dst = tmp_path / src.name
        shutil.copytree(src, dst, symlinks=True)
        return dst

    return copy


# Session fixtures that build tiny models (tiny_model_dir, tiny_gguf_path) live in tests/support.
# Real pretrained models (smollm2_gguf, gemma3_gguf, smollm2_finetuned_run, ...) in tests/support/real_models.py.
pytest_plugins = ["tests.support.fixtures", "tests.support.real_models"]
