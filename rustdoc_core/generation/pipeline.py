"""The one documenting pipeline: items and their crate, to docs ready to insert.

    items + CrateContext -> prompt context (+ retrieved examples) -> generator's answer
          -> output guard (cut, repair, or the template) -> examples verified -> docs

`generate` (through `document.document_file`), the language server, the demo page, the eval
and `prefs` all document through `document_items` / `document_item`; none of them builds a
step of its own. The edits that put the docs into a file are the caller's (`docs.edits`):
a file on disk and an open editor buffer place them differently.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rustdoc_core.docs.checker import rust_block_parses
from rustdoc_core.docs.example_verify import BuildFailed, ExampleVerifier, VerificationCancelled
from rustdoc_core.docs.fixes import drop_empty_section
from rustdoc_core.docs.text import code_blocks, normalize_doc
from rustdoc_core.errors import one_line
from rustdoc_core.generation.answer_end import answer_end
from rustdoc_core.generation.backend import Answer, BackendUnavailable
from rustdoc_core.generation.crate_context import CrateContext
from rustdoc_core.generation.generators import DocGenerator, GeneratedDoc, GenerationCancelled, OnToken
from rustdoc_core.generation.grounding import context_code
from rustdoc_core.generation.guard import guard_answer
from rustdoc_core.generation.prompt import PromptContext
from rustdoc_core.generation.provenance import Provenance
from rustdoc_core.generation.retrieval import item_key
from rustdoc_core.rust.items import RustItem, RustSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocRequest:
    """One item to document: where it is, and its prompt context when the caller has one
    already (an eval example's, mined with the dataset); else it is read from `source`."""

    item: RustItem
    path: Path | str | None = None
    source: RustSource | None = None
    context: PromptContext | None = None


@dataclass(frozen=True)
class ItemDoc:
    """What the pipeline made of one request: its doc, or why there is none."""

    request: DocRequest
    doc: GeneratedDoc | None
    error: str | None = None
    """Why the generator gave nothing (`None` when `doc` is set)."""
    note: str | None = None
    """What verification did to the doc's examples, in one line, if anything."""


def request_context(request: DocRequest, crate: CrateContext) -> PromptContext:
    """The prompt context of a request: its own or its file's, with retrieved examples."""
    item = request.item
    if request.context is not None:
        context = request.context
    elif request.source is not None:
        return crate.prompt_context(request.path, request.source, item)
    else:
        context = PromptContext(module_path=item.module_path)
    return crate.with_examples(request.path, item, context)


def document_item(
    request: DocRequest,
    generator: DocGenerator,
    crate: CrateContext | None = None,
    *,
    should_stop: Callable[[], bool] | None = None,
    on_token: OnToken | None = None,
) -> GeneratedDoc:
    """The doc for one item: its context, the generator's answer, the output guard.

    Raises GenerationCancelled when `should_stop` says stop, and whatever the generator raises."""
    crate = crate if crate is not None else CrateContext()
    item, context = _prepared(request, crate)
    start = time.perf_counter()
    answer = generator.answer(item, context, should_stop=should_stop, on_token=on_token, ends_at=answer_end(item),
                              **_crate_facts(request, generator, crate))
    return _guarded(request, item, context, answer, generator, crate, time.perf_counter() - start)


def _crate_facts(request: DocRequest, generator: DocGenerator, crate: CrateContext) -> dict[str, Any]:
    """What the template is told of the crate (its error types); a model reads the crate in its prompt."""
    return {} if generator.is_model else {"error_meanings": crate.error_meanings(_path_of(request))}


def _path_of(request: DocRequest) -> Path | None:
    return Path(request.path) if request.path is not None else None


def _prepared(request: DocRequest, crate: CrateContext) -> tuple[RustItem, PromptContext]:
    """The item as the generator sees it (its doc dropped, its types resolved) and its prompt context."""
    item = crate.resolve(request.item.with_doc(None), _path_of(request))
    context = request_context(request, crate)
    if crate.retrieval is not None:
        log.debug("%s: examples %s", item.label, "; ".join(f"`{e.signature}`" for e in context.examples) or "none")
    return item, context


def _guarded(
    request: DocRequest, item: RustItem, context: PromptContext, answer: Answer, generator: DocGenerator, crate: CrateContext, seconds: float
) -> GeneratedDoc:
    """The doc made of an answer: the output guard's for a model's, the template's as it is. The
    guard lets it copy no retrieved example and no other documented item of the crate."""
    if not generator.is_model:  # the guard is for model answers: it changes no template doc (3,460 of Debian's items)
        return GeneratedDoc(normalize_doc(answer.text), answer.text, Provenance.TEMPLATE, 0, seconds)
    own = item_key(str(request.path), request.item) if request.path is not None else None
    done = guard_answer(
        item, answer.text, names=crate.names, context_code=context_code(context), examples=[e.doc for e in context.examples],
        known=crate.docs, own=own, error_meanings=crate.error_meanings(_path_of(request)),
    )
    return GeneratedDoc(done.text, answer.text, done.provenance, answer.tokens, seconds, done.steps)


def document_items(
    requests: Sequence[DocRequest],
    generator: DocGenerator,
    crate: CrateContext | None = None,
    *,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_item: Callable[[ItemDoc], None] | None = None,
) -> list[ItemDoc]:
    """Document every request; the results come in the requests' order. One item's failure is
    recorded in its place and the others still come; with the crate's example verifiers, each
    doc's examples are run first. Items that share prompt context (a file, a container) are
    asked for one after the other, so the model evaluates what they share once.

    A backend that takes several answers at once (`concurrent_requests` > 1: a model server)
    is asked that many at a time (`_asked_concurrently`); the results still come in order.

    `on_progress(index, tokens, text)` hears each token of request `index` with the answer so
    far (and 0, "" as it starts); `on_item` each result as it is done. Raises GenerationCancelled
    when `should_stop` says stop, BackendUnavailable when the backend has gone (no later item
    could be answered); a crate that cannot build its examples does not stop the run (`_verified`)."""
    crate = crate if crate is not None else CrateContext()
    order = _sharing_context_first(requests)
    jobs = max(1, int(getattr(generator, "concurrent_requests", 1)))
    if jobs > 1 and len(order) > 1:
        asked = _asked_concurrently(requests, order, generator, crate, jobs, should_stop, on_progress)
    else:
        asked = _asked_in_turn(requests, order, generator, crate, should_stop, on_progress)
    done: dict[int, ItemDoc] = {}
    for index, result in asked:
        if result.doc is not None and crate.verifiers is not None and result.request.path is not None:
            result = _verified(result, crate)
        done[index] = result
        if on_item is not None:
            on_item(result)
    return [done[index] for index in range(len(requests))]


def _token_reporter(on_progress: Callable[[int, int, str], None] | None, index: int) -> OnToken | None:
    """`on_progress` for request `index` as the generator's `on_token`, told first that it starts."""
    if on_progress is None:
        return None
    on_progress(index, 0, "")
    return lambda tokens, text: on_progress(index, tokens, text)


def _failed(request: DocRequest, err: Exception) -> ItemDoc:
    """One bad item must not sink the others: its result says why, and the run goes on."""
    log.debug("generation failed for %s", request.item.label, exc_info=err)
    return ItemDoc(request, None, f"{type(err).__name__}: {one_line(err)}")


def _asked_in_turn(
    requests: Sequence[DocRequest],
    order: list[int],
    generator: DocGenerator,
    crate: CrateContext,
    should_stop: Callable[[], bool] | None,
    on_progress: Callable[[int, int, str], None] | None,
) -> Iterator[tuple[int, ItemDoc]]:
    """Each request's result, one after the other in `order`."""
    for index in order:
        request = requests[index]
        if should_stop is not None and should_stop():
            raise GenerationCancelled()
        on_token = _token_reporter(on_progress, index)
        try:
            yield index, ItemDoc(request, document_item(request, generator, crate, should_stop=should_stop, on_token=on_token))
        except (GenerationCancelled, BackendUnavailable):
            raise
        except Exception as err:  # noqa: BLE001 - recorded in the item's place
            yield index, _failed(request, err)


def _asked_concurrently(
    requests: Sequence[DocRequest],
    order: list[int],
    generator: DocGenerator,
    crate: CrateContext,
    jobs: int,
    should_stop: Callable[[], bool] | None,
    on_progress: Callable[[int, int, str], None] | None,
) -> Iterator[tuple[int, ItemDoc]]:
    """Each request's result as it comes, `jobs` answers asked for at once in `order`. Only the
    backend's `answer` runs on the pool's threads; contexts are built and answers guarded here,
    on the caller's thread, so the crate context is never used from two threads at once."""
    pending: dict[Future, tuple[int, RustItem, PromptContext, float]] = {}
    waiting = iter(order)
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="rustdoc-gen-ask") as pool:
        try:
            while True:
                while len(pending) < jobs and (index := next(waiting, None)) is not None:
                    if should_stop is not None and should_stop():
                        raise GenerationCancelled()
                    try:
                        item, context = _prepared(requests[index], crate)
                    except Exception as err:  # noqa: BLE001 - recorded in the item's place
                        yield index, _failed(requests[index], err)
                        continue
                    future = pool.submit(
                        generator.answer, item, context, should_stop=should_stop,
                        on_token=_token_reporter(on_progress, index), ends_at=answer_end(item), **_crate_facts(requests[index], generator, crate),
                    )
                    pending[future] = (index, item, context, time.perf_counter())
                if not pending:
                    return
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    index, item, context, start = pending.pop(future)
                    request = requests[index]
                    try:
                        answer = future.result()
                        result = ItemDoc(request, _guarded(request, item, context, answer, generator, crate, time.perf_counter() - start))
                    except (GenerationCancelled, BackendUnavailable):
                        raise
                    except Exception as err:  # noqa: BLE001 - recorded in the item's place
                        result = _failed(request, err)
                    yield index, result
        finally:  # cancelled, the backend gone, or the caller stopped listening: ask nothing more
            for future in pending:
                future.cancel()


