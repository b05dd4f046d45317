"""Property harness over model files (issue 23, part 2): GGUFs cut short or with bytes
overwritten in their header and metadata, as `--model` (llama.cpp reads it) and as
`--adapter` (our GGUF reader does). Each run is a subprocess, since native code reads
them: it must end with exit 1 and one line, never a signal or a traceback."""

from __future__ import annotations

import functools
import shutil
import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import REPO_ROOT
from tests.robustness.cli_runs import assert_well_behaved, run_process
from tests.robustness.harness import fewer, seeded

UNDOCUMENTED = "pub fn parse(text: &str) -> Option<u8> {\n    text.parse().ok()\n}\n"


@functools.lru_cache(maxsize=1)
def small_gguf() -> bytes:
    """llama.cpp's Qwen2 vocabulary GGUF (6 MB, metadata and no tensors), from the llama-cpp-python sdist."""
    found = sorted((REPO_ROOT / ".cache" / "llama-sdist").glob("*/vendor/llama.cpp/models/ggml-vocab-qwen2.gguf"))
    if not found:
        pytest.skip("scripts/fetch-llama-sdist has not unpacked the llama-cpp-python sdist")
    return found[0].read_bytes()


@functools.lru_cache(maxsize=1)
def small_adapter() -> bytes:
    """A LoRA adapter GGUF that fits SmolLM2-135M (rank 8 on three layers' attn_q), built here."""
    import gguf
    import numpy as np

    path = Path(tempfile.mkdtemp(prefix="robust-adapter-")) / "adapter.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_type("adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", 16.0)
    for block in range(3):
        writer.add_tensor(f"blk.{block}.attn_q.weight.lora_a", np.full((8, 576), 1e-3, dtype=np.float32))
        writer.add_tensor(f"blk.{block}.attn_q.weight.lora_b", np.full((576, 8), 1e-3, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


@st.composite
def damaged(draw, original: bytes) -> bytes:
    """`original` cut short, or with bytes of its header, counts, first key or a region overwritten."""
    data = bytearray(original)
    head = min(len(data), 65_536)
    damage = draw(st.sampled_from(["cut", "bytes", "counts", "string_length", "zeros"]))
    if damage == "cut":
        return bytes(data[: draw(st.integers(0, len(data)))])
    if damage == "bytes":
        for _ in range(draw(st.integers(1, 20))):
            data[draw(st.integers(0, head - 1))] = draw(st.integers(0, 255))
    elif damage == "counts":  # tensor count and metadata count, right after magic and version
        struct.pack_into("<QQ", data, 8, draw(st.sampled_from([0, 1, 2**31, 2**63 - 1, 2**64 - 1])), draw(st.sampled_from([0, 2**32, 2**64 - 1])))
    elif damage == "string_length":  # the first key's length
        struct.pack_into("<Q", data, 24, draw(st.sampled_from([0, 2**16, 2**40, 2**64 - 1])))
    else:
        start = draw(st.integers(0, head - 1))
        data[start : start + draw(st.integers(1, 4096))] = b"\x00" * len(data[start : start + 4096])
    return bytes(data)


@seeded
@fewer(4)  # a process per input
@given(data=st.data(), as_adapter=st.booleans())
def test_a_damaged_gguf_is_one_line(data, as_adapter, smollm2_gguf_path):
    original = small_adapter() if as_adapter and data.draw(st.booleans()) else small_gguf()
    gguf = data.draw(damaged(original))
    root = Path(tempfile.mkdtemp(prefix="robust-"))
    try:
        source = root / "lib.rs"
        source.write_text(UNDOCUMENTED)
        broken = root / "damaged.gguf"
        broken.write_bytes(gguf)
        flags = ["--model", smollm2_gguf_path, "--adapter", broken] if as_adapter else ["--model", broken]
        run = run_process("generate", "--write", source, *flags, timeout=300)
        assert run.exit_code >= 0, f"killed by signal {-run.exit_code}\n{run.why()}"
        assert_well_behaved(run)
        if run.exit_code != 0:  # a damaged adapter can still be a working one (a byte of its weights)
            assert source.read_text() == UNDOCUMENTED
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def smollm2_gguf_path(smollm2_gguf) -> Path:
    return smollm2_gguf


@functools.lru_cache(maxsize=1)
def a_run() -> dict[str, bytes]:
    """run.json and metrics.jsonl of a real training run (the SmolLM2 test fixture's, when built)."""
    found = sorted((REPO_ROOT / ".cache" / "test-models").glob("smollm2-run-*/run/run.json"))
    if not found:
        pytest.skip("no training run cached yet (the smollm2_finetuned_run fixture builds one)")
    return {name: (found[0].parent / name).read_bytes() for name in ("run.json", "metrics.jsonl")}


@st.composite
def damaged_runs(draw) -> dict[str, bytes | None]:
    import json

    files: dict[str, bytes | None] = dict(a_run())
    info = json.loads(files["run.json"])
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(sorted(info)))
        info[key] = draw(st.sampled_from([None, 0, "x", [], {}, -1.5, {"a": None}]))
    files["run.json"] = json.dumps(info).encode()
    lines = files["metrics.jsonl"].decode().splitlines()
    shape = draw(st.sampled_from(["as_is", "cut", "garbage", "empty", "missing", "wrong_types", "run_missing", "run_corrupt"]))
    if shape == "cut":
        data = files["metrics.jsonl"]
        files["metrics.jsonl"] = data[: draw(st.integers(0, len(data)))]
    elif shape == "garbage":
        files["metrics.jsonl"] = ("\n".join(lines[:2] + ["{", "[]", "null", '{"step": "x", "loss": "NaN"}'] + lines[2:]) + "\n").encode()
    elif shape == "empty":
        files["metrics.jsonl"] = b""
    elif shape == "missing":
        files["metrics.jsonl"] = None
    elif shape == "wrong_types":
        files["metrics.jsonl"] = b'{"step": null, "loss": [], "eval_loss": "low", "tokens_per_second": {}}\n{"step": 1e400}\n'
    elif shape == "run_missing":
        files["run.json"] = None
    elif shape == "run_corrupt":
        files["run.json"] = files["run.json"][: draw(st.integers(0, 40))]
    return files


@seeded
@given(runs=st.lists(damaged_runs(), min_size=1, max_size=3), plot=st.booleans())
def test_runs_on_damaged_run_directories_is_one_line(runs, plot):
    from tests.robustness.cli_runs import invoke

    root = Path(tempfile.mkdtemp(prefix="robust-"))
    try:
        dirs = []
        for i, files in enumerate(runs):
            run_dir = root / f"run{i}"
            run_dir.mkdir()
            for name, data in files.items():
                if data is not None:
                    (run_dir / name).write_bytes(data)
            dirs.append(run_dir)
        run = invoke("runs", *dirs, *(["--plot", root / "loss.png"] if plot else []))
        assert_well_behaved(run)
    finally:
        shutil.rmtree(root, ignore_errors=True)
