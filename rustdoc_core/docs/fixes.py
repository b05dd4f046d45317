"""Certain fixes of a doc a human wrote: what the code says for sure is stale (a missing or
needless `# Errors`/`# Panics`/`# Safety`, a dead `# Arguments` entry), mended by whole-line
edits that keep every other line byte for byte. `check --fix`, `generate --update` and the
editor's "Update rustdoc" all take their edits from `update_doc`; the doc's sections are
found with the helpers here."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from rustdoc_core.docs.checker import check_doc, unknown_params
from rustdoc_core.docs.findings import CERTAIN_FIXES
from rustdoc_core.docs.markdown import LIST_ITEM, parse_markdown
from rustdoc_core.docs.section_rules import ARGUMENT_SECTIONS, SECTION_RULES
from rustdoc_core.docs.section_text import section_text
from rustdoc_core.rust.items import RustItem

__all__ = ["CERTAIN_FIXES", "DocUpdate", "update_doc"]


def doc_headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line, level, title) of the headings outside code fences."""
    return [(block.start, block.level, block.title) for block in parse_markdown("\n".join(lines)).headings()]


def section_range(lines: list[str], title: str) -> tuple[int, int] | None:
    headings = doc_headings(lines)
    for i, (number, level, name) in enumerate(headings):
        if name.lower() == title.lower():
            end = next((n for n, lv, _ in headings[i + 1 :] if lv <= level), len(lines))
            return number, end
    return None


def remove_section(doc: str, title: str) -> str:
    """The doc without its `# title` section (heading and body)."""
    lines = doc.split("\n")
    found = section_range(lines, title)
    if found is None:
        return doc
    start, end = found
    return "\n".join(lines[:start] + lines[end:])


def drop_empty_section(doc: str, titles: tuple[str, ...]) -> str:
    """The doc without the sections among `titles` that have a heading and nothing under it."""
    lines = doc.split("\n")
    for title in titles:
        found = section_range(lines, title)
        if found and not any(line.strip() for line in lines[found[0] + 1 : found[1]]):
            lines = lines[: found[0]] + lines[found[1] :]
    return "\n".join(lines)





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


def update_doc(
    item: RustItem,
    doc: str,
    exported: bool | None = None,
    sections: Mapping[str, str] | None = None,
    off: Collection[str] = frozenset(),
) -> DocUpdate:
    """The certain fixes for a human's doc: add each missing required section (the body from
    `sections`, by name, else the template's) before `# Examples` or at the end, remove needless
    sections, rename the `# Arguments` entry of a renamed parameter (one dead entry, one
    parameter never named) or drop dead entries. The human's other lines are kept byte for byte.

    Codes in `off` are left alone: the crate turns them off (a section whose lint it allows is
    never added)."""
    findings = check_doc(item, doc, exported)
    codes = {f.code for f in findings} - set(off)
    lines = doc.split("\n")
    delete: set[int] = set()
    fixed: list[str] = []
    for rule in SECTION_RULES:
        if rule.needless_code in codes:
            found = _every_section_of(lines, rule.headings)  # a doc may repeat the heading: all go, or a rerun finds one more
            if found:
                for start, end in found:
                    delete.update(range(start, end))
                fixed.append(rule.needless_code)
    entries = [m for m in unknown_params(item, doc) if m[2] == "entry"] if "unknown-param" in codes else []
    renames: list[tuple[int, str, str]] = []
    unmentioned = [p for p in item.param_names if f"`{p}`" not in doc]
    if len(entries) == 1 and len(unmentioned) == 1:
        # One dead entry and one parameter the doc never names: the parameter was renamed.
        renames.append((entries[0][0], entries[0][1], unmentioned[0]))
        entries = []
        fixed.append("unknown-param")
    for line, _, _ in entries:
        delete.update(entry_lines(lines, line))
    if entries:
        fixed.append("unknown-param")
        for title in ARGUMENT_SECTIONS:
            found = section_range(lines, title)
            if found and all(n in delete or not lines[n].strip() for n in range(found[0] + 1, found[1])):
                delete.update(range(*found))
    if all(n in delete or not lines[n].strip() for n in range(len(lines))):
        # The needless section is the whole doc (`# Errors` over its only sentence): taking it
        # away leaves no doc, which the next run writes anew. The doc stays for the human.
        delete, fixed, renames = set(), [], []
    kept = [n for n in range(len(lines)) if n not in delete]
    # A section removed at the end leaves the blank line before it dangling.
    while kept and not lines[kept[-1]].strip() and len(kept) < len(lines):
        delete.add(kept.pop())
    # A doc whose code fence is never closed would take the new heading into the code block:
    # it stays missing, and every run added it again. The fence is the human's to close.
    open_fence = any(f.code == "unbalanced-fence" for f in findings)
    missing = [rule for rule in SECTION_RULES if rule.code in codes] if not open_fence else []
    blocks = [[f"# {rule.name}", "", *((sections or {}).get(rule.name) or section_text(item, rule.name)).split("\n")] for rule in missing]
    fixed += [rule.code for rule in missing]
    examples = section_range(lines, "Examples")
    if examples is not None and examples[0] not in delete:
        before, insert = examples[0], [line for block in blocks for line in block + [""]]
    else:
        before, insert = len(lines), [line for block in blocks for line in [""] + block]
    return DocUpdate(frozenset(delete), before, tuple(insert), tuple(fixed), tuple(renames))


def section_body(doc: str, title: str) -> str | None:
    """The text under a doc's `# title` heading (blank lines around it trimmed); None without one."""
    lines = doc.split("\n")
    found = section_range(lines, title)
    if found is None:
        return None
    body = "\n".join(lines[found[0] + 1 : found[1]]).strip("\n")
    return body if body.strip() else None


def rename_in_line(line: str, old: str, new: str) -> str:
    """The line with its first `` `old` `` code span naming `new` instead; nothing else changes."""
    return line.replace(f"`{old}`", f"`{new}`", 1)


def _every_section_of(lines: list[str], headings: frozenset[str]) -> list[tuple[int, int]]:
    """(start, end) of each section under one of `headings`, in doc order."""
    found = doc_headings(lines)
    wanted = {title.lower() for title in headings}
    return [
        (number, next((n for n, lv, _ in found[i + 1 :] if lv <= level), len(lines)))
        for i, (number, level, name) in enumerate(found)
        if name.lower() in wanted
    ]


def entry_lines(lines: list[str], line: int) -> set[int]:
    """A list entry's line and its indented continuation lines."""
    out = {line}
    match = LIST_ITEM.match(lines[line])
    indent = len(match.group(1)) if match else 0
    j = line + 1
    while j < len(lines) and lines[j].strip() and not LIST_ITEM.match(lines[j]) and len(lines[j]) - len(lines[j].lstrip()) > indent:
        out.add(j)
        j += 1
    return out
