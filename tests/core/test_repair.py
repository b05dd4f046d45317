"""The repair step: model docs fixed where a fix is safe, the template where not, and
never an error-severity finding in what reaches the editor."""

from __future__ import annotations

import pytest

from rustdoc_core.docs.checker import check_doc
from rustdoc_core.generation.repair import RepairedDoc, repair_doc
from rustdoc_core.generation.template import template_doc
from rustdoc_core.rust.items import RustSource, parse_item_source
from tests.conftest import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "core"


@pytest.fixture(scope="module")
def items():
    return {f"{i.kind} {i.name}": i for i in RustSource((FIXTURES / "sections.rs").read_bytes()).items()}


PUB_FN = parse_item_source("pub fn total(values: &[u32], limit: u32) -> u32 { values.iter().sum() }")


def assert_no_errors(item, repaired: RepairedDoc):
    assert not [f for f in check_doc(item, repaired.text) if f.severity == "error"]


def test_a_clean_doc_is_kept_as_the_models():
    doc = "Returns the sum of `values`, at most `limit`."
    repaired = repair_doc(PUB_FN, doc)
    assert repaired == RepairedDoc(doc, "model", ())


def test_missing_errors_section_is_added_before_examples(items):
    doc = "Loads a store from `path`.\n\n# Examples\n\n```no_run\nlet x = 1;\n```"
    repaired = repair_doc(items["method load"], doc)
    assert repaired.origin == "repaired"
    assert [f.code for f in repaired.findings] == ["missing-errors"]
    assert repaired.text == (
        "Loads a store from `path`.\n\n# Errors\n\n"
        "Returns an error if `std::fs::read_to_string(path)` or `parse_numbers(&text)` fails."
        "\n\n# Examples\n\n```no_run\nlet x = 1;\n```"
    )
    assert check_doc(items["method load"], repaired.text) == []


def test_missing_panics_and_safety_sections_are_appended(items):
    repaired = repair_doc(items["method lookup"], "Returns the value named `name`.")
    assert repaired.text == "Returns the value named `name`.\n\n# Panics\n\nPanics if `self.names.get(name)` is `None`."
    unsafe = repair_doc(items["method write_raw"], "Writes `value` through `dst`.")
    assert unsafe.origin == "repaired"
    assert unsafe.text.endswith("# Safety\n\n`dst` must be non-null, properly aligned and valid for reads and writes.")


def test_section_headings_in_other_spellings_are_normalized(items):
    doc = "Loads a store.\n\n**Errors:**\n\nFails if the file is missing.\n\n## Example\n\nNone here."
    repaired = repair_doc(items["method load"], doc)
    assert repaired.text == "Loads a store.\n\n# Errors\n\nFails if the file is missing.\n\n## Examples\n\nNone here."


def test_needless_safety_section_is_removed():
    doc = "Returns the sum.\n\n# Safety\n\nCall it only on Tuesdays.\n\n# Notes\n\nSaturates."
    repaired = repair_doc(PUB_FN, doc)
    assert repaired.text == "Returns the sum.\n\n# Notes\n\nSaturates."


def test_bare_identifiers_get_backticks_but_not_in_code_or_links():
    doc = "Returns the sum as a Vec<u32> via foo_bar and std::iter::Sum.\n\nSee [the guide](https://x.org/a_b) and `already_code`."
    repaired = repair_doc(PUB_FN, doc)
    assert repaired.text == (
        "Returns the sum as a `Vec<u32>` via `foo_bar` and `std::iter::Sum`.\n\n"
        "See [the guide](https://x.org/a_b) and `already_code`."
    )
    assert check_doc(PUB_FN, repaired.text) == []


def test_bare_urls_become_autolinks():
    repaired = repair_doc(PUB_FN, "Returns the sum.\n\nSee https://example.com/a_b/issues/1.")
    assert repaired.text == "Returns the sum.\n\nSee <https://example.com/a_b/issues/1>."


def test_hallucinated_argument_entries_are_removed():
    doc = (
        "Returns the sum.\n\n# Arguments\n\n* `values` - the values\n* `scale` - a factor\n"
        "  that multiplies\n* `limit` - the cap"
    )
    repaired = repair_doc(PUB_FN, doc)
    assert repaired.origin == "repaired"
    assert repaired.text == "Returns the sum.\n\n# Arguments\n\n* `values` - the values\n* `limit` - the cap"


def test_arguments_section_left_empty_is_dropped_and_prose_mentions_go():
    doc = "Returns the sum.\n\nIt is fast. The `offset` parameter shifts it.\n\n# Arguments\n\n* `offset` - a shift"
    repaired = repair_doc(PUB_FN, doc)
    assert repaired.text == "Returns the sum.\n\nIt is fast."


def test_a_hallucinated_parameter_in_the_summary_falls_back_to_the_template():
    repaired = repair_doc(PUB_FN, "Sums using the `weights` argument.")
    assert repaired.origin == "template"
    assert repaired.text == template_doc(PUB_FN)
    assert "unknown-param" in [f.code for f in repaired.findings]


