"""Doc generators: the template engine, or a GGUF model (optionally with a GGUF LoRA
adapter on top) through llama-cpp-python.

`rustdoc-gen generate`, the language server, the demo, the eval and `prefs` all get their
generator from `make_generator(spec, options)` and ask it through the one documenting
pipeline (`pipeline.document_items`): a backend only answers, with the raw text it wrote
(`prompt.build_messages` -> the GGUF's own chat template, or the plain rendering for a
model trained without one -> decoding with `DecodeOptions`); the pipeline puts every
answer through the output guard.

A spec names a backend: `template`, `model:PATH.gguf`,
`model:BASE.gguf@ADAPTER.gguf` (a LoRA adapter exported with `export --adapter-only`,
applied to the base it was trained on), or `openai:http://HOST:PORT/v1[#MODEL]` (a model
server: `openai_backend`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rustdoc_core.errors import one_line
from rustdoc_core.generation import llama_log
from rustdoc_core.generation.backend import (  # the backend protocol and its errors, here for every importer
    Answer,
    AnswerEnd,
    DocGenerator,
    GenerationCancelled,
    GenerationError,
    ModelLoadError,
    OnToken,
)
from rustdoc_core.generation.decode import DecodeOptions
from rustdoc_core.generation.openai_backend import API_KEY_VARIABLE, OpenAIGenerator, is_endpoint, parse_endpoint
from rustdoc_core.generation.prompt import GGUF_RENDERING_KEY, PLAIN_STOP, PromptContext, build_messages, render_plain
from rustdoc_core.generation.provenance import Provenance
from rustdoc_core.rust.items import RustItem

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"

PREFILL_CHUNK = 32
"""Prompt tokens evaluated between two looks at whether a prefill should give way."""

ANSWER_END_CHECK_EVERY = 4
"""Tokens between two asks of `ends_at` within a line (it is asked at every new line too)."""

ADAPTER_BASE_KEYS = {
    "rustdoc_gen.base.architecture": "general.architecture",
    "rustdoc_gen.base.block_count": "{arch}.block_count",
    "rustdoc_gen.base.embedding_length": "{arch}.embedding_length",
    "rustdoc_gen.base.vocab_size": "{arch}.vocab_size",
}
"""What an exported adapter records of its base (its key -> the base GGUF's key): a base that differs is refused."""


@dataclass(frozen=True)
class GeneratedDoc:
    """A doc ready to insert, with what it came from."""

    text: str  # final doc (after the output guard)
    raw: str  # what the generator wrote before the guard
    origin: Provenance
    tokens: int  # generated tokens (0 for the template)
    seconds: float
    steps: tuple[str, ...] = ()  # what the guard did to the answer (`guard.STEPS`), in order

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["origin"], data["steps"] = self.origin.value, list(self.steps)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GeneratedDoc":
        return cls(
            data["text"], data["raw"], Provenance(data["origin"]), int(data["tokens"]), float(data["seconds"]),
            tuple(data.get("steps", ())),
        )


class TemplateGenerator:
    """Deterministic docs from the item alone (no model): the default and the baseline."""

    name = "template"
    is_model = False
    loaded = True

    def load(self) -> None:
        pass

    def close(self) -> None:
        pass

    def answer(
        self,
        item: RustItem,
        context: PromptContext,
        *,
        should_stop: Callable[[], bool] | None = None,
        on_token: OnToken | None = None,  # noqa: ARG002 - no tokens
        ends_at: AnswerEnd | None = None,  # noqa: ARG002 - the template writes to its own measure
        error_meanings: Mapping[str, str] | None = None,
    ) -> Answer:
        """The template's doc; `error_meanings` (the crate's error types) let `# Errors` say what the error is."""
        from rustdoc_core.generation.crate_phrasing import follow_crate_phrasing
        from rustdoc_core.generation.template import template_doc

        if should_stop is not None and should_stop():
            raise GenerationCancelled()
        raw = template_doc(item, error_meanings=error_meanings)
        if context.examples:  # retrieval: the opening verb follows the crate's own
            raw = follow_crate_phrasing(raw, item.signature, context.examples)
        return Answer(raw)


def check_gguf_file(path: Path, what: str = "model") -> None:
    """Fail with one line before llama.cpp sees a file it could crash on."""
    if not path.exists():
        raise ModelLoadError(f"{what} file not found: {path}")
    if not path.is_file():
        raise ModelLoadError(f"{what} path is not a file: {path}")
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as err:
        raise ModelLoadError(f"cannot read {what} file {path}: {err.strerror or err}") from err
    if magic != GGUF_MAGIC:
        raise ModelLoadError(f"not a GGUF {what} file (bad magic bytes {magic!r}): {path}")


@dataclass(frozen=True)
class DecodeTimings:
    """How one answer was made, for benches and logs (seconds from the start of `answer`)."""

    prompt_tokens: int = 0
    reused_tokens: int = 0  # of the prompt, already in the KV cache from the call before
    prompt_seconds: float = 0.0  # until the prompt was evaluated (the first token's logits ready)
    first_token_seconds: float | None = None  # until the first token was known
    seconds: float = 0.0  # until the answer was done
    tokens: int = 0  # generated
    drafted: int = 0  # tokens a drafter proposed
    accepted: int = 0  # of those, the ones the model confirmed
    ended_by: str = ""  # "eos" | "stop" | "end" (ends_at) | "max-tokens"


class LlamaGenerator:
    """Docs from a GGUF model with llama-cpp-python; greedy and seeded by default, so runs repeat exactly.

    The model loads on the first `answer()` (or `load()`). A call evaluates only what its prompt
    does not share with the KV cache of the call before: the system prompt always, and the
    file's context for the next item of the same file (`prompt.build_messages` puts what items
    share first). One generation at a time: calls from several threads queue on a lock.

    Decoding is our own loop over llama.cpp (the same sampler chain as `create_completion`),
    so that it can stop where the guard would cut (`ends_at`), report text as it forms, and
    verify a drafter's tokens in one batch with logits only where they are needed
    (`drafter`: a llama-cpp-python `LlamaDraftModel`; see `drafting`).

    llama-cpp-python's `LlamaRAMCache` is not used: it saves the whole llama state
    plus a batch-by-vocabulary score array (hundreds of MB for Qwen's 152k vocab)
    after every call, which costs more than re-evaluating a short item prompt.
    """

    is_model = True

    def __init__(
        self,
        model_path: str | Path,
        *,
        adapter_path: str | Path | None = None,
        options: DecodeOptions | None = None,
        drafter: Any = None,
    ):
        self.model_path = Path(model_path).expanduser()
        self.adapter_path = Path(adapter_path).expanduser() if adapter_path else None
        self.options = options or DecodeOptions()
        self.drafter = drafter
        """A `LlamaDraftModel` proposing tokens to verify in one batch (None: one token at a time)."""
        self.name = f"model:{self.model_path.name}" + (f"@{self.adapter_path.name}" if self.adapter_path else "")
        self.rendering = "chat"
        """How prompts reach the model: "chat" (its chat template) or "plain" (see prompt.render_plain)."""
        self._llm: Any = None
        self._formatter: Any = None
        self._lock = threading.Lock()
        self.last_timings = DecodeTimings()
        """How the last answer was made."""

    @property
    def last_prompt_tokens(self) -> int:
        """Prompt length of the last call, in tokens."""
        return self.last_timings.prompt_tokens

    @property
    def last_reused_tokens(self) -> int:
        """Prompt tokens of the last call already in the KV cache from the call before."""
        return self.last_timings.reused_tokens

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def load(self) -> None:
        """Load the model now (raises ModelLoadError with one line)."""
        with self._lock:
            self._load()

    def _load(self) -> None:
        if self._llm is not None:
            return
        check_gguf_file(self.model_path)
        adapter_meta: dict[str, str] = {}
        if self.adapter_path is not None:
            check_gguf_file(self.adapter_path, "adapter")
            adapter_meta = read_gguf_metadata(self.adapter_path)  # a few MB: quick to read whole
        try:
            import llama_cpp
            from llama_cpp import llama_chat_format
        except ImportError as err:
            raise ModelLoadError(f"llama-cpp-python is not installed ({err}); run `pip install llama-cpp-python`") from err
        start = time.perf_counter()
        with llama_log.captured(llama_cpp) as native_log:  # llama.cpp's own reason, for the error line and `-v`
            try:
                llm = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.options.context_size,
                    n_threads=self.options.threads,
                    seed=self.options.seed,
                    verbose=False,
                )
            except Exception as err:  # llama.cpp reports failure as ValueError/RuntimeError with its own wording
                reason = one_line(err)
                if "Failed to load model" in reason:
                    reason = "corrupt, truncated or of an architecture this llama.cpp does not know"
                if native_log.warnings_and_errors:
                    reason += f" (llama.cpp: {native_log.warnings_and_errors[0]})"
                raise ModelLoadError(f"cannot load model {self.model_path}: {reason}") from err
            finally:
                native_log.report(log)
        if self.adapter_path is not None:
            try:
                # Checked before llama.cpp sees the pair: a mismatched adapter can abort the process there.
                _check_adapter_base(self.adapter_path, adapter_meta, self.model_path, _base_identity(llm))
                _check_adapter_tensors(self.adapter_path, self.model_path)
                _apply_adapter(llm, self.adapter_path)
            except ModelLoadError:
                llm.close()
                raise
        metadata = {**llm.metadata, **adapter_meta}
        template = llm.metadata.get("tokenizer.chat_template")
        self.rendering = metadata.get(GGUF_RENDERING_KEY) or ("chat" if template else "plain")
        if self.rendering == "chat":
            if not template:
                llm.close()
                raise ModelLoadError(f"model {self.model_path} has no chat template but was trained on chat-rendered prompts")
            eos, bos = llm.token_eos(), llm.token_bos()
            self._formatter = llama_chat_format.Jinja2ChatFormatter(
                template=template,
                eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
                bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
                stop_token_ids=[eos] if eos != -1 else None,
            )
        self._llm = llm
        log.debug("loaded %s in %.2fs (n_ctx=%d, %s rendering)", self.name, time.perf_counter() - start, self.options.context_size, self.rendering)

    def prompt_tokens(self, item: RustItem, context: PromptContext) -> list[int]:
        """The token ids the model sees for `item`."""
        with self._lock:
            self._load()
            return self._prompt_tokens(item, context)[0]

    def _prompt_tokens(self, item: RustItem, context: PromptContext) -> tuple[list[int], list[str]]:
        messages = build_messages(item, context)
        if self.rendering == "plain":
            tokens = self._llm.tokenize(render_plain(messages).encode("utf-8"), add_bos=True, special=False)
            return tokens, list(PLAIN_STOP)
        formatted = self._formatter(messages=messages)
        tokens = self._llm.tokenize(formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True)
        stop = formatted.stop if isinstance(formatted.stop, list) else [formatted.stop] if formatted.stop else []
        return tokens, [s for s in stop if s]

    def prefill(self, item: RustItem, context: PromptContext, *, should_stop: Callable[[], bool] | None = None) -> int:
        """Evaluate `item`'s prompt into the KV cache without answering, so that its `answer`, or
        one for an item whose prompt starts the same (its file, its container), only evaluates the
        rest. In chunks: when `should_stop` says stop, what is evaluated stays and GenerationCancelled
        is raised. Returns the tokens evaluated."""
        with self._lock:
            self._load()
            prompt, _ = self._prompt_tokens(item, context)
            if len(prompt) > self.options.context_size - 16:
                return 0
            reused = _evaluate_prompt(self._llm, prompt, should_stop, chunk=PREFILL_CHUNK)
            return len(prompt) - reused

    def answer(
        self,
        item: RustItem,
        context: PromptContext,
        *,
        should_stop: Callable[[], bool] | None = None,
        on_token: OnToken | None = None,
        ends_at: AnswerEnd | None = None,
    ) -> Answer:
        """The model's answer for `item`, as decoded."""
        with self._lock:
            self._load()
            if should_stop is not None and should_stop():
                raise GenerationCancelled()
            prompt, stop = self._prompt_tokens(item, context)
            room = self.options.context_size - len(prompt)
            if room < 16:
                raise GenerationError(
                    f"the prompt for {item.label} ({len(prompt)} tokens) does not fit the context ({self.options.context_size})"
                )
            decoding = _Decoding(self._llm, self.options, prompt, stop, min(self.options.max_tokens, room), self.drafter)
            try:
                text = decoding.run(should_stop, on_token, ends_at)
            finally:
                self.last_timings = decoding.timings()
            return Answer(text, decoding.produced)

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None
            closing = getattr(self.drafter, "close", None)
            if closing is not None:
                closing()


