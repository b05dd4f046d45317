"""Documenting files: choose the items of a file that need a doc, ask a generator for
each, and turn the docs into the file's new text. `generate` runs this over a crate.

With `update`, documented items whose docs are stale get the certain fixes of
`repair.update_doc` (only the stale lines change); with a verifier, generated examples
are run against the crate first and those that fail are dropped."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from rustdoc_core.crate_doc import crate_doc_text, module_file_documented
from rustdoc_core.doc_edits import DocEdit, DocEditError, apply_edits, crate_doc_edit, doc_edits_for, has_inner_doc, line_ending
from rustdoc_core.doc_lint import CrateIndexes, update_edit
from rustdoc_core.example_verify import ExampleVerifier, VerificationCancelled
from rustdoc_core.generators import DocGenerator, GeneratedDoc, GenerationCancelled
from rustdoc_core.grounding import NameIndex
from rustdoc_core.prompt import PromptContext, prompt_context
from rustdoc_core.repair import section_body
from rustdoc_core.result_aliases import ResultAlias, resolve_result_alias
from rustdoc_core.retrieval import RetrievalIndex
from rustdoc_core.rust_files import is_crate_root, read_rust_file
from rustdoc_core.rust_items import RustItem, RustSource, needs_doc
from rustdoc_core.section_rules import SECTION_RULES

log = logging.getLogger(__name__)


@dataclass
class ItemOutcome:
    """What happened to one item (or the crate doc) of a file."""

    path: Path
    line: int  # 0-based line of the item
    label: str
    status: str  # "documented" | "updated" | "skipped" | "failed"
    origin: str | None = None  # generator's origin: "template" | "model" | "repaired"
    message: str | None = None

    def where(self) -> str:
        return f"{self.path}:{self.line + 1}"


@dataclass(frozen=True)
class StaleDoc:
    """A documented item whose doc is stale: the edit that mends it (template text for a missing
    section), the finding codes it fixes, and whether the crate exports the item."""

    item: RustItem
    edit: DocEdit
    codes: tuple[str, ...]
    exported: bool | None


@dataclass
class FileJob:
    """One Rust file: its text, parse, and the items it wants documented."""

    path: Path
    text: str
    source: RustSource
    items: list[RustItem]
    needs_crate_doc: bool
    already_documented: int = 0
    unreadable: list[RustItem] = field(default_factory=list)
    """Items inside code the parser could not read: left alone, reported as skipped."""
    bom: str = ""
    """A byte order mark the file starts with: kept out of `text` and put back first when writing."""
    updates: list[StaleDoc] = field(default_factory=list)
    """Documented items whose doc is stale, with `update`."""

    @property
    def work(self) -> int:
        return len(self.items) + len(self.unreadable) + len(self.updates) + (1 if self.needs_crate_doc else 0)


@dataclass
class FileResult:
    path: Path
    old_text: str
    new_text: str
    outcomes: list[ItemOutcome] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text


def plan_file(
    path: Path, *, include_private: bool = False, overwrite: bool = False, update: bool = False, indexes: CrateIndexes | None = None
) -> FileJob:
    """Parse a file and choose its items: those needing a doc that lack one (or all, with `overwrite`).

    With `update`, also the documented items whose `///` doc is stale (`update_doc`'s certain
    fixes: a missing or needless section, a dead parameter entry), each with its edit;
    `indexes` tells which items the crate exports (the sections only exported items need)."""
    text = read_rust_file(path)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text[len(bom) :]
    source = RustSource(text)
    chosen: list[RustItem] = []
    documented = 0
    unreadable: list[RustItem] = []
    for item in source.items():
        if item.in_error and item.doc is None and needs_doc(replace(item, in_error=False), include_private):
            unreadable.append(item)
            continue
        if not needs_doc(item, include_private):
            continue
        has_doc = item.doc is not None or module_file_documented(path, item)
        if has_doc:
            documented += 1
            if not overwrite or item.doc is None:
                continue
        chosen.append(item)
    crate_root = is_crate_root(path)
    needs_crate = crate_root and not has_inner_doc(source)
    if crate_root and not needs_crate:
        documented += 1
    updates = _stale_docs(path, text, source, chosen, indexes or CrateIndexes()) if update else []
    return FileJob(path, text, source, chosen, needs_crate, documented, unreadable, bom, updates)


def _stale_docs(
    path: Path, text: str, source: RustSource, chosen: list[RustItem], indexes: CrateIndexes
) -> list[StaleDoc]:
    """The update of each documented item (not already chosen for a new doc) whose doc is stale."""
    lines = text.split("\n")
    newline = line_ending(text)
    replaced = {item.start_byte for item in chosen}
    out = []
    for item in source.items():
        if item.doc is None or item.in_error or item.start_byte in replaced:
            continue
        exported = indexes.exported(path, item)
        found = update_edit(item, lines, newline, exported)
        if found is not None:
            out.append(StaleDoc(item, found[0], found[1].codes, exported))
    return out


def document_file(
    job: FileJob,
    generator: DocGenerator,
    *,
    on_item: Callable[[ItemOutcome], None] | None = None,
    on_progress: Callable[[], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    result_aliases: dict[str, ResultAlias] | None = None,
    retrieval: RetrievalIndex | None = None,
    names: NameIndex | None = None,
    verifier: ExampleVerifier | None = None,
    module_path: tuple[str, ...] = (),
) -> FileResult:
    """Generate a doc for each chosen item of `job` and apply them all to its text, with the
    updates of its stale docs.

    With `retrieval`, each prompt shows the item's documented neighbours as examples.
    With `names` (`crate_names`), the output guard grounds the docs' code names in the crate.
    With `verifier`, each generated example is run against the crate (`module_path`: the
    file's module in it) and dropped when it fails even after the mechanical repairs; the
    item's outcome says so.

    An item whose doc fails (generator error, an edit that cannot be made) is
    reported and left as it was; the others still go in. `on_item` hears every
    outcome, `on_progress` once per unit of `job.work` as it is done.
    """
    outcomes: list[ItemOutcome] = []

    def record(outcome: ItemOutcome) -> None:
        outcomes.append(outcome)
        if on_item is not None:
            on_item(outcome)

    def progress() -> None:
        if on_progress is not None:
            on_progress()

    for item in job.unreadable:
        record(ItemOutcome(job.path, item.start_line, item.label, "skipped", message="inside code with a syntax error"))
        progress()
    edits: list[DocEdit] = []
    if job.needs_crate_doc:
        edit = _crate_doc(job, record)
        if edit is not None:
            edits.append(edit)
        progress()
    for stale in job.updates:
        edit, origin = stale.edit, "template"
        if generator.is_model and any(rule.code in stale.codes for rule in SECTION_RULES):
            edit, origin = _model_sections(job, stale, generator, should_stop, result_aliases or {}, retrieval, names)
        edits.append(edit)
        record(ItemOutcome(job.path, stale.item.start_line, stale.item.label, "updated", origin, message="fixed " + ", ".join(stale.codes)))
        progress()
    generated = _generate_items(job, generator, record, progress, should_stop, result_aliases or {}, retrieval, names)
    notes: dict[int, str] = {}
    if verifier is not None:
        generated, notes = verify_examples(generated, verifier, module_path)
    item_edits, refused = doc_edits_for(job.source, [(item, doc.text) for item, doc in generated])
    edits.extend(item_edits)
    refused_at = {item.start_byte: err for item, err in refused}
    for item, doc in generated:
        if item.start_byte in refused_at:
            record(ItemOutcome(job.path, item.start_line, item.label, "skipped", message=str(refused_at[item.start_byte])))
        else:
            record(ItemOutcome(job.path, item.start_line, item.label, "documented", doc.origin, notes.get(item.start_byte)))
    return FileResult(job.path, job.bom + job.text, job.bom + apply_edits(job.text, edits), outcomes)


def _model_sections(
    job: FileJob,
    stale: StaleDoc,
    generator: DocGenerator,
    should_stop: Callable[[], bool] | None,
    result_aliases: dict[str, ResultAlias],
    retrieval: RetrievalIndex | None,
    names: NameIndex | None,
) -> tuple[DocEdit, str]:
    """The update with its missing sections written by the model (its doc for the item, through
    the output guard, supplies each section it has); the template's where it has none."""
    item = stale.item
    try:
        generated = generator.generate(
            resolve_result_alias(item, result_aliases), item_context(job, item, retrieval), should_stop=should_stop, names=names
        )
    except GenerationCancelled:
        raise
    except Exception:  # the template's sections still mend the doc
        log.debug("model sections failed for %s", item.label, exc_info=True)
        return stale.edit, "template"
    sections = {
        rule.name: body
        for rule in SECTION_RULES
        if rule.code in stale.codes
        and (body := section_body(generated.text, rule.name)) is not None
        and body != rule.template_text(item)  # the guard's repair fills a missing section from the template too
    }
    if not sections or generated.origin == "template":
        return stale.edit, "template"
    found = update_edit(item, job.text.split("\n"), line_ending(job.text), stale.exported, sections)
    return (found[0], generated.origin) if found is not None else (stale.edit, "template")


def verify_examples(
    generated: list[tuple[RustItem, GeneratedDoc]], verifier: ExampleVerifier, module_path: tuple[str, ...] = ()
) -> tuple[list[tuple[RustItem, GeneratedDoc]], dict[int, str]]:
    """The docs with their examples run against the crate: passing ones kept, mechanically
    repaired ones (a `use`, a `main` wrapper) rewritten, failing ones dropped; and, by item
    start byte, one line for each item that lost an example. Raises GenerationCancelled when
    the verifier's `cancelled` said stop, BuildFailed when the crate does not build."""
    out: list[tuple[RustItem, GeneratedDoc]] = []
    notes: dict[int, str] = {}
    for item, doc in generated:
        try:
            verified = verifier.verify(item, doc.text, module_path)
        except VerificationCancelled:
            raise GenerationCancelled() from None
        out.append((item, replace(doc, text=verified.text) if verified.text != doc.text else doc))
        note = verified.summary(item.label)
        if note is not None:
            notes[item.start_byte] = note
    return out, notes


def _crate_doc(job: FileJob, record: Callable[[ItemOutcome], None]) -> DocEdit | None:
    label = "crate doc (//!)"
    try:
        edit = crate_doc_edit(job.source, crate_doc_text(job.path))
    except DocEditError as err:
        record(ItemOutcome(job.path, 0, label, "skipped", message=str(err)))
        return None
    except Exception as err:  # the items still get their docs
        log.debug("crate doc failed", exc_info=True)
        record(ItemOutcome(job.path, 0, label, "failed", message=f"{type(err).__name__}: {err}"))
        return None
    record(ItemOutcome(job.path, 0, label, "documented", "template"))
    return edit


def _generate_items(
    job: FileJob,
    generator: DocGenerator,
    record: Callable[[ItemOutcome], None],
    progress: Callable[[], None],
    should_stop: Callable[[], bool] | None,
    result_aliases: dict[str, ResultAlias],
    retrieval: RetrievalIndex | None,
    names: NameIndex | None,
) -> list[tuple[RustItem, GeneratedDoc]]:
    generated: list[tuple[RustItem, GeneratedDoc]] = []
    for item in job.items:
        try:
            item = resolve_result_alias(item, result_aliases)
            generated.append((item, generator.generate(item, item_context(job, item, retrieval), should_stop=should_stop, names=names)))
        except GenerationCancelled:
            raise
        except Exception as err:  # one bad item must not sink the file: report it and go on
            log.debug("generation failed for %s", item.label, exc_info=True)
            record(ItemOutcome(job.path, item.start_line, item.label, "failed", message=f"{type(err).__name__}: {err}"))
        progress()
    return generated


def item_context(job: FileJob, item: RustItem, retrieval: RetrievalIndex | None = None) -> PromptContext:
    """The prompt context of one item of `job`, with its neighbours as examples when there is an index."""
    context = prompt_context(job.source, item)
    if retrieval is None:
        return context
    context = retrieval.context_for(str(job.path), item, context)
    log.debug("%s: examples %s", item.label, "; ".join(f"`{e.signature}`" for e in context.examples) or "none")
    return context


def index_jobs(jobs: Iterable[FileJob], index: RetrievalIndex | None = None) -> RetrievalIndex:
    """An index of the documented items of every planned file (once per run: the files are parsed already)."""
    index = index if index is not None else RetrievalIndex()
    for job in jobs:
        index.add_source(str(job.path), job.source)
    return index


def crate_names(jobs: Iterable[FileJob]) -> NameIndex:
    """One name index for all the files of a run (their items, `use` lines), with the crate and
    dependency names of each file's Cargo.toml: built once, from the parses planning made."""
    from rustdoc_core.cargo_manifest import nearest_manifest

    jobs = list(jobs)
    index = NameIndex.from_sources(job.source for job in jobs)
    for directory in sorted({job.path.resolve().parent for job in jobs}):
        manifest = nearest_manifest(directory, package_only=True)
        if manifest is not None:
            crates = {*manifest.dependencies, *([manifest.crate_name] if manifest.crate_name else [])}
            features = manifest.data.get("features")
            index = index | NameIndex(frozenset(features) if isinstance(features, dict) else frozenset(), frozenset(crates))
    return index


def summarize(outcomes: Iterable[ItemOutcome]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for outcome in outcomes:
        counts[outcome.status] += 1
        if outcome.status == "documented" and outcome.origin:
            counts[f"origin:{outcome.origin}"] += 1
    return counts