def test_unclosed_fence_is_closed_when_the_code_parses():
    repaired = repair_doc(PUB_FN, "Returns the sum.\n\n# Examples\n\n```\nlet s = 1 + 2;")
    assert repaired.text == "Returns the sum.\n\n# Examples\n\n```\nlet s = 1 + 2;\n```"
    assert check_doc(PUB_FN, repaired.text) == []


def test_broken_example_is_dropped_with_its_empty_heading():
    repaired = repair_doc(PUB_FN, "Returns the sum.\n\n# Examples\n\n```rust\nlet s = total(&[1, 2], ;\n```")
    assert repaired.origin == "repaired"
    assert repaired.text == "Returns the sum."


def test_truncated_example_is_dropped():
    repaired = repair_doc(PUB_FN, "Returns the sum.\n\nMore text.\n\n```\nlet s = total(&[1, 2],")
    assert repaired.text == "Returns the sum.\n\nMore text."


def test_fn_main_in_a_doctest_is_unwrapped():
    doc = "Returns the sum.\n\n```\nuse std::iter;\nfn main() {\n    let s = 1;\n    assert_eq!(s, 1);\n}\n```"
    repaired = repair_doc(PUB_FN, doc)
    assert repaired.text == "Returns the sum.\n\n```\nuse std::iter;\nlet s = 1;\nassert_eq!(s, 1);\n```"
    assert check_doc(PUB_FN, repaired.text) == []


@pytest.mark.parametrize(
    ("doc", "fixed"),
    [
        ("Return the sum of the values.", "Returns the sum of the values."),
        ("returns the sum", "Returns the sum."),
        ("Computes the sum:", "Computes the sum."),
    ],
)
def test_summary_is_made_a_third_person_sentence(doc, fixed):
    assert repair_doc(PUB_FN, doc).text == fixed


def test_long_first_paragraph_is_split_after_its_first_sentence():
    first = "Returns the sum of the values."
    rest = "It adds every value " + "and keeps going " * 12 + "until done."
    repaired = repair_doc(PUB_FN, f"{first} {rest}")
    assert repaired.text == f"{first}\n\n{rest}"


def test_long_single_sentence_summary_is_cut_at_a_clause_break():
    sentence = "Returns the sum of the values, which it adds " + "and adds again " * 12 + "until the end."
    repaired = repair_doc(PUB_FN, sentence)
    assert repaired.text == "Returns the sum of the values."
    assert check_doc(PUB_FN, repaired.text) == []


def test_long_single_sentence_summary_without_a_break_gives_the_template_doc_alone():
    # Never the template's summary glued above the model's sentence.
    sentence = "Returns the sum of the values " + "and more words " * 14 + "at the end."
    repaired = repair_doc(PUB_FN, sentence)
    assert (repaired.text, repaired.origin) == (template_doc(PUB_FN), "template")


def test_empty_doc_falls_back_to_the_template(items):
    repaired = repair_doc(items["method load"], "  \n")
    assert repaired.origin == "template"
    assert repaired.text == template_doc(items["method load"])


def test_repair_never_leaves_an_error_on_real_crate_docs(debian_crate):
    """Every documented item of globset and grep-searcher, its human doc taken as model output."""
    origins: dict[str, int] = {}
    for crate in ("globset", "grep-searcher"):
        for path in sorted((debian_crate(crate) / "src").rglob("*.rs")):
            for item in RustSource(path.read_bytes()).items():
                if item.doc is None:
                    continue
                repaired = repair_doc(item, item.doc.text)
                assert_no_errors(item, repaired)
                origins[repaired.origin] = origins.get(repaired.origin, 0) + 1
    assert origins["model"] > 50 and origins["repaired"] > 50


def test_update_doc_adds_removes_and_renames_only_what_is_stale():
    from rustdoc_core.docs.fixes import update_doc

    item = parse_item_source("pub fn compile(pattern: &str, strict: bool) -> Result<u32, String> { Ok(1) }")
    doc = (
        "Compiles a glob, the way the shell would.\n\n"
        "# Arguments\n\n* `glob` - the pattern text, as typed.\n* `strict` - refuse `**` inside words.\n\n"
        "# Safety\n\nAlways safe.\n\n# Examples\n\n```\nlet n = 1;\n```"
    )
    update = update_doc(item, doc)
    assert sorted(update.codes) == ["missing-errors", "needless-safety", "unknown-param"]
    updated = update.apply(doc)
    assert updated == (
        "Compiles a glob, the way the shell would.\n\n"
        "# Arguments\n\n* `pattern` - the pattern text, as typed.\n* `strict` - refuse `**` inside words.\n\n"
        "# Errors\n\nReturns an error if it fails.\n\n"
        "# Examples\n\n```\nlet n = 1;\n```"
    )
    assert not update_doc(item, updated)  # nothing stale is left