class _Decoding:
    """One answer's token loop on a loaded `Llama`: reuse the cached prompt prefix, evaluate the
    rest, then sample (greedy or seeded, the sampler chain of `create_completion`) until EOS, a
    stop string, `ends_at`, `max_tokens` or `should_stop`. With a drafter, each step evaluates
    the sampled token and the draft's tokens in one batch and keeps the draft's tokens as long
    as the model would have sampled them itself, so the answer is the one without the drafter."""

    numpy_greedy = True
    """Greedy decoding picks with `_GreedySampler` (False: llama.cpp's sampler chain, the same tokens)."""

    def __init__(self, llm: Any, options: DecodeOptions, prompt: list[int], stop: list[str], max_tokens: int, drafter: Any):
        self.llm = llm
        self.options = options
        self.prompt = prompt
        self.stop = stop
        self.max_tokens = max_tokens
        self.drafter = drafter
        self.tokens: list[int] = []
        self.text = ""
        self.produced = 0
        self.reused = 0
        self.drafted = self.accepted = 0
        self.ended_by = ""
        self.start = time.perf_counter()
        self.prompt_done: float = 0.0
        self.first_token: float | None = None
        self.done: float = 0.0
        self._checked_text = 0  # length of `text` when `ends_at` last looked

    def timings(self) -> DecodeTimings:
        seconds = self.done or time.perf_counter() - self.start
        return DecodeTimings(
            len(self.prompt), self.reused, self.prompt_done, self.first_token, seconds,
            self.produced, self.drafted, self.accepted, self.ended_by,
        )

    def run(self, should_stop: Callable[[], bool] | None, on_token: OnToken | None, ends_at: AnswerEnd | None) -> str:
        import llama_cpp

        llm, options = self.llm, self.options
        self.reused = _evaluate_prompt(llm, self.prompt)
        llm.set_seed(options.seed)
        if options.greedy and self.numpy_greedy:
            sampler: Any = _GreedySampler(llm._n_vocab, llm.last_n_tokens_size, options)
        else:
            sampler = llm._init_sampler(
                top_k=1 if options.greedy else 40, top_p=0.95, min_p=0.05, typical_p=1.0, temp=options.temperature,
                repeat_penalty=options.repeat_penalty, frequency_penalty=options.frequency_penalty,
                presence_penalty=options.presence_penalty,
            )
        vocab = llm._model.vocab
        ctx = llm._ctx
        token = sampler.sample(ctx, -1)
        self.prompt_done = time.perf_counter() - self.start
        while True:
            # `token` is sampled and not yet in the KV cache: take it, then look ahead.
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                self.ended_by = "eos"
                break
            if not self._take(token, should_stop, on_token, ends_at):
                break
            draft = self._draft()
            batch = [token, *draft]
            n_past = llm.n_tokens
            llm._batch.set_batch(batch=batch, n_past=n_past, logits_all=bool(draft))
            ctx.decode(llm._batch)
            llm.input_ids[n_past : n_past + len(batch)] = batch
            llm.n_tokens = n_past + len(batch)
            token = sampler.sample(ctx, 0)
            taken = 0
            for proposed in draft:
                if token != proposed:
                    break
                taken += 1
                self.accepted += 1
                if llama_cpp.llama_vocab_is_eog(vocab, token) or not self._take(token, should_stop, on_token, ends_at):
                    self.ended_by = self.ended_by or "eos"
                    break
                token = sampler.sample(ctx, taken)
            else:
                taken = len(draft)
            if self.ended_by:
                llm.n_tokens = n_past + 1 + taken
                break
            if taken < len(draft):  # the model went its own way: forget the rest of the draft
                keep = n_past + 1 + taken
                ctx.kv_cache_seq_rm(-1, keep, -1)
                llm.n_tokens = keep
        # What the cache holds beyond `n_tokens` is dropped by the next call's prefix match.
        llm._requires_eval = True
        self.done = time.perf_counter() - self.start
        return self.text

    def _draft(self) -> list[int]:
        if self.drafter is None:
            return []
        import numpy as np

        room = min(self.max_tokens - self.produced, self.llm._n_ctx - self.llm.n_tokens - 1, self.llm.n_batch - 1)
        if room <= 0:
            return []
        context = np.asarray(self.prompt + self.tokens, dtype=np.intc)
        proposed = [int(t) for t in self.drafter(context)[:room]]
        self.drafted += len(proposed)
        return proposed

    def _take(
        self, token: int, should_stop: Callable[[], bool] | None, on_token: OnToken | None, ends_at: AnswerEnd | None
    ) -> bool:
        """Add a sampled token to the answer; False when the answer ends with it."""
        self.tokens.append(token)
        self.produced += 1
        if self.first_token is None:
            self.first_token = time.perf_counter() - self.start
        text = self.llm.detokenize(self.tokens, prev_tokens=self.prompt).decode("utf-8", "ignore")
        for stop in self.stop:
            if stop in text:
                self.text = text[: text.index(stop)]
                self.ended_by = "stop"
                return False
        self.text = text
        if on_token is not None:
            on_token(self.produced, text)
        if should_stop is not None and should_stop():
            raise GenerationCancelled()
        if ends_at is not None and ("\n" in text[self._checked_text :] or self.produced % ANSWER_END_CHECK_EVERY == 0):
            self._checked_text = len(text)
            end = ends_at(text)
            if end is not None:
                self.text = text[:end]
                self.ended_by = "end"
                return False
        if self.produced >= self.max_tokens:
            self.ended_by = "max-tokens"
            return False
        return True


