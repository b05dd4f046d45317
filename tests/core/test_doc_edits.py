"""Doc edits: `///` lines go in (or an old doc goes out) and nothing else changes."""

import pytest

from rustdoc_core.docs.edits import (
    DocEdit,
    DocEditError,
    apply_edits,
    crate_doc_edit,
    crate_doc_line,
    doc_edit,
    doc_edits_for,
    inline_doc_edit,
    line_ending,
)
from rustdoc_core.rust.doc_policy import has_inner_doc
from rustdoc_core.rust.items import RustSource


def edit_one(text: str, name: str, doc: str) -> str:
    source = RustSource(text)
    item = next(i for i in source.items() if i.name == name)
    return apply_edits(text, [doc_edit(source, item, doc)])


def test_insertion_goes_above_attributes_with_the_item_indent():
    text = "impl S {\n    #[inline]\n    pub fn get(&self) -> u8 {\n        1\n    }\n}\n"
    out = edit_one(text, "get", "Returns one.")
    assert out == "impl S {\n    /// Returns one.\n    #[inline]\n    pub fn get(&self) -> u8 {\n        1\n    }\n}\n"


def test_multi_paragraph_doc_renders_blank_doc_lines_without_trailing_space():
    out = edit_one("pub fn f() {}\n", "f", "Does f.\n\n# Panics\n\nNever.")
    assert out == "/// Does f.\n///\n/// # Panics\n///\n/// Never.\npub fn f() {}\n"


def test_crlf_file_stays_crlf_and_unchanged_apart_from_doc_lines():
    text = "// header\r\nuse std::io;\r\n\r\npub fn read() -> io::Result<()> {\r\n    Ok(())\r\n}\r\n"
    out = edit_one(text, "read", "Reads.\n\n# Errors\n\nNever fails.")
    assert "\n" not in out.replace("\r\n", "")
    assert out.replace("/// Reads.\r\n///\r\n/// # Errors\r\n///\r\n/// Never fails.\r\n", "") == text


def test_missing_final_newline_is_kept():
    text = "pub struct A;\n\npub struct B;"
    out = edit_one(text, "B", "The B.")
    assert out == "pub struct A;\n\n/// The B.\npub struct B;"
    assert not out.endswith("\n")


def test_doc_goes_after_a_plain_comment_and_keeps_it():
    text = "// SAFETY-free helper\n#[derive(Debug)]\npub struct S;\n"
    assert edit_one(text, "S", "A unit.") == "// SAFETY-free helper\n/// A unit.\n#[derive(Debug)]\npub struct S;\n"


def test_replacement_removes_every_own_line_fragment_and_keeps_attributes_between():
    text = (
        "/// Old one.\n"
        "#[inline]\n"
        '#[doc = "old two"]\n'
        "/** old\n   block */\n"
        "pub fn f() {}\n"
    )
    out = edit_one(text, "f", "New doc.")
    assert out == "/// New doc.\n#[inline]\npub fn f() {}\n"


def test_replacement_keeps_a_cfg_attr_that_carries_more_than_a_doc():
    text = '#[cfg_attr(feature = "x", derive(Debug), doc = "old")]\n/// Old.\npub struct S;\n'
    out = edit_one(text, "S", "New.")
    assert out == '#[cfg_attr(feature = "x", derive(Debug), doc = "old")]\n/// New.\npub struct S;\n'


def test_replacement_removes_a_doc_only_cfg_attr_even_with_commas_in_its_text():
    text = '#[cfg_attr(feature = "x", doc = "a, b = c")]\npub struct S;\n'
    assert edit_one(text, "S", "New.") == "/// New.\npub struct S;\n"


def test_replacement_of_an_indented_doc_keeps_its_indent():
    text = "pub trait T {\n    /// Old.\n    fn m(&self);\n}\n"
    assert edit_one(text, "m", "Does m.") == "pub trait T {\n    /// Does m.\n    fn m(&self);\n}\n"


def test_non_ascii_identifiers_and_text_survive():
    text = "pub fn grüße(name: &str) -> String {\n    format!(\"Grüße, {name}\")\n}\n"
    out = edit_one(text, "grüße", "Greets `name` — höflich.")
    assert out == "/// Greets `name` — höflich.\n" + text


