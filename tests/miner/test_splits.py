"""Splits dealt out by whole files, balanced by record counts (corpus_miner.splits),
and `mine --test-repo`, on synthetic file counts and on Debian's real crates."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus_miner.dataset import load_records, load_stats
from corpus_miner.extract import SPLITS
from corpus_miner.mine import MineOptions, mine_dataset
from corpus_miner.sources import local_source
from corpus_miner.splits import balanced_splits
from corpus_miner.validate import validate_dataset
from rustdoc_cli.cli import main as cli

RATIOS = (0.8, 0.1, 0.1)


def _records_per_split(counts: dict, splits: dict) -> Counter:
    held: Counter = Counter()
    for key, n in counts.items():
        held[splits[key]] += n
    return held


def _files(n: int, seed: int = 1, repo: str = "r") -> dict[tuple[str, str], int]:
    rng = random.Random(seed)
    return {(repo, f"src/f{i}.rs"): rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 40]) for i in range(n)}


def test_each_split_gets_its_share_of_records_within_one_file():
    counts = _files(300)
    splits = balanced_splits(counts, RATIOS, seed=0)
    held = _records_per_split(counts, splits)
    total = sum(counts.values())
    largest = max(counts.values())
    for split, ratio in zip(SPLITS, RATIOS):
        assert abs(held[split] - ratio * total) <= largest, (split, held, total)


def test_one_repo_whose_big_files_swallow_the_small_shares_still_fills_every_split():
    # The shape that gave train 467, validation 1, test 0: a few big files and a few small ones.
    counts = {("r", "src/lib.rs"): 300, ("r", "src/a.rs"): 120, ("r", "src/b.rs"): 40, ("r", "src/c.rs"): 6, ("r", "src/d.rs"): 2}
    for seed in range(20):
        held = _records_per_split(counts, balanced_splits(counts, RATIOS, seed=seed))
        assert all(held[split] > 0 for split in SPLITS), (seed, held)


def test_a_split_without_a_share_stays_empty():
    counts = _files(50)
    held = _records_per_split(counts, balanced_splits(counts, (0.9, 0.1, 0.0), seed=0))
    assert held["test"] == 0 and held["validation"] > 0


def test_same_inputs_give_the_same_splits_and_the_seed_changes_them():
    counts = _files(100)
    assert balanced_splits(counts, RATIOS, seed=3) == balanced_splits(dict(reversed(counts.items())), RATIOS, seed=3)
    assert balanced_splits(counts, RATIOS, seed=3) != balanced_splits(counts, RATIOS, seed=4)


def test_adding_a_file_moves_few_others():
    counts = _files(200)
    before = balanced_splits(counts, RATIOS, seed=0)
    for i, n in enumerate((1, 8, 40)):
        after = balanced_splits({**counts, ("r", f"src/new{i}.rs"): n}, RATIOS, seed=0)
        moved = [key for key in counts if after[key] != before[key]]
        assert len(moved) <= 4, (n, moved)


def test_test_repo_is_the_whole_test_split_and_the_rest_share_train_and_validation():
    counts = {**_files(60, repo="a"), **_files(40, seed=2, repo="b")}
    splits = balanced_splits(counts, RATIOS, seed=0, test_repo="b")
    assert {splits[k] for k in counts if k[0] == "b"} == {"test"}
    held = _records_per_split({k: n for k, n in counts.items() if k[0] == "a"}, splits)
    total_a = sum(n for k, n in counts.items() if k[0] == "a")
    assert held["test"] == 0 and held["validation"] > 0
    assert abs(held["validation"] - total_a / 9) <= max(counts.values())


@pytest.fixture(scope="module")
def globset_alone(debian_crate, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("splits") / "globset"
    mine_dataset([local_source(debian_crate("globset"))], out, MineOptions(workers=1))
    return out


def test_globset_alone_gives_nonempty_validation_and_test(globset_alone):
    stats = load_stats(globset_alone)
    assert stats["records"] >= 30
    assert all(stats["splits"][split] > 0 for split in SPLITS), stats["splits"]
    assert stats["splits"]["train"] > stats["splits"]["validation"] + stats["splits"]["test"]
    assert [p for p in validate_dataset(globset_alone, include_warnings=True)] == []
    files = {}
    for split in SPLITS:
        for record in load_records(globset_alone, split):
            assert files.setdefault(record["path"], split) == split, record["path"]


def test_mine_test_repo_holds_a_crate_out_whole(debian_crate, tmp_path):
    globset, matcher = debian_crate("globset"), debian_crate("grep-matcher")
    out = tmp_path / "held-out"
    result = CliRunner().invoke(cli, ["-q", "mine", str(globset), str(matcher), "--test-repo", matcher.name, "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    stats = load_stats(out)
    assert stats["options"]["test_repo"] == matcher.name
    test_repos = {r["repo"] for r in load_records(out, "test")}
    assert test_repos == {matcher.name}
    kept = {r["name"]: r["kept"] for r in stats["repos"]}
    assert stats["splits"]["test"] == kept[matcher.name]
    assert {r["repo"] for split in ("train", "validation") for r in load_records(out, split)} == {globset.name}
    assert stats["splits"]["validation"] > 0
    assert f"whole repository `{matcher.name}`" in (out / "README.md").read_text()


def test_mine_test_repo_names_the_known_repos_when_it_matches_none(debian_crate, tmp_path):
    globset, matcher = debian_crate("globset"), debian_crate("grep-matcher")
    result = CliRunner().invoke(cli, ["mine", str(globset), str(matcher), "--test-repo", "globset", "-o", str(tmp_path / "x")])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "'globset'" in lines[0] and globset.name in lines[0] and matcher.name in lines[0]
    assert not (tmp_path / "x").exists()


def test_mine_test_repo_refuses_the_only_repo(debian_crate, tmp_path):
    globset = debian_crate("globset")
    result = CliRunner().invoke(cli, ["mine", str(globset), "--test-repo", globset.name, "-o", str(tmp_path / "x")])
    assert result.exit_code != 0 and "only repository" in result.output
    assert json.dumps(result.output).count("\\n") <= 1