def _sharing_context_first(requests: Sequence[DocRequest]) -> list[int]:
    """The order to ask for `requests` in: those of one file and container together (their
    prompts share that context's part, `prompt.build_messages`), the groups in the order they
    first come, each group in its own order."""
    groups: dict[tuple, list[int]] = {}
    for index, request in enumerate(requests):
        key = (str(request.path), tuple(c.header for c in request.item.containers))
        groups.setdefault(key, []).append(index)
    return [index for group in groups.values() for index in group]


def _verified(result: ItemDoc, crate: CrateContext) -> ItemDoc:
    """The result with its doc's examples compiled against the crate; where the crate cannot
    build them (no library, a build that fails), with its code blocks that do not parse as Rust
    dropped instead: the run goes on, and `ExampleVerifiers` says once why examples went unchecked."""
    assert result.doc is not None and crate.verifiers is not None and result.request.path is not None
    if not code_blocks(result.doc.text):
        return result  # nothing to verify: no build, no warning
    path = Path(result.request.path)
    verifier, module_path = crate.verifiers.for_file(path)
    if verifier is not None:
        try:
            doc, note = verify_doc(result.request.item, result.doc, verifier, module_path)
            return replace(result, doc=doc, note=note)
        except BuildFailed as err:
            crate.verifiers.build_failed(path, err)
    text, dropped = drop_unparsed_blocks(result.doc.text)
    if not dropped:
        return result
    note = f"{result.request.item.label}: dropped {dropped} code block(s) that do not parse as Rust"
    return replace(result, doc=replace(result.doc, text=text), note=note)


