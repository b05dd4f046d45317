"""One evaluation: every system on every held-out item, cached per (system,
item) so an interrupted run resumes, then measured, aggregated and reported."""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rustdoc_console import UserError, task_progress
from rustdoc_core.generation.decode import DecodeOptions
from rustdoc_core.generation.generators import GeneratedDoc
from rustdoc_core.generation.grounding import NameIndex
from rustdoc_core.generation.guard import DocRuns
from rustdoc_core.generation.prompt import PROMPT_FORMAT_VERSION
from rustdoc_core.generation.provenance import Provenance
from trainer.evaluation import metrics
from trainer.evaluation.cache import JsonlCache
from trainer.evaluation.dataset import EvalExample, load_examples, select_examples
from trainer.evaluation.doc_measures import measure_doc
from trainer.evaluation.doctests import DoctestRunner
from trainer.evaluation.metrics import ItemResult
from trainer.evaluation.systems import System, cache_key, make_systems

log = logging.getLogger(__name__)

REPORT_FORMAT_VERSION = 1
NO_SECTION = "(no section)"


@dataclass(frozen=True)
class EvalConfig:
    dataset: Path
    output: Path
    systems: Sequence[str]
    split: str = "test"
    limit: int | None = None
    seed: int = 0
    options: DecodeOptions = field(default_factory=DecodeOptions)
    crate_dirs: dict[str, Path] = field(default_factory=dict)
    shown_examples: int = 3


@dataclass
class SystemRun:
    system: System
    results: list[ItemResult]
    generated: int
    cached: int


def generate_all(
    system: System,
    examples: Sequence[EvalExample],
    cache: JsonlCache,
    names: dict[str, NameIndex] | None = None,
    docs: dict[str, DocRuns] | None = None,
) -> tuple[list[GeneratedDoc], int]:
    """Each example's output, from the cache or generated now (and cached at once)."""
    outputs: list[GeneratedDoc] = []
    generated = 0
    todo = sum(1 for e in examples if cache_key(system, e) not in cache)
    if todo < len(examples):
        log.info("%s: %d of %d docs from the cache", system.name, len(examples) - todo, len(examples))
    with task_progress(f"{system.name}", todo) as advance:
        for example in examples:
            key = cache_key(system, example)
            entry = cache.get(key)
            if entry is None:
                output = _generate(system, example, (names or {}).get(example.repo), (docs or {}).get(example.repo))
                entry = cache.put(key, {"system": system.spec, "item": example.id, **output.to_dict()})
                generated += 1
                advance(1)
            outputs.append(GeneratedDoc.from_dict(entry))
    return outputs, generated


def _generate(system: System, example: EvalExample, names: NameIndex | None = None, docs: DocRuns | None = None) -> GeneratedDoc:
    from rustdoc_core.generation.generators import GenerationError, ModelLoadError

    try:
        return system.generate(example, names, docs)
    except ModelLoadError as exc:
        raise UserError(f"system {system.spec}: {exc}") from None
    except GenerationError as exc:
        # No answer for this item (e.g. its prompt does not fit the context): an empty doc, counted as such.
        log.warning("%s: %s", system.name, exc)
        return GeneratedDoc("", "", Provenance.ERROR, 0, 0.0)


def run_eval(config: EvalConfig) -> dict[str, Any]:
    """Evaluate, write report.md / report.json / charts under config.output, return the report."""
    from trainer.evaluation.report import write_report

    split = load_examples(config.dataset, config.split)
    examples = select_examples(split, config.limit, config.seed)
    systems = make_systems(list(config.systems), config.options, rag_dataset=(config.dataset, config.split))
    for repo, directory in config.crate_dirs.items():
        if not (Path(directory) / "Cargo.toml").is_file():
            raise UserError(f"--crate-dir {repo}={directory}: no Cargo.toml there")
    repos = {e.repo for e in examples}
    for repo in sorted(set(config.crate_dirs) - repos):
        log.warning("--crate-dir %s: no item of the evaluated split comes from that repo (repos: %s)", repo, ", ".join(sorted(repos)))
    cache_dir = config.output / "cache"
    generations = JsonlCache(cache_dir / "generations.jsonl")
    doctests = DoctestRunner(config.crate_dirs, cache_dir / "doctest-work", JsonlCache(cache_dir / "doctests.jsonl"))
    log.info("evaluating %d system(s) on %d item(s) of %s/%s", len(systems), len(examples), config.dataset, config.split)
    names = repo_names(split)
    crate_docs = repo_docs(split)
    copies = dataset_copy_index(config.dataset)

    runs: list[SystemRun] = []
    for system in systems:
        try:
            outputs, generated = generate_all(system, examples, generations, names, crate_docs)
        finally:
            system.close()  # frees a model's memory before the next one loads
        docs = [(example, output.text) for example, output in zip(examples, outputs)]
        outcomes = doctests.outcomes(docs, system.name)
        results = [
            _result(example, output, names.get(example.repo), outcomes.get(example.id), copies)
            for example, output in zip(examples, outputs)
        ]
        runs.append(SystemRun(system, results, generated, len(examples) - generated))

    report = build_report(config, examples, runs, split_size=len(split))
    write_report(config.output, report)
    return report


def repo_names(examples: Sequence[EvalExample]) -> dict[str, NameIndex]:
    """Each repo's name index from the split's records of that repo (items, fields, containers,
    `use` lines), plus the crate's own name: what grounds a doc in the eval."""
    by_repo: dict[str, list[EvalExample]] = defaultdict(list)
    for example in examples:
        by_repo[example.repo].append(example)
    return {
        repo: NameIndex.from_items(
            [e.item for e in group],
            uses=[line for e in group for line in e.context.use_lines],
            crates=[re.sub(r"-\d[\w.]*$", "", repo).replace("-", "_")],
        )
        for repo, group in by_repo.items()
    }


