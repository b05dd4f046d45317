"""What the documenting pipeline knows of the crate around the items it documents, built once
per crate (per `generate` run, per eval, per editor workspace) and kept current by the server
as files are saved:

- the crate's name index (a name the crate defines is real, so the guard keeps it);
- the docs of its documented items (a new doc copies none of them: `guard.DocRuns`);
- its `Result` aliases (`fn f() -> Fallible<u32>` returns a `Result`, so it needs `# Errors`);
- what its docs say its error types are (so `# Errors` can say what the error is);
- its module trees (which items are exported API, which module a file is);
- the retrieval index of its documented items, when examples go into prompts;
- a verifier of generated examples per crate, when examples are compiled first;
- each file's prompt context, computed once per parse (so a file is linear in its items).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rustdoc_core.docs.example_verify import ExampleVerifier
from rustdoc_core.docs.section_text import error_type_meanings
from rustdoc_core.generation.grounding import NameIndex
from rustdoc_core.generation.guard import DocRuns
from rustdoc_core.generation.prompt import FilePrompts, PromptContext
from rustdoc_core.generation.retrieval import RetrievalIndex, indexable, item_key
from rustdoc_core.rust.crate_index import CrateIndexes
from rustdoc_core.rust.items import RustItem, RustSource
from rustdoc_core.rust.manifest import nearest_manifest
from rustdoc_core.rust.result_aliases import ResultAlias, collect_result_aliases, resolve_result_alias

log = logging.getLogger(__name__)


class ExampleVerifiers:
    """One example verifier per crate (its build reused by every item), and each file's module
    in it; a crate without a Cargo.toml or a library is named once, and its examples go unverified."""

    def __init__(self, indexes: CrateIndexes, cancelled: Callable[[], bool] | None = None) -> None:
        self._indexes = indexes
        self._cancelled = cancelled
        self._by_crate: dict[Path, ExampleVerifier | None] = {}
        self.unverified: list[Path] = []
        """Crate directories (or folders) whose examples cannot be verified, in the order met."""
        self.unbuilt: dict[Path, str] = {}
        """Crates that do not build (directory -> the build's error line): their examples are
        only checked to parse as Rust."""

    def for_file(self, path: Path) -> tuple[ExampleVerifier | None, tuple[str, ...]]:
        """The verifier of `path`'s crate and the file's module path in it; (None, ()) where none can run."""
        manifest = nearest_manifest(path.resolve().parent, package_only=True)
        verifier = None
        if manifest is not None:
            if manifest.directory not in self._by_crate:
                kwargs = {"cancelled": self._cancelled} if self._cancelled is not None else {}
                self._by_crate[manifest.directory] = ExampleVerifier.for_path(manifest.directory, **kwargs)
            verifier = self._by_crate[manifest.directory]
            if manifest.directory in self.unbuilt:
                return None, ()
        if verifier is None:
            where = manifest.directory if manifest is not None else path.parent
            if where not in self.unverified:
                self.unverified.append(where)
                log.warning("examples are not compiled for %s: no Cargo.toml with a library (src/lib.rs) found; code blocks that do not parse as Rust are dropped", where)
            return None, ()
        index = self._indexes.index_for(path)
        module = index.module_of(path) if index is not None else None
        return verifier, tuple(module or ())

    def build_failed(self, path: Path, error: Exception) -> None:
        """`path`'s crate did not build: say so once, and verify no more of its examples."""
        manifest = nearest_manifest(path.resolve().parent, package_only=True)
        where = manifest.directory if manifest is not None else path.parent
        if where not in self.unbuilt:
            self.unbuilt[where] = str(error)
            log.warning("examples are not compiled for %s: the crate does not build (%s); code blocks that do not parse as Rust are dropped", where, error)


@dataclass
class CrateContext:
    """The crate around the items: see the module doc. An empty context (`CrateContext()`) is a
    lone file: its own names and aliases count once it is `add`ed; nothing else is known."""

    indexes: CrateIndexes = field(default_factory=CrateIndexes)
    retrieval: RetrievalIndex | None = None
    verifiers: ExampleVerifiers | None = None
    extra_names: NameIndex = field(default_factory=NameIndex)
    """Names known besides the files' own (an eval's repository, a dependency's crate name)."""
    extra_docs: DocRuns | None = None
    """Docs known besides the files' own (an eval's dataset): a new doc may copy none of them."""
    _files: dict[str, RustSource] = field(default_factory=dict)
    _prompts: weakref.WeakKeyDictionary[RustSource, FilePrompts] = field(default_factory=weakref.WeakKeyDictionary)
    _folders: set[Path] = field(default_factory=set)
    _manifests: set[Path] = field(default_factory=set)
    _names: NameIndex | None = None
    _docs: DocRuns | None = None
    _aliases: dict[str, ResultAlias] | None = None
    _error_meanings: dict[str, str] | None = None
    _index_meanings: dict[Path, dict[str, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def of_files(
        cls,
        files: Mapping[Path, RustSource] | Iterable[tuple[Path, RustSource]] = (),
        *,
        retrieval: RetrievalIndex | None = None,
        verify_examples: bool = False,
        cancelled: Callable[[], bool] | None = None,
    ) -> "CrateContext":
        """The context of a set of parsed files (a crate, or several; more can be `add`ed). With
        `retrieval`, their documented items join that index (pass `RetrievalIndex()` for the
        files' own); with `verify_examples`, generated examples are compiled against their crate."""
        indexes = CrateIndexes()
        crate = cls(indexes=indexes, retrieval=retrieval)
        if verify_examples:
            crate.verifiers = ExampleVerifiers(indexes, cancelled)
        for path, source in files.items() if isinstance(files, Mapping) else files:
            crate.add(path, source)
        return crate

    # --- keeping it current ---------------------------------------------------------

    def add(self, path: Path | str, source: RustSource) -> None:
        """File `path` as parsed now (new, or saved again): its names, aliases and examples, and
        what its crate's Cargo.toml names (the crate, its dependencies and features)."""
        key = str(path)
        folder = Path(path).resolve().parent
        manifest = None
        if folder not in self._folders:
            self._folders.add(folder)
            manifest = nearest_manifest(folder, package_only=True)
        with self._lock:
            self._files[key] = source
            self._names = self._aliases = self._docs = self._error_meanings = None
            if manifest is not None and manifest.directory not in self._manifests:
                self._manifests.add(manifest.directory)
                self.extra_names = self.extra_names | NameIndex.of_manifest(manifest)
        if self.retrieval is not None:
            self.retrieval.replace_file(key, source)

    def with_file(self, path: Path | str, source: RustSource) -> "CrateContext":
        """A context that also knows `source` (a file being edited, a pasted text), leaving this
        one as it is: its names and aliases count, its examples do not join the index."""
        with self._lock:
            files = {**self._files, str(path): source}
        return CrateContext(
            indexes=self.indexes, retrieval=self.retrieval, verifiers=self.verifiers, extra_names=self.extra_names,
            extra_docs=self.extra_docs,
            _files=files, _folders=set(self._folders), _manifests=set(self._manifests),
        )

    def index_examples(self, index: RetrievalIndex) -> None:
        """From now on, prompts get examples from `index`, with the documented items of every
        file added so far in it (a server turns retrieval on once its workspace is read)."""
        with self._lock:
            files = list(self._files.items())
        for key, source in files:
            index.replace_file(key, source)
        self.retrieval = index

    def remove(self, path: Path | str) -> None:
        key = str(path)
        with self._lock:
            self._files.pop(key, None)
            self._names = self._aliases = self._docs = self._error_meanings = None
        if self.retrieval is not None:
            self.retrieval.remove_file(key)

    # --- what the pipeline asks ------------------------------------------------------

    @property
    def names(self) -> NameIndex:
        """Every name the crate's files define or import, with its crate and dependency names."""
        with self._lock:
            if self._names is None:
                self._names = NameIndex.from_sources(self._files.values()) | self.extra_names
            return self._names

    @property
    def docs(self) -> DocRuns:
        """The docs of the crate's documented items (and `extra_docs`), by `retrieval.item_key`:
        what the output guard does not let a new doc copy."""
        with self._lock:
            if self._docs is None:
                self._docs = DocRuns(
                    ((item_key(path, item), item.doc.text) for path, source in self._files.items() for item in source.items() if indexable(item)),
                    base=self.extra_docs,
                )
            return self._docs

    @property
    def result_aliases(self) -> dict[str, ResultAlias]:
        with self._lock:
            if self._aliases is None:
                self._aliases = collect_result_aliases(self._files.values())
            return self._aliases

    def error_meanings(self, path: Path | None = None) -> dict[str, str]:
        """What the crate's docs say each of its error types is ("an error that can occur when
        parsing a glob pattern"), by name, from the files given here and those of the crate index
        of `path`: the template's `# Errors` says it of a fn returning one."""
        with self._lock:
            if self._error_meanings is None:
                self._error_meanings = error_type_meanings(item for source in self._files.values() for item in source.items())
            own = self._error_meanings
        index = self.indexes.index_for(path) if path is not None else None
        if index is None:
            return own
        with self._lock:
            crate_wide = self._index_meanings.get(index.root)
            if crate_wide is None:
                crate_wide = self._index_meanings[index.root] = error_type_meanings(index.documented_types)
        return {**crate_wide, **own}

    def resolve(self, item: RustItem, path: Path | None = None) -> RustItem:
        """`item` with a return type written through a `Result` alias expanded (the crate's aliases,
        and those of the crate index of `path`, which may hold files not given here)."""
        aliases = self.result_aliases
        if path is not None and item.is_fn and item.return_type:
            aliases = {**self.indexes.result_aliases(path), **aliases}
        return resolve_result_alias(item, aliases)

    def exported(self, path: Path | None, item: RustItem) -> bool | None:
        """Whether `item` of `path` is the crate's exported API (None: not in a crate's module tree)."""
        return self.indexes.exported(path, item) if path is not None else None

    def prompt_context(self, path: Path | str | None, source: RustSource, item: RustItem) -> PromptContext:
        """The prompt context of `item` in `source` (the file at `path`), with its documented
        neighbours as examples when there is a retrieval index."""
        context = self._file_prompts(source).context_for(item)
        return self.with_examples(path, item, context)

    def with_examples(self, path: Path | str | None, item: RustItem, context: PromptContext) -> PromptContext:
        """`context` with `item`'s documented neighbours as examples (none without a retrieval index)."""
        if self.retrieval is None or path is None:
            return context
        return self.retrieval.context_for(str(path), item, context)

    def _file_prompts(self, source: RustSource) -> FilePrompts:
        """The file's prompt contexts, read once per parse (an edited source reads again)."""
        with self._lock:
            cached = self._prompts.get(source)
            if cached is None or cached.data is not source.data:
                cached = self._prompts[source] = FilePrompts(source)
            return cached
