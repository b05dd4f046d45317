"""The shared Rust item model on small fixtures written for each case."""

import threading

import pytest

from rustdoc_core.rust.doc_policy import needs_doc
from rustdoc_core.rust.items import RustSource, generic_args, parser, split_top_level


def test_doc_fragments_of_all_styles_join_and_unindent_like_rustdoc():
    src = RustSource('/// Doc one\n/** block */\n#[doc = "attr"]\n#[cfg_attr(feature = "x", doc = "cfg doc")]\n#[inline]\npub fn f() {}\n')
    (item,) = src.items()
    assert item.doc is not None
    assert item.doc.text == "Doc one\nblock\nattr\ncfg doc"
    assert item.attributes == ("#[inline]",)
    assert item.doc_line == 0


def test_parameters_bind_names_from_patterns():
    src = RustSource("impl S { pub fn f(&mut self, (a, b): (u8, u8), _: i32, mut x: u8, P { y, z: w }: P) {} }")
    (item,) = src.items()
    assert item.kind == "method"
    assert [p.pattern for p in item.params] == ["&mut self", "(a, b)", "_", "mut x", "P { y, z: w }"]
    assert item.param_names == ("a", "b", "x", "y", "w")


def test_doc_goes_above_attributes_and_after_a_plain_comment():
    src = RustSource("// a plain comment\n#[derive(Debug)]\npub struct S;\n")
    (item,) = src.items()
    assert item.doc_line == 1
    assert item.start_line == 2


def test_item_at_cursor_on_name_signature_body_and_attributes():
    text = "pub struct S;\n\nimpl S {\n    #[inline]\n    pub fn get(&self) -> u8 {\n        1\n    }\n}\n"
    src = RustSource(text)
    assert src.item_at(4, 12).name == "get"
    assert src.item_at(3, 6).name == "get"
    assert src.item_at(5, 8).name == "get"
    assert src.item_at(0, 11).name == "S"
    assert src.item_at(1, 0) is None


def test_utf16_positions_on_non_ascii_lines():
    text = "/// ünï 𝔘\npub fn 𝔘ni() {}\n"
    src = RustSource(text)
    (item,) = src.items()
    # `𝔘` is one code point, two UTF-16 units, four UTF-8 bytes.
    assert src.lines.byte_to_position(item.end_byte) == (1, 16)
    assert src.lines.position_to_byte(1, 9) == len("/// ünï 𝔘\npub fn 𝔘".encode())
    assert src.item_at(1, 9).name == "𝔘ni"


def test_incremental_edit_reparses_and_updates_items():
    src = RustSource("pub fn a() {}\n")
    src.edit_lsp((0, 7), (0, 8), "renamed")
    assert [i.name for i in src.items()] == ["renamed"]
    assert src.text == "pub fn renamed() {}\n"


def test_panic_sites_and_result_returns_are_found():
    src = RustSource("pub fn f(v: &[u8]) -> io::Result<u8> { let x = v[0]; g().unwrap(); assert!(x > 0); Ok(x) }")
    (item,) = src.items()
    assert item.returns_result
    assert sorted(p.kind for p in item.panic_sites) == ["assert", "index", "unwrap"]


def test_items_under_cfg_test_and_doc_hidden_are_marked():
    src = RustSource('#[doc(hidden)]\npub fn h() {}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n')
    hidden, module, test_fn = src.items()
    assert hidden.doc_hidden and hidden.doc is None
    assert module.in_test and test_fn.in_test


def test_item_round_trips_through_a_dict():
    from rustdoc_core.rust.items import RustItem

    (item,) = RustSource("/// Doc.\npub unsafe fn f<T>(x: T) -> Result<T, E> where T: Copy { x.unwrap() }").items()
    assert RustItem.from_dict(item.to_dict()) == item


def test_panic_sites_inside_other_macros_arguments_are_found_after_parsed_ones():
    src = RustSource('pub fn f(v: Option<u8>) { let a = v.unwrap(); println!("{} {}", v.expect("x"), "y.unwrap()"); }')
    (item,) = src.items()
    assert [(p.kind, p.text) for p in item.panic_sites] == [("unwrap", "v"), ("expect", "")]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Vec<u8>, E", ["Vec<u8>", "E"]),
        ("HashMap<K, V>, (a, b), [u8; 4]", ["HashMap<K, V>", "(a, b)", "[u8; 4]"]),
        ("Box<dyn Fn(u8) -> u8>, io::Error", ["Box<dyn Fn(u8) -> u8>", "io::Error"]),
        ('a < b, "x, y", \',\'', ["a < b", '"x, y"', "','"]),
        ("x <= y, z", ["x <= y", "z"]),
        ("T, E = Error,", ["T", "E = Error"]),
    ],
)
def test_split_top_level_keeps_nested_generics_strings_and_comparisons_whole(text, parts):
    assert split_top_level(text) == parts


def test_generic_args_of_a_result_with_a_closure_type():
    assert generic_args("Result<Box<dyn Fn(u8) -> u8>, E>") == ["Box<dyn Fn(u8) -> u8>", "E"]


def test_shares_line_when_code_stands_before_the_item_on_its_line():
    src = RustSource("struct A; struct B;\n    pub struct C;\n")
    a, b, c = src.items()
    assert not src.shares_line(a) and src.shares_line(b) and not src.shares_line(c)
    assert src.item_at(1, 0).name == "C"  # the indentation before an item is on it


def test_needs_doc_follows_visibility_tests_hidden_items_and_trait_impls():
    src = RustSource(
        "pub fn a() {}\nfn b() {}\n#[doc(hidden)]\npub fn c() {}\n"
        "impl Clone for S { fn clone(&self) -> S { S } }\n#[cfg(test)]\nmod tests { pub fn d() {} }\n"
    )
    wanted = {i.name: (needs_doc(i), needs_doc(i, include_private=True)) for i in src.items()}
    assert wanted == {
        "a": (True, True), "b": (False, True), "c": (False, False), "clone": (False, False),
        "tests": (False, False), "d": (False, False),
    }


def test_one_shared_parser_per_thread():
    here = parser()
    assert parser() is here
    other = []
    thread = threading.Thread(target=lambda: other.append(parser()))
    thread.start()
    thread.join()
    assert other[0] is not here
    assert parser().parse(b"fn f() {}").root_node.type == "source_file"
