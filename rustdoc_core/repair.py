"""Repair a model's doc before it reaches the editor.

Takes the doc text (already through `prompt.parse_completion`), fixes what the
checker found where a fix is safe (missing `# Errors`/`# Panics`/`# Safety` from
the template engine, a needless `# Safety`, bare identifiers, hallucinated
parameters, a broken or unclosed example, a summary that is not a sentence),
and falls back to the template engine when an error-severity finding remains.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rustdoc_core.doc_checker import (
    MAX_FIRST_PARAGRAPH,
    Finding,
    bare_urls,
    IMPERATIVE_VERBS,
    check_doc,
    code_like_words,
    declares_main,
    generic_types_in_prose,
    rust_block_parses,
    unknown_params,
)
from rustdoc_core.doc_text import FENCE, HEADING, Wrap, code_blocks, normalize_doc, prose_lines, summary_range, wrap_spans
from rustdoc_core.rust_items import RustItem
from rustdoc_core.section_rules import ARGUMENT_SECTIONS, SECTION_RULES
from rustdoc_core.template_engine import summary, template_doc, third_person

_LIST_ITEM = re.compile(r"^(\s*)(?:[*+-]|\d+[.)])\s+")
_SAFE_WORD = re.compile(r"^[\w:.!&]+(\(\))?$")


@dataclass(frozen=True)
class RepairedDoc:
    text: str
    origin: str  # "model" | "repaired" | "template"
    findings: tuple[Finding, ...]


def repair_doc(item: RustItem, doc: str) -> RepairedDoc:
    """The doc to insert for `item` given a model's doc; never one with error-severity findings."""
    doc = normalize_doc(doc)
    findings = tuple(check_doc(item, doc))
    if not findings:
        return RepairedDoc(doc, "model", findings)
    if any(f.code == "empty-doc" for f in findings):
        return RepairedDoc(template_doc(item), "template", findings)
    text = _normalize_headings(doc)
    codes = {f.code for f in check_doc(item, text)}
    text = _repair_fences(text)
    for rule in SECTION_RULES:
        if rule.needless_code in codes:
            text = remove_section(text, rule.name)
    if "unknown-param" in codes:
        text = _remove_unknown_params(item, text)
    text = _backtick_code(text)
    text = _repair_summary(item, text)
    text = add_missing_sections(item, text)
    text = normalize_doc(text)
    after = check_doc(item, text)
    if not text.strip() or any(f.severity == "error" for f in after):
        return RepairedDoc(template_doc(item), "template", findings)
    return RepairedDoc(text, "repaired" if text != doc else "model", findings)


# --- sections --------------------------------------------------------------------------


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line, level, title) of the headings outside code fences."""
    out = []
    for number, line in prose_lines("\n".join(lines)):
        match = HEADING.match(line)
        if match:
            out.append((number, len(match.group(1)), match.group(2).strip()))
    return out


def _section_range(lines: list[str], title: str) -> tuple[int, int] | None:
    headings = _headings(lines)
    for i, (number, level, name) in enumerate(headings):
        if name.lower() == title.lower():
            end = next((n for n, lv, _ in headings[i + 1 :] if lv <= level), len(lines))
            return number, end
    return None


def remove_section(doc: str, title: str) -> str:
    """The doc without its `# title` section (heading and body)."""
    lines = doc.split("\n")
    found = _section_range(lines, title)
    if found is None:
        return doc
    start, end = found
    return "\n".join(lines[:start] + lines[end:])


def add_missing_sections(item: RustItem, doc: str) -> str:
    """Add the template's `# Errors`/`# Panics`/`# Safety` text for required sections the doc lacks."""
    codes = {f.code for f in check_doc(item, doc)}
    missing = [rule for rule in SECTION_RULES if rule.code in codes]
    if not missing:
        return doc
    block = "\n\n".join(f"# {rule.name}\n\n{rule.template_text(item)}" for rule in missing)
    lines = doc.split("\n")
    examples = _section_range(lines, "Examples")
    if examples is None:
        return doc.rstrip("\n") + "\n\n" + block
    start = examples[0]
    head = "\n".join(lines[:start]).rstrip("\n")
    return head + "\n\n" + block + "\n\n" + "\n".join(lines[start:])


def drop_empty_section(doc: str, titles: tuple[str, ...]) -> str:
    lines = doc.split("\n")
    for title in titles:
        found = _section_range(lines, title)
        if found and not any(line.strip() for line in lines[found[0] + 1 : found[1]]):
            lines = lines[: found[0]] + lines[found[1] :]
    return "\n".join(lines)


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


# --- certain updates of a human's doc -------------------------------------------------


@dataclass(frozen=True)
class DocUpdate:
    """Line edits on a doc that fix what is certainly stale, leaving every other line as it is:
    delete the lines `delete`, then put `insert` before line `insert_before` (of the old doc)."""

    delete: frozenset[int] = frozenset()
    insert_before: int = 0
    insert: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()  # the finding codes it fixes
    renames: tuple[tuple[int, str, str], ...] = ()  # (line, old, new): a renamed parameter's `old` -> `new`

    def __bool__(self) -> bool:
        return bool(self.delete or self.insert or self.renames)

    def apply(self, doc: str) -> str:
        lines = doc.split("\n")
        for number, old, new in self.renames:
            lines[number] = rename_in_line(lines[number], old, new)
        out: list[str] = []
        for number, line in enumerate(lines):
            if number == self.insert_before:
                out.extend(self.insert)
            if number not in self.delete:
                out.append(line)
        if self.insert_before >= len(lines):
            out.extend(self.insert)
        return "\n".join(out)


