"""`rustdoc-gen validate` and the readers others call (`validate_dataset`, `load_records`):
a sound dataset passes; each kind of damage is reported at its file and line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_miner.dataset import load_records
from corpus_miner.extract import ExtractOptions
from corpus_miner.mine import MineOptions, mine_dataset
from corpus_miner.sources import local_source
from corpus_miner.validate import validate_dataset
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def sound(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("validate") / "dataset"
    mine_dataset([local_source(FIXTURES / "miner")], out, MineOptions(extract=ExtractOptions(ratios=(1, 1, 1)), workers=1))
    return out


@pytest.fixture
def damaged(sound, tmp_path) -> Path:
    copy = tmp_path / "dataset"
    shutil.copytree(sound, copy)
    return copy


def _rewrite(path: Path, edit) -> None:
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join(edit(lines)) + "\n", "utf-8")


def _set_field(line: str, **fields) -> str:
    record = json.loads(line)
    record.update(fields)
    return json.dumps(record, ensure_ascii=False)


def test_a_mined_dataset_is_sound(sound):
    assert validate_dataset(sound) == []


def test_bad_lines_are_reported_with_file_and_line(damaged):
    def edit(lines):
        lines[1] = "{not json"
        lines[2] = _set_field(lines[2], doc="   ")
        lines[3] = json.dumps({k: v for k, v in json.loads(lines[3]).items() if k != "signature"})
        lines[4] = _set_field(lines[4], start_line=1)
        return lines

    _rewrite(damaged / "test.jsonl", edit)
    found: dict[tuple[str, int | None], list[str]] = {}
    for p in validate_dataset(damaged):
        found.setdefault((p.path, p.line), []).append(p.message)
    assert found[("test.jsonl", 2)][0].startswith("not JSON")
    assert "field 'doc' is empty" in found[("test.jsonl", 3)]
    assert found[("test.jsonl", 4)] == ["missing field 'signature'"]
    assert found[("test.jsonl", 5)][0].startswith("line numbers out of order")
    assert "says test has 13 records; test.jsonl has 12" in found[("stats.json", None)]


def test_a_file_in_two_splits_and_a_repeated_id_are_caught(damaged):
    moved = (damaged / "test.jsonl").read_text("utf-8").splitlines()[0]
    _rewrite(damaged / "train.jsonl", lambda lines: lines + [moved])
    messages = [str(p) for p in validate_dataset(damaged)]
    assert any(m.startswith("test.jsonl:1: error: duplicate id") and "also in train.jsonl:5" in m for m in messages)
    overlaps = [m for m in messages if "is in both" in m]
    assert overlaps == ["test.jsonl:1: error: file miner/src/containers.rs is in both train and test: "
                        "splits must be disjoint by file"]
    assert any("says train has 4 records; train.jsonl has 5" in m for m in messages)


def test_a_record_whose_item_json_disagrees_is_caught(damaged):
    _rewrite(damaged / "validation.jsonl", lambda lines: [*lines[:2], _set_field(lines[2], name="renamed"), *lines[3:]])
    messages = [p.message for p in validate_dataset(damaged) if p.path == "validation.jsonl" and p.line == 3]
    assert "id does not match repo, path, start_line, kind and name" in messages
    assert "item_json is fn before, the record says fn renamed" in messages


def test_small_dataset_caveats_are_warnings_not_errors(sound):
    warnings = validate_dataset(sound, include_warnings=True)
    assert warnings and all(p.severity == "warning" for p in warnings)


def test_load_records_streams_a_split_and_names_a_bad_line(damaged):
    assert [r["name"] for r in load_records(damaged, "validation")] == ["len", "size", "before", "further"]
    _rewrite(damaged / "validation.jsonl", lambda lines: [lines[0], "[1, 2]"])
    with pytest.raises(ValueError, match=r"validation\.jsonl:2: not a JSON object"):
        list(load_records(damaged, "validation"))
    with pytest.raises(ValueError, match="unknown split"):
        list(load_records(damaged, "dev"))


def test_validate_command_exits_nonzero_with_file_line_problems(sound, damaged):
    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "rustdoc_cli", "validate", str(path)], capture_output=True, text=True,
                              env={**os.environ, "COLUMNS": "300"}, timeout=60)

    ok = run(sound)
    assert ok.returncode == 0 and ok.stdout.strip().splitlines()[-1].startswith(f"{sound}: ok")
    _rewrite(damaged / "train.jsonl", lambda lines: [lines[0], "{oops"])
    bad = run(damaged)
    assert bad.returncode == 1
    assert f"{damaged / 'train.jsonl'}:2: error: not JSON" in bad.stdout
    assert bad.stderr.strip().startswith("error: ") and "errors in" in bad.stderr
    missing = run(damaged / "nope")
    assert missing.returncode == 1 and "no such dataset directory" in missing.stderr
