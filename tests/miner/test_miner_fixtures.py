"""The miner on small fixture files written for each tricky case (tests/fixtures/miner):
exact counts, what each record holds, and files that must be skipped without a crash."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from corpus_miner.dataset import load_records, load_stats
from corpus_miner.extract import SPLITS, ExtractOptions
from corpus_miner.mine import MineOptions, mine_dataset
from corpus_miner.sources import local_source
from corpus_miner.validate import validate_dataset
from corpus_miner.walk import WalkOptions
from rustdoc_core.rust.items import RustItem
from tests.conftest import FIXTURES

FIXTURE_CRATE = FIXTURES / "miner"


def _mine(root: Path, out: Path, **extract) -> dict:
    options = MineOptions(extract=ExtractOptions(**{"ratios": (1.0, 1.0, 1.0), **extract}), workers=1)
    return mine_dataset([local_source(root)], out, options)


def _records(out: Path) -> dict[tuple[str, str], dict]:
    return {(r["path"].rsplit("/", 1)[-1], r["name"]): r for split in SPLITS for r in load_records(out, split)}


@pytest.fixture(scope="module")
def fixture_dataset(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("fixture") / "dataset"
    return out, _mine(FIXTURE_CRATE, out)


def test_fixture_crate_gives_exact_counts_by_reason(fixture_dataset):
    out, stats = fixture_dataset
    (repo,) = stats["repos"]
    assert stats["records"] == 21
    assert (repo["files"], repo["files_with_errors"], repo["documented"], repo["kept"]) == (4, 1, 32, 21)
    assert repo["files_skipped"] == {"examples": 1, "generated": 1, "tests-or-benches": 1}
    assert repo["dropped"] == {
        "in-error": 2, "in-test": 2, "doc-hidden": 2, "empty": 1, "todo": 1, "too-short": 1,
        "duplicate-exact": 1, "duplicate-near": 1,
    }
    assert repo["kept"] + sum(repo["dropped"].values()) == repo["documented"]
    assert stats["kinds"] == {"fn": 9, "field": 2, "method": 2, "variant": 2, "const": 1, "enum": 1, "mod": 1,
                              "struct": 1, "trait": 1, "trait_method": 1}
    assert validate_dataset(out) == []


def test_every_doc_style_is_read_as_rustdoc_sees_it(fixture_dataset):
    records = _records(fixture_dataset[0])
    answer, add, mul, parse = (records[("doc_styles.rs", n)] for n in ("answer", "add", "mul", "parse"))
    assert answer["doc"].startswith("Returns the answer to everything.\n\n# Examples\n\n```\n# use miner_fixture::answer;")
    assert answer["sections"] == ["Examples"]  # the `# use` line inside the fence is no heading
    assert (answer["doc_start_line"], answer["doc_end_line"], answer["start_line"], answer["end_line"]) == (5, 12, 13, 15)
    assert add["doc"] == "Adds two numbers, wrapping on overflow.\n\n# Panics\n\nNever panics."
    assert add["doc_styles"] == ["block"] and add["sections"] == ["Panics"]
    assert mul["doc"] == "Multiplies two numbers, saturating at the maximum." and mul["doc_styles"] == ["attr"]
    # cfg_attr docs: the feature branch is in, the `not(feature)` branch out; attributes between doc and item kept.
    assert parse["doc"] == "Parses a configuration value.\n\nAccepts serde input too."
    assert parse["doc_styles"] == ["attr", "line"]
    assert parse["attributes"] == ["#[inline]", "#[must_use]"]
    assert ("doc_styles.rs", "empty_doc") not in records


def test_items_in_impls_traits_modules_and_types_carry_their_container(fixture_dataset):
    records = _records(fixture_dataset[0])
    expect = {
        "new": ("method", "impl Point"), "norm": ("method", "impl Point"), "draw": ("trait_method", "pub trait Shape"),
        "CORNERS": ("const", "pub trait Shape"), "x": ("field", "struct Point"), "Up": ("variant", "enum Direction"),
        "Point": ("struct", None), "area": ("fn", None),
    }
    for name, (kind, container) in expect.items():
        record = records[("containers.rs", name)]
        assert (record["kind"], record["container"]) == (kind, container), name
    assert records[("containers.rs", "area")]["module_path"] == ["miner_fixture", "containers", "geometry"]
    assert records[("containers.rs", "Point")]["attributes"] == ["#[derive(Debug, Clone, Copy)]"]
    names = {name for _, name in records}
    assert not names & {"hidden_helper", "secret", "helper_only_for_tests", "top_level_test", "generated_table",
                        "integration_helper", "run_demo", "broken", "todo_doc", "short_doc"}


def test_a_file_with_a_syntax_error_keeps_the_items_outside_the_error(fixture_dataset):
    records = _records(fixture_dataset[0])
    # `after` follows the broken item: tree-sitter's recovery may have swallowed its doc, so it is not read.
    assert {n for f, n in records if f == "syntax_error.rs"} == {"before", "further"}


def test_duplicates_keep_the_first_and_a_different_signature_is_no_duplicate(fixture_dataset):
    records = _records(fixture_dataset[0])
    assert records[("cleaning.rs", "len")]["start_line"] == 12
    assert records[("cleaning.rs", "size")]["doc"] == records[("cleaning.rs", "len")]["doc"]


def test_record_holds_provenance_prompt_and_a_restorable_item(fixture_dataset):
    out, stats = fixture_dataset
    record = _records(out)[("containers.rs", "new")]
    assert record["repo"] == "miner" and record["path"] == "src/containers.rs"
    assert record["license"] == "MIT OR Apache-2.0" and record["commit"] is None
    assert record["repo_url"] == str(FIXTURE_CRATE.resolve())
    item = RustItem.from_dict(json.loads(record["item_json"]))
    assert (item.kind, item.name, item.doc.text) == ("method", "new", record["doc"])
    assert [m["role"] for m in record["prompt"]] == ["system", "user"]
    assert "pub fn new(x: i64, y: i64) -> Self" in record["prompt"][1]["content"]
    assert record["completion"] == [{"role": "assistant", "content": "Creates a point at the given coordinates."}]
    assert record["prompt_format_version"] == stats["prompt_format_version"]
    card = (out / "README.md").read_text()
    assert "| miner |" in card and "MIT OR Apache-2.0" in card and "| Examples | 1 |" in card


def test_bad_files_are_counted_and_never_crash(tmp_path):
    root = tmp_path / "repo"
    (root / "src" / "nested").mkdir(parents=True)
    shutil.copy(FIXTURE_CRATE / "src" / "doc_styles.rs", root / "src" / "doc_styles.rs")
    (root / "src" / "latin1.rs").write_bytes(b"/// Caf\xe9 au lait is served in this module.\npub fn cafe() {}\n")
    (root / "src" / "huge.rs").write_text("/// A constant in a file over the size limit.\npub const BIG: u8 = 0;\n" + "// pad\n" * 3000)
    os.symlink("loop.rs", root / "src" / "loop.rs")  # a link to itself
    os.symlink("..", root / "src" / "nested" / "up")  # a directory loop
    os.symlink("/nonexistent/target.rs", root / "src" / "dangling.rs")
    (root / "src" / os.fsdecode(b"bad-name-\xff.rs")).write_text("/// A file whose name is not UTF-8.\npub fn named() {}\n")
    # Nesting deeper than Python's recursion limit: the item model walks it with a stack, not recursion.
    (root / "src" / "deep.rs").write_text("mod m { " * 1200 + "/// Deeply nested function.\npub fn g() {}" + " }" * 1200)
    out = tmp_path / "out"
    stats = _mine(root, out, max_file_bytes=16384)
    (repo,) = stats["repos"]
    assert repo["files_skipped"] == {"bad-file-name": 1, "broken-symlink": 1, "huge": 1, "not-utf8": 1, "symlink-loop": 2}
    assert repo["files"] == 2 and stats["records"] == 5
    assert ("deep.rs", "g") in _records(out)
    assert validate_dataset(out) == []


@pytest.mark.parametrize("doc, reason", [
    ("TODO: write this", "todo"), ("FIXME", "todo"), ("document me", "todo"), ("Undocumented.", "todo"),
    ("Todo list kept by the scheduler.", None), ("Tiny.", "too-short"), ("", "empty"),
])
def test_docs_that_teach_nothing_are_dropped_by_reason(doc, reason):
    from corpus_miner.extract import drop_reason
    from rustdoc_core.rust.items import RustSource

    text = f"#[doc = {json.dumps(doc)}]\npub fn f() {{}}\n"
    (item,) = RustSource(text).items()
    assert drop_reason(item, False, ExtractOptions()) == reason


def test_examples_are_mined_when_asked_and_kinds_can_be_left_out(tmp_path):
    options = MineOptions(extract=ExtractOptions(ratios=(1, 1, 1), exclude_kinds=frozenset({"field", "variant"})),
                          walk=WalkOptions(include_examples=True), workers=1)
    stats = mine_dataset([local_source(FIXTURE_CRATE)], tmp_path / "out", options)
    names = {r["name"] for split in SPLITS for r in load_records(tmp_path / "out", split)}
    assert "run_demo" in names and not names & {"x", "y", "Up", "Down"}
    assert stats["dropped"]["kind-excluded"] == 4


def test_rerun_is_byte_identical_and_replaces_the_dataset_atomically(fixture_dataset, tmp_path):
    first, _ = fixture_dataset
    out = tmp_path / "again"
    _mine(FIXTURE_CRATE, out)
    before = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert before == {p.name: p.read_bytes() for p in sorted(first.iterdir())}
    _mine(FIXTURE_CRATE, out)  # onto an existing dataset
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]  # no temporaries left beside it
    assert load_stats(out)["records"] == 21


def test_item_source_is_capped_at_a_line_end(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    body = "\n".join(f"    let v{i} = {i}; // é" for i in range(100))
    (root / "big.rs").write_text(f"/// Computes a value through a long body.\npub fn long_body() {{\n{body}\n}}\n")
    _mine(root, tmp_path / "out", max_source_bytes=300)
    (record,) = [r for split in SPLITS for r in load_records(tmp_path / "out", split)]
    assert len(record["source"].encode()) <= 300 and record["source"].endswith("// é")
    item = RustItem.from_dict(json.loads(record["item_json"]))
    assert item.source == record["source"] and len(item.body.encode()) <= 300
    assert record["end_line"] == 103  # the lines still say where the whole item is


@pytest.mark.parametrize("head, generated", [
    (b"// @generated by build.rs\n", True), (b"//! This file is automatically generated.\n", True),
    (b"/* DO NOT EDIT: made by bindgen */\n", True),
    (b"/// Returns the automatically generated help.\n", False), (b"fn x() {} // do not edit\n", False),
])
def test_generated_files_are_told_by_a_banner_comment_not_by_a_doc(head, generated, tmp_path):
    from corpus_miner.extract import FileTask, extract_file

    (tmp_path / "lib.rs").write_bytes(head + b"/// Returns the table the generator wrote.\npub fn table() {}\n")
    result = extract_file(FileTask("r", "u", None, None, str(tmp_path), "lib.rs", ExtractOptions()))
    assert (result.skipped == "generated") is generated
