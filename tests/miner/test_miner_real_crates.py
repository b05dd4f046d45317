"""The miner on Debian's real crates (globset, grep-searcher, ignore, clap, bat):
invariants every record must hold, sane lower bounds, and a dataset `datasets` loads."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from corpus_miner.dataset import load_records
from corpus_miner.extract import SPLITS, ExtractOptions
from corpus_miner.mine import MineOptions, mine_dataset
from corpus_miner.sources import local_source
from corpus_miner.validate import validate_dataset
from rustdoc_core.rust.comments import unindent
from rustdoc_core.rust.items import RustItem, RustSource

CRATES = ("globset", "grep-searcher", "ignore", "clap", "bat")
LOWER_BOUNDS = {"globset": 50, "grep-searcher": 150, "ignore": 200, "clap": 450, "bat": 80}


@pytest.fixture(scope="module")
def crates(debian_crate) -> dict[str, Path]:
    return {name: debian_crate(name) for name in CRATES}


@pytest.fixture(scope="module")
def mined(crates, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("real") / "dataset"
    stats = mine_dataset([local_source(p) for p in crates.values()], out, MineOptions(workers=2))
    return out, stats


@pytest.fixture(scope="module")
def records(mined) -> list[tuple[str, dict]]:
    return [(split, r) for split in SPLITS for r in load_records(mined[0], split)]


def test_each_records_doc_is_what_the_source_holds_at_its_lines(crates, mined, records):
    roots = {p.name: p for p in crates.values()}
    lines_of: dict[tuple[str, str], list[str]] = {}
    checked_line_docs = checked_reparsed = 0
    for _, r in records:
        key = (r["repo"], r["path"])
        if key not in lines_of:
            lines_of[key] = (roots[r["repo"]] / r["path"]).read_text("utf-8").split("\n")
        lines = lines_of[key]
        assert r["source"].split("\n", 1)[0] in lines[r["start_line"] - 1], (r["path"], r["start_line"])
        if r["doc_styles"] == ["line"]:
            # `///` lines read straight from the file, independently of the parser.
            marked = [l.strip()[3:] for l in lines[r["doc_start_line"] - 1 : r["doc_end_line"]] if l.strip().startswith("///")]
            assert "\n".join(l.rstrip() for l in unindent(marked)).strip("\n") == r["doc"], (r["path"], r["start_line"])
            checked_line_docs += 1
        elif r["kind"] not in ("field", "variant"):
            snippet = "\n".join(lines[r["doc_start_line"] - 1 : r["end_line"]])
            item = RustSource(snippet).items()[0]
            assert item.doc is not None and item.doc.text == r["doc"], (r["path"], r["start_line"])
            checked_reparsed += 1
    assert checked_line_docs > 1000 and checked_reparsed > 20


def test_no_test_code_and_splits_are_disjoint_by_file(records):
    split_of: dict[tuple[str, str], str] = {}
    for split, r in records:
        parts = r["path"].split("/")
        assert not {"tests", "benches", "examples"} & set(parts), r["path"]
        item = RustItem.from_dict(json.loads(r["item_json"]))
        assert not (item.in_test or item.in_error or item.doc_hidden), (r["path"], r["name"])
        assert not any(a.startswith(("#[test]", "#[cfg(test)]")) for a in r["attributes"])
        assert split_of.setdefault((r["repo"], r["path"]), split) == split
    assert len(set(split_of.values())) == 3


def test_sane_lower_bounds_per_crate_kind_and_section(mined, crates):
    out, stats = mined
    kept = {r["name"]: r["kept"] for r in stats["repos"]}
    for name, path in crates.items():
        assert kept[path.name] >= LOWER_BOUNDS[name], (name, kept[path.name])
    for kind in ("fn", "method", "trait_method", "struct", "enum", "variant", "field", "trait"):
        assert stats["kinds"].get(kind, 0) >= 5, kind
    assert stats["sections"]["Examples"] >= 150
    assert all(r["license"] for r in stats["repos"])
    assert stats["dropped"]["in-test"] >= 10


def test_dataset_validates_and_loads_with_datasets(mined):
    out, stats = mined
    assert validate_dataset(out, include_warnings=True) == []
    import datasets

    loaded = datasets.load_dataset("json", data_dir=str(out), cache_dir=str(out.parent / "hf-cache"))
    assert {split: loaded[split].num_rows for split in SPLITS} == stats["splits"]
    assert loaded["train"][0]["completion"][0]["role"] == "assistant"


def test_one_worker_and_two_give_byte_identical_datasets(mined, crates, tmp_path):
    out, _ = mined
    again = tmp_path / "one-worker"
    mine_dataset([local_source(p) for p in crates.values()], again, MineOptions(extract=ExtractOptions(), workers=1))
    for name in ("train.jsonl", "validation.jsonl", "test.jsonl", "stats.json", "README.md"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_fast_paths_give_what_the_shared_functions_give(crates):
    """The shortcuts (the miner's serialization, one reading of a file's prompt contexts) change
    nothing: each context is what scanning the whole file for its container's members gives."""
    from corpus_miner.extract import plain
    from rustdoc_core.generation.prompt import MAX_SIBLINGS, FilePrompts

    checked = Counter()
    for path in (crates["clap"] / "src" / "builder" / "command.rs", crates["globset"] / "src" / "lib.rs"):
        source = RustSource(path.read_bytes())
        prompts = FilePrompts(source)
        for item in source.items():
            assert json.dumps(plain(item)) == json.dumps(item.to_dict())
            context = prompts.context_for(item)
            scanned = [
                " ".join(other.signature.split())
                for other in source.items()
                if other.containers == item.containers and other.kind not in ("field", "variant")
            ][:MAX_SIBLINGS]
            assert len(context.sibling_signatures) == len(scanned)
            for shown, signature in zip(context.sibling_signatures, scanned):
                assert shown == signature or (shown.endswith("…") and signature.startswith(shown[:-1]))
            assert json.dumps(plain(context)) == json.dumps(context.to_dict())
            checked[item.kind] += 1
    assert checked["method"] >= 100 and checked["variant"] >= 5 and checked["field"] >= 5
