"""Property harness over the datasets commands read (issue 23, part 2): a real mined dataset
with holes in it (missing fields, wrong types, empty or missing splits, lines that are not
JSON or not objects, a corrupt stats.json) fed to `validate`, `eval`, `generate
--examples-from` and `mine` itself; every run exits 0, 1 or 2 with at most one error line,
and changes nothing it reads."""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import _debian_registry
from tests.robustness.cli_runs import assert_well_behaved, invoke
from tests.robustness.harness import fewer, seeded
from tests.robustness.inputs import rust_texts
from tests.robustness.snapshots import changed, snapshot

SPLITS = ("train", "validation", "test")
WRONG_VALUES = st.sampled_from([None, 0, -1, 2**63, 1.5, True, "", "x" * 5000, [], [1, "a"], {}, {"a": 1}, "{not json", "null"])


@functools.lru_cache(maxsize=1)
def mined_records() -> dict[str, list[dict]]:
    """Records of Debian's globset, mined once, a few per split."""
    out = Path(tempfile.mkdtemp(prefix="robust-mined-")) / "globset"
    source = next(p for p in _debian_registry().iterdir() if p.name.startswith("globset-"))
    done = invoke("-q", "mine", source, "-o", out)
    assert done.exit_code == 0, done.why()
    records = {split: [json.loads(line) for line in (out / f"{split}.jsonl").read_text().splitlines()][:4] for split in SPLITS}
    records["stats"] = [json.loads((out / "stats.json").read_text())]
    return records


@st.composite
def damaged_datasets(draw) -> dict[str, bytes | None]:
    """File name -> bytes (None: the file is missing), from the mined records with damage."""
    base = mined_records()
    files: dict[str, bytes | None] = {}
    for split in SPLITS:
        records = [dict(r) for r in base[split]]
        for record in records:
            for _ in range(draw(st.integers(0, 2))):
                field = draw(st.sampled_from(sorted(record)))
                if draw(st.booleans()):
                    del record[field]
                else:
                    record[field] = draw(WRONG_VALUES)
        lines = [json.dumps(r) for r in records]
        shape = draw(st.sampled_from(["as_is", "as_is", "missing", "empty", "garbage_line", "not_objects", "cut", "duplicate_ids", "blank_lines"]))
        if shape == "missing":
            files[f"{split}.jsonl"] = None
            continue
        if shape == "empty":
            lines = []
        elif shape == "garbage_line":
            lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["{", "]", "nan", "\x00", "{\"id\": 1,}", "💥"])))
        elif shape == "not_objects":
            lines = [draw(st.sampled_from(["[]", "1", "\"s\"", "null", "true"])) for _ in lines] or ["[]"]
        elif shape == "duplicate_ids":
            lines = lines + lines
        elif shape == "blank_lines":
            lines = ["", *lines, "   ", ""]
        data = ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
        if shape == "cut" and data:
            data = data[: draw(st.integers(0, len(data)))]
        files[f"{split}.jsonl"] = data
    stats = dict(base["stats"][0])
    stats_shape = draw(st.sampled_from(["as_is", "missing", "corrupt", "wrong_counts", "wrong_types"]))
    if stats_shape == "missing":
        files["stats.json"] = None
    elif stats_shape == "corrupt":
        files["stats.json"] = b'{"format": "rustdoc-gen-dataset/1", "records": '
    else:
        if stats_shape == "wrong_counts":
            stats["records"] = 10**9
            stats["splits"] = {"train": -1}
        elif stats_shape == "wrong_types":
            stats["splits"] = draw(WRONG_VALUES)
            stats["prompt_format_version"] = draw(WRONG_VALUES)
        files["stats.json"] = json.dumps(stats).encode()
    return files


def _write(root: Path, files: dict[str, bytes | None]) -> Path:
    dataset = root / "dataset"
    dataset.mkdir()
    for name, data in files.items():
        if data is not None:
            (dataset / name).write_bytes(data)
    return dataset


@seeded
@fewer(2)  # three commands per input, eval among them
@given(files=damaged_datasets(), split=st.sampled_from(SPLITS), rust=rust_texts())
def test_commands_reading_a_dataset_give_one_line_on_any_damage(files, split, rust):
    root = Path(tempfile.mkdtemp(prefix="robust-"))
    try:
        dataset = _write(root, files)
        source = root / "lib.rs"
        source.write_text(rust)
        start = snapshot(root)
        for args in (
            ["validate", dataset],
            ["generate", "--examples-from", dataset, source],
            ["eval", "-q", "--dataset", dataset, "--split", split, "--system", "template", "--system", "human",
             "--system", "template+rag", "-o", root / "eval"],
        ):
            run = invoke(*args)
            assert_well_behaved(run)
            assert [c for c in changed(start, snapshot(root)) if not c.startswith("eval")] == [], run.why()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@seeded
@given(texts=st.lists(rust_texts(), max_size=5), names=st.lists(st.sampled_from(["lib.rs", "main.rs", "a.rs", "build.rs", "mod.rs", "tests/t.rs", "examples/e.rs", "benches/b.rs", "target/x.rs"]), min_size=5, max_size=5),
       manifest=st.sampled_from(["none", "good", "broken", "workspace", "binary"]))
def test_mine_on_odd_sources_writes_a_dataset_that_validates_or_one_line(texts, names, manifest):
    root = Path(tempfile.mkdtemp(prefix="robust-"))
    try:
        repo = root / "repo"
        (repo / "src").mkdir(parents=True)
        manifests = {
            "good": '[package]\nname = "odd"\nversion = "0.1.0"\nlicense = "MIT"\n',
            "broken": '[package\nname = "odd',
            "workspace": '[workspace]\nmembers = ["*"]\n',
            "binary": b"\x00\xff\xfe".decode("latin-1"),
        }
        if manifest in manifests:
            (repo / "Cargo.toml").write_text(manifests[manifest])
        for text, name in zip(texts, names):
            path = repo / "src" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        out = root / "out"
        mined = invoke("mine", "-q", repo, "-o", out)
        assert_well_behaved(mined)
        if mined.exit_code == 0:
            validated = invoke("validate", out)
            assert_well_behaved(validated)
            assert validated.exit_code == 0, f"mine wrote a dataset that does not validate\n{validated.why()}"
    finally:
        shutil.rmtree(root, ignore_errors=True)
