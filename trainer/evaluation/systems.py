"""The systems an evaluation compares, named on the command line by a spec: the
generator specs of `rustdoc_core.generation.generators` (`template`, `model:PATH.gguf`,
`model:BASE.gguf@ADAPTER.gguf`, `openai:URL[#MODEL]`), each also with retrieval (`+rag`), and `human`,
the human doc itself.

Every generator system answers through the same registry, prompt format and
output guard the language server and `generate` use."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Protocol

from rustdoc_console import UserError
from rustdoc_core.generation.crate_context import CrateContext
from rustdoc_core.generation.decode import DecodeOptions
from rustdoc_core.generation.generators import GENERATOR_HELP, GENERATOR_KINDS, GeneratedDoc
from rustdoc_core.generation.grounding import NameIndex
from rustdoc_core.generation.guard import DocRuns
from rustdoc_core.generation.pipeline import DocRequest, document_item
from rustdoc_core.generation.prompt import PROMPT_FORMAT_VERSION
from rustdoc_core.generation.provenance import Provenance
from trainer.evaluation.dataset import EvalExample


class System(Protocol):
    spec: str  # as written on the command line
    name: str  # column title in the report
    fingerprint: str  # in the cache key: changes whenever the outputs could

    def generate(self, example: EvalExample, names: NameIndex | None = None, docs: DocRuns | None = None) -> GeneratedDoc: ...

    def close(self) -> None: ...


POST_PROCESSING_MODULES = (
    "generation.prompt", "generation.generators", "generation.guard", "generation.grounding", "rust.std_names",
    "generation.repair", "generation.template", "generation.pipeline", "generation.crate_context", "docs.checker",
    "docs.text", "docs.english", "docs.section_text", "docs.fixes",
)
"""The core modules whose code shapes a final doc: a change to any of them invalidates cached docs."""


def post_processing_digest() -> str:
    import importlib

    hasher = hashlib.sha256()
    for name in POST_PROCESSING_MODULES:
        module = importlib.import_module(f"rustdoc_core.{name}")
        files = sorted(Path(module.__path__[0]).rglob("*.py")) if hasattr(module, "__path__") else [Path(module.__file__)]
        for file in files:  # a package (the template engine): every module of it
            hasher.update(file.read_bytes())
    return hasher.hexdigest()[:12]


class GeneratorSystem:
    """A rustdoc_core generator (template engine or GGUF model), asked as the server asks."""

    def __init__(self, spec: str, name: str, fingerprint: str, generator) -> None:
        self.spec, self.name, self.fingerprint = spec, name, fingerprint
        self.generator = generator

    retrieval = None
    """Where the system's examples come from (`+rag` systems: the dataset's documented items)."""

    def generate(self, example: EvalExample, names: NameIndex | None = None, docs: DocRuns | None = None) -> GeneratedDoc:
        # The human doc never reaches the generator: the pipeline asks as for an undocumented item;
        # the crate's other documented items are known, as in `generate` (`docs`: none may be copied).
        crate = CrateContext(extra_names=names or NameIndex(), retrieval=self.retrieval, extra_docs=docs)
        request = DocRequest(example.item, f"{example.repo}/{example.path}", context=example.context)
        return document_item(request, self.generator, crate)

    def close(self) -> None:
        self.generator.close()


class HumanSystem:
    """The human doc itself: the ceiling for agreement, and the checker's view of human docs."""

    spec = name = "human"
    fingerprint = "human"

    def generate(self, example: EvalExample, names: NameIndex | None = None, docs: DocRuns | None = None) -> GeneratedDoc:  # noqa: ARG002
        start = time.perf_counter()
        text = example.reference
        return GeneratedDoc(text, text, Provenance.HUMAN, 0, time.perf_counter() - start)

    def close(self) -> None:
        pass


RAG_SUFFIX = "+rag"


class RagSystem(GeneratorSystem):
    """A generator asked with retrieval (prompt format v2): each item's documented neighbours,
    from the dataset's train split and the evaluated split's other items, as examples."""

    def __init__(self, inner: GeneratorSystem, spec: str, fingerprint: str, dataset: Path, split: str) -> None:
        super().__init__(spec, inner.name + RAG_SUFFIX, fingerprint, inner.generator)
        self._dataset, self._split = dataset, split
        self._index = None

    @property
    def retrieval(self):  # type: ignore[override]
        """The index, built on first use (once per eval)."""
        if self._index is None:
            self._index = rag_index(self._dataset, self._split)
        return self._index


def rag_index(dataset: Path, split: str):
    """What a `+rag` system draws on: the documented items of the train split and of the evaluated
    split (a query never gets its own item back)."""
    from corpus_miner.validate import checked_records
    from rustdoc_core.generation.retrieval import RetrievalIndex

    index = RetrievalIndex()
    for name in dict.fromkeys(("train", split)):
        try:
            index.add_records(checked_records(dataset, name))
        except (OSError, ValueError, KeyError) as exc:
            raise UserError(f"retrieval index from {dataset} ({name}): {str(exc).splitlines()[0]}") from None
    return index


