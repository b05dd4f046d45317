"""Repair a model's doc before it reaches the editor.

Takes the doc text (already through `prompt.parse_completion`), fixes what the
checker found where a fix is safe (missing `# Errors`/`# Panics`/`# Safety` from
the template engine, a needless `# Safety`, bare identifiers, hallucinated
parameters, a broken or unclosed example, a summary that is not a sentence or too
long: the answer's own first sentence, shortened at a clause break if need be), and
falls back to the template engine's whole doc when an error-severity finding remains
or the answer has no summary of its own (the template's summary is never glued above
the answer's words).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rustdoc_core.docs.checker import (
    IMPERATIVE_VERBS,
    MAX_FIRST_PARAGRAPH,
    Finding,
    bare_urls,
    check_doc,
    code_like_words,
    declares_main,
    generic_types_in_prose,
    rust_block_parses,
    unknown_params,
)
from rustdoc_core.docs.english import third_person
from rustdoc_core.docs.fixes import drop_empty_section, entry_lines, remove_section, section_range
from rustdoc_core.docs.section_rules import ARGUMENT_SECTIONS, SECTION_RULES
from rustdoc_core.docs.section_text import section_text
from rustdoc_core.docs.text import FENCE, Wrap, code_blocks, normalize_doc, prose_lines, summary_range, wrap_spans
from rustdoc_core.generation.provenance import Provenance
from rustdoc_core.generation.template import template_doc
from rustdoc_core.rust.items import RustItem

_SAFE_WORD = re.compile(r"^[\w:.!&]+(\(\))?$")


@dataclass(frozen=True)
class RepairedDoc:
    text: str
    origin: Provenance  # MODEL (unchanged), REPAIRED or TEMPLATE
    findings: tuple[Finding, ...]


def repair_doc(item: RustItem, doc: str, *, error_meanings: Mapping[str, str] | None = None) -> RepairedDoc:
    """The doc to insert for `item` given a model's doc; never one with error-severity findings.
    `error_meanings` (the crate's, `section_text.error_type_meanings`) lets an added `# Errors` say what the error is."""
    doc = normalize_doc(doc)
    findings = tuple(check_doc(item, doc))
    if not findings:
        return RepairedDoc(doc, Provenance.MODEL, findings)
    if any(f.code == "empty-doc" for f in findings):
        return RepairedDoc(template_doc(item, error_meanings=error_meanings), Provenance.TEMPLATE, findings)
    text = _normalize_headings(doc)
    codes = {f.code for f in check_doc(item, text)}
    text = _repair_fences(text)
    for rule in SECTION_RULES:
        if rule.needless_code in codes:
            text = remove_section(text, rule.name)
    if "unknown-param" in codes:
        text = _remove_unknown_params(item, text)
    text = _backtick_code(text)
    summary_mended = _repair_summary(item, text)
    if summary_mended is None:
        return RepairedDoc(template_doc(item, error_meanings=error_meanings), Provenance.TEMPLATE, findings)
    text = add_missing_sections(item, summary_mended, error_meanings=error_meanings)
    text = normalize_doc(text)
    after = check_doc(item, text)
    if not text.strip() or any(f.severity == "error" for f in after):
        return RepairedDoc(template_doc(item, error_meanings=error_meanings), Provenance.TEMPLATE, findings)
    return RepairedDoc(text, Provenance.REPAIRED if text != doc else Provenance.MODEL, findings)


# --- sections --------------------------------------------------------------------------


def add_missing_sections(item: RustItem, doc: str, *, error_meanings: Mapping[str, str] | None = None) -> str:
    """Add the template's `# Errors`/`# Panics`/`# Safety` text for required sections the doc lacks."""
    codes = {f.code for f in check_doc(item, doc)}
    missing = [rule for rule in SECTION_RULES if rule.code in codes]
    if not missing:
        return doc
    block = "\n\n".join(f"# {rule.name}\n\n{section_text(item, rule.name, error_meanings=error_meanings)}" for rule in missing)
    lines = doc.split("\n")
    examples = section_range(lines, "Examples")
    if examples is None:
        return doc.rstrip("\n") + "\n\n" + block
    start = examples[0]
    head = "\n".join(lines[:start]).rstrip("\n")
    return head + "\n\n" + block + "\n\n" + "\n".join(lines[start:])


_SECTION_LIKE = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*(errors?|panics?|safety|examples?)\s*:?\s*(?:\*\*|__)?\s*:?\s*$", re.I
)
_CANONICAL = {"error": "Errors", "errors": "Errors", "panic": "Panics", "panics": "Panics",
              "safety": "Safety", "example": "Examples", "examples": "Examples"}


