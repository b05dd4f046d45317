"""The real Qwen2.5 tokenizer, rebuilt offline for tests.

llama.cpp ships the Qwen2 vocabulary (`ggml-vocab-qwen2.gguf`: 151,643 byte-level
BPE tokens and their merges) with tokenizer test vectors produced by the HF
tokenizer. From it we build a `tokenizers` BPE with Qwen2's pre-tokenization,
add the Qwen2.5 special tokens and ChatML template, and save a
`PreTrainedTokenizerFast`: the same tokenizer `Qwen/Qwen2.5-Coder-*-Instruct`
ships, without a download. `tests/trainer/test_qwen2_tokenizer.py` checks it against the
test vectors.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Qwen2's pre-tokenizer split (tokenizer.json of every Qwen2/2.5 model).
QWEN2_SPLIT_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# Qwen2.5's added tokens from id 151643 on: (text, special). The tool-call and
# fill-in-the-middle markers are added but not "special" (they survive decoding).
QWEN25_ADDED_TOKENS: tuple[tuple[str, bool], ...] = (
    ("<|endoftext|>", True),
    ("<|im_start|>", True),
    ("<|im_end|>", True),
    ("<|object_ref_start|>", True),
    ("<|object_ref_end|>", True),
    ("<|box_start|>", True),
    ("<|box_end|>", True),
    ("<|quad_start|>", True),
    ("<|quad_end|>", True),
    ("<|vision_start|>", True),
    ("<|vision_end|>", True),
    ("<|vision_pad|>", True),
    ("<|image_pad|>", True),
    ("<|video_pad|>", True),
    ("<tool_call>", False),
    ("</tool_call>", False),
    ("<|fim_prefix|>", False),
    ("<|fim_middle|>", False),
    ("<|fim_suffix|>", False),
    ("<|fim_pad|>", False),
    ("<|repo_name|>", False),
    ("<|file_sep|>", False),
)
FIRST_ADDED_ID = 151643

# Qwen2.5-Instruct's ChatML template (without the tool-calling branches).
QWEN25_CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if not (message['role'] == 'system' and loop.first) %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def llama_sdist_dir() -> Path:
    """The unpacked llama-cpp-python sdist (fetched once into .cache/ by scripts/fetch-llama-sdist)."""
    out = subprocess.run(
        [str(REPO_ROOT / "scripts" / "fetch-llama-sdist")], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def qwen2_vocab_gguf() -> Path:
    return llama_sdist_dir() / "vendor" / "llama.cpp" / "models" / "ggml-vocab-qwen2.gguf"


def read_vocab_gguf(path: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """The BPE tokens (below the first added id) and merges stored in a llama.cpp vocab GGUF."""
    import gguf

    reader = gguf.GGUFReader(path)
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    merges = reader.fields["tokenizer.ggml.merges"].contents()
    pre = reader.fields["tokenizer.ggml.pre"].contents()
    if pre != "qwen2":
        raise ValueError(f"{path} has pre-tokenizer {pre!r}, expected 'qwen2'")
    return list(tokens[:FIRST_ADDED_ID]), [tuple(m.split(" ", 1)) for m in merges]


def build_qwen2_tokenizer(dest_dir: str | Path, vocab_gguf: Path | None = None) -> Path:
    """Build the Qwen2.5 tokenizer offline and save it (tokenizer.json + config) into `dest_dir`."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    tokens, merges = read_vocab_gguf(vocab_gguf or qwen2_vocab_gguf())
    bpe = models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges, byte_fallback=False, fuse_unk=False)
    tokenizer = Tokenizer(bpe)
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_SPLIT_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    for offset, (text, special) in enumerate(QWEN25_ADDED_TOKENS):
        token = AddedToken(text, special=special, normalized=False, single_word=False, lstrip=False, rstrip=False)
        if special:
            tokenizer.add_special_tokens([token])
        else:
            tokenizer.add_tokens([token])
        assert tokenizer.token_to_id(text) == FIRST_ADDED_ID + offset, text

    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        unk_token=None,
        additional_special_tokens=[t for t, special in QWEN25_ADDED_TOKENS if special and t not in ("<|endoftext|>", "<|im_end|>")],
        model_max_length=32768,
        clean_up_tokenization_spaces=False,
        split_special_tokens=False,
    )
    fast.chat_template = QWEN25_CHAT_TEMPLATE
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(dest)
    return dest