def read_gguf_metadata(path: Path) -> dict[str, str]:
    """A GGUF file's scalar and string metadata, as strings (like llama-cpp-python's `Llama.metadata`)."""
    try:
        from gguf import GGUFReader
        from gguf.constants import GGUFValueType
    except ImportError as err:
        raise ModelLoadError(f"reading {path.name} needs the `gguf` package ({err})") from err
    try:
        reader = GGUFReader(str(path))
    except Exception as err:  # noqa: BLE001 - a truncated or foreign file
        raise ModelLoadError(f"cannot read GGUF file {path}: {one_line(err)}") from err
    values: dict[str, str] = {}
    for key, field in reader.fields.items():
        if not field.types or field.types[0] == GGUFValueType.ARRAY:
            continue
        part = field.parts[field.data[0]]
        values[key] = bytes(part).decode("utf-8", "replace") if field.types[0] == GGUFValueType.STRING else str(part[0])
    return values


def _check_adapter_base(adapter: Path, adapter_meta: dict[str, str], base: Path, base_meta: dict[str, str]) -> None:
    """Refuse, with one line, an adapter exported for another base."""
    # llama.cpp reads these keys without checking they are there: a GGUF without them crashed it (SIGSEGV).
    kinds = (adapter_meta.get("general.type"), adapter_meta.get("adapter.type"))
    if kinds != ("adapter", "lora"):
        raise ModelLoadError(f"{adapter} is not a LoRA adapter GGUF (general.type = {kinds[0]}, adapter.type = {kinds[1]})")
    arch = base_meta.get("general.architecture", "")
    for adapter_key, base_key in ADAPTER_BASE_KEYS.items():
        expected = adapter_meta.get(adapter_key)
        actual = base_meta.get(base_key.format(arch=arch))
        if expected is not None and actual is not None and expected != actual:
            what = adapter_key.rsplit(".", 1)[-1].replace("_", " ")
            raise ModelLoadError(f"adapter {adapter.name} was trained on another base: its base's {what} is {expected}, {base.name}'s is {actual}")
    trained_arch = adapter_meta.get("general.architecture")
    if trained_arch and arch and trained_arch != arch:
        raise ModelLoadError(f"adapter {adapter.name} was trained on a {trained_arch} base; {base.name} is a {arch} model")