def _normalize_headings(doc: str) -> str:
    """`## Errors:`, `**Panics**`, `Example` on a line of its own -> RFC 1574's `# Errors`, `# Panics`, ..."""
    lines = doc.split("\n")
    prose = dict(prose_lines(doc))
    for number, line in prose.items():
        match = _SECTION_LIKE.match(line)
        if not match or number == 0:
            continue
        is_heading = line.lstrip().startswith("#")
        own_paragraph = not lines[number - 1].strip() and (number + 1 >= len(lines) or not lines[number + 1].strip() or is_heading)
        if is_heading or own_paragraph:
            level = re.match(r"^\s*(#*)", line).group(1) or "#"
            lines[number] = f"{level} {_CANONICAL[match.group(1).lower()]}"
    return "\n".join(lines)


# --- code fences -----------------------------------------------------------------------


def _repair_fences(doc: str) -> str:
    lines = doc.split("\n")
    blocks = code_blocks(doc)
    if blocks and not blocks[-1].closed:
        fence = FENCE.match(lines[blocks[-1].start_line])
        lines.append(fence.group(1) if fence else "```")
        doc = "\n".join(lines)
    # Bottom-up, so earlier blocks keep their line numbers.
    for block in reversed(code_blocks(doc)):
        if not block.is_rust or "compile_fail" in block.info or not block.doctest_source().strip():
            continue
        lines = doc.split("\n")
        end = block.start_line + block.body.count("\n") + 3
        if not rust_block_parses(block):
            doc = "\n".join(lines[: block.start_line] + lines[end:])
        elif declares_main(block):
            body = _unwrap_main(block.body)
            if body is not None:
                doc = "\n".join(lines[: block.start_line + 1] + body.split("\n") + lines[end - 1 :])
    return drop_empty_section(doc, ("Examples", "Example"))


def _unwrap_main(body: str) -> str | None:
    """A doctest body `fn main() { ... }` without the wrapper rustdoc adds anyway, or None."""
    lines = body.split("\n")
    opens = [i for i, line in enumerate(lines) if re.match(r"^\s*fn main\(\)\s*\{\s*$", line)]
    closing = [i for i, line in enumerate(lines) if line.strip()]
    if len(opens) != 1 or not closing or lines[closing[-1]].strip() != "}":
        return None
    start, end = opens[0], closing[-1]
    inner = lines[start + 1 : end]
    indents = [len(line) - len(line.lstrip()) for line in inner if line.strip()]
    cut = min(indents) if indents else 0
    unwrapped = lines[:start] + [line[cut:] for line in inner] + lines[end + 1 :]
    return "\n".join(unwrapped).strip("\n")


# --- parameters ------------------------------------------------------------------------


def _remove_unknown_params(item: RustItem, doc: str) -> str:
    mentions = unknown_params(item, doc)
    lines = doc.split("\n")
    drop: set[int] = set()
    summary_start, summary_end = summary_range(doc)
    for line, name, how in mentions:
        if how == "entry":
            drop.update(entry_lines(lines, line))
        elif not summary_start <= line < summary_end:
            lines[line] = _without_sentences_naming(lines[line], name)
    kept = [line for i, line in enumerate(lines) if i not in drop]
    return drop_empty_section("\n".join(kept), ARGUMENT_SECTIONS)


