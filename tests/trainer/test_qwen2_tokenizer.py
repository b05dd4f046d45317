"""The offline Qwen2.5 tokenizer (tests/support) tokenizes exactly as the HF one:
llama.cpp's test vectors for ggml-vocab-qwen2.gguf were produced by the HF tokenizer."""

from __future__ import annotations

import pytest

from tests.support.qwen2_tokenizer import FIRST_ADDED_ID, QWEN25_ADDED_TOKENS, qwen2_vocab_gguf


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def _test_vectors():
    vocab = qwen2_vocab_gguf()
    inputs = vocab.with_name(vocab.name + ".inp").read_text(encoding="utf-8").split("\n__ggml_vocab_test__\n")
    outputs = vocab.with_name(vocab.name + ".out").read_text(encoding="utf-8").split("\n")
    return list(zip(inputs, outputs))


def test_offline_qwen2_tokenizer_matches_llama_cpp_test_vectors(tokenizer):
    vectors = _test_vectors()
    assert len(vectors) >= 40
    mismatches = [
        (text, expected)
        for text, expected in vectors
        if tokenizer.encode(text, add_special_tokens=False) != [int(t) for t in expected.split()]
    ]
    assert mismatches == []


def test_qwen25_special_tokens_have_their_ids_and_stay_whole(tokenizer):
    for offset, (text, _special) in enumerate(QWEN25_ADDED_TOKENS):
        assert tokenizer.convert_tokens_to_ids(text) == FIRST_ADDED_ID + offset
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "<|endoftext|>"
    assert tokenizer.encode("<|im_start|>user\n", add_special_tokens=False) == [151644, 872, 198]


def test_chat_template_renders_chatml_with_generation_prompt(tokenizer):
    text = tokenizer.apply_chat_template(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Doc this."}],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert text == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nDoc this.<|im_end|>\n<|im_start|>assistant\n"
