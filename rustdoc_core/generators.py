"""Doc generators: the template engine, or a GGUF model through llama-cpp-python.

`rustdoc-gen generate`, the language server and the eval all call these classes,
so a doc comes out of the same prompt, decoding and post-processing everywhere:
`prompt.build_messages` -> the GGUF's own chat template -> greedy decoding ->
`prompt.parse_completion` -> `repair.repair_doc` (checker findings repaired, or
the template doc when the model's answer is unusable).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rustdoc_core.prompt import PromptContext, build_messages, parse_completion
from rustdoc_core.rust_items import RustItem

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"

# Used only when a GGUF carries no chat template: the prompt format targets
# Qwen2.5's ChatML, so that is the honest fallback.
CHATML_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@dataclass(frozen=True)
class GeneratedDoc:
    """A doc ready to insert, with what it came from."""

    text: str  # final doc (after parse_completion + repair_doc)
    raw: str  # what the generator produced before post-processing
    origin: str  # "template" | "model" | "repaired"
    tokens: int  # generated tokens (0 for the template)
    seconds: float


class GenerationCancelled(Exception):
    """`should_stop` said stop: the user cancelled (editor request cancelled, Ctrl+C)."""


class ModelLoadError(Exception):
    """A GGUF that cannot be used: missing, not a GGUF, or refused by llama.cpp. One line for the user."""


class GenerationError(Exception):
    """The model could not answer for this item (e.g. the prompt does not fit the context)."""


class DocGenerator(Protocol):
    name: str

    def generate(
        self,
        item: RustItem,
        context: PromptContext,
        *,
        should_stop: Callable[[], bool] | None = None,
        on_token: Callable[[int], None] | None = None,
    ) -> GeneratedDoc: ...


class TemplateGenerator:
    """Deterministic docs from the item alone (no model): the default and the baseline."""

    name = "template"

    def generate(
        self,
        item: RustItem,
        context: PromptContext,  # noqa: ARG002 - the template needs the item only
        *,
        should_stop: Callable[[], bool] | None = None,
        on_token: Callable[[int], None] | None = None,  # noqa: ARG002 - no tokens
    ) -> GeneratedDoc:
        from rustdoc_core.template_engine import template_doc

        if should_stop is not None and should_stop():
            raise GenerationCancelled()
        start = time.perf_counter()
        text = template_doc(item)
        return GeneratedDoc(text=text, raw=text, origin="template", tokens=0, seconds=time.perf_counter() - start)


def check_gguf_file(path: Path) -> None:
    """Fail with one line before llama.cpp sees a file it could crash on."""
    if not path.exists():
        raise ModelLoadError(f"model file not found: {path}")
    if not path.is_file():
        raise ModelLoadError(f"model path is not a file: {path}")
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as err:
        raise ModelLoadError(f"cannot read model file {path}: {err.strerror or err}") from err
    if magic != GGUF_MAGIC:
        raise ModelLoadError(f"not a GGUF model file (bad magic bytes {magic!r}): {path}")


class LlamaGenerator:
    """Docs from a GGUF model with llama-cpp-python, greedy and seeded so runs repeat exactly.

    The model loads on the first `generate()` (or `load()`). Calls reuse the KV
    cache for the longest prompt prefix they share with the previous call (the
    system prompt, and the whole prompt when an item is asked for again), so
    only the new part of a prompt is evaluated. One generation at a time: calls
    from several threads queue on a lock.

    llama-cpp-python's `LlamaRAMCache` is not used: it saves the whole llama state
    plus a batch-by-vocabulary score array (hundreds of MB for Qwen's 152k vocab)
    after every call, which costs more than re-evaluating a short item prompt.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        max_tokens: int = 384,
        temperature: float = 0.0,
        seed: int = 0,
    ):
        self.model_path = Path(model_path).expanduser()
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self.name = f"model:{self.model_path.name}"
        self._llm: Any = None
        self._formatter: Any = None
        self._lock = threading.Lock()
        self.last_prompt_tokens = 0
        """Prompt length of the last call, in tokens."""
        self.last_reused_tokens = 0
        """Prompt tokens of the last call already in the KV cache from the call before."""

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
        try:
            import llama_cpp
            from llama_cpp import llama_chat_format
        except ImportError as err:
            raise ModelLoadError(f"llama-cpp-python is not installed ({err}); run `pip install llama-cpp-python`") from err
        start = time.perf_counter()
        try:
            llm = llama_cpp.Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                seed=self.seed,
                verbose=False,
            )
        except Exception as err:  # llama.cpp reports failure as ValueError/RuntimeError with its own wording
            reason = _one_line(err)
            if "Failed to load model" in reason:
                reason = "corrupt, truncated or of an architecture this llama.cpp does not know"
            raise ModelLoadError(f"cannot load model {self.model_path}: {reason}") from err
        template = llm.metadata.get("tokenizer.chat_template") or CHATML_TEMPLATE
        eos = llm.token_eos()
        bos = llm.token_bos()
        self._formatter = llama_chat_format.Jinja2ChatFormatter(
            template=template,
            eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
            bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
            stop_token_ids=[eos] if eos != -1 else None,
        )
        self._llm = llm
        log.debug("loaded %s in %.2fs (n_ctx=%d)", self.model_path, time.perf_counter() - start, self.n_ctx)

    def prompt_tokens(self, item: RustItem, context: PromptContext) -> list[int]:
        """The token ids the model sees for `item`: messages through the GGUF's chat template."""
        with self._lock:
            self._load()
            return self._prompt_tokens(item, context)[0]

    def _prompt_tokens(self, item: RustItem, context: PromptContext) -> tuple[list[int], list[str]]:
        formatted = self._formatter(messages=build_messages(item, context))
        tokens = self._llm.tokenize(formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True)
        stop = formatted.stop if isinstance(formatted.stop, list) else [formatted.stop] if formatted.stop else []
        return tokens, [s for s in stop if s]

    def generate(
        self,
        item: RustItem,
        context: PromptContext,
        *,
        should_stop: Callable[[], bool] | None = None,
        on_token: Callable[[int], None] | None = None,
    ) -> GeneratedDoc:
        from llama_cpp import StoppingCriteriaList

        from rustdoc_core.repair import repair_doc

        with self._lock:
            self._load()
            if should_stop is not None and should_stop():
                raise GenerationCancelled()
            start = time.perf_counter()
            llm = self._llm
            prompt, stop = self._prompt_tokens(item, context)
            room = self.n_ctx - len(prompt)
            if room < 16:
                raise GenerationError(f"the prompt for {item.label} ({len(prompt)} tokens) does not fit the context ({self.n_ctx})")
            self.last_prompt_tokens = len(prompt)
            self.last_reused_tokens = _common_prefix(list(llm._input_ids[: llm.n_tokens]), prompt)

            cancelled = False
            produced = 0

            def per_token(input_ids: Any, logits: Any) -> bool:  # noqa: ARG001 - llama-cpp-python's signature
                # Called after each sampled token; `input_ids` is the evaluated context, without that token.
                nonlocal cancelled, produced
                if cancelled:
                    return True
                count = len(input_ids) - len(prompt) + 1
                if count <= produced:
                    return False  # llama-cpp-python asks once more after the last token
                produced = count
                if on_token is not None:
                    on_token(produced)
                if should_stop is not None and should_stop():
                    cancelled = True
                    return True
                return False

            pieces: list[str] = []
            stream = llm.create_completion(
                prompt=prompt,
                max_tokens=min(self.max_tokens, room),
                temperature=self.temperature,
                top_k=1 if self.temperature == 0 else 40,
                repeat_penalty=1.0,
                seed=self.seed,
                stop=stop,
                stream=True,
                stopping_criteria=StoppingCriteriaList([per_token]),
            )
            for chunk in stream:
                pieces.append(chunk["choices"][0]["text"])
            if cancelled:
                raise GenerationCancelled()
            generated = produced
            raw = "".join(pieces)
            repaired = repair_doc(item, parse_completion(raw))
            return GeneratedDoc(
                text=repaired.text,
                raw=raw,
                origin=repaired.origin,
                tokens=generated,
                seconds=time.perf_counter() - start,
            )

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__


def make_generator(model_path: str | Path | None, **llama_kwargs: Any) -> DocGenerator:
    """The template engine without a model path, else a LlamaGenerator (loaded lazily)."""
    if model_path is None or str(model_path) == "":
        return TemplateGenerator()
    return LlamaGenerator(model_path, **llama_kwargs)
