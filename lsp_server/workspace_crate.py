"""The open workspace as the documenting pipeline sees it: one `CrateContext` (names, `Result`
aliases, module trees, and the retrieval index when `rag.enable` is on), state the server
holds. The features that start it, keep it current on save and show its examples are in
`lsp_server.examples`.

Its files are read on a background thread once the client has said which folders it opened,
so requests are answered meanwhile: until the read is done, a doc is grounded in the names of
the files read so far, and prompts go without examples.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from rustdoc_core.generation.crate_context import CrateContext
from rustdoc_core.generation.retrieval import Neighbour, RetrievalIndex
from rustdoc_core.rust.items import RustItem, RustSource

log = logging.getLogger(__name__)

MAX_FILES = 20_000
"""Files read at most: a workspace with vendored trees stops there (the rest go without)."""
MAX_FILE_BYTES = 2 * 1024 * 1024
"""Bigger files (generated code) are left out, as the miner leaves them out."""


def file_key(path: Path) -> Path:
    """How the workspace names a file: its resolved path."""
    return path.resolve()


class WorkspaceCrate:
    """The workspace's crate context: read off the event loop, current on save."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.crate = CrateContext()
        self._roots: tuple[Path, ...] | None = None
        self._rag = False
        self._reading = False
        self._saved: dict[Path, RustSource] = {}  # saved while the files were being read
        self.ready = threading.Event()
        """Set once the workspace's files are read (and indexed, with retrieval)."""

    @property
    def rag(self) -> bool:
        return self._rag

    def start(self, roots: list[Path], *, rag: bool) -> None:
        """Read the `.rs` files under `roots` on a thread; again only when the roots or `rag` change."""
        roots_key = tuple(sorted(p.resolve() for p in roots))
        with self._lock:
            if self._roots == roots_key and self._rag == rag:
                return
            self._roots, self._rag, self._saved = roots_key, rag, {}
            self.crate = CrateContext()
            self.ready.clear()
            self._reading = True
        threading.Thread(target=self._read, args=(roots_key, self.crate), name="rustdoc-gen-workspace", daemon=True).start()

    def _read(self, roots: tuple[Path, ...], crate: CrateContext) -> None:
        from rustdoc_core.rust.files import InputError, rust_files

        start = time.perf_counter()
        try:
            files = rust_files([r for r in roots if r.is_dir()])[:MAX_FILES]
        except (InputError, OSError) as err:
            log.warning("workspace: cannot list the files: %s", err)
            files = []
        for path in files:
            if crate is not self.crate:
                return  # restarted meanwhile
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    continue
                crate.add(file_key(path), RustSource(path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
                log.debug("workspace: %s left out: %s", path, err)
        with self._lock:
            if crate is not self.crate:
                return
            for key, source in self._saved.items():
                crate.add(key, source)
            self._saved, self._reading = {}, False
            rag = self._rag
        if rag:
            crate.index_examples(RetrievalIndex())
        self.ready.set()
        examples = f", {len(crate.retrieval)} documented items indexed" if crate.retrieval is not None else ""
        log.info("workspace: %d files read in %.2fs%s", len(files), time.perf_counter() - start, examples)

    def saved(self, path: Path, source: RustSource) -> None:
        """A file was saved: the crate as it is now."""
        key = file_key(path)
        with self._lock:
            if self._reading:
                self._saved[key] = source
                return
            crate = self.crate
        crate.add(key, source)

    def neighbours(self, path: Path | None, item: RustItem) -> list[Neighbour]:
        """The documented items shown to a model as examples for `item` (none until indexed, or without `rag`)."""
        index = self.crate.retrieval
        if index is None or path is None or not self.ready.is_set():
            return []
        return index.neighbours(str(file_key(path)), item)
