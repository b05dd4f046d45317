"""The systems an evaluation compares, named on the command line by a spec:
`template`, `model:PATH.gguf`, `human`. A registry keyed by the spec's prefix
leaves room for more (retrieval-augmented prompting, a preference-tuned model).

Every system answers through the same prompt format and post-processing the
language server uses (rustdoc_core.generators)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rustdoc_core.console import UserError
from rustdoc_core.prompt import PROMPT_FORMAT_VERSION

from trainer.evaluation.dataset import EvalExample


@dataclass(frozen=True)
class GenerationOptions:
    """How model systems decode: greedy with a fixed seed, so re-runs agree."""

    max_tokens: int = 384
    context_size: int = 4096
    threads: int | None = None
    seed: int = 0


@dataclass(frozen=True)
class SystemOutput:
    """One system's answer for one item (the cached part of an evaluation)."""

    text: str
    raw: str
    origin: str  # "template" | "model" | "repaired" | "human"
    tokens: int
    seconds: float


class System(Protocol):
    spec: str  # as written on the command line
    name: str  # column title in the report
    fingerprint: str  # in the cache key: changes whenever the outputs could

    def generate(self, example: EvalExample) -> SystemOutput: ...

    def close(self) -> None: ...


POST_PROCESSING_MODULES = ("prompt", "generators", "repair", "template_engine", "doc_checker", "doc_text")
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

    def generate(self, example: EvalExample) -> SystemOutput:
        # The human doc never reaches the generator: it answers as for an undocumented item.
        done = self.generator.generate(example.item.with_doc(None), example.context)
        return SystemOutput(done.text, done.raw, done.origin, done.tokens, done.seconds)

    def close(self) -> None:
        close = getattr(self.generator, "close", None)
        if close is not None:
            close()


class HumanSystem:
    """The human doc itself: the ceiling for agreement, and the checker's view of human docs."""

    spec = name = "human"
    fingerprint = "human"

    def generate(self, example: EvalExample) -> SystemOutput:
        start = time.perf_counter()
        text = example.reference
        return SystemOutput(text, text, "human", 0, time.perf_counter() - start)

    def close(self) -> None:
        pass


def _template(spec: str, argument: str, options: GenerationOptions) -> System:
    if argument:
        raise UserError(f"system {spec!r}: `template` takes no argument")
    from rustdoc_core.generators import TemplateGenerator

    return GeneratorSystem(spec, "template", f"template:{post_processing_digest()}", TemplateGenerator())


def _model(spec: str, argument: str, options: GenerationOptions) -> System:
    from rustdoc_core.generators import LlamaGenerator, ModelLoadError, check_gguf_file

    path = Path(argument).expanduser()
    if not argument:
        raise UserError(f"system {spec!r}: give the GGUF file, as in model:PATH.gguf")
    try:
        check_gguf_file(path)  # before any work starts; llama.cpp itself loads on first use
    except ModelLoadError as exc:
        raise UserError(f"system {spec!r}: {exc}") from None
    stat = path.stat()
    fingerprint = (
        f"model:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:max{options.max_tokens}"
        f":ctx{options.context_size}:seed{options.seed}:t0:{post_processing_digest()}"
    )
    generator = LlamaGenerator(
        path,
        n_ctx=options.context_size,
        n_threads=options.threads,
        max_tokens=options.max_tokens,
        temperature=0.0,
        seed=options.seed,
    )
    return GeneratorSystem(spec, f"model:{path.name}", fingerprint, generator)


def _human(spec: str, argument: str, options: GenerationOptions) -> System:
    if argument:
        raise UserError(f"system {spec!r}: `human` takes no argument")
    return HumanSystem()


SystemFactory = Callable[[str, str, GenerationOptions], System]

SYSTEM_KINDS: dict[str, tuple[SystemFactory, str]] = {
    "template": (_template, "the deterministic template engine (the baseline every model must beat)"),
    "model": (_model, "a GGUF model through llama-cpp-python, base or fine-tuned (model:PATH.gguf)"),
    "human": (_human, "the human doc itself (the ceiling; shows how the checker rates human docs)"),
}
"""Prefix of a system spec -> (factory, one-line help). Register new kinds here."""


def make_system(spec: str, options: GenerationOptions) -> System:
    prefix, _, argument = spec.partition(":")
    if prefix not in SYSTEM_KINDS:
        raise UserError(f"unknown system {spec!r}; use one of: {', '.join(SYSTEM_KINDS)} (as in model:PATH.gguf)")
    return SYSTEM_KINDS[prefix][0](spec, argument, options)


def make_systems(specs: list[str], options: GenerationOptions) -> list[System]:
    if not specs:
        raise UserError("give at least one --system (template, model:PATH.gguf, human)")
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