def _check_adapter_tensors(adapter: Path, base: Path) -> None:
    """Refuse, with one line, an adapter whose tensors do not pair up into the base's (llama.cpp
    crashed on one: a `lora_a` alone, a pair of the wrong shape, a tensor the base lacks)."""
    from rustdoc_core.generation.gguf_layout import GGUFLayoutError, check_lora_fits

    try:
        check_lora_fits(adapter, base)
    except (GGUFLayoutError, OSError) as err:
        raise ModelLoadError(f"adapter {adapter.name} does not fit {base.name}: {err}") from err


def _base_identity(llm: Any) -> dict[str, str]:
    """The loaded base's metadata, with its vocabulary size where the GGUF has no `{arch}.vocab_size` (Gemma 3)."""
    metadata = dict(llm.metadata)
    metadata.setdefault(f"{metadata.get('general.architecture', '')}.vocab_size", str(llm.n_vocab()))
    return metadata


def _apply_adapter(llm: Any, adapter: Path) -> None:
    """Apply a GGUF LoRA adapter to a loaded model, as `Llama(lora_path=...)` does, freed with the model."""
    import ctypes

    import llama_cpp

    handle = llama_cpp.llama_adapter_lora_init(llm._model.model, str(adapter).encode("utf-8"))
    if handle is None:
        raise ModelLoadError(f"llama.cpp cannot load adapter {adapter.name} onto {llm.model_path}")
    llm._stack.callback(llama_cpp.llama_adapter_lora_free, handle)
    adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(handle)
    if llama_cpp.llama_set_adapters_lora(llm._ctx.ctx, adapters, 1, (ctypes.c_float * 1)(1.0)):
        raise ModelLoadError(f"llama.cpp cannot apply adapter {adapter.name} to {llm.model_path}")