def example_key(example: EvalExample) -> str:
    """An example's identity among documented items, as the pipeline keys its request (`item_key`)."""
    from rustdoc_core.generation.retrieval import item_key

    return item_key(f"{example.repo}/{example.path}", example.item)


def repo_docs(examples: Sequence[EvalExample]) -> dict[str, DocRuns]:
    """Each repo's human docs from the split's records: the crate's documented items the guard
    knows while it documents one of them, as `generate` knows a crate's (none may be copied)."""
    by_repo: dict[str, list[EvalExample]] = defaultdict(list)
    for example in examples:
        by_repo[example.repo].append(example)
    return {repo: DocRuns((example_key(e), e.reference) for e in group) for repo, group in by_repo.items()}


def dataset_copy_index(dataset: Path) -> DocRuns:
    """The human docs of every split of the dataset, by item key: the measure of a doc copied from
    another item (any crate of the dataset)."""
    from corpus_miner.dataset import SPLITS, split_file
    from corpus_miner.validate import checked_records
    from rustdoc_core.generation.retrieval import item_key, record_file, record_item

    try:
        return DocRuns(
            (item_key(record_file(record), record_item(record)), str(record["doc"]))
            for split in SPLITS
            if split_file(dataset, split).is_file()
            for record in checked_records(dataset, split)
        )
    except (OSError, ValueError) as exc:  # a bad record of any split: one line, not a traceback
        raise UserError(str(exc).splitlines()[0]) from None


def _result(example: EvalExample, output: GeneratedDoc, names: NameIndex | None, doctest, copies: DocRuns | None = None) -> ItemResult:
    """One doc measured: the checker and the guard on the final doc, the guard on the raw answer,
    whether it copies another item's doc, and whether its summary was promoted from its next sentence."""
    from rustdoc_core.generation.grounding import context_code

    code = context_code(example.context)
    copied = copies is not None and bool(copies.copied_from(example_key(example), output.text, example.reference))
    measures = measure_doc(example.item, output.text, raw=output.raw, names=names, context_code=code, copied=copied)
    promoted = output.origin == Provenance.REPAIRED and "promoted-summary" in output.steps
    return ItemResult(example, output, measures, doctest, promoted)


def _groups(examples: Sequence[EvalExample], key: Callable[[EvalExample], Sequence[str]]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        for name in key(example):
            groups[name].append(index)
    return dict(sorted(groups.items()))


def build_report(config: EvalConfig, examples: Sequence[EvalExample], runs: Sequence[SystemRun], split_size: int) -> dict[str, Any]:
    groupings = {
        "by_kind": _groups(examples, lambda e: [e.kind]),
        "by_section": _groups(examples, lambda e: list(dict.fromkeys(e.sections)) or [NO_SECTION]),
        "by_repo": _groups(examples, lambda e: [e.repo]),
    }
    figures: dict[str, Any] = {
        "overall": {run.system.name: metrics.figures(run.results) for run in runs},
        "details": {run.system.name: metrics.details(run.results) for run in runs},
    }
    for grouping, groups in groupings.items():
        figures[grouping] = {
            group: {run.system.name: metrics.figures([run.results[i] for i in indices]) for run in runs}
            for group, indices in groups.items()
        }
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "dataset": {
            "dir": str(config.dataset),
            "split": config.split,
            "items": len(examples),
            "split_items": split_size,
            "limit": config.limit,
            "seed": config.seed,
            "item_ids_sha256": hashlib.sha256("\n".join(e.id for e in examples).encode()).hexdigest(),
        },
        "prompt_format_version": PROMPT_FORMAT_VERSION,
        "generation": asdict(config.options),
        "systems": [{"name": r.system.name, "spec": r.system.spec, "fingerprint": r.system.fingerprint} for r in runs],
        "metrics": {m.key: {"label": m.label, "higher_is_better": m.higher_is_better, "percent": m.percent}
                    for m in (*metrics.METRICS, *metrics.COST_METRICS)},
        "text_metric_signatures": metrics.text_metric_signatures(),
        "doctest_crates": {repo: str(path) for repo, path in sorted(config.crate_dirs.items())},
        "figures": figures,
        "cost": {run.system.name: metrics.cost(run.results) for run in runs},
        "run": {run.system.name: {"generated": run.generated, "cached": run.cached} for run in runs},
        "examples": _shown_examples(examples, runs, config.shown_examples, config.seed),
    }


def _shown_examples(examples: Sequence[EvalExample], runs: Sequence[SystemRun], count: int, seed: int) -> list[dict[str, Any]]:
    """A few items for the report, chosen by seed, different kinds first."""
    order = sorted(range(len(examples)), key=lambda i: hashlib.sha256(f"{seed}:{examples[i].id}".encode()).hexdigest())
    chosen: list[int] = []
    kinds: set[str] = set()
    for index in order:
        if len(chosen) < count and examples[index].kind not in kinds:
            chosen.append(index)
            kinds.add(examples[index].kind)
    chosen += [i for i in order if i not in chosen][: max(0, count - len(chosen))]
    shown = []
    for index in chosen:
        example = examples[index]
        shown.append({
            "id": example.id,
            "repo": example.repo,
            "path": example.path,
            "line": example.start_line,
            "label": example.item.label,
            "signature": example.item.signature,
            "human": example.reference,
            "docs": {
                run.system.name: {
                    "text": run.results[index].output.text,
                    "raw": run.results[index].output.raw,
                    "raw_guard": list(run.results[index].measures.raw_guard_codes),
                    "origin": run.results[index].output.origin,
                    "findings": list(run.results[index].measures.finding_codes),
                }
                for run in runs
            },
        })
    return shown