def _without_sentences_naming(line: str, name: str) -> str:
    indent = line[: len(line) - len(line.lstrip())]
    sentences = re.split(r"(?<=[.!?])\s+", line.strip())
    kept = [s for s in sentences if f"`{name}`" not in s]
    return indent + " ".join(kept) if kept else ""


# --- doc_markdown ----------------------------------------------------------------------


def _backtick_code(doc: str) -> str:
    """Backticks around prose that reads as code: `Vec<T>` first (an HTML tag to rustdoc), then
    the words clippy's doc_markdown flags, where wrapping them cannot break the Markdown."""
    lines = doc.split("\n")
    generics = []
    for number, col, _ in generic_types_in_prose(doc):
        line = lines[number]
        start = col
        while start > 0 and (line[start - 1].isalnum() or line[start - 1] in "_:"):
            start -= 1
        generics.append(Wrap(number, start, line[start : line.index(">", col) + 1]))
    doc = wrap_spans(doc, generics)
    urls = [Wrap(w.line, w.col, w.word, "<", ">") for w in bare_urls(doc)]
    words = [Wrap(w.line, w.col, w.word) for w in code_like_words(doc) if _SAFE_WORD.match(w.word)]
    return wrap_spans(doc, urls + words)


# --- summary ---------------------------------------------------------------------------


_CLAUSE_BREAK = re.compile(
    r",\s+(?:which|where|so that|so|and|but|while|using|by|as|because|since|allowing|making|returning|including|e\.g\.|i\.e\.)\b"
    r"|;\s+|\s+-{1,2}\s+|\s+\u2014\s+|\s+\("
)
"""Where a long sentence can end early and still say its main clause."""


def shortened(sentence: str, limit: int = MAX_FIRST_PARAGRAPH) -> str | None:
    """A sentence too long for a summary cut at its last clause break within `limit` characters
    ("Parses X, which ..." -> "Parses X."), keeping whole code spans and parentheses; None where
    no break leaves four words or more."""
    best = None
    for match in _CLAUSE_BREAK.finditer(sentence):
        head = sentence[: match.start()].rstrip(" ,;:")
        if len(head) + 1 > limit:
            break
        if len(head.split()) >= 4 and head.count("`") % 2 == 0 and head.count("(") == head.count(")"):
            best = head
    return best + "." if best else None


def _repair_summary(item: RustItem, doc: str) -> str | None:
    """The doc with its summary made a sentence: capitalized, third person for a fn, a final
    period, under clippy's length (the model's first sentence alone, shortened at a clause break
    if need be). None when the answer has no summary of its own to mend: the caller then uses
    the template's doc alone, never its summary glued above the answer's words."""
    lines = doc.split("\n")
    start, end = summary_range(doc)
    if start >= end:
        return None
    first = lines[start].lstrip()
    indent = lines[start][: len(lines[start]) - len(first)]
    word = re.split(r"[\s,.:;]", first, maxsplit=1)[0]
    if (item.is_fn or item.kind == "macro") and word in IMPERATIVE_VERBS:
        first = third_person(word.lower()).capitalize() + first[len(word) :]
    if first[:1].islower():
        first = first[0].upper() + first[1:]
    lines[start] = indent + first
    last = lines[end - 1].rstrip()
    if not last.endswith((".", "。")):
        lines[end - 1] = (last[:-1] if last[-1:] in ",;:" else last) + "."
    raw = "\n".join(lines[start:end])
    if len(raw) > MAX_FIRST_PARAGRAPH:
        paragraph = " ".join(line.strip() for line in lines[start:end])
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z`])", paragraph)
        head = sentences[0] if len(sentences[0]) <= MAX_FIRST_PARAGRAPH else shortened(sentences[0])
        if head is None:
            return None
        new = [head, "", " ".join(sentences[1:])] if len(sentences) > 1 else [head]
        lines = lines[:start] + new + lines[end:]
    return "\n".join(lines)
