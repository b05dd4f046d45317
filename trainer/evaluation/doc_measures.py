"""What one doc is worth on its own: the shared checker's and the output guard's
findings (on the final doc and on the raw answer), required sections,
hallucinated parameters, whether its examples are valid Rust, and whether it is
true to the item: a summary of the item's shape, no claim the signature
contradicts, no needless section, well-formed Markdown, named items that exist,
no run of words copied from another item's doc (`guard.DocRuns`).
Cheap (milliseconds), so computed afresh from cached docs on every run and
always in step with the current checker and guard."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rustdoc_core.docs.checker import check_doc, required_sections
from rustdoc_core.docs.text import CodeBlock, code_blocks, doc_sections, prose_lines
from rustdoc_core.generation.grounding import IDENT, NameIndex, code_mentions
from rustdoc_core.generation.guard import (
    contradicted_sentences,
    guard_findings,
    malformed,
    misshapen_summary,
    needless_sections,
)
from rustdoc_core.rust.items import RustItem, RustSource
from rustdoc_core.rust.items import parser as _parser

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_FN_MAIN = re.compile(r"\bfn\s+main\s*\(")


@dataclass(frozen=True)
class DocMeasures:
    finding_codes: tuple[str, ...]  # one per finding, sorted
    required: tuple[str, ...]  # sections the item needs (Errors / Panics / Safety)
    required_present: tuple[str, ...]
    unknown_params: int  # "unknown-param" findings: parameter names that do not exist
    example_blocks: int  # Rust code blocks under `# Examples`
    example_blocks_valid: int  # of those, parsed by tree-sitter without errors
    guard_codes: tuple[str, ...] = ()  # the output guard's findings on the final doc (also in finding_codes)
    raw_guard_codes: tuple[str, ...] = ()  # ... and on the raw answer, before post-processing
    misshapen: bool = False  # a summary of a function's shape on an item that is not one
    contradicted: bool = False  # a claim about its value that the signature contradicts
    needless_section: bool = False  # `# Arguments`/`# Returns`, an empty section, a needless `# Errors`/`# Safety`
    malformed: bool = False  # a code span or fence left open
    named: int = 0  # names the doc presents as code (backticks, link targets)
    named_real: int = 0  # ... of which exist (the item, the crate, std, a dependency)
    copied: bool = False  # shares a run of 10 words with another item's doc (`guard.DocRuns`)

    @property
    def clean(self) -> bool:
        return not self.finding_codes


def examples_blocks(doc: str) -> list[CodeBlock]:
    """Rust code blocks that stand under an `# Examples` (or `# Example`) heading."""
    headings = [(n, m.group(1).strip()) for n, line in prose_lines(doc) if (m := _HEADING.match(line))]
    out = []
    for block in code_blocks(doc):
        section = None
        for line, title in headings:
            if line < block.start_line:
                section = title
        if section is not None and section.lower() in ("examples", "example") and block.is_rust:
            out.append(block)
    return out


def is_valid_rust_example(block: CodeBlock) -> bool:
    """Whether tree-sitter parses the doctest as rustdoc would build it (wrapped in `fn main` unless it has one)."""
    code = block.doctest_source()
    if not _FN_MAIN.search(code):
        code = "fn main() {\n" + code + "\n}\n"
    return block.closed and not RustSource(code, _parser()).has_errors()


NEEDLESS_CHECKER_CODES = ("needless-errors", "needless-safety")
"""The checker's own codes for a section the item does not need."""


def measure_doc(
    item: RustItem,
    doc: str,
    *,
    raw: str | None = None,
    names: NameIndex | None = None,
    context_code: tuple[str, ...] = (),
    copied: bool = False,
) -> DocMeasures:
    """The doc's measures; with `raw` (the generator's answer before post-processing) also the
    guard's findings on what the model wrote. `names` is the crate's name index for grounding;
    `copied` whether the doc copies another item's (the caller's `DocRuns` knows the dataset)."""
    guard_found = guard_findings(item, doc, names, context_code) if doc.strip() else []
    guard = sorted({f.code for f in guard_found})
    raw_guard = guard if raw is None or raw == doc else sorted({f.code for f in guard_findings(item, raw, names, context_code)})
    findings = check_doc(item, doc)
    required = sorted(required_sections(item))
    present = {s.strip().lower() for s in doc_sections(doc)}
    blocks = examples_blocks(doc)
    named = [m for m in code_mentions(doc) if IDENT.search(m.text)]
    ungrounded = {(f.line, f.col) for f in guard_found if f.code == "ungrounded-identifier"}
    return DocMeasures(
        finding_codes=tuple(sorted([f.code for f in findings] + guard)),
        required=tuple(required),
        required_present=tuple(s for s in required if s.lower() in present),
        unknown_params=sum(1 for f in findings if f.code == "unknown-param"),
        example_blocks=len(blocks),
        example_blocks_valid=sum(1 for b in blocks if is_valid_rust_example(b)),
        guard_codes=tuple(guard),
        raw_guard_codes=tuple(raw_guard),
        misshapen=bool(doc.strip()) and misshapen_summary(item, doc),
        contradicted=bool(contradicted_sentences(item, doc)),
        needless_section=bool(needless_sections(doc)) or any(f.code in NEEDLESS_CHECKER_CODES for f in findings),
        malformed=malformed(doc),
        named=len(named),
        named_real=len(named) - sum(1 for m in named if (m.line, m.col) in ungrounded),
        copied=copied,
    )
