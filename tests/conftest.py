"""Shared fixtures: real Rust crates from Debian, and where things live."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# A suite started in the background by a non-interactive shell (`cmd &`, nohup) inherits SIGINT
# ignored, and so would every command the tests start: their Ctrl-C tests would see it ignored.
# A handled signal is reset to its default across exec, an ignored one is not.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


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


SLOW_FIXTURES = frozenset({
    "tiny_model_dir", "tiny_gguf_path",  # build a tiny model (cached across runs, minutes the first time)
    "smollm2_finetuned_run", "smollm2_finetuned_gguf", "smollm2_adapter_gguf",  # train and export SmolLM2
    "smollm2_long_export", "qwen05_long_export",  # 40 LoRA steps of SmolLM2 / Qwen2.5-Coder-0.5B, exported
    "qwen15_gguf",  # the 1.5B: 1.1 GB, seconds a doc
})
"""A test that uses one of these builds, trains or runs a big model: it is `slow` whether or not
its module says so, so `-m "not slow"` never trains anything."""


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`slow` by fixture; `qwen15` for tests on the 1.5B, deselected unless `-m` names `qwen15`."""
    wanted_qwen15 = "qwen15" in (config.option.markexpr or "")
    kept, dropped = [], []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if "qwen15_gguf" in fixtures:
            item.add_marker(pytest.mark.qwen15)
        (dropped if item.get_closest_marker("qwen15") and not wanted_qwen15 else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
