"""A template doc: the summary sentence, then the sections the checker's rules require.

No `# Examples`: from the item alone none can be written that surely compiles, and a
placeholder would be worse than none."""

from __future__ import annotations

from collections.abc import Mapping

from rustdoc_core.docs.checker import MAX_FIRST_PARAGRAPH, required_sections
from rustdoc_core.docs.section_rules import SECTION_RULES
from rustdoc_core.docs.section_text import section_text
from rustdoc_core.generation.template.fn_summary import fn_summary
from rustdoc_core.generation.template.item_summary import item_summary
from rustdoc_core.generation.template.plain_summary import plain_summary
from rustdoc_core.rust.items import RustItem


def summary(item: RustItem) -> str:
    """The one-sentence summary of `item`."""
    text = fn_summary(item) if item.is_fn else item_summary(item)
    if len(text) > MAX_FIRST_PARAGRAPH:
        text = plain_summary(item)
    return text


def template_sections(item: RustItem, *, error_meanings: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(heading, text) of each section the checker requires, in RFC 1574 order."""
    required = required_sections(item)
    return [
        (rule.name, section_text(item, rule.name, error_meanings=error_meanings)) for rule in SECTION_RULES if rule.name in required
    ]


def template_doc(item: RustItem, *, error_meanings: Mapping[str, str] | None = None) -> str:
    """A deterministic doc for `item`: a summary sentence and the sections the checker requires.
    With `error_meanings` (`section_text.error_type_meanings` of the crate's items), `# Errors`
    says what the crate's error type is."""
    parts = [summary(item)]
    for name, text in template_sections(item, error_meanings=error_meanings):
        parts.append(f"# {name}\n\n{text}")
    return "\n\n".join(parts)
