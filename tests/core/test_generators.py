"""Doc generators: the template engine and a real (tiny) GGUF model through llama-cpp-python."""

from pathlib import Path

import pytest

from rustdoc_core.generation.decode import DecodeOptions
from rustdoc_core.generation.generators import (
    GenerationCancelled,
    GeneratorSpec,
    LlamaGenerator,
    ModelLoadError,
    TemplateGenerator,
    make_generator,
)
from rustdoc_core.generation.pipeline import DocRequest, document_item
from rustdoc_core.generation.prompt import SYSTEM_PROMPT, prompt_context
from rustdoc_core.rust.items import RustSource
from tests.conftest import REPO_ROOT

SAMPLE = REPO_ROOT / "examples" / "sample.rs"


@pytest.fixture(scope="module")
def sample() -> RustSource:
    return RustSource(SAMPLE.read_text(encoding="utf-8"))


def item_named(source: RustSource, name: str):
    return next(i for i in source.items() if i.name == name)


def test_make_generator_without_a_model_is_the_template_engine_and_with_one_loads_lazily(tmp_path):
    for spec in (None, "template", GeneratorSpec()):
        generator = make_generator(spec)
        assert isinstance(generator, TemplateGenerator) and not generator.is_model and generator.loaded
    generator = make_generator(f"model:{tmp_path / 'absent.gguf'}", DecodeOptions(max_tokens=16))
    assert isinstance(generator, LlamaGenerator) and generator.is_model
    assert not generator.loaded
    assert generator.name == "model:absent.gguf"
    assert generator.options.max_tokens == 16
    adapted = make_generator(f"model:{tmp_path / 'base.gguf'}@{tmp_path / 'lora.gguf'}")
    assert adapted.name == "model:base.gguf@lora.gguf"
    assert adapted.adapter_path == tmp_path / "lora.gguf"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("llama:x.gguf", "unknown generator"),
        ("template:x", "takes no argument"),
        ("model:", "give the GGUF file"),
        ("model:base.gguf@", "model:BASE.gguf@ADAPTER.gguf"),
    ],
)
def test_bad_generator_specs_are_refused_with_the_forms_that_work(spec, message):
    with pytest.raises(ValueError, match=message):
        GeneratorSpec.parse(spec)


def test_specs_round_trip_through_their_text():
    for text in ("template", "model:m.gguf", "model:/abs/base.gguf@/abs/lora.gguf"):
        assert str(GeneratorSpec.parse(text)) == text


def test_decode_options_refuse_values_outside_the_one_table():
    with pytest.raises(ValueError, match="max_tokens"):
        DecodeOptions(max_tokens=0)
    with pytest.raises(ValueError, match="context_size"):
        DecodeOptions(context_size=256)


def test_template_generator_returns_the_template_doc(sample):
    from rustdoc_core.generation.template import template_doc

    item = item_named(sample, "from_pairs")
    doc = document_item(DocRequest(item, context=prompt_context(sample, item)), TemplateGenerator())
    assert doc.text == template_doc(item)
    assert (doc.origin, doc.tokens, doc.raw) == ("template", 0, doc.text)
    with pytest.raises(GenerationCancelled):
        document_item(DocRequest(item, context=prompt_context(sample, item)), TemplateGenerator(), should_stop=lambda: True)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: d / "missing.gguf", "model file not found"),
        (lambda d: d, "not a file"),
        (lambda d: _write(d / "weights.bin", b"PK\x03\x04 a zip, not a model"), "not a GGUF model file"),
        (lambda d: _write(d / "cut.gguf", b"GGUF\x03\x00\x00\x00" + b"\x00" * 64), "cannot load model"),
    ],
    ids=["missing", "directory", "not-gguf", "corrupt-gguf"],
)
def test_unusable_model_files_raise_one_line_model_load_error(tmp_path, setup, message):
    path = setup(tmp_path)
    with pytest.raises(ModelLoadError) as caught:
        LlamaGenerator(path).load()
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


