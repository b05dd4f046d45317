"""HF model or LoRA adapter -> GGUF, with llama.cpp's own converters.

`convert_hf_to_gguf.py` and `convert_lora_to_gguf.py` know every architecture
llama.cpp runs (tensor names, per-architecture weight layouts, hyperparameters,
tokenizers and their pre-tokenizers), so we drive them rather than keep a
writer of our own. They come from the llama-cpp-python source distribution of
the installed version (the converter and the runtime agree on the format),
fetched with pip once into the user cache, and run as a subprocess with the
sdist's own gguf-py (PyPI's `gguf` does not pair with them).

After conversion, `set_metadata` rewrites the file's key/values: our own keys
(the prompt rendering, the base's identity) and, for a model that started as a
GGUF, that GGUF's tokenizer metadata as is.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.base_models import UnsupportedArchitecture, config_architecture

log = logging.getLogger(__name__)

SDIST_DIR_ENV = "RUSTDOC_GEN_LLAMA_SDIST_DIR"  # also read by scripts/fetch-llama-sdist
OUT_TYPES = ("f16", "f32")
# What the converters need of llama.cpp's tree (paths under vendor/llama.cpp/ in the sdist).
CONVERTER_PARTS = ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py", "conversion/", "gguf-py/")
TOKENIZER_PREFIX = "tokenizer."


class ConversionError(Exception):
    """The model cannot be converted (one line, for the user)."""


@dataclass(frozen=True)
class GGUFConversion:
    path: Path
    architecture: str
    tensors: int
    bytes: int


def llama_version() -> str:
    from importlib import metadata

    return metadata.version("llama-cpp-python")


def sdist_root() -> Path:
    if os.environ.get(SDIST_DIR_ENV):
        return Path(os.environ[SDIST_DIR_ENV])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "rustdoc-gen" / "llama-sdist"


def llama_cpp_dir(version: str | None = None) -> Path:
    """llama.cpp's source tree from the llama-cpp-python sdist of `version` (default: installed); fetched on first use."""
    version = version or llama_version()
    root = sdist_root()
    unpacked = root / f"llama_cpp_python-{version}"
    # ".unpacked": the whole sdist (scripts/fetch-llama-sdist); ".converters": the parts extracted here.
    if not ((unpacked / ".unpacked").exists() or (unpacked / ".converters").exists()):
        archive = root / f"llama_cpp_python-{version}.tar.gz"
        if not archive.is_file():
            log.warning("Fetching llama.cpp's GGUF converters (llama-cpp-python %s source, once) into %s", version, root)
            root.mkdir(parents=True, exist_ok=True)
            fetched = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps",
                 "--dest", str(root), f"llama-cpp-python=={version}"],
                capture_output=True, text=True,
            )
            if fetched.returncode != 0 or not archive.is_file():
                last = (fetched.stderr.strip().splitlines() or ["no archive"])[-1]
                raise ConversionError(f"cannot fetch llama-cpp-python {version}'s source for its GGUF converters: {last}")
        prefix = f"llama_cpp_python-{version}/vendor/llama.cpp/"
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(prefix) and m.name[len(prefix):].startswith(CONVERTER_PARTS)]
            tar.extractall(root, members=members, filter="data")
        (unpacked / ".converters").touch()
        archive.unlink()  # 77 MB, no longer needed
    return unpacked / "vendor" / "llama.cpp"


