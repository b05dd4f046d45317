"""Hypothesis strategies for what users feed rustdoc-gen: Rust files that are odd, broken or
hostile, paths with odd names, datasets with holes, files cut short.

Rust text is built from real shapes (items, docs, attributes, comments, macros) put together
in any order and nesting, then damaged at the byte level: so most inputs parse far enough
to reach the documenting code, and some break it in every way a file can be broken.
"""

from __future__ import annotations

from hypothesis import strategies as st

IDENTS = st.sampled_from(["parse", "new", "len", "is_empty", "r#type", "Ünïcode", "_", "x", "Error", "Result", "T", "self_", "a" * 300])
TYPES = st.sampled_from([
    "u8", "&str", "String", "Vec<T>", "Option<&'a mut [u8; 4]>", "Result<(), Error>", "io::Result<u8>",
    "impl Fn(u8) -> u8", "Box<dyn Error + Send>", "HashMap<K, Vec<Option<T>>>", "*const c_void", "!", "()",
    "Result<Vec<u8>, Box<dyn std::error::Error>>", "<T as Iterator>::Item", "fn() -> !",
])

# Things that stand before an item, in any number and order.
PREFIXES = st.sampled_from([
    "/// Parses the value.\n", "///\n", "/// # Errors\n", "/// # Panics\n/// Never.\n", "/** Block doc. */\n",
    "/**\n * Starred.\n */\n", "#[doc = \"Attr doc.\"]\n", "#[doc = concat!(\"a\", \"b\")]\n", "#[doc(hidden)]\n",
    "#[cfg(test)]\n", "#[cfg_attr(feature = \"x\", doc = \"cfg doc\")]\n", "#[inline]\n", "#[must_use]\n",
    "// plain comment\n", "/* plain block */\n", "//! inner doc in the middle\n", "#![allow(dead_code)]\n",
    "#[derive(Debug, Clone)]\n", "/// [`Unknown`] link and <T> tag\n", "/// ```\n/// let x = 1;\n", "/// ```\n",
    "#[test]\n", "#[deprecated(note = \"/// not a doc\")]\n", "\t", "\r\n", "\n",
])

VISIBILITY = st.sampled_from(["", "pub ", "pub(crate) ", "pub(super) ", "pub(in crate::a) "])


@st.composite
def fn_items(draw) -> str:
    name = draw(IDENTS)
    params = draw(st.lists(st.tuples(IDENTS, TYPES), max_size=4))
    ret = draw(st.one_of(st.just(""), TYPES.map(lambda t: f" -> {t}")))
    qualifiers = draw(st.sampled_from(["", "unsafe ", "const ", "async ", "extern \"C\" ", "const unsafe "]))
    generics = draw(st.sampled_from(["", "<T>", "<'a, T: Clone + 'a>", "<const N: usize>", "<T"]))
    where = draw(st.sampled_from(["", " where T: Default", " where"]))
    body = draw(st.sampled_from([
        "{}", "{ todo!() }", "{ x.unwrap() }", "{ panic!(\"{}\", x) }", "{ v[0] }", "{ assert!(x > 0); x }",
        "{ s.parse()? }", ";", "{ fn inner() { panic!() } }", "{ println!(\"{}\", a.expect(\"b\")) }",
        "{ unsafe { *p } }", "{ const { assert!(true) } }", "{ loop {} }", "{ /* } */ }", "{ \"}\" }",
        "{ r#\"}\"# }", "{ '}' }", "{ b'}' }", "{", "}", "{ let closure = |x| { x }; }",
    ]))
    args = ", ".join(f"{n}: {t}" for n, t in params)
    return f"{draw(VISIBILITY)}{qualifiers}fn {name}{generics}({args}){ret}{where} {body}\n"


@st.composite
def simple_items(draw) -> str:
    name = draw(IDENTS)
    vis = draw(VISIBILITY)
    return draw(st.sampled_from([
        f"{vis}struct {name};\n", f"{vis}struct {name}(pub u8, String);\n",
        f"{vis}struct {name} {{ pub field: u8, other: Vec<u8> }}\n", f"{vis}struct {name}<T> {{ pub x: T }}\n",
        f"{vis}enum {name} {{ A, B(u8), C {{ x: u8 }}, }}\n", f"{vis}enum {name} {{}}\n",
        f"{vis}union {name} {{ a: u8, b: u16 }}\n", f"{vis}type {name} = Result<u8, Error>;\n",
        f"{vis}type Result<T> = std::result::Result<T, {name}>;\n", f"{vis}const {name.upper()}: u8 = 1;\n",
        f"{vis}static {name.upper()}: &str = \"x\";\n", f"{vis}trait {name} {{ fn m(&self); }}\n",
        f"{vis}use std::io::{{self, Read}};\n", f"{vis}extern crate alloc;\n", "extern \"C\" { fn c_fn(x: i32) -> i32; }\n",
        f"macro_rules! {name} {{ () => {{ pub fn from_macro() {{}} }}; }}\n", f"#[macro_export]\nmacro_rules! {name} {{ ($x:expr) => {{ $x }} }}\n",
        f"{name}!();\n", "impl Trait for X { fn m(&self) {} }\n", f"impl<T> {name}<T> {{ pub fn get(&self) -> &T {{ &self.x }} }}\n",
        f"{vis}struct A; {vis}struct B;\n", "fn main() {}\n",
    ]))