def test_item_sharing_a_line_with_code_gets_an_inline_doc_and_the_code_bytes_stay():
    text = "pub struct A; pub struct B;\n"
    source = RustSource(text)
    b = source.items()[1]
    assert source.shares_line(b) and not source.shares_line(source.items()[0])
    out = apply_edits(text, [doc_edit(source, b, "The B.")])
    assert out == "pub struct A; /** The B. */ pub struct B;\n"
    assert RustSource(out).items()[1].doc.text == "The B."


def test_fields_of_a_one_line_variant_share_one_edit_and_multi_line_docs_become_doc_attributes():
    text = "pub enum Shape {\n    Rect { w: u32, h: u32 },\n}\n"
    source = RustSource(text)
    w, h = (i for i in source.items() if i.kind == "field")
    edit = inline_doc_edit(source, [(w, "The width."), (h, 'The "height".\n\nIn pixels.')])
    assert edit.start_line == 1 and edit.end_line == 2
    out = apply_edits(text, [edit])
    assert out == '    Rect { /** The width. */ w: u32, #[doc = "The \\"height\\".\\n\\nIn pixels."] h: u32 },\n'.join(
        ["pub enum Shape {\n", "}\n"]
    )
    docs = {i.name: i.doc.text for i in RustSource(out).items() if i.kind == "field"}
    assert docs == {"w": "The width.", "h": 'The "height".\n\nIn pixels.'}


def test_an_inline_doc_of_an_item_that_has_one_is_refused():
    source = RustSource("pub struct A; /** Old. */ pub struct B;\n")
    with pytest.raises(DocEditError, match="shares its line"):
        doc_edit(source, source.items()[1], "New.")


def test_empty_doc_is_refused():
    source = RustSource("pub fn f() {}\n")
    with pytest.raises(DocEditError):
        doc_edit(source, source.items()[0], "  \n")


def test_apply_edits_bottom_up_and_rejects_overlaps():
    text = "a\nb\nc\n"
    assert apply_edits(text, [DocEdit(0, 0, "/// x\n"), DocEdit(2, 2, "/// y\n")]) == "/// x\na\nb\n/// y\nc\n"
    assert apply_edits(text, [DocEdit(1, 2, "B\n")]) == "a\nB\nc\n"
    with pytest.raises(ValueError, match="overlapping"):
        apply_edits(text, [DocEdit(0, 2, ""), DocEdit(1, 1, "/// z\n")])


def test_line_ending_detection_prefers_the_line_then_the_file():
    assert line_ending("a\r\nb\r\nc\n", 0) == "\r\n"
    assert line_ending("a\r\nb\r\nc\n", 2) == "\n"
    assert line_ending("a\r\nb\r\nc") == "\r\n"
    assert line_ending("no newline") == "\n"


def test_crate_doc_goes_after_shebang_and_license_header_before_inner_attributes():
    text = "#!/usr/bin/env run-cargo-script\n// Copyright someone.\n// MIT.\n\n#![deny(missing_docs)]\npub fn f() {}\n"
    source = RustSource(text)
    assert not has_inner_doc(source)
    assert crate_doc_line(source) == 4
    out = apply_edits(text, [crate_doc_edit(source, "The crate.\n\nMore.")])
    assert out == text.replace("#![deny", "//! The crate.\n//!\n//! More.\n#![deny")
    assert has_inner_doc(RustSource(out))


def test_inner_doc_forms_are_recognized():
    assert has_inner_doc(RustSource("/*! Block. */\nfn f() {}\n"))
    assert has_inner_doc(RustSource('#![doc = "Attr."]\n'))
    assert not has_inner_doc(RustSource('#![doc(html_root_url = "x")]\n/// Outer.\npub fn f() {}\n'))


def test_doc_edits_for_a_whole_file_groups_shared_lines_and_stacks_insertions():
    text = "pub enum Axis { X, Y }\n\npub struct A; pub struct B;\n\n/// Kept.\npub fn f() {}\n"
    source = RustSource(text)
    docs = {"Axis": "An axis.", "X": "The X axis.", "Y": "The Y axis.", "A": "The A.", "B": "The B.", "f": "New f."}
    placements = [(item, docs[item.name]) for item in source.items()]
    edits, refused = doc_edits_for(source, placements)
    assert [(item.name, "shares its line" in str(err)) for item, err in refused] == []
    out = apply_edits(text, edits)
    assert out == (
        "/// An axis.\npub enum Axis { /** The X axis. */ X, /** The Y axis. */ Y }\n\n"
        "/// The A.\npub struct A; /** The B. */ pub struct B;\n\n/// New f.\npub fn f() {}\n"
    )
    assert {i.name: i.doc.text for i in RustSource(out).items()} == docs
