"""The shared Rust item model on small fixtures written for each case."""

from rustdoc_core.rust_items import RustSource


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
    from rustdoc_core.rust_items import RustItem

    (item,) = RustSource("/// Doc.\npub unsafe fn f<T>(x: T) -> Result<T, E> where T: Copy { x.unwrap() }").items()
    assert RustItem.from_dict(item.to_dict()) == item


def test_panic_sites_inside_other_macros_arguments_are_found_after_parsed_ones():
    src = RustSource('pub fn f(v: Option<u8>) { let a = v.unwrap(); println!("{} {}", v.expect("x"), "y.unwrap()"); }')
    (item,) = src.items()
    assert [(p.kind, p.text) for p in item.panic_sites] == [("unwrap", "v"), ("expect", "")]