def _run_converter(script: str, args: list[str], what: str) -> None:
    llama_cpp = llama_cpp_dir()
    # The sdist's own gguf-py first: PyPI's `gguf` (a dependency of ours) does not pair with these converters.
    paths = [str(llama_cpp / "gguf-py"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    done = subprocess.run([sys.executable, str(llama_cpp / script), *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).strip().splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        raise ConversionError(f"llama.cpp's {script} failed on {what}: {(errors or lines or ['no output'])[-1].strip()}")
    log.debug("%s: %s", script, done.stderr[-2000:])


def _check_architecture(model_dir: Path) -> str:
    import json

    config_path = model_dir / "config.json"
    if not config_path.is_file():
        raise ConversionError(f"{model_dir} is not a Hugging Face model directory (no config.json)")
    try:
        return config_architecture(json.loads(config_path.read_text()), str(model_dir)).hf_class
    except UnsupportedArchitecture as error:
        raise ConversionError(str(error)) from None


def convert_to_gguf(
    model_dir: str | Path,
    out_path: str | Path,
    *,
    out_type: str = "f16",
    name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    tokenizer_from: str | Path | None = None,
) -> GGUFConversion:
    """Convert the HF model in `model_dir` to a GGUF at `out_path` (written in place: callers make it atomic).

    `metadata` adds key/values; `tokenizer_from` (a GGUF) replaces the converted
    tokenizer metadata with that file's, as is.
    """
    model_dir, out_path = Path(model_dir), Path(out_path)
    if out_type not in OUT_TYPES:
        raise ConversionError(f"out_type must be one of {', '.join(OUT_TYPES)}, not {out_type!r}")
    hf_class = _check_architecture(model_dir)
    converted = out_path.with_name(out_path.name + ".converted") if (metadata or tokenizer_from) else out_path
    args = [str(model_dir), "--outtype", out_type, "--outfile", str(converted)]
    if name:
        args += ["--model-name", name]
    _run_converter("convert_hf_to_gguf.py", args, str(model_dir))
    if converted != out_path:
        try:
            set_metadata(converted, out_path, metadata or {}, tokenizer_from=tokenizer_from)
        finally:
            converted.unlink(missing_ok=True)
    return _describe(out_path, hf_class)


def convert_lora_to_gguf(
    adapter_dir: str | Path,
    base_dir: str | Path,
    out_path: str | Path,
    *,
    out_type: str = "f16",
    metadata: Mapping[str, Any] | None = None,
) -> GGUFConversion:
    """Convert a peft LoRA adapter (on the HF base in `base_dir`) to a GGUF LoRA adapter at `out_path`."""
    adapter_dir, base_dir, out_path = Path(adapter_dir), Path(base_dir), Path(out_path)
    hf_class = _check_architecture(base_dir)
    converted = out_path.with_name(out_path.name + ".converted") if metadata else out_path
    args = [str(adapter_dir), "--base", str(base_dir), "--outtype", out_type, "--outfile", str(converted)]
    _run_converter("convert_lora_to_gguf.py", args, str(adapter_dir))
    if converted != out_path:
        try:
            set_metadata(converted, out_path, metadata or {})
        finally:
            converted.unlink(missing_ok=True)
    return _describe(out_path, hf_class)


def _describe(path: Path, hf_class: str) -> GGUFConversion:
    import gguf

    reader = gguf.GGUFReader(path)
    return GGUFConversion(path, hf_class, len(reader.tensors), path.stat().st_size)


def read_metadata(path: str | Path, prefix: str = "") -> dict[str, Any]:
    """The key/values of a GGUF file (those starting with `prefix`), as Python values."""
    import gguf

    reader = gguf.GGUFReader(path)
    return {k: f.contents() for k, f in reader.fields.items() if k.startswith(prefix) and not k.startswith("GGUF.")}


def set_metadata(
    source: str | Path, target: str | Path, values: Mapping[str, Any], *, tokenizer_from: str | Path | None = None
) -> None:
    """Copy the GGUF `source` to `target` with `values` set (str, int, float or bool) and, from the GGUF
    `tokenizer_from`, every tokenizer.* key/value in place of the source's."""
    import gguf

    reader = gguf.GGUFReader(source)
    donor = gguf.GGUFReader(tokenizer_from) if tokenizer_from is not None else None
    arch = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    writer = gguf.GGUFWriter(target, arch=arch, endianess=reader.endianess)
    alignment = reader.fields.get(gguf.Keys.General.ALIGNMENT)
    if alignment is not None:
        writer.data_alignment = alignment.contents()

    def copy(field: Any) -> None:
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), kind, sub_type=sub)

    for key, field in reader.fields.items():
        if key == gguf.Keys.General.ARCHITECTURE or key.startswith("GGUF.") or key in values:
            continue
        if donor is not None and key.startswith(TOKENIZER_PREFIX):
            continue
        copy(field)
    if donor is not None:
        for key, field in donor.fields.items():
            if key.startswith(TOKENIZER_PREFIX):
                copy(field)
    for key, value in values.items():
        writer.add_key_value(key, value, _value_type(value))
    for tensor in reader.tensors:
        writer.add_tensor_info(tensor.name, tensor.data.shape, tensor.data.dtype, tensor.data.nbytes, tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in reader.tensors:
        writer.write_tensor_data(tensor.data, tensor_endianess=reader.endianess)
    writer.close()


def _value_type(value: Any):
    import gguf

    if isinstance(value, bool):
        return gguf.GGUFValueType.BOOL
    if isinstance(value, int):
        return gguf.GGUFValueType.UINT32 if value >= 0 else gguf.GGUFValueType.INT32
    if isinstance(value, float):
        return gguf.GGUFValueType.FLOAT32
    if isinstance(value, str):
        return gguf.GGUFValueType.STRING
    raise TypeError(f"GGUF metadata value {value!r}: only str, int, float and bool are written")
