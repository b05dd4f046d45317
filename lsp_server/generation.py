"""The generation worker: one model per server, loaded once, off the event loop: when the
first Rust file opens (`preload`), or else at the first request.

Requests queue on a single worker thread (one llama.cpp context can only do one
thing at a time). The model's KV cache outlives requests: each prompt evaluates only
what it does not share with the one before (the system prompt always; the file's
context for the next item of a file), and `prefill` evaluates an item's prompt ahead of
its request while the worker is idle (a file just opened, an action just listed). Each request carries a stop flag that the token loop checks
after every token: `$/cancelRequest`, a cancelled work-done progress or the
client going away set it. When the model cannot be used (none configured, file
missing or corrupt, llama.cpp refuses it) the template engine serves instead
and the server says why, once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lsp_server.settings import ModelSettings
from rustdoc_core.generation.backend import BackendUnavailable
from rustdoc_core.generation.crate_context import CrateContext
from rustdoc_core.generation.generators import (
    DocGenerator,
    GeneratedDoc,
    GenerationCancelled,
    ModelLoadError,
    TemplateGenerator,
    make_generator,
)
from rustdoc_core.generation.pipeline import DocRequest, ItemDoc, document_item, document_items, request_context

log = logging.getLogger(__name__)

NOT_LOADED_YET = "The model loads when a Rust file opens."

HOW_TO_SET_A_MODEL = (
    "Set `rustdocGen.model.path` to a GGUF file (`rustdoc-gen model pull` downloads one and prints its path) "
    "or to a model server's URL (http://HOST:PORT/v1)."
)


@dataclass(frozen=True)
class Status:
    """The `rustdocGen/status` notification's payload."""

    state: str  # "template" | "loading" | "ready" | "generating" | "error"
    model: str | None = None
    message: str | None = None

    def to_wire(self) -> dict[str, str | None]:
        return {"state": self.state, "model": self.model, "message": self.message}


@dataclass
class GenerationRequest:
    """Items to document in one go, and the crate around them."""

    items: Sequence[DocRequest]
    crate: CrateContext = field(default_factory=CrateContext)
    cancelled: Callable[[], bool] = lambda: False
    """Polled after every token besides the request's own stop flag (e.g. a cancelled progress)."""
    on_progress: Callable[[int, int, int, str], None] | None = None
    """Called from the worker thread with (item index, items, tokens of this item so far, its answer so far)."""
    on_loading: Callable[[str], None] | None = None
    """Called from the worker thread when the model starts loading for this request."""
    stop: threading.Event = field(default_factory=threading.Event)

    def should_stop(self) -> bool:
        return self.stop.is_set() or self.cancelled()


@dataclass
class GenerationResult:
    docs: list[GeneratedDoc | None]
    """One per requested item; None where that item could not be generated."""
    generator: str
    errors: list[str] = field(default_factory=list)