TINY_DECODE = DecodeOptions(context_size=2048, threads=2, max_tokens=16, repeat_penalty=1.0)


@pytest.fixture(scope="module")
def tiny_llama(tiny_gguf_path):
    generator = LlamaGenerator(tiny_gguf_path, options=TINY_DECODE)
    generator.load()
    yield generator
    generator.close()


def test_prompt_goes_through_the_ggufs_chat_template(tiny_llama, sample):
    item = item_named(sample, "average")
    tokens = tiny_llama.prompt_tokens(item, prompt_context(sample, item))
    text = tiny_llama._llm.detokenize(tokens, special=True).decode("utf-8")
    assert text.startswith("<|im_start|>system\n" + SYSTEM_PROMPT)
    assert text.endswith("<|im_start|>assistant\n")
    assert "pub fn average(values: &[f64]) -> f64" in text


def test_greedy_generation_is_repeatable_and_post_processed(tiny_llama, tiny_gguf_path, sample):
    from rustdoc_core.generation.guard import guard_answer

    item = item_named(sample, "nth_word")
    context = prompt_context(sample, item)
    ticks: list[tuple[int, str]] = []
    first = document_item(DocRequest(item, context=context), tiny_llama, on_token=lambda n, text: ticks.append((n, text)))
    assert 0 < first.tokens <= 16
    assert [n for n, _ in ticks] == list(range(1, first.tokens + 1))
    assert ticks[-1][1] == first.raw  # the text as it formed, token by token
    assert all(first.raw.startswith(text) for _, text in ticks)
    expected = guard_answer(item, first.raw)
    assert first.text == expected.text
    assert first.origin == expected.provenance
    assert first.text.strip()

    fresh = LlamaGenerator(tiny_gguf_path, options=TINY_DECODE)
    try:
        again = document_item(DocRequest(item, context=context), fresh)
    finally:
        fresh.close()
    assert again.raw == first.raw


def test_second_call_reuses_the_shared_prompt_prefix_from_the_kv_cache(tiny_llama, sample):
    a = item_named(sample, "read_pairs")
    b = item_named(sample, "first_byte_unchecked")
    llm = tiny_llama._llm
    document_item(DocRequest(a, context=prompt_context(sample, a)), tiny_llama)
    evaluated: list[int] = []
    original_eval = llm.eval

    def counting_eval(tokens):
        evaluated.append(len(tokens))
        return original_eval(tokens)

    llm.eval = counting_eval
    try:
        with_cache = document_item(DocRequest(b, context=prompt_context(sample, b)), tiny_llama)
    finally:
        del llm.eval
    prompt_length = tiny_llama.last_prompt_tokens
    reused = tiny_llama.last_reused_tokens
    assert reused >= len(SYSTEM_PROMPT) // 8  # the system prompt at least
    # Only the new part of the prompt was evaluated, then one token per generated token.
    assert evaluated[0] == prompt_length - reused
    assert sum(evaluated) <= prompt_length - reused + with_cache.tokens


def test_should_stop_cancels_within_a_token(tiny_llama, sample):
    item = item_named(sample, "level")
    calls = []

    def stop_after_three() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(GenerationCancelled):
        document_item(DocRequest(item, context=prompt_context(sample, item)), tiny_llama, should_stop=stop_after_three)
    assert len(calls) == 4
    # The generator stays usable after a cancellation.
    assert document_item(DocRequest(item, context=prompt_context(sample, item)), tiny_llama).tokens > 0


def test_ends_at_stops_decoding_where_the_answer_is_complete(tiny_llama, sample):
    item = item_named(sample, "nth_word")
    context = prompt_context(sample, item)
    whole = tiny_llama.answer(item, context)
    assert whole.tokens == TINY_DECODE.max_tokens and len(whole.text) > 12
    asked: list[str] = []

    def ends_at(text: str) -> int | None:
        asked.append(text)
        return 6 if len(text) > 12 else None

    stopped = tiny_llama.answer(item, context, ends_at=ends_at)
    assert stopped.text == whole.text[:6]
    assert stopped.tokens < whole.tokens
    assert tiny_llama.last_timings.ended_by == "end"
    assert all(whole.text.startswith(text) for text in asked)