class _GreedySampler:
    """llama.cpp's greedy chain as `Llama._init_sampler(temp=0)` builds it (the repeat, frequency
    and presence penalties on the tokens among the last `window` picked, then the first highest
    logit), in numpy: the same tokens, without a 152k-entry candidate array built per token."""

    def __init__(self, n_vocab: int, window: int, options: DecodeOptions):
        import numpy as np

        self.n_vocab = n_vocab
        self.recent: deque[int] = deque(maxlen=max(0, window))
        self.repeat = np.float32(options.repeat_penalty)
        self.frequency = np.float32(options.frequency_penalty)
        self.presence = np.float32(options.presence_penalty)
        self.penalized = window > 0 and (options.repeat_penalty != 1.0 or options.frequency_penalty != 0.0 or options.presence_penalty != 0.0)

    def sample(self, ctx: Any, idx: int) -> int:
        """The token to take after batch position `idx` (-1: the last), remembered as picked."""
        import numpy as np

        logits = np.ctypeslib.as_array(ctx.get_logits_ith(idx), shape=(self.n_vocab,))
        if self.penalized and self.recent:
            counts = Counter(self.recent)
            ids = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            seen = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            values = logits[ids]
            values = np.where(values <= 0, values * self.repeat, values / self.repeat)
            values = values - (seen * self.frequency + self.presence)
            logits = logits.copy()
            logits[ids] = values
        token = int(np.argmax(logits))  # the first of equal highest logits, as llama.cpp's greedy sampler
        self.recent.append(token)
        return token