def drop_unparsed_blocks(doc: str) -> tuple[str, int]:
    """The doc without its Rust code blocks that do not parse (an `# Examples` section left
    empty goes too), and how many went: what is checked of examples where none can compile."""
    lines = doc.split("\n")
    dropped = 0
    for block in reversed(code_blocks(doc)):  # bottom-up: earlier blocks keep their line numbers
        if block.is_rust and block.closed and "compile_fail" not in block.info and not rust_block_parses(block):
            end = block.start_line + block.body.count("\n") + 3
            del lines[block.start_line : end]
            dropped += 1
    if not dropped:
        return doc, 0
    return normalize_doc(drop_empty_section("\n".join(lines), ("Examples", "Example"))), dropped


def verify_doc(
    item: RustItem, doc: GeneratedDoc, verifier: ExampleVerifier, module_path: tuple[str, ...] = ()
) -> tuple[GeneratedDoc, str | None]:
    """The doc with its examples run against the crate (`module_path`: the item's file's module):
    passing ones kept, mechanically repaired ones (a `use`, a `main` wrapper) rewritten, failing
    ones dropped; and one line saying what was dropped, if anything. Raises GenerationCancelled
    when the verifier's `cancelled` said stop, BuildFailed when the crate does not build."""
    try:
        verified = verifier.verify(item, doc.text, module_path)
    except VerificationCancelled:
        raise GenerationCancelled() from None
    return (replace(doc, text=verified.text) if verified.text != doc.text else doc), verified.summary(item.label)