def test_drafters_leave_the_greedy_answer_as_it_is(tiny_llama, tiny_gguf_path, sample):
    from rustdoc_core.generation.drafting import model_drafter, prompt_lookup

    items = [item_named(sample, name) for name in ("nth_word", "average", "level")]
    plain = [tiny_llama.answer(item, prompt_context(sample, item)).text for item in items]
    for drafter in (prompt_lookup(2), model_drafter(tiny_gguf_path, 3, threads=2, context_size=2048)):
        drafted = LlamaGenerator(tiny_gguf_path, options=TINY_DECODE, drafter=drafter)
        try:
            answers = []
            proposed = accepted = 0
            for item in items:
                answers.append(drafted.answer(item, prompt_context(sample, item)).text)
                proposed += drafted.last_timings.drafted
                accepted += drafted.last_timings.accepted
        finally:
            drafted.close()
        assert answers == plain
        assert proposed > 0
    assert accepted > 0  # the model drafting for itself: its guesses are its own answer


def test_prefill_leaves_the_answer_only_its_last_prompt_token_to_evaluate(tiny_llama, sample):
    item = item_named(sample, "average")
    other = item_named(sample, "level")
    context = prompt_context(sample, item)
    tiny_llama.answer(other, prompt_context(sample, other))
    expected = tiny_llama.answer(item, context).text
    tiny_llama.answer(other, prompt_context(sample, other))
    evaluated = tiny_llama.prefill(item, context)
    prompt = len(tiny_llama.prompt_tokens(item, context))
    assert 0 < evaluated < prompt  # the system prompt was in the cache already
    answer = tiny_llama.answer(item, context)
    assert tiny_llama.last_reused_tokens == tiny_llama.last_prompt_tokens == prompt
    assert answer.text == expected


def test_a_prefill_gives_way_between_chunks_and_keeps_what_it_evaluated(tiny_llama, sample):
    from rustdoc_core.generation.generators import PREFILL_CHUNK

    item = item_named(sample, "read_pairs")
    context = prompt_context(sample, item)
    tiny_llama._llm.reset()  # nothing cached
    with pytest.raises(GenerationCancelled):
        tiny_llama.prefill(item, context, should_stop=lambda: True)
    tiny_llama.answer(item, context)
    assert tiny_llama.last_reused_tokens == PREFILL_CHUNK


def test_the_system_prompt_stays_in_the_cache_across_files(tiny_llama, sample):
    item = item_named(sample, "average")
    elsewhere = RustSource("use std::fmt;\n\npub fn lonely(width: u8) -> u8 {\n    width\n}\n")
    other = elsewhere.items()[0]
    tiny_llama.answer(item, prompt_context(sample, item))
    tiny_llama.answer(other, prompt_context(elsewhere, other))
    system = tiny_llama._llm.tokenize(f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n".encode(), add_bos=False, special=True)
    assert tiny_llama.last_reused_tokens >= len(system)


def test_greedy_picks_in_numpy_are_llama_cpps_sampler_chain(tiny_gguf_path, sample, monkeypatch):
    from rustdoc_core.generation.generators import _Decoding

    options = DecodeOptions(context_size=2048, threads=2, max_tokens=48, repeat_penalty=1.3, frequency_penalty=0.2, presence_penalty=0.1)
    items = [item_named(sample, name) for name in ("nth_word", "average", "level")]
    answers = {}
    for numpy_greedy in (False, True):
        monkeypatch.setattr(_Decoding, "numpy_greedy", numpy_greedy)
        generator = LlamaGenerator(tiny_gguf_path, options=options)
        try:
            answers[numpy_greedy] = [generator.answer(item, prompt_context(sample, item)).text for item in items]
        finally:
            generator.close()
    assert answers[True] == answers[False]
    assert len(set(" ".join(answers[True]).split())) > 10  # penalties at work: not one token over and over