def _rag_system(spec: str, options: DecodeOptions, rag_dataset: tuple[Path, str] | None) -> RagSystem:
    from corpus_miner.dataset import split_file

    inner_spec = spec[: -len(RAG_SUFFIX)]
    if inner_spec == "human" or rag_dataset is None:
        raise UserError(f"system {spec!r}: retrieval is for generator systems, on a dataset")
    inner = make_system(inner_spec, options)
    dataset, split = rag_dataset
    files = [split_file(Path(dataset), name) for name in dict.fromkeys(("train", split))]
    sources = [_file_identity(f) if f.is_file() else str(f) for f in files]
    fingerprint = f"{inner.fingerprint}{RAG_SUFFIX}:{_retrieval_digest()}:{'|'.join(sources)}"
    return RagSystem(inner, spec, fingerprint, Path(dataset), split)  # type: ignore[arg-type]


def _retrieval_digest() -> str:
    import rustdoc_core.generation.crate_phrasing
    import rustdoc_core.generation.retrieval

    code = b"".join(Path(m.__file__).read_bytes() for m in (rustdoc_core.generation.retrieval, rustdoc_core.generation.crate_phrasing))
    return hashlib.sha256(code).hexdigest()[:12]


SYSTEM_HELP = {
    **GENERATOR_HELP,
    "SYSTEM+rag": "a generator system asked with retrieval: each item's documented neighbours (train split and the "
                  "evaluated split's other items) as examples in the prompt, e.g. model:m.gguf+rag, template+rag",
    "human": "the human doc itself (the ceiling; shows how the checker rates human docs)",
}
"""Each system spec form and what it is, for --help."""


def _file_identity(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def make_system(spec: str, options: DecodeOptions, rag_dataset: tuple[Path, str] | None = None) -> System:
    """The system a spec names; model files are checked now, loaded on first use. A `+rag`
    system draws its examples from `rag_dataset` (dataset directory, evaluated split)."""
    from rustdoc_core.generation.generators import GeneratorSpec, ModelLoadError, check_gguf_file, make_generator

    if spec == "human":
        return HumanSystem()
    if spec.endswith(RAG_SUFFIX):
        return _rag_system(spec, options, rag_dataset)
    if spec.partition(":")[0] not in GENERATOR_KINDS:
        raise UserError(f"unknown system {spec!r}; use one of: {', '.join(SYSTEM_HELP)}")
    try:
        parsed = GeneratorSpec.parse(spec)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    digest = post_processing_digest()
    if parsed.kind == "template":
        return GeneratorSystem(spec, "template", f"template:{digest}", make_generator(parsed, options))
    if parsed.kind == "openai":
        return _server_system(spec, parsed, options, digest)
    try:
        check_gguf_file(parsed.model)  # before any work starts; llama.cpp itself loads on first use
        if parsed.adapter is not None:
            check_gguf_file(parsed.adapter, "adapter")
    except ModelLoadError as exc:
        raise UserError(f"system {spec!r}: {exc}") from None
    files = [_file_identity(parsed.model)] + ([_file_identity(parsed.adapter)] if parsed.adapter else [])
    fingerprint = f"model:{'@'.join(files)}:{options.fingerprint()}:{digest}"
    generator = make_generator(parsed, options)
    return GeneratorSystem(spec, generator.name, fingerprint, generator)


def _server_system(spec: str, parsed, options: DecodeOptions, digest: str) -> "GeneratorSystem":
    """A model server's system: asked now (one line if it does not answer), and named in the cache
    by its URL and the model it serves (a different model behind the same URL and name is not seen)."""
    from rustdoc_core.generation.generators import ModelLoadError, make_generator

    generator = make_generator(parsed, options)
    try:
        generator.load()
    except ModelLoadError as exc:
        raise UserError(f"system {spec!r}: {exc}") from None
    fingerprint = f"openai:{parsed.endpoint}#{generator.model_id}:{generator.rendering}:{options.fingerprint()}:{digest}"
    return GeneratorSystem(spec, generator.name, fingerprint, generator)


def make_systems(specs: list[str], options: DecodeOptions, rag_dataset: tuple[Path, str] | None = None) -> list[System]:
    if not specs:
        raise UserError(f"give at least one --system ({', '.join(SYSTEM_HELP)})")
    repeated = sorted({s for s in specs if specs.count(s) > 1})
    if repeated:
        raise UserError(f"system {repeated[0]!r} is given twice")
    systems = [make_system(spec, options, rag_dataset) for spec in specs]
    names = [s.name for s in systems]
    for system in systems:
        if names.count(system.name) > 1:
            system.name = system.spec  # two models with one file name: show the paths
    return systems


def cache_key(system: System, example: EvalExample) -> str:
    """One generation's identity: system, item, its content and the prompt format."""
    text = "\0".join((system.fingerprint, example.id, example.content_hash, str(PROMPT_FORMAT_VERSION)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
