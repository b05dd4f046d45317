"""The systems an evaluation compares, named on the command line by a spec: the
generator specs of `rustdoc_core.generators` (`template`, `model:PATH.gguf`,
`model:BASE.gguf@ADAPTER.gguf`) and `human`, the human doc itself.

Every generator system answers through the same registry, prompt format and
output guard the language server and `generate` use."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Protocol

from rustdoc_core.console import UserError
from rustdoc_core.decode import DecodeOptions
from rustdoc_core.generators import GENERATOR_HELP, GENERATOR_KINDS, GeneratedDoc
from rustdoc_core.grounding import NameIndex
from rustdoc_core.prompt import PROMPT_FORMAT_VERSION

from trainer.evaluation.dataset import EvalExample


class System(Protocol):
    spec: str  # as written on the command line
    name: str  # column title in the report
    fingerprint: str  # in the cache key: changes whenever the outputs could

    def generate(self, example: EvalExample, names: NameIndex | None = None) -> GeneratedDoc: ...

    def close(self) -> None: ...


POST_PROCESSING_MODULES = (
    "prompt", "generators", "output_guard", "grounding", "std_names", "repair", "template_engine", "doc_checker", "doc_text",
)
"""The core modules whose code shapes a final doc: a change to any of them invalidates cached docs."""


def post_processing_digest() -> str:
    import importlib

    hasher = hashlib.sha256()
    for name in POST_PROCESSING_MODULES:
        module = importlib.import_module(f"rustdoc_core.{name}")
        hasher.update(Path(module.__file__).read_bytes())
    return hasher.hexdigest()[:12]


class GeneratorSystem:
    """A rustdoc_core generator (template engine or GGUF model), asked as the server asks."""

    def __init__(self, spec: str, name: str, fingerprint: str, generator) -> None:
        self.spec, self.name, self.fingerprint = spec, name, fingerprint
        self.generator = generator

    def generate(self, example: EvalExample, names: NameIndex | None = None) -> GeneratedDoc:
        # The human doc never reaches the generator: it answers as for an undocumented item.
        return self.generator.generate(example.item.with_doc(None), example.context, names=names)

    def close(self) -> None:
        self.generator.close()


class HumanSystem:
    """The human doc itself: the ceiling for agreement, and the checker's view of human docs."""

    spec = name = "human"
    fingerprint = "human"

    def generate(self, example: EvalExample, names: NameIndex | None = None) -> GeneratedDoc:  # noqa: ARG002
        start = time.perf_counter()
        text = example.reference
        return GeneratedDoc(text, text, "human", 0, time.perf_counter() - start)

    def close(self) -> None:
        pass


SYSTEM_HELP = {**GENERATOR_HELP, "human": "the human doc itself (the ceiling; shows how the checker rates human docs)"}
"""Each system spec form and what it is, for --help."""


def _file_identity(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def make_system(spec: str, options: DecodeOptions) -> System:
    """The system a spec names; model files are checked now, loaded on first use."""
    from rustdoc_core.generators import GeneratorSpec, ModelLoadError, check_gguf_file, make_generator

    if spec == "human":
        return HumanSystem()
    if spec.partition(":")[0] not in GENERATOR_KINDS:
        raise UserError(f"unknown system {spec!r}; use one of: {', '.join(SYSTEM_HELP)}")
    try:
        parsed = GeneratorSpec.parse(spec)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    digest = post_processing_digest()
    if parsed.model is None:
        return GeneratorSystem(spec, "template", f"template:{digest}", make_generator(parsed, options))
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


def make_systems(specs: list[str], options: DecodeOptions) -> list[System]:
    if not specs:
        raise UserError(f"give at least one --system ({', '.join(SYSTEM_HELP)})")
    repeated = sorted({s for s in specs if specs.count(s) > 1})
    if repeated:
        raise UserError(f"system {repeated[0]!r} is given twice")
    systems = [make_system(spec, options) for spec in specs]
    names = [s.name for s in systems]
    for system in systems:
        if names.count(system.name) > 1:
            system.name = system.spec  # two models with one file name: show the paths
    return systems


def cache_key(system: System, example: EvalExample) -> str:
    """One generation's identity: system, item, its content and the prompt format."""
    text = "\0".join((system.fingerprint, example.id, example.content_hash, str(PROMPT_FORMAT_VERSION)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