def _nest(draw, depth: int) -> str:
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        leaf = draw(st.one_of(fn_items(), simple_items()))
        return "".join(draw(st.lists(PREFIXES, max_size=3))) + leaf
    opener = draw(st.sampled_from(["pub mod m {\n", "mod tests {\n", "impl S {\n", "pub trait T {\n", "impl<T: X> Tr for S<T> {\n", "extern \"C\" {\n"]))
    inner = "".join(_nest(draw, depth - 1) for _ in range(draw(st.integers(0, 3))))
    closer = draw(st.sampled_from(["}\n", "}\n", "}\n", "", "}}\n"]))  # sometimes unbalanced
    return "".join(draw(st.lists(PREFIXES, max_size=2))) + opener + inner + closer


@st.composite
def rust_texts(draw) -> str:
    """A Rust file as people (and generators, and broken editors) write them."""
    head = draw(st.sampled_from(["", "//! Crate doc.\n\n", "\ufeff", "#![no_std]\n", "#!/usr/bin/env rust-script\n"]))
    parts = [_nest(draw, draw(st.integers(0, 4))) for _ in range(draw(st.integers(0, 6)))]
    text = head + "".join(parts)
    if draw(st.booleans()):
        text = draw(damaged_text(text))
    return text


@st.composite
def damaged_text(draw, text: str) -> str:
    """Text-level damage: CRLF, lone CR, tabs, a huge line, deep nesting, odd characters."""
    damage = draw(st.sampled_from(["crlf", "cr", "tabs", "huge_line", "deep_mod", "deep_block", "deep_generics", "chars", "cut"]))
    if damage == "crlf":
        return text.replace("\n", "\r\n")
    if damage == "cr":
        return text.replace("\n", "\r")
    if damage == "tabs":
        return text.replace("    ", "\t")
    if damage == "huge_line":
        return text + "pub const HUGE: &str = \"" + "x" * draw(st.integers(10_000, 200_000)) + "\";\n"
    if damage == "deep_mod":
        depth = draw(st.integers(50, 400))  # 1,000 deep: test_error_lines (each level costs)
        return text + "".join(f"pub mod m{i} {{\n" for i in range(depth)) + "pub fn leaf() {}\n" + "}\n" * depth
    if damage == "deep_block":
        depth = draw(st.integers(50, 2000))
        return text + "pub fn deep() -> u8 {" + "{" * depth + "1" + "}" * depth + "}\n"
    if damage == "deep_generics":
        depth = draw(st.integers(20, 600))
        return text + "pub fn g(x: " + "Vec<" * depth + "u8" + ">" * depth + ") {}\n"
    if damage == "chars":
        odd = draw(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=20))
        at = draw(st.integers(0, len(text)))
        return text[:at] + odd + text[at:]
    at = draw(st.integers(0, len(text)))
    return text[:at]


@st.composite
def rust_file_bytes(draw) -> bytes:
    """The bytes of a .rs file: mostly UTF-8 Rust, sometimes cut mid-character, with NUL bytes,
    or not UTF-8 at all."""
    data = draw(rust_texts()).encode("utf-8")
    damage = draw(st.sampled_from(["none", "none", "none", "truncate", "nul", "latin1", "random"]))
    if damage == "truncate" and data:
        return data[: draw(st.integers(0, len(data)))]
    if damage == "nul":
        at = draw(st.integers(0, len(data)))
        return data[:at] + b"\x00" * draw(st.integers(1, 4)) + data[at:]
    if damage == "latin1":
        return data + "/// café\n".encode("latin-1")
    if damage == "random":
        return draw(st.binary(max_size=2000))
    return data


# --- paths ---------------------------------------------------------------------------

NAME_CHARS = st.sampled_from(list("abcXYZ019_-. []/:!?*'\"\\$`{}()<>|&;#~%@^+=,\t\n") + ["[/]", "[bold]", ":smile:", "é", "日本", "\u202e", "\x7f"])


@st.composite
def file_names(draw, suffix: str = ".rs") -> str:
    """One path component: markup, shell and control characters, unicode, long; never `/` or NUL."""
    name = "".join(draw(st.lists(NAME_CHARS, min_size=1, max_size=12))).replace("/", "∕")
    if draw(st.integers(0, 9)) == 0:
        name = name * 40  # near or past NAME_MAX
    name = name.lstrip("-") or "x"  # a leading dash is an option to any CLI
    if name in (".", ".."):
        name = "x"
    while len((name + suffix).encode("utf-8")) > 255:  # NAME_MAX is in bytes
        name = name[:-1]
    return name + suffix
