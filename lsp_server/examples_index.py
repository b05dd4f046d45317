"""The open workspace's retrieval index (state the server holds; the features that start it,
keep it current on save and show it are in `lsp_server.examples`).

It is built on a background thread, so requests are answered meanwhile (prompts go
without examples until it is ready). A query takes a millisecond or two
(`python -m bench retrieval`), so it runs where the prompt is built.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from rustdoc_core.prompt import PromptContext
from rustdoc_core.retrieval import Neighbour, RetrievalIndex
from rustdoc_core.rust_items import RustItem, RustSource

log = logging.getLogger(__name__)

MAX_FILES = 20_000
"""Files indexed at most: a workspace with vendored trees stops there (the rest go without)."""
MAX_FILE_BYTES = 2 * 1024 * 1024
"""Bigger files (generated code) are left out, as the miner leaves them out."""


def file_key(path: Path) -> str:
    """How the index names a file: its resolved path."""
    return str(path.resolve())


class WorkspaceExamples:
    """The retrieval index of the open workspace: built off the event loop, current on save."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: RetrievalIndex | None = None
        self._roots: tuple[Path, ...] | None = None
        self._building = False
        self._saved: dict[str, RustSource] = {}  # saved while the index was being built
        self.ready = threading.Event()

    @property
    def enabled(self) -> bool:
        return self._roots is not None

    def start(self, roots: list[Path]) -> None:
        """Index the `.rs` files under `roots` on a thread (once; again only for other roots)."""
        roots_key = tuple(sorted(p.resolve() for p in roots))
        with self._lock:
            if self._roots == roots_key:
                return
            self._roots, self._index, self._saved = roots_key, None, {}
            self.ready.clear()
            self._building = True
        threading.Thread(target=self._build, args=(roots_key,), name="rustdoc-gen-examples", daemon=True).start()

    def stop(self) -> None:
        """The setting went off: forget the index."""
        with self._lock:
            self._roots, self._index, self._saved, self._building = None, None, {}, False
            self.ready.clear()

    def _build(self, roots: tuple[Path, ...]) -> None:
        from rustdoc_core.rust_files import InputError, rust_files

        start = time.perf_counter()
        index = RetrievalIndex()
        try:
            files = rust_files([r for r in roots if r.is_dir()])[:MAX_FILES]
        except (InputError, OSError) as err:
            log.warning("examples index: cannot list the workspace: %s", err)
            files = []
        for path in files:
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    continue
                index.add_source(file_key(path), RustSource(path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
                log.debug("examples index: %s left out: %s", path, err)
        with self._lock:
            if self._roots != roots:  # stopped or restarted meanwhile
                return
            for key, source in self._saved.items():
                index.replace_file(key, source)
            self._index, self._saved, self._building = index, {}, False
        self.ready.set()
        log.info("examples index: %d documented items from %d files in %.2fs", len(index), len(files), time.perf_counter() - start)

    def saved(self, path: Path, source: RustSource) -> None:
        """A file was saved: its documented items as they are now."""
        key = file_key(path)
        with self._lock:
            if self._building:
                self._saved[key] = source
                return
            index = self._index
        if index is not None:
            index.replace_file(key, source)

    def neighbours(self, path: Path | None, item: RustItem) -> list[Neighbour]:
        index = self._index
        if index is None or path is None:
            return []
        return index.neighbours(file_key(path), item)

    def context_for(self, path: Path | None, item: RustItem, context: PromptContext) -> PromptContext:
        """`context` with the item's neighbours as examples, when the index is on and ready."""
        found = self.neighbours(path, item)
        return context.with_examples([n.example() for n in found]) if found else context
