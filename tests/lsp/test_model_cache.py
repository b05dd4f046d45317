"""`rustdoc-gen model pull|list` against a Hugging Face cache in a temp dir, offline (no download)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from lsp_server import model_cache

REPO = model_cache.DEFAULT_REPO
FILE = model_cache.DEFAULT_FILE


def _run(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache), "HF_HOME": str(cache.parent / "hf-home"), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "rustdoc_cli", "model", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def _cache_file(cache: Path, repo: str, filename: str, data: bytes, commit: str = "a" * 40) -> Path:
    """Lay a file out the way huggingface_hub caches it: blob, snapshot link, ref."""
    root = cache / f"models--{repo.replace('/', '--')}"
    blob = root / "blobs" / hashlib.sha256(data).hexdigest()
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(data)
    snapshot = root / "snapshots" / commit / filename
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    snapshot.symlink_to(Path("../../blobs") / blob.name)
    (root / "refs").mkdir(exist_ok=True)
    (root / "refs" / "main").write_text(commit)
    return snapshot


def test_pull_offline_without_the_file_fails_with_one_line(tmp_path):
    out = _run("pull", cache=tmp_path / "hub")
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "HF_HUB_OFFLINE is set" in lines[0] and "not in the cache" in lines[0] and FILE in lines[0]
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_pull_prints_the_cached_path_offline(tmp_path):
    cache = tmp_path / "hub"
    cached = _cache_file(cache, REPO, FILE, b"GGUF fake weights")
    out = _run("pull", cache=cache)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(cached)
    assert Path(out.stdout.strip()).read_bytes() == b"GGUF fake weights"


def test_list_shows_only_cached_ggufs(tmp_path):
    cache = tmp_path / "hub"
    assert _run("list", cache=cache).stdout == ""  # no cache yet: nothing, and no error
    qwen = _cache_file(cache, REPO, FILE, b"GGUF one")
    _cache_file(cache, REPO, "config.json", b"{}")
    other = _cache_file(cache, "someone/tiny-GGUF", "tiny-q8_0.gguf", b"GGUF two", commit="b" * 40)
    out = _run("list", cache=cache)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == sorted([str(qwen), str(other)], key=lambda p: p.split("models--")[1].lower())
    assert [(m.repo, m.filename, m.size) for m in model_cache.cached_models(cache)] == [
        (REPO, FILE, len(b"GGUF one")),
        ("someone/tiny-GGUF", "tiny-q8_0.gguf", len(b"GGUF two")),
    ]


def test_pull_rejects_names_that_are_not_gguf_files(tmp_path):
    out = _run("pull", REPO, "model.safetensors", cache=tmp_path / "hub")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == ["error: model.safetensors is not a GGUF file name (expected a name ending in .gguf)"]
    out = _run("pull", "someone/repo", cache=tmp_path / "hub")
    assert out.returncode == 1 and "name the GGUF file" in out.stderr
