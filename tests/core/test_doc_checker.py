"""The doc checker: each finding code on small docs, the sections real items need,
clippy's doc_markdown word rules, the score, and real crates' docs."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from rustdoc_core.docs.checker import (
    CODES,
    SEVERITY,
    Finding,
    bare_urls,
    check_doc,
    code_like_words,
    required_sections,
    score_doc,
)
from rustdoc_core.rust.items import RustSource, parse_item_source
from tests.conftest import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "core"


def fixture_items(name: str) -> dict[str, object]:
    """Items of a fixture file by `kind name` (the last one wins for duplicates)."""
    return {f"{i.kind} {i.name}": i for i in RustSource((FIXTURES / name).read_bytes()).items()}


@pytest.fixture(scope="module")
def sections_items():
    return fixture_items("sections.rs")


def item(source: str):
    parsed = parse_item_source(source)
    assert parsed is not None
    return parsed


def codes(found: list[Finding]) -> list[str]:
    return [f.code for f in found]


PUB_FN = item("pub fn total(values: &[u32], limit: u32) -> u32 { values.iter().sum() }")


def test_every_code_has_a_severity_and_errors_are_the_blocking_ones():
    assert set(SEVERITY) == set(CODES)
    assert {c for c, s in SEVERITY.items() if s == "error"} == {
        "empty-doc", "unbalanced-fence", "invalid-rust-fence", "unknown-param", "missing-safety", "failing-doctest"
    }


def test_clean_doc_has_no_findings_and_scores_one():
    doc = "Returns the sum of `values`, at most `limit`.\n\nThe sum saturates at `u32::MAX`."
    assert check_doc(PUB_FN, doc) == []
    assert score_doc(PUB_FN, doc) == 1.0


@pytest.mark.parametrize("doc", ["", "   \n\n  "])
def test_empty_doc_is_an_error_and_scores_zero(doc):
    found = check_doc(PUB_FN, doc)
    assert codes(found) == ["empty-doc"]
    assert found[0].severity == "error"
    assert score_doc(PUB_FN, doc) == 0.0


def test_required_sections_follow_clippys_doc_lints(sections_items):
    required = {key: required_sections(i) for key, i in sections_items.items()}
    assert required["method load"] == {"Errors"}
    assert required["fn parse_numbers"] == {"Errors"}
    assert required["method first"] == set()  # indexing: clippy's missing_panics_doc does not count it
    assert required["method lookup"] == {"Panics"}  # unwrap
    assert required["method checked_sum"] == {"Panics"}  # assert!
    assert required["method same_len"] == {"Panics"}  # assert_eq!
    assert required["fn not_done"] == set()  # todo!: not a panic to clippy
    assert required["fn show"] == {"Panics"}  # `expect` inside `format!(..)`, a token tree to tree-sitter
    assert required["method get_unchecked"] == {"Safety"}
    assert required["method write_raw"] == {"Safety"}
    assert required["trait Zeroable"] == {"Safety"}  # unsafe trait
    assert required["trait_method read_all"] == {"Errors"}  # member of a pub trait
    assert required["trait_method raw"] == {"Safety"}
    # private, trait impl members (docs come from the trait), foreign fns, test code
    assert required["method second"] == set()
    assert required["method clone"] == set()
    assert required["method read_all"] == set()
    assert required["method raw"] == set()
    assert required["fn abs"] == set()
    assert required["fn sums"] == set()
    assert required["method len"] == set()


def test_result_aliases_need_errors_too():
    alias = item("pub fn run(self) -> ClapResult<ArgMatches> { todo() }")
    assert required_sections(alias) == {"Errors"}
    plain = item("pub fn check(&self) -> RangeCheckResult { self.0 }")
    assert required_sections(plain) == set()


def test_missing_sections_are_found_and_satisfied_by_headings(sections_items):
    load = sections_items["method load"]
    assert codes(check_doc(load, "Loads a store from `path`.")) == ["missing-errors"]
    assert check_doc(load, "Loads a store from `path`.\n\n# Errors\n\nFails if the file cannot be read.") == []
    lookup = sections_items["method lookup"]
    assert codes(check_doc(lookup, "Returns the value named `name`.")) == ["missing-panics"]
    raw = sections_items["method write_raw"]
    found = check_doc(raw, "Writes `value` to `dst`.")
    assert codes(found) == ["missing-safety"] and found[0].severity == "error"
    assert check_doc(raw, "Writes `value` to `dst`.\n\n# Safety\n\n`dst` must be valid for writes.") == []


def test_a_safety_section_on_a_safe_fn_is_needless(sections_items):
    doc = "Returns the first item.\n\n# Panics\n\nPanics if empty.\n\n# Safety\n\nAlways safe."
    found = check_doc(sections_items["method first"], doc)
    assert codes(found) == ["needless-safety"]
    assert found[0].line == 6


@pytest.mark.parametrize(
    ("doc", "flagged"),
    [
        ("Calls foo_bar on the value.", ["foo_bar"]),
        ("Returns a GlobSet for the patterns.", ["GlobSet"]),
        ("See std::path::Path for details.", ["std::path::Path"]),
        ("Call build() first.", ["build()"]),
        ("Works like `foo_bar` and `GlobSet`.", []),
        ("Hosted on GitHub, runs on macOS and FreeBSD.", []),  # clippy's doc-valid-idents
        ("The IDs and URLs of NASA.", []),  # plurals of acronyms, all caps
        ("Read the [guide](https://example.com/a_b/c_d.html).", []),  # link target
        ("See <https://example.com/foo_bar>.", []),
        ("A _very_ fast and *strict* matcher.", []),  # emphasis, not identifiers
        ("Uses snake-case and kebab_case-names.", []),  # clippy skips words with both `_` and `-`
        ("Mixed [`Command::new`][crate::Command::new] link.", []),
    ],
)
def test_doc_markdown_flags_what_clippy_flags(doc, flagged):
    assert [w.word for w in code_like_words(doc)] == flagged
    assert ("doc-markdown" in codes(check_doc(PUB_FN, doc))) == bool(flagged)


def test_doc_markdown_ignores_code_blocks_and_flags_generics_in_prose():
    doc = "Returns the sum.\n\n```\nlet foo_bar = 1;\n```\n\n    indented_code_block();\n"
    assert check_doc(PUB_FN, doc) == []
    found = check_doc(PUB_FN, "Returns a Vec<u32> of values.")
    assert codes(found) == ["invalid-html-tag"]  # rustdoc's lint, not clippy's doc_markdown
    assert "Vec" in found[0].message or "<u32>" in found[0].message


def test_bare_urls_are_flagged_but_not_autolinks_or_link_targets():
    found = check_doc(PUB_FN, "Returns the sum.\n\nSee https://example.com/x for more.")
    assert codes(found) == ["doc-markdown"] and "<https://example.com/x>" in found[0].message
    assert check_doc(PUB_FN, "Returns the sum.\n\nSee <https://example.com/x> or [this](https://example.com/y).") == []


def test_first_paragraph_over_200_chars_is_flagged():
    long = "Returns the sum of the values " + "and more words " * 12 + "."
    assert len(long) > 200
    found = check_doc(PUB_FN, long + "\n\nDetails.")
    assert codes(found) == ["long-first-paragraph"]  # clippy's lint: an exported fn of a module page
    assert check_doc(PUB_FN, "Returns the sum.\n\n" + long) == []
    # a list interrupts the paragraph, as in CommonMark (and clippy)
    assert check_doc(PUB_FN, "Returns the sum of:\n* " + "\n* ".join(["the values"] * 20)) == [
        Finding("summary-not-sentence", "the summary should end with a period", "warning", 0)
    ]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("returns the sum.", "capital"),
        ("Returns the sum", "period"),
        ("Return the sum of the values.", "third person"),
        ("Create a new total.", "third person"),
    ],
)
def test_summary_must_be_a_third_person_sentence(doc, message):
    found = check_doc(PUB_FN, doc)
    assert codes(found) == ["summary-not-sentence"]
    assert message in found[0].message


@pytest.mark.parametrize(
    "doc", ["This function returns the sum.", "`total` sums the values.", "Sums the values.", "[`total`] sums them.", "合計を返す。"]
)
def test_summaries_that_are_fine(doc):
    assert check_doc(PUB_FN, doc) == []


def test_unknown_params_in_arguments_lists_and_phrases():
    doc = "Returns the sum.\n\n# Arguments\n\n* `values` - the values\n* `limit` - the cap\n* `scale` - a factor"
    found = check_doc(PUB_FN, doc)
    assert codes(found) == ["unknown-param"]
    assert found[0].severity == "error" and "`scale`" in found[0].message and found[0].line == 6
    assert codes(check_doc(PUB_FN, "Returns the sum.\n\nThe `offset` parameter is ignored.")) == ["unknown-param"]
    assert codes(check_doc(PUB_FN, "Returns the sum.\n\nUses argument `start`.")) == ["unknown-param"]


def test_unknown_param_is_conservative():
    # names of things that are not the fn's parameters, said loosely, are not flagged
    assert check_doc(PUB_FN, "Returns the sum.\n\nThe `help` and `version` arguments are built in.") == []
    assert check_doc(PUB_FN, "Returns the sum of `values` up to the `limit` argument.") == []
    # a name the signature uses (here a generic's bound) is not a hallucination
    generic = item("pub fn apply<F: Fn(u32) -> u32>(f: F) -> u32 { f(1) }")
    assert check_doc(generic, "Calls `f` with one.\n\n# Arguments\n\n* `f` - the function") == []


def test_fences_unbalanced_invalid_and_fn_main():
    ok = "Returns the sum.\n\n# Examples\n\n```\nlet s = 1 + 2;\nassert_eq!(s, 3);\n```"
    assert check_doc(PUB_FN, ok) == []
    unclosed = "Returns the sum.\n\n```\nlet s = 1;"
    found = check_doc(PUB_FN, unclosed)
    assert codes(found) == ["unbalanced-fence"] and found[0].line == 2
    broken = "Returns the sum.\n\n```rust\nlet s = ;\nfn (\n```"
    assert codes(check_doc(PUB_FN, broken)) == ["invalid-rust-fence"]
    other_language = "Returns the sum.\n\n```text\nlet s = ;\n```\n\n```compile_fail\nlet s = ;\n```"
    assert check_doc(PUB_FN, other_language) == []
    hidden_lines = "Returns the sum.\n\n```\n# use std::io;\n# fn f() -> io::Result<()> {\nlet x = 1;\n# Ok(()) }\n```"
    assert check_doc(PUB_FN, hidden_lines) == []
    main = "Returns the sum.\n\n```\nfn main() {\n    let s = 1;\n}\n```"
    found = check_doc(PUB_FN, main)
    assert codes(found) == ["fn-main-in-doctest"] and found[0].severity == "warning"


def test_score_falls_with_more_and_severer_findings_and_is_deterministic():
    warning = "Returns the sum"  # no period
    two_warnings = "returns the sum"
    error = "Returns the sum.\n\n```\nlet s = 1;"
    scores = [score_doc(PUB_FN, d) for d in ("Returns the sum.", warning, two_warnings, error)]
    assert scores[0] == 1.0
    assert 1.0 > scores[1] > scores[2] > 0.0
    assert scores[3] < scores[1]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert score_doc(PUB_FN, two_warnings) == score_doc(PUB_FN, two_warnings)


def test_real_crate_docs_findings(debian_crate):
    """globset's own docs: its constructors returning `Result` lack `# Errors` (clippy agrees),
    and its imperative summaries ("Create ...") are flagged; nothing crashes on any item."""
    found: dict[str, list[str]] = {}
    for path in sorted((debian_crate("globset") / "src").rglob("*.rs")):
        for it in RustSource(path.read_bytes()).items():
            if it.doc is not None:
                owner = (it.container.self_type or it.container.name) if it.container else ""
                found[f"{path.name}:{owner}::{it.name}"] = codes(check_doc(it, it.doc.text))
    assert "missing-errors" in found["glob.rs:Glob::new"]
    assert "missing-errors" in found["lib.rs:GlobSetBuilder::build"]
    assert "summary-not-sentence" in found["lib.rs:GlobSetBuilder::new"]
    assert "doc-markdown" in found["lib.rs:::GlobSet"]
    assert found["glob.rs:::Glob"] == []


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo clippy")
def test_doc_markdown_words_match_real_clippy(tmp_path):
    """The same words clippy's doc_markdown reports, on a set of docs written to trip it."""
    docs = [
        "Calls foo_bar on the value.",
        "Returns a GlobSet for the patterns and a HashMap of IDs.",
        "See std::path::Path, or call build() first.",
        "Hosted on GitHub; the NASA URLs are fine, as is `code_span` and _emphasis_.",
        "Read the [guide](https://example.com/a_b/c_d.html) or <https://example.com/x_y>.",
        "Uses snake-case and kebab_case-names, plus IPv4.",
        "See https://example.com/issues/1 for the bug.",
        "Parses (foo::bar) and then `x`: MyType's fields.",
        "A list:\n\n* item_one\n* ItemTwo\n\n# Section_Title\n\nText with TeX.",
    ]
    crate = tmp_path / "words"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text('[package]\nname = "words"\nversion = "0.1.0"\nedition = "2021"\n')
    lines, owner = [], []
    for i, doc in enumerate(docs):
        for line in doc.split("\n"):
            lines.append("///" + (" " + line if line else ""))
            owner.append(i)
        lines.append(f"pub fn f{i}() {{}}")
        owner.append(i)
    (crate / "src" / "lib.rs").write_text("\n".join(lines) + "\n")
    run = subprocess.run(
        ["cargo", "clippy", "-q", "--offline", "--message-format=json", "--", "-A", "clippy::all", "-W", "clippy::doc_markdown"],
        cwd=crate, capture_output=True, text=True, env={**_env(), "CARGO_TARGET_DIR": str(tmp_path / "target")},
    )
    if run.returncode != 0 and "no such command" in run.stderr:
        pytest.skip("cargo clippy is not installed")
    theirs: dict[int, list[str]] = {i: [] for i in range(len(docs))}
    for line in run.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") != "compiler-message" or (message["message"].get("code") or {}).get("code") != "clippy::doc_markdown":
            continue
        span = next(s for s in message["message"]["spans"] if s["is_primary"])
        text = span["text"][0]
        theirs[owner[span["line_start"] - 1]].append(text["text"][text["highlight_start"] - 1 : text["highlight_end"] - 1])
    ours = {
        i: [w.word for w in sorted(code_like_words(doc) + bare_urls(doc), key=lambda w: (w.line, w.col))]
        for i, doc in enumerate(docs)
    }
    assert ours == theirs


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def test_intra_doc_links_are_the_paths_rustdoc_would_resolve():
    from rustdoc_core.docs.checker import intra_doc_links

    doc = (
        "See [`Foo`], [`Foo::bar()`], [text](crate::x::Y), [a][r], [`fn@run`] and [plain].\n"
        "Not links: `[code]`, [web](https://example.com), [anchor](#x), [`a`, `b`], a footnote[^1].\n\n"
        "[r]: std::fs::File\n[^1]: fish"
    )
    assert [path for _, _, path in intra_doc_links(doc)] == ["Foo", "Foo::bar", "crate::x::Y", "std::fs::File", "run"]
    assert intra_doc_links(doc)[0][:2] == (0, 4)


