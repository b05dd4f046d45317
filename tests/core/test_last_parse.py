"""Edits that wait for their parse: where bytes went (`EditMap`), what the last parse knew
(`LastParse`), and a `RustSource` that leaves its parse for later without losing an edit.

The language server answers its code-action list from these right after a keystroke;
resolving an action or a command parses the source as it is then.
"""

from __future__ import annotations

import random

from rustdoc_core.rust.edit_map import EditMap
from rustdoc_core.rust.items import RustSource
from rustdoc_core.rust.last_parse import READ_AGAIN_BYTES, LastParse, as_last_parsed


def test_edit_map_follows_every_byte_that_survives_random_edits():
    rng = random.Random(7)
    for _ in range(2000):
        parsed_length = rng.randrange(60)
        text: list[int | None] = list(range(parsed_length))  # each byte named by its offset as parsed
        edits = EditMap()
        for _ in range(rng.randrange(1, 12)):
            start = rng.randrange(len(text) + 1)
            end = rng.randrange(start, min(len(text), start + rng.choice([0, 0, 1, 3, 10])) + 1)
            inserted = [None] * rng.choice([0, 1, 1, 2, 5])
            text[start:end] = inserted
            edits.add(start, end, start + len(inserted))
        now = {old: new for new, old in enumerate(text) if old is not None}
        for old, new in now.items():
            assert edits.start_after(old) == new and edits.end_after(old + 1) == new + 1
            inside_new_text = any(r.new_start <= new <= r.new_end for r in edits.regions)
            assert edits.before(new) == old or inside_new_text
        for old in set(range(parsed_length)) - set(now):
            assert edits.touched(old, old), "a byte gone is in a region"
        assert all(a.old_end < b.old_start and a.new_end < b.new_start for a, b in zip(edits.regions, edits.regions[1:]))


def test_keystrokes_at_one_place_are_one_region():
    edits = EditMap()
    for offset in range(100, 105):  # "value", a key at a time
        edits.add(offset, offset, offset + 1)
    edits.add(104, 105, 104)  # a backspace
    assert [(r.old_start, r.old_end, r.new_start, r.new_end) for r in edits.regions] == [(100, 100, 100, 104)]


CODE = """\
/// Adds one.
pub fn add_one(x: u32) -> u32 {
    x + 1
}

impl Counter {
    /// Counts.
    pub fn count(&self) -> usize {
        self.items.len()
    }

    pub fn reset(&mut self) {
        self.items.clear();
    }
}
"""


def _typed(source: RustSource, offset: int, text: str) -> int:
    for key in text:
        source.edit(offset, offset, key, parse=False)
        offset += len(key.encode("utf-8"))
    return offset


def test_a_source_leaves_its_parse_for_later_and_parses_when_its_tree_is_read():
    source = RustSource(CODE)
    tree_before = source.tree
    at = CODE.index("pub fn reset") + len("pub fn reset")
    _typed(source, at, "_all")
    assert not source.parsed and source.last_parse is not None
    assert source.last_parse.data == CODE.encode()
    assert tree_before.root_node.text == CODE.encode(), "a tree handed out is never edited in place"
    assert [i.name for i in source.items()] == ["add_one", "count", "reset_all"]  # items read the tree: parsed now
    assert source.parsed and source.last_parse is None and source.edits_since_parse is None


def test_the_last_parse_answers_with_items_moved_and_the_edited_one_read_again():
    source = RustSource(CODE)
    source.items()
    known_before = {i.name: i for i in source.items()}
    # A doc line for `reset`, typed a key at a time, and a word in `add_one`'s doc above everything.
    reset = known_before["reset"]
    line_start = source.lines.line_starts[reset.start_line]
    _typed(source, line_start, "    /// Empties it.\n")
    _typed(source, CODE.index("Adds one") + len("Adds one"), " to x")
    view = as_last_parsed(source)
    assert isinstance(view, LastParse) and not source.parsed

    fresh = RustSource(source.data)
    for line in range(fresh.lines.line_count):
        assert view.item_at(line, 6) == fresh.item_at(line, 6), line
    assert not source.parsed, "answering parsed nothing"
    # Items not edited are the last parse's own, moved; an edited one is read again alone.
    count = view.item_at(fresh.item_at(7, 8).start_line, 8)
    assert view.parsed_item(count) is source.last_parse.items()[1]
    reset_now = next(i for i in view.items() if i.name == "reset")
    assert reset_now.doc is not None and reset_now.doc.text == "Empties it."
    assert view.parsed_item(reset_now) == reset


def test_lines_an_edit_touched_have_no_place_now():
    source = RustSource(CODE)
    doc_line = CODE.split("\n").index("    /// Counts.")
    _typed(source, source.lines.line_starts[doc_line] + len("    /// Counts"), " them")
    _typed(source, 0, "// top\n")
    view = as_last_parsed(source)
    assert isinstance(view, LastParse)
    assert view.lines_now(0, 1) is None  # the line typed before
    assert view.lines_now(doc_line, doc_line + 1) is None
    assert view.lines_now(doc_line + 1, doc_line + 4) == 1  # `count` itself: one line down


def test_typing_in_docs_and_names_of_real_items_answers_as_a_fresh_parse_would(debian_crate):
    rng = random.Random(20)
    files = sorted((debian_crate("clap") / "src").rglob("*.rs")) + sorted((debian_crate("globset") / "src").rglob("*.rs"))
    checked = 0
    for path in rng.sample(files, 20):
        source = RustSource(path.read_text(encoding="utf-8"))
        items = [i for i in source.items() if i.doc is not None and i.doc.styles == ("line",) and i.end_byte - i.head_byte < READ_AGAIN_BYTES]
        for item in sorted(rng.sample(items, min(4, len(items))), key=lambda i: -i.start_byte):  # bottom up
            # The name renamed, then a word and a line more in the doc, a key at a time.
            _typed(source, source.data.index(item.name.encode(), item.start_byte) + len(item.name), "_x")
            first = item.doc.fragments[0]
            at = _typed(source, source.data.index(b"\n", first.start_byte), " value")
            _typed(source, at, "\n" + item.indent + "/// more")
            view, fresh = as_last_parsed(source), RustSource(source.data)
            for line in range(first.start_line, item.start_line + 3):
                assert view.item_at(line, len(item.indent) + 1) == fresh.item_at(line, len(item.indent) + 1), (path, line)
            checked += 1
        assert source.parsed == (not items), "no answer parsed"
        source.parse()
    assert checked >= 30
