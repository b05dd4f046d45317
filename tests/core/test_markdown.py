"""The one Markdown block parser of the doc rules (`docs/markdown.py`): the blocks rustdoc's
CommonMark reader sees, the prose clippy's doc_markdown reads, and `select`, which keeps a
link definition with the paragraphs that use it (the length budget used to cut a definition
as if it were a paragraph, leaving `[`Counter`][c]` dangling)."""

from __future__ import annotations

import pytest

from rustdoc_core.docs.markdown import (
    BLANK,
    CODE,
    HEADING_BLOCK,
    INDENTED_CODE,
    LINK_DEF,
    LIST,
    PARAGRAPH,
    QUOTE,
    TABLE,
    parse_markdown,
)
from rustdoc_core.rust.items import RustSource

DOC = """Counts the lines of `text`.

Uses the [`Counter`][c] of the crate.

# Examples

```
let n = 1;
```

* first entry
  continued
* second entry

| a | b |
|---|---|
| 1 | 2 |

> quoted

    indented code

[c]: crate::Counter"""


def test_blocks_are_the_ones_commonmark_sees_and_cover_every_line():
    md = parse_markdown(DOC)
    kinds = [b.kind for b in md.blocks if b.kind != BLANK]
    assert kinds == [PARAGRAPH, PARAGRAPH, HEADING_BLOCK, CODE, LIST, TABLE, QUOTE, INDENTED_CODE, LINK_DEF]
    assert [line for b in md.blocks for line in b.lines] == DOC.split("\n")
    assert md.headings()[0].title == "Examples" and md.headings()[0].level == 1
    assert md.code_blocks()[0].body == "let n = 1;"
    assert [[n for n, _ in entry] for entry in md.blocks[[b.kind for b in md.blocks].index(LIST)].entries()] == [[10, 11], [12]]
    assert md.link_definitions["c"].target == "crate::Counter"
    assert md.summary_range() == (0, 1)


@pytest.mark.parametrize(
    ("doc", "kinds"),
    [
        ("Para with foo_bar\n> lazy quote FooBar.", [PARAGRAPH, QUOTE]),  # a quote interrupts a paragraph
        ("Para:\n* entry", [PARAGRAPH, LIST]),  # so does a bullet list
        ("Para:\n2. entry", [PARAGRAPH]),  # an ordered list only from 1
        ("Errors\n======", [HEADING_BLOCK]),  # a setext heading
        ("Para.\n[c]: crate::C", [PARAGRAPH, LINK_DEF]),
        ("* a\n\n      code in a list entry", [LIST, PARAGRAPH]),  # indented text in a list is not code
        ("```\nunclosed", [CODE]),
    ],
)
def test_block_boundaries(doc, kinds):
    assert [b.kind for b in parse_markdown(doc).blocks if b.kind != BLANK] == kinds


def test_setext_heading_title_counts_as_a_section():
    md = parse_markdown("Loads it.\n\nErrors\n------\n\nWhen it fails.")
    assert [b.title for b in md.headings()] == ["Errors"]


def test_prose_blocks_skip_code_quotes_definitions_and_a_table_nothing_follows():
    md = parse_markdown(DOC)
    prose = [line for block in md.prose_blocks() for _, line in block]
    assert "let n = 1;" not in prose and "> quoted" not in prose and "[c]: crate::Counter" not in prose
    assert "    indented code" not in prose
    assert "| 1 | 2 |" not in prose  # clippy checks a table's text only when a later paragraph ends
    assert "| 1 | 2 |" in [line for b in parse_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\nAfter.").prose_blocks() for _, line in b]


def test_select_keeps_a_link_definition_with_the_paragraph_that_uses_it():
    md = parse_markdown("Counts lines.\n\nUses the [`Counter`][c].\n\nMore text.\n\n[c]: crate::Counter")
    paragraphs = [i for i, b in enumerate(md.blocks) if b.kind == PARAGRAPH]
    kept = md.select(paragraphs[:2])  # the budget keeps the summary and the paragraph that links
    assert "[`Counter`][c]" in kept and "[c]: crate::Counter" in kept and "More text." not in kept
    cut = md.select(paragraphs[:1])  # the linking paragraph is cut: its definition goes with it
    assert "[c]:" not in cut and "Counter" not in cut


def test_a_definition_nothing_refers_to_stays_only_where_kept():
    md = parse_markdown("Counts lines.\n\n[unused]: crate::Other")
    assert md.select([0]).strip() == "Counts lines."
    assert md.select([0, 2]).strip().endswith("[unused]: crate::Other")


def test_references_find_full_collapsed_and_shortcut_labels_outside_code():
    md = parse_markdown("See [a][x], [y][] and [z]; not `[q]`.\n\n[x]: crate::X\n[y]: crate::Y\n[z]: crate::Z\n[q]: crate::Q")
    assert md.references(md.blocks[0]) == {"x", "y", "z"}


def test_the_length_budget_keeps_link_definitions_with_their_paragraph():
    """Issue 20: the length budget counted a link definition as a paragraph and cut it, leaving
    `[`Counter`][c]` dangling: here the definition came ninth, past a fn's eight paragraphs."""
    from rustdoc_core.generation.guard import apply_budget

    item = RustSource("pub fn count(text: &str) -> usize { 0 }").items()[0]
    paragraphs = ["Counts the lines with the [`Counter`][c]."] + [f"Paragraph {n} says more." for n in range(2, 9)]
    kept = apply_budget(item, "\n\n".join(paragraphs) + "\n\n[c]: crate::Counter")
    assert "[`Counter`][c]" in kept
    assert "[c]: crate::Counter" in kept