# --- `////` lines --------------------------------------------------------------------------


def test_a_four_slash_line_is_its_own_finding_named_in_the_summary_s_and_fixed(tmp_path):
    from rustdoc_core.docs.lint import fix_source, lint_source
    from rustdoc_core.docs.rule_config import CommandLineRules

    text = "/// Returns the total\n//// of the values.\npub fn total() -> u32 {\n    1\n}\n"
    path = tmp_path / "lib.rs"
    path.write_text(text)
    found, _ = lint_source(path, text, command_line=CommandLineRules(extend_select=("summary-not-sentence",)))
    four = next(f for f in found if f.code == "four-slashes")
    assert (four.line, four.column, four.severity, four.fixable) == (1, 1, "warning", True)
    assert "`////`" in four.message and "line 2" in four.message
    summary = next(f for f in found if f.code == "summary-not-sentence")
    assert "`////`" in summary.message  # the cause of "should end with a period", named
    fixed, count = fix_source(path, text)
    assert (fixed, count) == ("/// Returns the total\n/// of the values.\npub fn total() -> u32 {\n    1\n}\n", 1)
    assert lint_source(path, fixed)[0] == []


def test_four_slash_lines_are_found_where_clippy_looks():
    from rustdoc_core.docs.four_slashes import four_slash_comments

    source = RustSource(
        "//// above\n/// Doc.\npub fn a() {}\n\n"  # above the doc: reported at the `////` line
        "/// Doc.\n#[inline]\n//// below an attribute\npub fn b() {}\n\n"  # reported at the doc
        "///// five slashes are a doc line\npub fn c() {}\n\n"
        "pub struct S;\nimpl S {\n    //// a method's: clippy does not look\n    pub fn d(&self) {}\n}\n"
        "fn e() {\n    //// a statement's\n    let x = 1;\n}\n"
    )
    assert [(f.label, f.rows, f.line, f.col) for f in four_slash_comments(source)] == [
        ("fn a", (0,), 0, 0), ("fn b", (6,), 4, 0),
    ]


def test_long_first_paragraph_only_where_clippy_looks():
    """clippy::too_long_first_doc_paragraph looks at exported items of a module page only: not at
    fields, variants, an impl's methods or crate-visible items (issue 22); rustdoc-gen's own
    `long-summary` (off in `check`) sees the rest, for repair."""
    words = "Word " * 25
    doc = f"/// {words}\n/// {words.strip()}.\n"
    source = RustSource(
        f"{doc}pub fn free() {{}}\n{doc}pub(crate) fn crate_only() {{}}\n"
        f"pub struct S {{\n    {doc.replace(chr(10) + '///', chr(10) + '    ///')}    field: u8,\n}}\n"
        f"pub enum E {{\n    {doc.replace(chr(10) + '///', chr(10) + '    ///')}    V,\n}}\n"
        f"impl S {{\n    {doc.replace(chr(10) + '///', chr(10) + '    ///')}    pub fn method(&self) {{}}\n}}\n"
    )
    found = {i.name: codes(check_doc(i, i.doc.text)) for i in source.items() if i.doc is not None}
    assert found == {
        "free": ["long-first-paragraph"],
        "crate_only": ["long-summary"],
        "field": ["long-summary"],
        "V": ["long-summary"],
        "method": ["long-summary"],
    }
