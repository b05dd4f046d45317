"""The template engine: exact docs for fixture items of every kind, sections exactly
when the checker requires them, and clean output for every item of real crates."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from rustdoc_core.docs.checker import check_doc, required_sections
from rustdoc_core.docs.english import split_identifier, third_person
from rustdoc_core.docs.section_text import error_type_meanings
from rustdoc_core.docs.text import doc_sections
from rustdoc_core.generation.template import template_doc
from rustdoc_core.rust.items import RustSource
from tests.conftest import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "core"


def fixture_items(name: str) -> dict[str, object]:
    return {f"{i.kind} {i.name}": i for i in RustSource((FIXTURES / name).read_bytes()).items()}


@pytest.fixture(scope="module")
def naming():
    return fixture_items("naming.rs")


@pytest.fixture(scope="module")
def sections():
    return fixture_items("sections.rs")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("parse_config", ["parse", "config"]),
        ("GlobSetBuilder", ["Glob", "Set", "Builder"]),
        ("HTTPServer", ["HTTP", "Server"]),
        ("Utf8Error", ["Utf8", "Error"]),
        ("DEFAULT_BUFFER_CAPACITY", ["DEFAULT", "BUFFER", "CAPACITY"]),
        ("r#type", ["type"]),
        ("größe_berechnen", ["größe", "berechnen"]),
    ],
)
def test_split_identifier(name, words):
    assert split_identifier(name) == words


@pytest.mark.parametrize(
    ("verb", "third"),
    [("parse", "parses"), ("push", "pushes"), ("copy", "copies"), ("do", "does"), ("lookup", "looks up"), ("play", "plays")],
)
def test_third_person(verb, third):
    assert third_person(verb) == third


NAMING_DOCS = {
    "const DEFAULT_BUFFER_CAPACITY": "The default buffer capacity.",
    "static OPEN_FILES": "The open files.",
    "type Result": "An alias for `std::result::Result<T, std::io::Error>`.",
    "struct Config": "Configuration.",
    "field max_depth": "The maximum depth of this `Config`.",
    "field follow_links": "Whether to follow links.",
    "struct GlobSetBuilder": "A builder for a glob set.",
    "struct Meters": "Meters wrapping `f64`.",
    "enum ErrorKind": "The kind of error: one of `UnclosedClass`, `InvalidRange` or `Io`.",
    "variant UnclosedClass": "The unclosed class kind.",
    "variant Io": "The I/O kind. It wraps `std::io::Error`.",
    "enum ColorChoice": "A color choice: one of `Always`, `Never` or `Auto`.",
    "variant Always": "The `Always` variant.",  # an adverb: no "always choice",
    "trait Matcher": "A trait for types that act as a matcher.",
    "trait_method is_match": "Returns `true` if the given `haystack` matches this `Matcher`.",
    "trait_method shortest_match": "Returns the shortest match for the given `haystack`.",
    "trait IntoConfig": "Conversion into a config.",
    "type Error": "The error type.",
    "trait_method into_config": (
        "Converts this `IntoConfig` into a config.\n\n# Errors\n\n"
        "Returns an error if it fails."
    ),
    "macro make_config": "Makes the config.",
    "mod line_buffer": "Items related to line buffer.",
    "method new": "Creates a new `Config`.",
    "method with_capacity": "Creates a new `Config` with the given `capacity`.",
    "method from_path": "Creates a `Config` from the given `path`.",
    "method is_empty": "Returns `true` if this `Config` contains no elements.",
    "method max_depth": "Returns the maximum depth.",
    "method set_max_depth": "Sets the maximum depth.",
    "method follow_links": "Sets whether to follow links.",
    "method to_string_lossy": "Converts this `Config` to a string lossy.",
    "method as_bytes": "Returns this `Config` as bytes.",
    "method into_inner": "Consumes this `Config` and returns the inner value.",
    "method try_from_env": "Tries to create a `Config` from the environment.",
    "method iter": "Returns an iterator over this `Config`.",
    "method contains": "Returns `true` if this `Config` contains the given `name`.",
    "method has_names": "Returns `true` if this `Config` has names.",
    "method get_name": "Returns the name for the given `index`.",
    "method clear": "Clears this `Config`.",
    "method default": "Returns the default `Config`.",
    "fn parse_config": "Parses the config from the given `text`.",
    "fn write_to": "Writes the given `config` to the given `out`.",
    "fn größe_berechnen": "Returns the größe berechnen for the given `länge`.",
}


@pytest.mark.parametrize("key", sorted(NAMING_DOCS))
def test_template_summary_for_each_kind_and_name_shape(naming, key):
    assert template_doc(naming[key]) == NAMING_DOCS[key]


SECTION_DOCS = {
    "method load": (
        "Loads a `Store` from the given `path`.\n\n# Errors\n\n"
        "Returns an error if `std::fs::read_to_string(path)` or `parse_numbers(&text)` fails."
    ),
    "method first": "The `first` method.",  # indexing: no `# Panics` (clippy's missing_panics_doc ignores it)
    "method lookup": "Looks up the given `name`.\n\n# Panics\n\nPanics if `self.names.get(name)` is `None`.",
    "method checked_sum": "Returns the checked sum for the given `limit`.\n\n# Panics\n\nPanics if `total` is greater than `limit`.",
    "method same_len": (
        "Returns the same length for the given `other`.\n\n# Panics\n\n"
        "Panics if `self.items.len()` is not equal to `other.items.len()`."
    ),
    "fn not_done": "The `not_done` function.",  # `todo!()` is not a panic to clippy
    "fn show": "Shows the given `value`.\n\n# Panics\n\nPanics if unwrapping a value fails.",
    "method get_unchecked": (
        "Returns the value for the given `index`, skipping the usual checks.\n\n# Safety\n\n"
        "The caller must guarantee the conditions that the checked version of this function verifies."
    ),
    "method write_raw": "The `write_raw` method.\n\n# Safety\n\n`dst` must be non-null, properly aligned and valid for reads and writes.",
    "trait Zeroable": (
        "A trait for zeroable types.\n\n# Safety\n\n"
        "Implementors must uphold the guarantees this trait documents: unsafe code relies on them for memory safety."
    ),
    "method second": "Returns the second.",
    "method read_all": "Reads all.",
}


@pytest.mark.parametrize("key", sorted(SECTION_DOCS))
def test_template_sections_say_what_the_code_does(sections, key):
    assert template_doc(sections[key]) == SECTION_DOCS[key]


WORDING_DOCS = {
    # boolean fields: `is_`/`has_`/`can_` names, adjectives, verbs, `Option<bool>`
    "field is_dimmed": "Whether this `StyleOverride` is dimmed, if set.",
    "field is_all_all": "The `is_all_all` field.",  # no "is all all"
    "field has_xattrs": "Whether this `File` has xattrs.",
    "field can_write": "Whether this `File` can write.",
    "field dimmed": "Whether this `File` is dimmed.",
    "field case_insensitive": "Whether this `File` is case insensitive.",
    "field show_hidden": "Whether to show hidden.",
    "field line_numbers": "Whether line numbers are enabled for this `File`.",
    "field is_only_dir": "Whether this `File` is only a directory.",
    "field name_is_long": "Whether the name is long.",
    "field foreground": "The foreground of this `StyleOverride`.",
    # constructors whose name says a kind of the value, not its inputs
    "method new_aa_current": (
        "Creates a new `File`.\n\n# Errors\n\nReturns an error if it fails."
    ),
    "method new_empty": "Creates a new empty `File`.",
    "method new_with_name": "Creates a new `File` with the given `name`.",
    # boolean getters: articles before nouns, none before adjectives
    "method is_executable_file": "Returns `true` if this `File` is an executable file.",
    "method is_dir": "Returns `true` if this `File` is a directory.",
    "method is_hidden": "Returns `true` if this `File` is hidden.",
    "method is_compatible_with": "Returns `true` if this `File` is compatible with the given `other`.",
    "method has_extension": "Returns `true` if this `File` has an extension.",
    "method can_follow": "Returns `true` if this `File` can follow.",
    "method path_is_symlink": "Returns `true` if the path is a symlink.",
    "method args_present": "Returns `true` if the arguments are present.",
    "method done": "Returns `true` if this `File` is done.",
    "method follow_links": "Returns `true` if this `File` is set to follow links.",
    "method is_color_set": "Returns `true` if `color` is set.",
    "fn slice_has_bom": "Returns `true` if `slice` has a BOM.",
    # assertions said as what makes them fail
    "fn average": "Returns the average for the given `values`.\n\n# Panics\n\nPanics if `values` is empty.",
    "fn smallest": (
        "Returns the smallest for the given `values`.\n\n# Panics\n\nPanics if `values.first()` is `None`. "
        "Panics if `values.windows(2).all(|w| w[0] <= w[1])` is false. Panics if `0` is not a valid index into `values`."
    ),
    "fn relative_part": "Returns the relative part for the given `path`.\n\n# Panics\n\nPanics if `path` has a root.",
    # a letter is no word; abbreviations without a vowel read as letters
    "fn f": "The `f` function.",
    "fn sgr_reset": "The `sgr_reset` function.",  # a noun-named procedure: what it does, the name does not say
    "field sgr_code": "The SGR code of this `File`.",
}


@pytest.mark.parametrize("key", sorted(WORDING_DOCS))
def test_template_wording_of_flags_predicates_articles_and_assertions(key):
    items = fixture_items("wording.rs")
    assert template_doc(items[key]) == WORDING_DOCS[key]


ISSUE_22_DOCS = {
    # (the doc the template wrote before, quoted in issue 22) -> what it writes now
    "method has_anything_for": "Returns `true` if this `GitCache` has anything for the given `index`.",  # "for for"
    "method metadata": (  # "The error type is `&io::Error`."
        "Returns the metadata for the given `path`.\n\n# Errors\n\nReturns an error if it fails."
    ),
    "fn add": "Adds the given `a` and `b`.",  # "Adds the given `a`."
    "fn collect": "Collects a `Vec`.",  # "Collects a `Vec` from the given `actually_enable_git`."
    "method add_widths": "Adds the widths.",  # "Sets the add widths."
    "method set_ls": "The `set_ls` method.",  # "Sets the LS."
    "method yours": "The `yours` method.",  # "Returns the yours."
    "variant Never": "The `Never` variant.",  # "The never when."
    "variant Automatic": "The `Automatic` variant.",  # "The automatic when."
    "const STICKY": "The `STICKY` constant.",  # "The sticky."
    "trait Sealed": "A trait for sealed types.",  # "A trait for types that act as a sealed."
    "method first_width": (  # "Panics if `v.first()` is `None` or `Err`."
        "Returns the first width.\n\n# Panics\n\nPanics if `self.widths.first()` is `None`."
    ),
    "method parsed_ls": "The `parsed_ls` method.\n\n# Panics\n\nPanics if `self.ls.parse::<u32>()` is an `Err`.",
    "fn parse_choice": (  # the variants of its error type it returns itself
        "Parses the choice from the given `text`.\n\n# Errors\n\n"
        "Returns an error if it fails. The error can be `ChoiceError::Empty` or `ChoiceError::Unknown`."
    ),
    "method lookup_width": (  # an unwrap whose type the item does not show: neither `None` nor `Err`
        "Looks up the width.\n\n# Panics\n\nPanics if unwrapping `self.width_named(name)` fails."
    ),
}


@pytest.mark.parametrize("key", sorted(ISSUE_22_DOCS))
def test_template_says_less_rather_than_wrong_on_the_shapes_of_issue_22(key):
    assert template_doc(fixture_items("issue_22.rs")[key]) == ISSUE_22_DOCS[key]


@pytest.mark.parametrize(
    ("condition", "failure"),
    [
        ("!values.is_empty()", "`values` is empty"),
        ("values.is_empty()", "`values` is not empty"),
        ("!path.has_root()", "`path` has a root"),
        ("self.cache.is_some()", "`self.cache` is `None`"),
        ("!result.is_err()", "`result` is an `Err`"),
        ("!self.is_dir()", "`self` is a directory"),
        ("total <= limit", "`total` is greater than `limit`"),
        ("start < end", "`start` is not less than `end`"),
        ("a != b", "`a` is equal to `b`"),
        ("!done", "`done` is true"),
        ("a && b < c", "`a && b < c` is false"),
        ("v.iter().all(|x| x > 0)", "`v.iter().all(|x| x > 0)` is false"),
    ],
)
def test_assertions_are_said_as_what_makes_them_panic(condition, failure):
    item = RustSource(f"pub fn f(v: &[u8]) {{ assert!({condition}); }}").items()[0]
    assert template_doc(item).endswith(f"# Panics\n\nPanics if {failure}.")


REAL_CRATE_WORDING = {
    ("bat", "src/config.rs:81"): "Whether to use italic text.",
    ("bat", "src/pretty_printer.rs:26"): "Whether line numbers are enabled for this `ActiveStyleComponents`.",
    ("bat", "src/bin/bat/app.rs:28"): "Returns `true` if it is a truecolor terminal.",
    ("clap", "src/builder/arg.rs:3941"): "Returns `true` if `allow_hyphen_values` is set.",
    ("clap", "src/builder/command.rs:4437"): "Returns `true` if `id` exists.",
    ("clap", "src/builder/command.rs:4584"): "Returns `true` if the long help exists.",
    ("clap", "src/parser/matches/matched_arg.rs:138"): "Returns `true` if all value groups are empty.",
    ("clap", "src/parser/parser.rs:643"): "Returns `true` if this `Parser` is a new argument.",
    ("globset", "src/glob.rs:814"): "Returns `true` if this `Parser` has tokens.",
    ("grep-searcher", "src/searcher/core.rs:19"): "Whether this `Core` is binary.",
    ("grep-searcher", "src/searcher/core.rs:27"): "Whether this `Core` has sunk.",
    ("grep-searcher", "src/searcher/mod.rs:988"): "Returns `true` if `slice` has a BOM.",
    ("ignore", "src/gitignore.rs:40"): "Whether this `Glob` is only a directory.",
    ("ignore", "src/walk.rs:101"): "Returns `true` if this `DirEntry` is a directory.",
    ("ignore", "src/walk.rs:154"): "Returns `true` if the path is a symlink.",
    ("ignore", "src/walk.rs:487"): "Whether to follow links.",
    ("grep-matcher", "src/lib.rs:88"): (
        "Creates a new `Match`.\n\n# Panics\n\nPanics if `start` is greater than `end`."
    ),
    # constructors named by the kind of value they make, getters ending in a preposition
    ("bat", "src/input.rs:147"): "Creates a stdin `Input`.",
    ("globset", "src/lib.rs:295"): "Creates an empty `GlobSet`.",
    ("clap", "src/error/mod.rs:392"): "Creates an invalid value `Error`.",
    ("clap", "src/builder/command.rs:573"): "Returns the matches from the given `itr`.",
    ("grep-searcher", "src/lines.rs:119"): "The `without_terminator` function.",
    ("clap", "src/builder/possible_value.rs:220"): "The `matches` method.",  # `matches(value, ignore_case)`: what is matched, a flag among the inputs hides
    ("ignore", "src/gitignore.rs:218"): (
        "The `matched_path_or_any_parents` method.\n\n# Panics\n\nPanics if `path` has a root."
    ),
}
"""Items of Debian's crates (bookworm's versions, so the lines hold) and the doc the template writes."""


@pytest.mark.parametrize(("crate", "where"), sorted(REAL_CRATE_WORDING))
def test_template_wording_on_real_crates(debian_crate, crate, where):
    path, line = where.rsplit(":", 1)
    (item,) = [i for i in RustSource((debian_crate(crate) / path).read_bytes()).items() if i.start_line + 1 == int(line)]
    assert template_doc(item) == REAL_CRATE_WORDING[(crate, where)]


@pytest.mark.parametrize(
    ("source", "doc"),
    [
        ("pub type Result<T, E = Error> = std::result::Result<T, E>;", "An alias for `std::result::Result<T, E>`."),
        ("pub struct S(u8);", "An `S` wrapping `u8`."),
        ("pub trait A {}", "A trait for types that act as an `A`."),
        ("pub struct NoCaptures(());", "No captures."),
        ("pub fn escape(bytes: &[u8]) -> String { String::new() }", "Escapes the given `bytes`."),
        ("pub fn is_tty_stdout() -> bool { true }", "Returns `true` if it is TTY stdout."),
        (
            "impl B { pub fn case_insensitive(&mut self, yes: bool) -> &mut B { self } }",
            "Sets whether to be case insensitive.",
        ),
        ("impl B { pub fn ignore_case(self, yes: bool) -> Self { self } }", "Sets whether to ignore case."),
        ("impl B { pub fn build(&self) -> Result<Glob, Error> { todo() } }", "Builds a `Glob`.\n\n# Errors\n\nReturns an error if it fails."),
        ("impl M { pub fn start(&self) -> usize { self.0 } }", "Returns the start."),
    ],
)
def test_template_for_signature_shapes(source, doc):
    items = RustSource(source).items()
    assert template_doc(items[-1]) == doc


def test_sections_exactly_when_the_checker_requires_them(sections, naming):
    for item in [*sections.values(), *naming.values()]:
        doc = template_doc(item)
        assert set(doc_sections(doc)) == required_sections(item), item.name
        assert "# Examples" not in doc
        assert check_doc(item, doc) == []


def test_template_is_deterministic(sections):
    item = sections["method load"]
    assert template_doc(item) == template_doc(item)


@pytest.fixture(scope="module")
def crate_items(debian_crate):
    """`crate_items("globset")` -> every item of that Debian crate's sources (parsed once)."""
    cache: dict[str, list] = {}

    def items(name: str) -> list:
        if name not in cache:
            cache[name] = [
                i for path in sorted((debian_crate(name) / "src").rglob("*.rs")) for i in RustSource(path.read_bytes()).items()
            ]
        return cache[name]

    return items


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo clippy")
def test_template_docs_pass_real_clippy_doc_lints(crate_items, tmp_path):
    """Every distinct template doc for globset, grep-searcher, grep-cli, clap, bat, ignore and the
    wording and issue 22 fixtures (with and without the crates' error meanings), attached to a pub fn: clippy's doc_markdown, too_long_first_doc_paragraph and
    empty_docs report nothing, and rustdoc with `-D warnings` accepts them (no stray HTML tags or
    broken links)."""
    crates = ("globset", "grep-searcher", "grep-cli", "clap", "bat", "ignore")
    items = [i for c in crates for i in crate_items(c)]
    docs = {template_doc(i) for i in [*items, *fixture_items("wording.rs").values(), *fixture_items("issue_22.rs").values()]}
    for crate in crates:  # `# Errors` saying what the crate's error type is, in the crate's own words
        meanings = error_type_meanings(crate_items(crate))
        docs |= {template_doc(i, error_meanings=meanings) for i in crate_items(crate) if i.is_fn and i.returns_result}
    docs = sorted(docs)
    crate = tmp_path / "templates"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text('[package]\nname = "templates"\nversion = "0.1.0"\nedition = "2021"\n[lib]\ndoctest = false\n')
    body = []
    for i, doc in enumerate(docs):
        body.extend("///" + (" " + line if line else "") for line in doc.split("\n"))
        body.append(f"pub fn f{i}() {{}}")
    (crate / "src" / "lib.rs").write_text("\n".join(body) + "\n")
    env = {**os.environ, "CARGO_TARGET_DIR": str(tmp_path / "target"), "RUSTDOCFLAGS": "-D warnings"}
    lints = ["-W", "clippy::doc_markdown", "-W", "clippy::too_long_first_doc_paragraph", "-W", "clippy::empty_docs"]
    run = subprocess.run(
        ["cargo", "clippy", "-q", "--offline", "--message-format=json", "--", "-A", "clippy::all", *lints],
        cwd=crate, capture_output=True, text=True, env=env,
    )
    if "no such command" in run.stderr:
        pytest.skip("cargo clippy is not installed")
    warnings = [
        json.loads(line)["message"]["rendered"]
        for line in run.stdout.splitlines()
        if json.loads(line).get("reason") == "compiler-message"
    ]
    assert run.returncode == 0 and warnings == []
    doc = subprocess.run(["cargo", "doc", "-q", "--offline", "--no-deps"], cwd=crate, capture_output=True, text=True, env=env)
    assert doc.returncode == 0, doc.stderr[-2000:]


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo clippy")
def test_template_docs_satisfy_clippys_missing_doc_lints(tmp_path):
    """sections.rs with a template doc inserted above every item: clippy's missing_docs,
    missing_errors_doc, missing_panics_doc, missing_safety_doc and doc_markdown are all quiet."""
    source = (FIXTURES / "sections.rs").read_text()
    lines = source.split("\n")
    for item in sorted(RustSource(source).items(), key=lambda i: i.doc_line, reverse=True):
        doc = [item.indent + "///" + (" " + line if line else "") for line in template_doc(item).split("\n")]
        lines[item.doc_line : item.doc_line] = doc
    crate = tmp_path / "sections"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text('[package]\nname = "sections"\nversion = "0.1.0"\nedition = "2021"\n[lib]\ndoctest = false\n')
    (crate / "src" / "lib.rs").write_text("//! Fixture crate.\n" + "\n".join(lines))
    lints = [
        "-W", "missing_docs", "-W", "clippy::missing_errors_doc", "-W", "clippy::missing_panics_doc",
        "-W", "clippy::missing_safety_doc", "-W", "clippy::doc_markdown",
    ]
    run = subprocess.run(
        ["cargo", "clippy", "-q", "--offline", "--message-format=json", "--", "-A", "clippy::all", "-A", "dead_code", *lints],
        cwd=crate, capture_output=True, text=True, env={**os.environ, "CARGO_TARGET_DIR": str(tmp_path / "target")},
    )
    if "no such command" in run.stderr:
        pytest.skip("cargo clippy is not installed")
    messages = [json.loads(line) for line in run.stdout.splitlines()]
    warnings = [m["message"]["rendered"] for m in messages if m.get("reason") == "compiler-message"]
    assert run.returncode == 0 and warnings == []


