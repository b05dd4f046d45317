"""Session fixtures building tiny models once, cached across test runs.

Built files live under `.cache/test-models/<name>-<hash>/`, the hash taken over
the settings and code that shape them (model config, tokenizer definition,
GGUF writer, quantization type), so a change rebuilds and an unchanged setup reuses.
A file lock makes concurrent pytest runs build each thing once; a build goes
to a temporary dir renamed into place, so an interrupted one leaves nothing half-made.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support import qwen2_tokenizer, tiny_model
from trainer.export import QUANT_FTYPES

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("RUSTDOC_GEN_TEST_MODELS", REPO_ROOT / ".cache" / "test-models"))


def _digest(*parts: object) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(json.dumps(part, sort_keys=True, default=str).encode())
    return hasher.hexdigest()[:12]


def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def tiny_model_key(seed: int = 0) -> str:
    return _digest(
        tiny_model.TINY_QWEN2,
        seed,
        qwen2_tokenizer.QWEN2_SPLIT_REGEX,
        qwen2_tokenizer.QWEN25_ADDED_TOKENS,
        qwen2_tokenizer.QWEN25_CHAT_TEMPLATE,
    )


def tiny_gguf_key(quant: str, seed: int = 0) -> str:
    return _digest(
        tiny_model_key(seed),
        quant,
        _source(REPO_ROOT / "trainer" / "gguf_convert.py"),
        QUANT_FTYPES[quant],
    )


@contextmanager
def _locked(name: str):
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_build(name: str, build: Callable[[Path], object]) -> Path:
    """`CACHE/name`, built by `build(tmp_dir)` once (under a lock) and reused after."""
    target = CACHE / name
    done = target / ".complete"
    if done.exists():
        return target
    with _locked(name):
        if done.exists():
            return target
        tmp = CACHE / f".{name}.building"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        build(tmp)
        (tmp / ".complete").touch()
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    return target


def tiny_model_path(seed: int = 0) -> Path:
    """The tiny Qwen2 HF model dir (built once, cached)."""
    return cached_build(f"tiny-qwen2-{tiny_model_key(seed)}", lambda d: tiny_model.tiny_hf_model(d, seed=seed))


def tiny_gguf_file(quant: str = "Q4_K_M", seed: int = 0) -> Path:
    """The tiny model exported by `trainer.export` to a GGUF of `quant` (built once, cached)."""
    model_dir = tiny_model_path(seed)
    built = cached_build(
        f"tiny-qwen2-{quant.lower()}-{tiny_gguf_key(quant, seed)}",
        lambda d: tiny_model.tiny_gguf(d, quant=quant, model_dir=model_dir),
    )
    return built / f"tiny-qwen2-{quant.lower()}.gguf"


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    """A random tiny Qwen2 HF model dir (real Qwen2.5 tokenizer + chat template). Treat as read-only."""
    return tiny_model_path()


@pytest.fixture(scope="session")
def tiny_gguf_path() -> Path:
    """That tiny model as a Q4_K_M GGUF (chat template inside) that llama-cpp-python loads. Read-only."""
    return tiny_gguf_file("Q4_K_M")
