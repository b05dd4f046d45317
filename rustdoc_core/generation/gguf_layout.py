"""A GGUF file's tensors, read from its header alone, and whether a LoRA adapter fits its base.

llama.cpp trusts an adapter GGUF: a `lora_a` without its `lora_b`, a pair of the wrong shape,
or a tensor the base does not have ended the process with SIGSEGV, not an error. So the
adapter is checked here first, as llama.cpp's own loader would check it. `gguf.GGUFReader`
could read the shapes too, but it parses every metadata value (10 s for Qwen's 151k-token
vocabulary); this reader skips them.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

GGUF_MAGIC = b"GGUF"
_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
"""GGUF value types of fixed size (uint8 ... float64, bool); 8 is a string, 9 an array."""
_STRING, _ARRAY = 8, 9
_MAX_COUNT = 1 << 32  # more entries than any real file holds: the header is corrupt


class GGUFLayoutError(ValueError):
    """The file is not a GGUF whose tensors can be listed (cut short, counts past its end)."""


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]  # ggml order: shape[0] is the row length
    ggml_type: int
    offset: int  # from the start of the data section


@dataclass(frozen=True)
class GGUFLayout:
    tensors: dict[str, TensorInfo]
    data_start: int
    file_size: int
    alignment: int


class _Cursor:
    def __init__(self, data: mmap.mmap | bytes):
        self.data = data
        self.at = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise GGUFLayoutError("cut short: the header runs past the end of the file")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def unpack(self, fmt: str) -> int:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))[0]

    def count(self) -> int:
        value = self.unpack("Q")
        if value > _MAX_COUNT:
            raise GGUFLayoutError(f"a count of {value} in the header")
        return value

    def string(self) -> bytes:
        return self.take(self.count())

    def skip_value(self, kind: int) -> int | None:
        """Skip one metadata value; its integer value when it is an unsigned 32-bit one (the alignment)."""
        if kind in _SCALAR_SIZES:
            raw = self.take(_SCALAR_SIZES[kind])
            return struct.unpack("<I", raw)[0] if kind == 4 else None
        if kind == _STRING:
            self.string()
            return None
        if kind == _ARRAY:
            inner, length = self.unpack("I"), self.count()
            if inner in _SCALAR_SIZES:
                self.take(_SCALAR_SIZES[inner] * length)
            elif inner == _STRING:
                for _ in range(length):
                    self.string()
            else:
                raise GGUFLayoutError(f"an array of value type {inner}")
            return None
        raise GGUFLayoutError(f"unknown value type {kind}")


def read_layout(path: Path) -> GGUFLayout:
    """The tensors of a GGUF file (names, shapes, types, offsets), checked to lie within it."""
    from gguf.constants import GGML_QUANT_SIZES

    with open(path, "rb") as handle:
        size = Path(path).stat().st_size
        if size < 24:
            raise GGUFLayoutError("cut short: no GGUF header")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            cursor = _Cursor(data)
            if cursor.take(4) != GGUF_MAGIC:
                raise GGUFLayoutError("not a GGUF file")
            version = cursor.unpack("I")
            if version not in (2, 3):
                raise GGUFLayoutError(f"GGUF version {version}")
            n_tensors, n_kv = cursor.count(), cursor.count()
            alignment = 32
            for _ in range(n_kv):
                key = cursor.string()
                value = cursor.skip_value(cursor.unpack("I"))
                if key == b"general.alignment" and value:
                    alignment = value
            tensors: dict[str, TensorInfo] = {}
            for _ in range(n_tensors):
                name = cursor.string().decode("utf-8", "replace")
                dims = cursor.unpack("I")
                if not 1 <= dims <= 4:
                    raise GGUFLayoutError(f"tensor {name} has {dims} dimensions")
                shape = tuple(cursor.unpack("Q") for _ in range(dims))
                tensors[name] = TensorInfo(name, shape, cursor.unpack("I"), cursor.unpack("Q"))
            data_start = -(-cursor.at // alignment) * alignment
    for tensor in tensors.values():
        block, bytes_per_block = GGML_QUANT_SIZES.get(tensor.ggml_type, (0, 0))
        if not block:
            raise GGUFLayoutError(f"tensor {tensor.name} has unknown type {tensor.ggml_type}")
        elements = 1
        for n in tensor.shape:
            elements *= n
        if data_start + tensor.offset + elements // block * bytes_per_block > size:
            raise GGUFLayoutError(f"cut short: tensor {tensor.name} runs past the end of the file")
    return GGUFLayout(tensors, data_start, size, alignment)


def check_lora_fits(adapter: Path, base: Path) -> None:
    """Raise GGUFLayoutError unless every tensor of `adapter` is half of a `lora_a`/`lora_b` pair
    for a tensor `base` has, of shapes that multiply into it (llama.cpp's own rules)."""
    pairs: dict[str, dict[str, TensorInfo]] = {}
    for name, tensor in read_layout(adapter).tensors.items():
        target, _, half = name.rpartition(".")
        if half not in ("lora_a", "lora_b") or not target:
            raise GGUFLayoutError(f"tensor {name} is not a lora_a or lora_b")
        pairs.setdefault(target, {})[half] = tensor
    if not pairs:
        raise GGUFLayoutError("no LoRA tensors")
    model = read_layout(base).tensors
    for target, halves in sorted(pairs.items()):
        if len(halves) != 2:
            missing = "lora_b" if "lora_a" in halves else "lora_a"
            raise GGUFLayoutError(f"{target} has no {missing}")
        if target not in model:
            raise GGUFLayoutError(f"the base has no tensor {target}")
        a, b, w = halves["lora_a"].shape, halves["lora_b"].shape, model[target].shape
        if len(a) != 2 or len(b) != 2 or len(w) < 2 or a[0] != w[0] or b[1] != w[1] or a[1] != b[0]:
            raise GGUFLayoutError(f"{target}: lora_a {list(a)} and lora_b {list(b)} do not fit the base's {list(w)}")
