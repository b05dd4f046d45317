"""What the demo page shows for a Rust text: each undocumented item's doc from
each generator, as `///` lines, with the checker's findings on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rustdoc_core.doc_checker import check_doc
from rustdoc_core.doc_text import render_doc_comment
from rustdoc_core.generators import DocGenerator, GeneratedDoc
from rustdoc_core.prompt import prompt_context
from rustdoc_core.rust_files import rust_files
from rustdoc_core.rust_items import RustItem, RustSource, needs_doc

MAX_CODE_BYTES = 512 * 1024
"""Bigger pasted texts are refused: the page is for trying things, `generate` is for crates."""


class DemoInputError(ValueError):
    """Input the page cannot document (too big, not a file of the crate): shown to the user as is."""


@dataclass(frozen=True)
class CrateFiles:
    """The `.rs` files of the crate given with `--crate`: the only files the page may read."""

    root: Path
    files: tuple[str, ...]  # paths relative to root, in walk order

    @classmethod
    def scan(cls, root: Path) -> "CrateFiles":
        root = Path(root).resolve()
        return cls(root, tuple(str(p.resolve().relative_to(root)) for p in rust_files([root])))

    def read(self, relative: str) -> str:
        if relative not in self.files:
            raise DemoInputError(f"not a file of the crate: {relative}")
        return (self.root / relative).read_text(encoding="utf-8", errors="replace")


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
    """The items `generate` would document: no doc yet, and the shared policy wants one."""
    return [item for item in source.items() if item.doc is None and needs_doc(item, include_private)]


def document_text(code: str, generators: Sequence[DocGenerator], *, include_private: bool = False) -> list[dict[str, Any]]:
    """One entry per undocumented item of `code`: where it is, and each generator's doc (by generator name)."""
    if len(code.encode("utf-8")) > MAX_CODE_BYTES:
        raise DemoInputError(f"the code is over {MAX_CODE_BYTES // 1024} KiB; document big files with `rustdoc-gen generate`")
    source = RustSource(code)
    entries = []
    for item in undocumented_items(source, include_private):
        context = prompt_context(source, item)
        docs = {}
        for generator in generators:
            try:
                docs[generator.name] = _doc_view(item, generator.generate(item, context))
            except Exception as err:  # noqa: BLE001 - one item's failure is shown in its place; the rest still come
                docs[generator.name] = {"error": f"{type(err).__name__}: {err}"}
        entries.append({"label": item.label, "kind": item.kind, "line": item.start_line + 1,
                        "signature": item.signature, "docs": docs})
    return entries