def _evaluate_prompt(llm: Any, prompt: list[int], should_stop: Callable[[], bool] | None = None, chunk: int | None = None) -> int:
    """Bring the KV cache to `prompt`, evaluating only what it does not hold already (the last
    token at least, for its logits); in chunks of `chunk` tokens, asking `should_stop` between
    them. Returns the prompt tokens that were in the cache."""
    cached = llm.n_tokens
    reused = _common_prefix(llm.input_ids[:cached].tolist(), prompt) if cached else 0
    keep = min(reused, len(prompt) - 1)
    if keep > 0 and llm._ctx.kv_cache_seq_rm(-1, keep, -1):
        llm.n_tokens = keep
    else:
        reused = 0
        llm.reset()
    rest = prompt[llm.n_tokens :]
    step = chunk or len(rest)
    for start in range(0, len(rest), step):
        if start and should_stop is not None and should_stop():
            raise GenerationCancelled()
        llm.eval(rest[start : start + step])
    llm._requires_eval = True  # for llama-cpp-python's own generate(): these logits are ours
    return reused


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n



# --- the registry: a spec names a backend ------------------------------------------------------


@dataclass(frozen=True)
class GeneratorSpec:
    """`template`, `model:PATH.gguf`, `model:BASE.gguf@ADAPTER.gguf` or `openai:URL[#MODEL]`, parsed."""

    model: Path | None = None
    adapter: Path | None = None
    endpoint: str | None = None
    """An OpenAI-compatible server's base URL (`openai:http://HOST:PORT/v1`); `model` is then None."""
    served_model: str | None = None
    """The model to ask that server for (`openai:URL#MODEL`, `--model-name`); None: the one it serves."""

    @property
    def kind(self) -> str:
        """The `GENERATOR_KINDS` key of the backend this spec names."""
        return "openai" if self.endpoint is not None else "model" if self.model is not None else "template"

    @classmethod
    def of_model(cls, model: str | Path | None, adapter: str | Path | None = None, served_model: str | None = None) -> "GeneratorSpec":
        """The spec of a model argument (`generate --model`, the editor's `model.path`): a GGUF file,
        or an http(s) URL naming a server (its `#MODEL` or `served_model` naming the model there).
        Raises ValueError with one line."""
        if model is None:
            return cls()
        if is_endpoint(str(model)):
            if adapter is not None:
                raise ValueError("an adapter is for a local GGUF; a server applies its own (name it with --model-name or URL#NAME)")
            endpoint, from_url = parse_endpoint(str(model))
            return cls(endpoint=endpoint, served_model=served_model or from_url)
        if served_model is not None:
            raise ValueError("a served model name is for a server URL (--model http://HOST:PORT/v1)")
        return cls(Path(model).expanduser(), Path(adapter).expanduser() if adapter else None)

    @classmethod
    def parse(cls, text: str) -> "GeneratorSpec":
        kind, _, argument = text.partition(":")
        if kind not in GENERATOR_KINDS:
            raise ValueError(f"unknown generator {text!r}; use one of: {', '.join(GENERATOR_HELP)}")
        if kind == "template":
            if argument:
                raise ValueError(f"generator {text!r}: `template` takes no argument")
            return cls()
        if kind == "openai":
            if not is_endpoint(argument):
                raise ValueError(f"generator {text!r}: give the server's URL, as in openai:http://HOST:PORT/v1")
            return cls.of_model(argument)
        if not argument:
            raise ValueError(f"generator {text!r}: give the GGUF file, as in model:PATH.gguf or model:BASE.gguf@ADAPTER.gguf")
        model, _, adapter = argument.partition("@")
        if not model or (argument.endswith("@") and not adapter):
            raise ValueError(f"generator {text!r}: the form is model:BASE.gguf@ADAPTER.gguf")
        return cls(Path(model).expanduser(), Path(adapter).expanduser() if adapter else None)

    def __str__(self) -> str:
        if self.endpoint is not None:
            return f"openai:{self.endpoint}" + (f"#{self.served_model}" if self.served_model else "")
        if self.model is None:
            return "template"
        return f"model:{self.model}" + (f"@{self.adapter}" if self.adapter else "")


