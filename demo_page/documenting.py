"""What the demo page shows for a Rust text: each undocumented item's doc from
each generator, as `///` lines, with the checker's findings on it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rustdoc_core.docs.checker import check_doc
from rustdoc_core.docs.text import render_doc_comment
from rustdoc_core.generation.crate_context import CrateContext
from rustdoc_core.generation.generators import DocGenerator, GeneratedDoc
from rustdoc_core.generation.pipeline import DocRequest, document_items
from rustdoc_core.rust.doc_policy import wants_doc
from rustdoc_core.rust.files import read_rust_file, rust_files
from rustdoc_core.rust.items import RustItem, RustSource

log = logging.getLogger(__name__)

MAX_CODE_BYTES = 512 * 1024
"""Bigger pasted texts are refused: the page is for trying things, `generate` is for crates."""


class DemoInputError(ValueError):
    """Input the page cannot document (too big, not text, not a file of the crate): shown to the
    user as is, with the HTTP status that says which (400 unless given)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CrateFiles:
    """The `.rs` files of the crate given with `--crate`: the only files the page may read."""

    root: Path
    files: tuple[str, ...]  # paths relative to root, in walk order

    @classmethod
    def scan(cls, root: Path) -> "CrateFiles":
        root = Path(root).resolve()
        return cls(root, tuple(str(p.resolve().relative_to(root)) for p in rust_files([root])))

    def context(self) -> CrateContext:
        """The crate's context (its names, aliases, exports): what the page's docs are grounded in."""
        files = []
        for relative in self.files:
            try:
                files.append((self.root / relative, RustSource(read_rust_file(self.root / relative))))
            except (OSError, ValueError) as err:
                log.warning("demo: %s left out of the crate context: %s", relative, err)
        return CrateContext.of_files(files)

    def read(self, relative: str) -> str:
        if relative not in self.files:
            raise DemoInputError(f"not a file of the crate: {relative!r}", 404)
        path = self.root / relative
        if not path.is_file():  # gone, or no longer a regular file, since the scan
            raise DemoInputError(f"{relative} is no longer a file of the crate", 404)
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError as err:
            raise DemoInputError(f"cannot read {relative}: {err.strerror or err}", 404) from None


def _doc_view(item: RustItem, doc: GeneratedDoc) -> dict[str, Any]:
    findings = check_doc(item, doc.text)
    return {
        "text": doc.text,
        "comment": render_doc_comment(doc.text, item.indent),
        "origin": doc.origin,
        "tokens": doc.tokens,
        "seconds": round(doc.seconds, 3),
        "findings": [{"code": f.code, "severity": f.severity, "message": f.message, "line": f.line} for f in findings],
    }


def undocumented_items(source: RustSource, include_private: bool) -> list[RustItem]:
    """The items `generate` would document: those that want a doc and have none."""
    return [item for item in source.items() if wants_doc(item, include_private=include_private)]


PASTED = "<pasted>"
"""The name a pasted text goes by in the crate context."""


def document_text(
    code: str, generators: Sequence[DocGenerator], *, include_private: bool = False, crate: CrateContext | None = None
) -> list[dict[str, Any]]:
    """One entry per undocumented item of `code`: where it is, and each generator's doc (by generator name).
    With `crate` (the `--crate` files' context), names of the crate count as real in the docs."""
    try:
        size = len(code.encode("utf-8"))
    except UnicodeEncodeError as err:  # JSON can carry a lone surrogate ("\ud800"); no file can
        raise DemoInputError(f"the code is not text: a lone surrogate at character {err.start}") from None
    if size > MAX_CODE_BYTES:
        raise DemoInputError(f"the code is over {MAX_CODE_BYTES // 1024} KiB; document big files with `rustdoc-gen generate`", 413)
    source = RustSource(code)
    context = (crate or CrateContext()).with_file(PASTED, source)
    items = undocumented_items(source, include_private)
    requests = [DocRequest(item, None, source) for item in items]
    docs: list[dict[str, Any]] = [{} for _ in items]
    for generator in generators:
        for index, result in enumerate(document_items(requests, generator, context)):
            if result.doc is None:  # one item's failure is shown in its place; the rest still come
                docs[index][generator.name] = {"error": result.error}
            else:
                docs[index][generator.name] = _doc_view(result.request.item, result.doc)
    return [
        {"label": item.label, "kind": item.kind, "line": item.start_line + 1, "signature": item.signature, "docs": entry}
        for item, entry in zip(items, docs)
    ]
