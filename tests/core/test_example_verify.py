"""Examples verified by the compiler, on the real fixture crate `checked_math` (built with
cargo, examples run with `rustdoc --test` against that build): a good example stays as it
is, a missing `use` and a `?` without a wrapper are repaired, an example that still fails
is dropped with its empty section, and the prose around it keeps its bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rustdoc_core.docs.example_verify import ExampleVerifier, VerificationCancelled
from rustdoc_core.rust.items import RustSource
from tests.conftest import FIXTURES

CRATE = FIXTURES / "crates" / "checked_math"
pytestmark = pytest.mark.skipif(
    shutil.which("cargo") is None and not (Path.home() / ".cargo" / "bin" / "cargo").is_file(),
    reason="cargo is not installed; examples are verified by the real compiler",
)


@pytest.fixture(scope="module")
def crate(tmp_path_factory):
    root = tmp_path_factory.mktemp("verify") / "checked_math"
    shutil.copytree(CRATE, root)
    return root


@pytest.fixture(scope="module")
def verifier(crate, tmp_path_factory):
    found = ExampleVerifier.for_path(crate / "src" / "lib.rs", target_dir=tmp_path_factory.mktemp("target"))
    assert found is not None
    found.build()
    return found


@pytest.fixture(scope="module")
def items(crate):
    return {i.name: i for i in RustSource((crate / "src" / "lib.rs").read_bytes()).items()}


def test_an_example_that_compiles_and_passes_is_kept_as_is(verifier, items):
    doc = "Adds two numbers.\n\n# Examples\n\n```\nlet x = checked_math::checked_add(1, 2).unwrap();\nassert_eq!(x, 3);\n```"
    verified = verifier.verify(items["checked_add"], doc)
    assert verified.text == doc
    assert [e.status for e in verified.examples] == ["passed"]


def test_a_missing_use_of_the_item_is_added_as_a_hidden_line(verifier, items):
    doc = "Divides.\n\n# Examples\n\n```\nassert_eq!(checked_div(6, 3), Ok(2));\n```"
    verified = verifier.verify(items["checked_div"], doc)
    assert verified.examples[0].status == "repaired"
    assert verified.text == "Divides.\n\n# Examples\n\n```\n# use checked_math::checked_div;\nassert_eq!(checked_div(6, 3), Ok(2));\n```"


def test_question_mark_gets_a_hidden_main_returning_result(verifier, items):
    doc = 'Parses.\n\n# Examples\n\n```\nlet n = checked_math::parse_number(" 42 ")?;\nassert_eq!(n, 42);\n```'
    verified = verifier.verify(items["parse_number"], doc)
    assert verified.examples[0].repairs == ("main-wrapper",)
    assert "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n" in verified.text
    assert verified.text.endswith("# Ok(())\n# }\n```")


def test_an_example_that_still_fails_is_dropped_with_its_empty_section(verifier, items):
    doc = (
        "Reads a number.\n\nThe reader is read to its end.\n\n# Errors\n\nFails on bad input.\n\n"
        '# Examples\n\n```\nlet s: String = read_number(&b"1"[..]);\n```'
    )
    verified = verifier.verify(items["read_number"], doc)
    assert verified.text == "Reads a number.\n\nThe reader is read to its end.\n\n# Errors\n\nFails on bad input."
    assert verified.examples[0].status == "dropped" and "E0308" in verified.examples[0].error
    assert "dropped 1 example" in verified.summary("fn read_number")


def test_a_doc_without_examples_is_not_compiled(verifier, items):
    doc = "Adds.\n\n```text\nnot rust\n```"
    assert verifier.verify(items["checked_add"], doc).examples == ()


def test_no_cargo_toml_means_no_verification(tmp_path):
    (tmp_path / "lone.rs").write_text("pub fn f() {}\n")
    assert ExampleVerifier.for_path(tmp_path / "lone.rs") is None


def test_cancellation_stops_the_compiler(crate, items, tmp_path):
    verifier = ExampleVerifier.for_path(crate, target_dir=tmp_path / "target", cancelled=lambda: True)
    with pytest.raises(VerificationCancelled):
        verifier.verify(items["checked_add"], "Adds.\n\n# Examples\n\n```\nassert!(true);\n```")