GENERATOR_HELP = {
    "template": "the deterministic template engine (no model; the baseline every model must beat)",
    "model:PATH.gguf": "a GGUF model through llama-cpp-python, base or fine-tuned (merged)",
    "model:BASE.gguf@ADAPTER.gguf": "a GGUF LoRA adapter (`export --adapter-only`) on the base it was trained on",
    "openai:URL[#MODEL]": "a model server with the OpenAI API (vLLM, llama-server, llama-cpp-python, Ollama), e.g. "
    f"openai:http://127.0.0.1:8000/v1#rustdoc; its API key from ${API_KEY_VARIABLE}",
}
"""Each spec form and what it is: the help text `--help` and errors show."""

GeneratorFactory = Callable[[GeneratorSpec, DecodeOptions, int], DocGenerator]
"""(spec, decode options, answers that may be asked for at once) -> a backend."""

GENERATOR_KINDS: dict[str, GeneratorFactory] = {
    "template": lambda spec, options, jobs: TemplateGenerator(),
    "model": lambda spec, options, jobs: LlamaGenerator(spec.model, adapter_path=spec.adapter, options=options),  # type: ignore[arg-type]
    "openai": lambda spec, options, jobs: OpenAIGenerator(
        spec.endpoint, served_model=spec.served_model, options=options, concurrent_requests=jobs  # type: ignore[arg-type]
    ),
}
"""Spec prefix -> backend factory: register new backends here."""


def make_generator(spec: GeneratorSpec | str | None = None, options: DecodeOptions | None = None, *, jobs: int = 1) -> DocGenerator:
    """The backend a spec names (None: the template engine); models load lazily. Raises ValueError
    for a bad spec. `jobs`: answers asked for at once, by a backend that can take several (a
    model server); the others answer one at a time."""
    if spec is None:
        spec = GeneratorSpec()
    elif isinstance(spec, str):
        spec = GeneratorSpec.parse(spec)
    return GENERATOR_KINDS[spec.kind](spec, options or DecodeOptions(), jobs)