def test_errors_section_says_what_the_crates_error_type_is(crate_items):
    """globset documents its `Error` ("Represents an error that can occur when parsing a glob
    pattern."): with the crate's error meanings, `# Errors` says so; an `io::Error` is not it."""
    items = crate_items("globset")
    meanings = error_type_meanings(items)
    assert meanings == {"Error": "an error that can occur when parsing a glob pattern"}
    (new,) = [i for i in items if i.name == "new" and i.return_type == "Result<Glob, Error>"]
    assert template_doc(new, error_meanings=meanings).split("# Errors\n\n")[1] == (
        "Returns an error that can occur when parsing a glob pattern."
    )
    assert template_doc(new).split("# Errors\n\n")[1] == "Returns an error if it fails."
    load = RustSource("pub fn load(p: &str) -> Result<Glob, crate::Error> { Ok(Glob::new(p)?) }").items()[0]
    assert template_doc(load, error_meanings=meanings).split("# Errors\n\n")[1] == (
        "Returns an error that can occur when parsing a glob pattern, if `Glob::new(p)` fails."
    )
    io_fn = RustSource("pub fn read(p: &str) -> Result<u8, io::Error> { todo!() }").items()[0]
    assert template_doc(io_fn, error_meanings=meanings).endswith("# Errors\n\nReturns an error if it fails.")


@pytest.mark.parametrize(
    ("doc", "meaning"),
    [
        ("An error produced by recursively walking a directory.", "an error produced by recursively walking a directory"),
        ("Represents an error that can occur when parsing a gitignore file.", "an error that can occur when parsing a gitignore file"),
        ("An I/O error with a path.\n\nMore.", "an I/O error with a path"),
        ("A directory entry with a possible error attached.", None),  # not an error type
        ("An error from [`Glob::new`].", None),  # a link would not resolve in another item's doc
        ("Command Line Argument Parser Error", None),
    ],
)
def test_error_type_meanings_come_from_a_first_sentence_saying_an_error(doc, meaning):
    source = "".join(f"/// {line}\n" if line else "///\n" for line in doc.split("\n")) + "pub struct ThisError;"
    assert error_type_meanings(RustSource(source).items()).get("ThisError") == meaning


def test_error_type_defined_twice_has_no_meaning():
    source = "/// An error of one kind.\npub struct Error;\nmod m {\n    /// An error of another kind.\n    pub struct Error;\n}\n"
    assert error_type_meanings(RustSource(source).items()) == {}
