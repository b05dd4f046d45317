"""Examples verified before they are inserted (`rustdocGen.generate.verifyExamples`).

A generated doc's `# Examples` run as doctests against the crate of the file
(`rustdoc_core.docs.example_verify`: one cargo build, then rustdoc per example, off the
event loop, stopped when the user cancels the generation). A missing `use` or `main`
wrapper is added; an example that still fails is dropped and the user is told once
per request. Off where no Cargo.toml with a library is found; when the crate does not
build, the examples are left out, since none of them can be checked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from lsprotocol import types

from lsp_server.documents import OpenDocument, path_of
from lsp_server.generation import GenerationResult
from lsp_server.server import RustdocServer
from rustdoc_core.docs.example_verify import BuildFailed, ExampleVerifier
from rustdoc_core.docs.fixes import remove_section
from rustdoc_core.generation.generators import GeneratedDoc
from rustdoc_core.generation.pipeline import verify_doc
from rustdoc_core.rust.items import RustItem

log = logging.getLogger(__name__)


async def verified_result(
    ls: RustdocServer,
    doc: OpenDocument,
    items: Sequence[RustItem],
    result: GenerationResult,
    cancelled: Callable[[], bool],
) -> GenerationResult:
    """`result` with each doc's examples verified, when the setting is on.

    Raises GenerationCancelled when `cancelled()` says stop while the compiler runs."""
    path = path_of(doc.uri)
    if not ls.settings.generate.verify_examples or path is None:
        return result
    verifier = ExampleVerifier.for_path(path, cancelled=cancelled)
    if verifier is None:
        log.info("generate.verifyExamples: no Cargo.toml with a library above %s; examples not verified", path)
        return result
    index = ls.workspace_crate.crate.indexes.index_for(path)
    module = tuple((index.module_of(path) if index is not None else None) or ())
    def verify_all() -> tuple[list[GeneratedDoc | None], list[str]]:
        docs: list[GeneratedDoc | None] = []
        notes: list[str] = []
        for item, generated in zip(items, result.docs):
            if generated is not None:
                generated, note = verify_doc(item, generated, verifier, module)
                notes += [note] if note else []
            docs.append(generated)
        return docs, notes

    try:
        docs, notes = await asyncio.to_thread(verify_all)
    except BuildFailed as err:
        ls.show(f"rustdoc-gen: examples left out: the crate does not build, so they cannot be checked ({err})", types.MessageType.Warning)
        docs = [replace(d, text=remove_section(d.text, "Examples").rstrip()) if d is not None else None for d in result.docs]
        return replace(result, docs=docs)
    if notes:
        ls.show("rustdoc-gen: " + "; ".join(notes), types.MessageType.Warning)
    return replace(result, docs=docs)