CERTAIN_FIXES = frozenset(
    [rule.code for rule in SECTION_RULES] + [rule.needless_code for rule in SECTION_RULES if rule.needless_code] + ["unknown-param"]
)
"""Finding codes `update_doc` fixes without a model (unknown-param: `# Arguments` entries only,
renamed when exactly one parameter is never named, else dropped)."""


def update_doc(item: RustItem, doc: str, exported: bool | None = None, sections: Mapping[str, str] | None = None) -> DocUpdate:
    """The certain fixes for a human's doc: add each missing required section (the body from
    `sections`, by name, else the template's) before `# Examples` or at the end, remove needless
    sections, rename the `# Arguments` entry of a renamed parameter (one dead entry, one
    parameter never named) or drop dead entries. The human's other lines are kept byte for byte."""
    findings = check_doc(item, doc, exported)
    codes = {f.code for f in findings}
    lines = doc.split("\n")
    delete: set[int] = set()
    fixed: list[str] = []
    for rule in SECTION_RULES:
        if rule.needless_code in codes:
            found = _section_range_of(lines, rule.headings)
            if found:
                delete.update(range(*found))
                fixed.append(rule.needless_code)
    entries = [m for m in unknown_params(item, doc) if m[2] == "entry"]
    renames: list[tuple[int, str, str]] = []
    unmentioned = [p for p in item.param_names if f"`{p}`" not in doc]
    if len(entries) == 1 and len(unmentioned) == 1:
        # One dead entry and one parameter the doc never names: the parameter was renamed.
        renames.append((entries[0][0], entries[0][1], unmentioned[0]))
        entries = []
        fixed.append("unknown-param")
    for line, _, _ in entries:
        delete.update(_entry_lines(lines, line))
    if entries:
        fixed.append("unknown-param")
        for title in ARGUMENT_SECTIONS:
            found = _section_range(lines, title)
            if found and all(n in delete or not lines[n].strip() for n in range(found[0] + 1, found[1])):
                delete.update(range(*found))
    kept = [n for n in range(len(lines)) if n not in delete]
    # A section removed at the end leaves the blank line before it dangling.
    while kept and not lines[kept[-1]].strip() and len(kept) < len(lines):
        delete.add(kept.pop())
    missing = [rule for rule in SECTION_RULES if rule.code in codes]
    blocks = [[f"# {rule.name}", "", *((sections or {}).get(rule.name) or rule.template_text(item)).split("\n")] for rule in missing]
    fixed += [rule.code for rule in missing]
    examples = _section_range(lines, "Examples")
    if examples is not None and examples[0] not in delete:
        before, insert = examples[0], [line for block in blocks for line in block + [""]]
    else:
        before, insert = len(lines), [line for block in blocks for line in [""] + block]
    return DocUpdate(frozenset(delete), before, tuple(insert), tuple(fixed), tuple(renames))


def section_body(doc: str, title: str) -> str | None:
    """The text under a doc's `# title` heading (blank lines around it trimmed); None without one."""
    lines = doc.split("\n")
    found = _section_range(lines, title)
    if found is None:
        return None
    body = "\n".join(lines[found[0] + 1 : found[1]]).strip("\n")
    return body if body.strip() else None


def rename_in_line(line: str, old: str, new: str) -> str:
    """The line with its first `` `old` `` code span naming `new` instead; nothing else changes."""
    return line.replace(f"`{old}`", f"`{new}`", 1)


def _section_range_of(lines: list[str], headings: frozenset[str]) -> tuple[int, int] | None:
    for title in sorted(headings):
        found = _section_range(lines, title)
        if found:
            return found
    return None


def _entry_lines(lines: list[str], line: int) -> set[int]:
    """A list entry's line and its indented continuation lines."""
    out = {line}
    match = _LIST_ITEM.match(lines[line])
    indent = len(match.group(1)) if match else 0
    j = line + 1
    while j < len(lines) and lines[j].strip() and not _LIST_ITEM.match(lines[j]) and len(lines[j]) - len(lines[j].lstrip()) > indent:
        out.add(j)
        j += 1
    return out


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
            drop.update(_entry_lines(lines, line))
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


def _repair_summary(item: RustItem, doc: str) -> str:
    lines = doc.split("\n")
    start, end = summary_range(doc)
    if start >= end:
        return summary(item) + "\n\n" + doc.lstrip("\n")
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
        if len(sentences) > 1 and len(sentences[0]) <= MAX_FIRST_PARAGRAPH:
            new = [sentences[0], "", " ".join(sentences[1:])]
        else:
            new = [summary(item), "", paragraph]
        lines = lines[:start] + new + lines[end:]
    return "\n".join(lines)
