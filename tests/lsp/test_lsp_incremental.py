"""Edits that stay instant: what the server reads after an edit equals a fresh full read.

The cursor's items come from a read of the tree near the cursor only
(`RustSource.items_overlapping`), lines from an index that follows the edit, and
whether the source action is offered from an index of undocumented items that
follows the edits; each is checked against reading everything again, on real crates.
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from lsprotocol import types

from lsp_server.code_actions import FILE_KIND, ITEM_KIND
from lsp_server.documents import PARSE_PAUSE_S, is_keystroke
from lsp_server.undocumented import SETTLE_S, UndocumentedIndex, wanting_doc
from rustdoc_core.docs.text import render_doc_comment
from rustdoc_core.generation.template import template_doc
from rustdoc_core.rust.items import RustSource
from rustdoc_core.rust.positions import LineIndex
from tests.support.lsp_client import apply_text_edits, edits_for, server_session


def _real_files(debian_crate) -> list:
    files = []
    for crate in ("clap", "globset", "bat", "ignore"):
        files += sorted((debian_crate(crate) / "src").rglob("*.rs"))
    return files


def test_items_near_a_window_equal_those_of_the_full_read_on_real_crates(debian_crate):
    rng = random.Random(15)
    checked = 0
    for path in _real_files(debian_crate):
        text = path.read_text(encoding="utf-8", errors="replace")
        full = RustSource(text)
        items = full.items()
        for _ in range(4):
            near = RustSource(text)  # no full list: the window reader answers
            start = rng.randrange(len(near.data) + 1)
            end = min(len(near.data), start + rng.choice([0, 0, 1, 80, 2000]))
            assert near.items_overlapping(start, end) == [i for i in items if i.head_byte <= end and i.end_byte >= start]
            line = rng.randrange(near.lines.line_count)
            character = rng.randrange(40)
            assert near.item_at(line, character) == full.item_at(line, character), (path, line, character)
            checked += 1
    assert checked > 400


def test_line_index_follows_edits_like_a_fresh_scan():
    rng = random.Random(3)
    data = b"fn a() {}\n\n/// doc\r\npub fn b() {}\n"
    index = LineIndex.of(data)
    for _ in range(5000):
        start = rng.randrange(len(data) + 1)
        end = rng.randrange(start, min(len(data), start + 6) + 1)
        inserted = bytes(rng.choice(b"x\n\r ") for _ in range(rng.randrange(5)))
        data = data[:start] + inserted + data[end:]
        index = index.edited(data, start, end, start + len(inserted))
        assert index == LineIndex.of(data)
        if len(data) > 400:
            data = data[:60]
            index = LineIndex.of(data)


def _edit(source: RustSource, index: UndocumentedIndex, start: int, end: int, text: str) -> None:
    source.edit(start, end, text)
    index.edited(start, end, start + len(text.encode("utf-8")))


def _truth(source: RustSource, include_private: bool = False) -> list[str]:
    return [i.label for i in wanting_doc(RustSource(source.data), include_private)]


def test_the_source_actions_answer_follows_edits_at_once_and_settles_after_a_pause(debian_crate):
    # clap documents every public item of command.rs: nothing wants a doc until one is taken away.
    text = (debian_crate("clap") / "src" / "builder" / "command.rs").read_text(encoding="utf-8")
    source = RustSource(text)
    index = UndocumentedIndex(settle_s=3600)  # no pause in typing until the end, however slow this machine is
    assert not index.any_wanting(source, include_private=False)
    items = source.items()
    target = next(i for i in items if i.is_public and i.is_fn and i.doc is not None and i.start_line > 2000)
    other = next(i for i in items if i.doc is not None and i.start_line > 3000)
    assert target.doc is not None and other.doc is not None
    first, last = target.doc.fragments[0].start_byte, target.doc.fragments[-1].end_byte

    # Typing in another item's doc keeps the answer, without a full read.
    at = other.doc.fragments[0].end_byte - 1
    for offset, key in enumerate(" value"):
        _edit(source, index, at + offset, at + offset, key)
        assert not index.any_wanting(source, include_private=False)
        assert source._items is None  # still no full list
    assert _truth(source) == []

    # The doc taken away: wanted at once. Put back: not wanted at once.
    removed = source.data[first:last].decode("utf-8")
    _edit(source, index, first, last, "")
    assert index.any_wanting(source, include_private=False)
    assert _truth(source) == [target.label]
    _edit(source, index, first, first, removed)
    assert not index.any_wanting(source, include_private=False)
    assert _truth(source) == []
    assert index.any_wanting(source, include_private=True) == bool(_truth(source, True))

    # Far-away effects show after a pause: the impl made a trait impl, far above the
    # item, takes its members out (they have the trait's docs).
    _edit(source, index, first, last, "")
    assert index.any_wanting(source, include_private=False)
    header = source.data.rindex(b"\nimpl Command {", 0, first) + len(b"\nimpl ")
    _edit(source, index, header, header, "Default for ")
    assert _truth(source) == []
    assert index.any_wanting(source, include_private=False)  # until typing pauses, the answer it had
    index.settle_s = SETTLE_S
    time.sleep(SETTLE_S + 0.05)
    assert not index.any_wanting(source, include_private=False)


def test_while_edits_wait_for_their_parse_the_source_actions_answer_is_the_last_reads(debian_crate):
    text = (debian_crate("clap") / "src" / "builder" / "command.rs").read_text(encoding="utf-8")
    source = RustSource(text)
    index = UndocumentedIndex(settle_s=3600)
    assert not index.any_wanting(source, include_private=False)
    target = next(i for i in source.items() if i.is_public and i.is_fn and i.doc is not None and i.start_line > 2000)
    assert target.doc is not None
    first, last = target.doc.fragments[0].start_byte, target.doc.fragments[-1].end_byte

    def deferred(start: int, end: int, new_text: str) -> None:
        source.edit(start, end, new_text, parse=False)
        index.edited(start, end, start + len(new_text.encode("utf-8")))

    deferred(first, last, "")  # the doc taken away, its parse left for later
    assert not index.any_wanting(source, include_private=False), "what the last read knew: it had a doc"
    assert not source.parsed
    source.parse()
    index.catch_up(source, include_private=False)
    assert index.any_wanting(source, include_private=False)  # read once parsed
    # A key typed into the item that wants a doc: until the parse, it still does.
    body = source.data.index(b"{", source.data.index(f"fn {target.name}".encode())) + 1
    deferred(body, body, "x")
    assert index.any_wanting(source, include_private=False) and not source.parsed


async def test_the_served_source_action_appears_and_goes_with_the_edit_that_removes_a_doc(debian_crate):
    path = debian_crate("clap") / "src" / "builder" / "command.rs"
    text = path.read_text(encoding="utf-8")
    source = RustSource(text)
    target = next(i for i in source.items() if i.is_public and i.is_fn and i.doc is not None and i.start_line > 2000)
    doc = target.doc
    assert doc is not None
    start_line, end_line = doc.start_line, doc.end_line + 1
    uri = path.resolve().as_uri()
    cursor = (target.start_line, len(target.indent) + 4)

    def change(version: int, start: int, end: int, new_text: str) -> types.DidChangeTextDocumentParams:
        rng = types.Range(start=types.Position(line=start, character=0), end=types.Position(line=end, character=0))
        return types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new_text)],
        )

    async with server_session() as client:
        client.open(uri, text)
        kinds = [a.kind for a in await client.code_actions(uri, cursor)]
        assert ITEM_KIND in kinds and FILE_KIND not in kinds

        lines = text.split("\n")
        client.text_document_did_change(change(2, start_line, end_line, ""))
        moved = (cursor[0] - (end_line - start_line), cursor[1])
        actions = await client.code_actions(uri, moved)
        assert [a.title for a in actions if a.kind == ITEM_KIND] == [f"Generate rustdoc for `{target.label}`"]
        assert FILE_KIND in [a.kind for a in actions]

        client.text_document_did_change(change(3, start_line, start_line, "\n".join(lines[start_line:end_line]) + "\n"))
        actions = await client.code_actions(uri, cursor)
        assert [a.title for a in actions if a.kind == ITEM_KIND] == [f"Regenerate rustdoc for `{target.label}`"]
        assert FILE_KIND not in [a.kind for a in actions]


# --- keystrokes: the list answers from the last parse; the parse waits for a pause ---------------------

TYPED_URI = "file:///work/example/src/typed.rs"
TYPED = """\
/// Old summary.
pub fn parse_port(text: &str) -> u16 {
    text.parse().unwrap()
}