class GenerationWorker:
    """Owns the generator and the one thread that runs it."""

    def __init__(
        self,
        on_status: Callable[[Status], None],
        on_fallback: Callable[[str], None],
    ):
        self._on_status = on_status
        self._on_fallback = on_fallback
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rustdoc-gen-model")
        self._settings = ModelSettings()
        self._generator: DocGenerator | None = None
        self._failed: str | None = None  # why the configured model is not used
        self._told: set[str] = set()
        self._active: set[threading.Event] = set()
        self._lock = threading.Lock()
        self._queued = 0
        self._closed = False
        self._prefill_wanted: DocRequest | None = None  # the latest prefill asked for, not yet run
        self._loading = False  # a model is loading on the worker thread

    # --- settings and state --------------------------------------------------------

    @property
    def settings(self) -> ModelSettings:
        return self._settings

    @property
    def model_name(self) -> str | None:
        """`model.gguf`, or `base.gguf@adapter.gguf` with an adapter; None without a model."""
        settings = self._settings
        if settings.path is None:
            return None
        if settings.is_server:
            return settings.path
        return Path(settings.path).name + (f"@{Path(settings.adapter).name}" if settings.adapter else "")

    @property
    def uses_model(self) -> bool:
        """Whether the next request is expected to run the model (not the template engine)."""
        return self._settings.path is not None and self._failed is None

    @property
    def queued(self) -> int:
        """Requests waiting for or running on the worker."""
        return self._queued

    def configure(self, settings: ModelSettings, *, announce: bool = True) -> None:
        """Take new model settings; a changed model is loaded on its next use.

        `announce`: send the status (and say so when the file is missing); off
        before the client has finished initializing.
        """
        if settings == self._settings and self._generator is not None:
            return
        old = self._settings
        self._settings = settings
        if settings != old:
            with self._lock:
                self._failed = None
                self._told.clear()
                generator, self._generator = self._generator, None
            if generator is not None:
                # Release the old model on the worker thread, after whatever is running there.
                self._executor.submit(_close, generator)
        if not announce:
            return
        self._on_status(self.idle_status())
        local = settings.path is not None and not settings.is_server  # a server is asked when it loads
        if local and not Path(settings.path).expanduser().is_file():
            self._fail(f"model file not found: {settings.path}")
        elif local and settings.adapter and not Path(settings.adapter).expanduser().is_file():
            self._fail(f"adapter file not found: {settings.adapter}")

    def idle_status(self) -> Status:
        if self._settings.path is None:
            return Status("template", None, "No model configured: docs come from the template engine.")
        if self._failed is not None:
            return Status("error", self.model_name, f"{self._failed}; using the template engine.")
        if self._loading:
            return Status("loading", self.model_name, f"Loading {self.model_name}")
        generator = self._generator
        loaded = generator is not None and generator.loaded
        return Status("ready", self.model_name, None if loaded else NOT_LOADED_YET)

    def _fail(self, reason: str) -> None:
        with self._lock:
            self._failed = reason
        self._on_status(Status("error", self.model_name, f"{reason}; using the template engine."))
        self._tell(f"rustdoc-gen: {reason}. Using the template engine instead. {HOW_TO_SET_A_MODEL}")

    def _tell(self, message: str) -> None:
        with self._lock:
            if message in self._told:
                return
            self._told.add(message)
        self._on_fallback(message)

    # --- running -------------------------------------------------------------------

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        """Run a request on the worker thread; cancelling the awaiting task stops it at the next token."""
        if self._closed:
            raise GenerationCancelled()
        self._queued += 1
        future: Future[GenerationResult] = self._executor.submit(self._run, request)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            request.stop.set()
            future.cancel()
            raise
        finally:
            self._queued -= 1

    def preload(self, first: DocRequest | None = None, crate: CrateContext | None = None) -> None:
        """Load the configured model now on the worker thread, unless it is loaded or failed; then
        evaluate `first`'s prompt (an item of the file just opened), so that its request, and the
        next of its file, start with the shared part of their prompt done."""
        if self._closed or self._settings.path is None or self._failed is not None:
            return
        generator = self._generator
        if generator is None or not generator.loaded:
            self._executor.submit(self._preload)
        if first is not None:
            self.prefill(first, crate)

    def _preload(self) -> None:
        try:
            self._ensure_generator()
        except Exception:  # noqa: BLE001 - _ensure_generator reports its own failures
            log.exception("preloading the model failed")

    def prefill(self, request: DocRequest, crate: CrateContext | None = None) -> None:
        """Evaluate `request`'s prompt on the worker thread when it has nothing else to do (the
        request it is for will then only decode); a newer prefill replaces one not yet run."""
        if self._closed or self._settings.path is None or self._failed is not None:
            return
        self._prefill_wanted = request
        self._executor.submit(self._prefill, request, crate if crate is not None else CrateContext())

    def _prefill(self, request: DocRequest, crate: CrateContext) -> None:
        if self._prefill_wanted is not request or self._queued:
            return  # replaced by a newer one, or a request is waiting: it goes first
        generator = self._generator
        prefill = getattr(generator, "prefill", None)
        if generator is None or not generator.loaded or prefill is None:
            return
        try:
            start = time.perf_counter()
            evaluated = prefill(request.item, request_context(request, crate), should_stop=lambda: self._queued > 0)
            log.info("prefilled %s: %d tokens in %.2fs", request.item.label, evaluated, time.perf_counter() - start)
        except GenerationCancelled:
            pass
        except Exception:  # noqa: BLE001 - a prefill only saves time; the request does the work anyway
            log.debug("prefill of %s failed", request.item.label, exc_info=True)

    def _ensure_generator(self, request: GenerationRequest | None = None) -> DocGenerator:
        """The generator to use now; loads the model the first time (worker thread only)."""
        if self._generator is not None:
            return self._generator
        settings = self._settings
        if settings.path is None:
            self._tell(
                "rustdoc-gen: no model configured, so docs come from the template engine. " + HOW_TO_SET_A_MODEL
            )
            generator: DocGenerator = TemplateGenerator()
        elif self._failed is not None:
            generator = TemplateGenerator()
        else:
            generator = make_generator(settings.generator_spec(), settings.decode)
            self._on_status(Status("loading", self.model_name, f"Loading {self.model_name}"))
            if request is not None and request.on_loading is not None:
                request.on_loading(f"Loading {self.model_name}")
            start = time.perf_counter()
            self._loading = True
            try:
                generator.load()
            except ModelLoadError as err:
                self._fail(str(err))
                generator = TemplateGenerator()
            except Exception as err:  # llama.cpp can fail in ways nobody wrapped
                log.exception("loading %s failed", generator.name)
                self._fail(f"could not load {settings.path}: {' '.join(str(err).split()) or type(err).__name__}")
                generator = TemplateGenerator()
            else:
                log.info("loaded %s in %.2fs", generator.name, time.perf_counter() - start)
            finally:
                self._loading = False
        if settings == self._settings:  # not reconfigured meanwhile
            self._generator = generator
            if request is None:
                self._on_status(self.idle_status())
        elif request is None:
            _close(generator)  # a preload for settings that are gone
        return generator

    def _run(self, request: GenerationRequest) -> GenerationResult:
        with self._lock:
            self._active.add(request.stop)
        try:
            if request.should_stop():
                raise GenerationCancelled()
            generator = self._ensure_generator(request)
            is_model = generator.is_model
            if is_model:
                self._on_status(Status("generating", self.model_name, None))
            total = len(request.items)
            report = request.on_progress
            try:
                results = document_items(
                    request.items,
                    generator,
                    request.crate,
                    should_stop=request.should_stop,
                    on_progress=(lambda index, tokens, text: report(index, total, tokens, text)) if report is not None else None,
                )
            except BackendUnavailable as err:  # the model server went away: this request gets the template's docs
                self._tell(f"rustdoc-gen: {err}. This request's docs come from the template engine; the next one asks the server again.")
                results = [ItemDoc(item, None, str(err)) for item in request.items]
            finally:
                if is_model:
                    self._on_status(self.idle_status())
            docs: list[GeneratedDoc | None] = []
            errors: list[str] = []
            for result in results:
                if result.doc is None:  # the model failed on this item: the template writes its doc
                    log.warning("generation failed for %s: %s", result.request.item.label, result.error)
                    errors.append(f"{result.request.item.label}: {result.error}")
                    docs.append(_template_or_none(result.request, request.crate))
                else:
                    docs.append(result.doc)
            return GenerationResult(docs, generator.name, errors)
        finally:
            with self._lock:
                self._active.discard(request.stop)

    def close(self) -> None:
        """Stop running generations at their next token and release the thread."""
        self._closed = True
        with self._lock:
            for stop in self._active:
                stop.set()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _template_or_none(request: DocRequest, crate: CrateContext) -> GeneratedDoc | None:
    try:
        return document_item(request, TemplateGenerator(), crate)
    except Exception:  # noqa: BLE001 - logged; the item is reported as failed
        log.exception("template generation failed for %s", request.item.label)
        return None


def _close(generator: DocGenerator) -> None:
    try:
        generator.close()
    except Exception:  # noqa: BLE001
        log.exception("closing %s failed", generator.name)
