"""Documenting files: choose the items of a file that want a doc (`doc_policy.wants_doc`),
document them through the pipeline (`pipeline.document_items`), and turn the docs into the
file's new text. `generate` runs this over a crate.

With `update`, documented items whose docs are stale get the certain fixes of
`fixes.update_doc` (only the stale lines change); with the crate context's example
verifiers, generated examples are run against the crate first and those that fail are dropped."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from rustdoc_core.docs.edits import DocEdit, DocEditError, apply_edits, crate_doc_edit, doc_edits_for, line_ending
from rustdoc_core.docs.findings import CERTAIN_FIXES
from rustdoc_core.docs.fixes import section_body
from rustdoc_core.docs.lint import update_edit
from rustdoc_core.docs.rule_config import update_rules
from rustdoc_core.docs.section_rules import SECTION_RULES
from rustdoc_core.docs.section_text import section_text
from rustdoc_core.generation.crate_context import CrateContext
from rustdoc_core.generation.crate_doc import crate_doc_text
from rustdoc_core.generation.generators import DocGenerator, GenerationCancelled
from rustdoc_core.generation.pipeline import DocRequest, ItemDoc, document_item, document_items
from rustdoc_core.generation.provenance import Provenance
from rustdoc_core.rust.doc_policy import has_doc, has_inner_doc, needs_doc, wants_doc
from rustdoc_core.rust.files import is_crate_root, read_rust_file
from rustdoc_core.rust.items import RustItem, RustSource
from rustdoc_core.rust.result_aliases import resolve_result_alias

log = logging.getLogger(__name__)


@dataclass
class ItemOutcome:
    """What happened to one item (or the crate doc) of a file."""

    path: Path
    line: int  # 0-based line of the item
    label: str
    status: str  # "documented" | "updated" | "skipped" | "failed"
    origin: Provenance | None = None  # where a doc came from (documented and updated items)
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
    def outcomes_due(self) -> int:
        """How many outcomes documenting the file reports: one per item, stale doc and crate doc."""
        return len(self.items) + len(self.unreadable) + len(self.updates) + (1 if self.needs_crate_doc else 0)


@dataclass
class FileResult:
    path: Path
    old_text: str
    new_text: str
    outcomes: list[ItemOutcome] = field(default_factory=list)
    edits: list[DocEdit] = field(default_factory=list)
    """The line edits that made `new_text` from `old_text` (a diff needs no matcher)."""

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text


def plan_file(
    path: Path, *, include_private: bool = False, overwrite: bool = False, update: bool = False, crate: CrateContext | None = None
) -> FileJob:
    """Parse a file and choose its items: those that want a doc and lack one (or all, with `overwrite`).

    With `update`, also the documented items whose `///` doc is stale (`update_doc`'s certain
    fixes: a missing or needless section, a dead parameter entry), each with its edit; the
    crate context tells which items the crate exports (the sections only exported items need)."""
    text = read_rust_file(path)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text[len(bom) :]
    source = RustSource(text)
    chosen: list[RustItem] = []
    documented = 0
    unreadable: list[RustItem] = []
    for item in source.items():
        if item.in_error and needs_doc(replace(item, in_error=False), include_private) and not has_doc(item, path):
            unreadable.append(item)
        elif wants_doc(item, include_private=include_private, path=path):
            chosen.append(item)
        elif needs_doc(item, include_private):
            documented += 1
            if overwrite and item.doc is not None:
                chosen.append(item)
    crate_root = is_crate_root(path)
    needs_crate = crate_root and not has_inner_doc(source)
    if crate_root and not needs_crate:
        documented += 1
    updates = _stale_docs(path, text, source, chosen, crate or CrateContext()) if update else []
    return FileJob(path, text, source, chosen, needs_crate, documented, unreadable, bom, updates)


def _stale_docs(path: Path, text: str, source: RustSource, chosen: list[RustItem], crate: CrateContext) -> list[StaleDoc]:
    """The update of each documented item (not already chosen for a new doc) whose doc is stale."""
    lines = text.split("\n")
    newline = line_ending(text)
    replaced = {item.start_byte for item in chosen}
    aliases = crate.indexes.result_aliases(path, source)
    rules = update_rules(crate.indexes, path, source)  # a section whose lint the crate allows is never added
    out = []
    for item in source.items():
        if item.doc is None or item.in_error or item.start_byte in replaced:
            continue
        exported = crate.exported(path, item)
        found = update_edit(resolve_result_alias(item, aliases), lines, newline, exported, off=rules.off_codes(item))
        if found is not None:
            out.append(StaleDoc(item, found[0], found[1].codes, exported))
    return out


def document_file(
    job: FileJob,
    generator: DocGenerator,
    crate: CrateContext | None = None,
    *,
    on_item: Callable[[ItemOutcome], None] | None = None,
    on_progress: Callable[[], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> FileResult:
    """Document the chosen items of `job` through the pipeline and apply the docs to its text,
    with the updates of its stale docs.

    `crate` is what is known of the crate (`CrateContext.of_files` over the run's files): its
    names ground the docs, its aliases expand return types, its retrieval index gives the
    prompts their examples, and its example verifiers (if any) run each generated example
    against the crate, dropping those that still fail after the mechanical repairs.

    An item whose doc fails (generator error, an edit that cannot be made) is reported and
    left as it was; the others still go in. `on_item` hears every outcome, `on_progress`
    once per outcome of `job.outcomes_due` as it is done.
    """
    crate = crate if crate is not None else CrateContext()
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
        edit, origin = stale.edit, Provenance.TEMPLATE
        if generator.is_model and any(rule.code in stale.codes for rule in SECTION_RULES):
            edit, origin = _model_sections(job, stale, generator, crate, should_stop)
        edits.append(edit)
        record(ItemOutcome(job.path, stale.item.start_line, stale.item.label, "updated", origin, message="fixed " + ", ".join(stale.codes)))
        progress()
    requests = [DocRequest(item, job.path, job.source) for item in job.items]

    def done(result: ItemDoc) -> None:
        if result.doc is None:
            item = result.request.item
            record(ItemOutcome(job.path, item.start_line, item.label, "failed", message=result.error))
        progress()

    results = document_items(requests, generator, crate, should_stop=should_stop, on_item=done)
    generated = [(r.request.item, r) for r in results if r.doc is not None]
    item_edits, refused = doc_edits_for(job.source, [(item, r.doc.text) for item, r in generated])
    if item_edits and job.source.has_errors() and _docs_lost(job, apply_edits(job.text, edits + item_edits), [i for i, _ in generated]):
        # Near a syntax error tree-sitter can fold the new `///` lines into the error: the next
        # run would not see them and write them again. None go in; the user fixes the code.
        lost = DocEditError("a syntax error nearby would swallow its doc; fix the code, then run again")
        refused, item_edits = [(item, lost) for item, _ in generated], []
    edits.extend(item_edits)
    refused_at = {item.start_byte: err for item, err in refused}
    for item, result in generated:
        if item.start_byte in refused_at:
            record(ItemOutcome(job.path, item.start_line, item.label, "skipped", message=str(refused_at[item.start_byte])))
        else:
            record(ItemOutcome(job.path, item.start_line, item.label, "documented", result.doc.origin, result.note))
    return FileResult(job.path, job.bom + job.text, job.bom + apply_edits(job.text, edits), outcomes, edits)


def _docs_lost(job: FileJob, new_text: str, documented: list[RustItem]) -> bool:
    """Whether reading `new_text` again would find an item documented now still without its doc."""
    added = Counter(item.label for item in documented if item.doc is None)
    if not added:
        return False

    def wanting(source: RustSource) -> Counter[str]:
        return Counter(i.label for i in source.items() if i.label in added and (i.doc is None or i.in_error))

    before, after = wanting(job.source), wanting(RustSource(new_text))
    return any(after[label] > before[label] - count for label, count in added.items())


def _model_sections(
    job: FileJob, stale: StaleDoc, generator: DocGenerator, crate: CrateContext, should_stop: Callable[[], bool] | None
) -> tuple[DocEdit, Provenance]:
    """The update with its missing sections written by the model (its doc for the item, through
    the output guard, supplies each section it has); the template's where it has none."""
    item = stale.item
    try:
        generated = document_item(DocRequest(item, job.path, job.source), generator, crate, should_stop=should_stop)
    except GenerationCancelled:
        raise
    except Exception:  # the template's sections still mend the doc
        log.debug("model sections failed for %s", item.label, exc_info=True)
        return stale.edit, Provenance.TEMPLATE
    resolved = crate.resolve(item, job.path)
    sections = {
        rule.name: body
        for rule in SECTION_RULES
        if rule.code in stale.codes
        and (body := section_body(generated.text, rule.name)) is not None
        and body != section_text(resolved, rule.name)  # the guard's repair fills a missing section from the template too
    }
    if not sections or generated.origin == Provenance.TEMPLATE:
        return stale.edit, Provenance.TEMPLATE
    off = CERTAIN_FIXES - set(stale.codes)  # what the plan fixes, no more (a section the crate allows stays out)
    found = update_edit(resolved, job.text.split("\n"), line_ending(job.text), stale.exported, sections, off=off)
    return (found[0], generated.origin) if found is not None else (stale.edit, Provenance.TEMPLATE)


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
    record(ItemOutcome(job.path, 0, label, "documented", Provenance.TEMPLATE))
    return edit


def summarize(outcomes: Iterable[ItemOutcome]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for outcome in outcomes:
        counts[outcome.status] += 1
        if outcome.status == "documented" and outcome.origin:
            counts[f"origin:{outcome.origin.value}"] += 1
    return counts