pub fn second() -> u8 {
    2
}
"""


def _keys(uri: str, version: int, line: int, character: int, text: str) -> list[types.DidChangeTextDocumentParams]:
    """`text` typed at (line, character) as an editor sends it: one change per key, Enter with its indentation."""
    changes = []
    for key in text:
        at = types.Position(line=line, character=character)
        version += 1
        changes.append(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text=key)],
        ))
        line, character = (line + 1, 0) if key == "\n" else (line, character + 1)
    return changes


def _titles(actions) -> list[str]:
    return [a.title for a in actions or [] if a.kind == ITEM_KIND]


async def test_a_list_right_after_a_keystroke_answers_from_the_last_parse_and_is_right_after_the_pause():
    async with server_session() as client:
        client.open(TYPED_URI, TYPED)
        assert _titles(await client.code_actions(TYPED_URI, (5, 8))) == ["Generate rustdoc for `fn second`"]
        # `/*` at the top makes the whole file a comment: a parse would find no item at all.
        for change in _keys(TYPED_URI, 1, 0, 0, "/*"):
            client.text_document_did_change(change)
        right_after = await client.code_actions(TYPED_URI, (5, 8))
        assert _titles(right_after) == ["Generate rustdoc for `fn second`"], "the last parse's answer: no parse on the request"
        await asyncio.sleep(PARSE_PAUSE_S + 0.4)  # typing pauses: the server parses
        assert _titles(await client.code_actions(TYPED_URI, (5, 8))) == []


async def test_an_item_renamed_and_its_doc_typed_into_is_listed_and_documented_as_it_now_is():
    async with server_session() as client:
        client.open(TYPED_URI, TYPED)
        assert _titles(await client.code_actions(TYPED_URI, (1, 8))) == [
            "Update rustdoc for `fn parse_port`",  # `unwrap`: a # Panics section is missing
            "Regenerate rustdoc for `fn parse_port`",
        ]
        changes = _keys(TYPED_URI, 1, 1, len("pub fn parse_port"), "_number")
        changes += _keys(TYPED_URI, changes[-1].text_document.version, 0, len("/// Old summary."), "\n/// More.")
        for change in changes:
            client.text_document_did_change(change)
        edited = TYPED.replace("parse_port", "parse_port_number").replace("Old summary.\n", "Old summary.\n/// More.\n")
        # Right after: the item read again from its own text, so its title is as typed; the
        # update, worked out on the last parse's doc, is held back: its lines were typed into.
        actions = await client.code_actions(TYPED_URI, (2, 8), only=[ITEM_KIND])
        assert _titles(actions) == ["Regenerate rustdoc for `fn parse_port_number`"]
        # Resolving reads the document as it is: both doc lines are replaced, the new name documented.
        resolved = await client.code_action_resolve_async(actions[0])
        new_text = apply_text_edits(edited, edits_for(resolved.edit, TYPED_URI))
        item = next(i for i in RustSource(edited).items() if i.name == "parse_port_number")
        assert new_text == render_doc_comment(template_doc(item)) + edited.split("/// More.\n", 1)[1]


@pytest.mark.parametrize(
    ("removed", "inserted", "keystroke"),
    [
        (b"", "a", True),
        (b"", "\n        ", True),  # Enter, with the indentation the editor adds
        (b"value", "", True),  # a word deleted
        (b"", "completion()", True),
        (b"", "x\n", False),  # a line pasted
        (b"/// Old doc.\n", "", False),  # a line deleted
        (b"", "/// Doc.\n/// More.\n", False),  # an applied action's lines
    ],
)
def test_keystrokes_wait_for_a_pause_and_bigger_edits_are_parsed_at_once(removed, inserted, keystroke):
    assert is_keystroke(removed, inserted) is keystroke
