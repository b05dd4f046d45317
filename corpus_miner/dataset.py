"""The dataset directory: three JSONL splits, `stats.json` and a dataset card.

`load_records(dir, split)` is how the trainer and the eval read it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from corpus_miner.extract import SPLITS, TYPED_FIELDS

STATS_FILE = "stats.json"
CARD_FILE = "README.md"
DATASET_FORMAT = "rustdoc-gen-dataset/1"


def split_file(directory: Path, split: str) -> Path:
    return Path(directory) / f"{split}.jsonl"


def load_records(directory: str | Path, split: str) -> Iterator[dict[str, Any]]:
    """The records of one split (`train`, `validation` or `test`), streamed in file order.

    Raises ValueError naming the file and line of a line that is not a JSON object,
    FileNotFoundError when the split file is missing.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    path = split_file(Path(directory), split)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such split file (is {directory} a dataset made by `rustdoc-gen mine`?)")
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc.msg}") from None
            if not isinstance(record, dict):
                raise ValueError(f"{path}:{number}: not a JSON object")
            yield record


def load_stats(directory: str | Path) -> dict[str, Any]:
    return json.loads((Path(directory) / STATS_FILE).read_text("utf-8"))


# Fields that may be null or empty: `datasets` infers a column's type from the first
# records of a file, so each split file starts with the first record (if any) that
# sets each of them, and the rest follow in order.


class SplitWriter:
    """Streams JSON lines into the three split files of a directory being built.

    Lines go to a `.part` file; `close()` writes the final file: the first record
    that sets each of TYPED_FIELDS, then every other record in order.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self.handles: dict[str, IO[str]] = {
            split: open(self._part(split), "w", encoding="utf-8", newline="\n") for split in SPLITS
        }
        self.counts = {split: 0 for split in SPLITS}
        self.leaders: dict[str, dict[int, str]] = {split: {} for split in SPLITS}
        self.missing: dict[str, set[str]] = {split: set(TYPED_FIELDS) for split in SPLITS}

    def _part(self, split: str) -> Path:
        return self.directory / f"{split}.jsonl.part"

    def write(self, split: str, line: str, typed: frozenset[str]) -> None:
        """Append `line`; `typed` names the TYPED_FIELDS it sets (non-null, non-empty)."""
        missing = self.missing[split]
        if missing:
            typed = frozenset(typed & missing)
            if typed:
                missing -= typed
                self.leaders[split][self.counts[split]] = line
        self.handles[split].write(line)
        self.handles[split].write("\n")
        self.counts[split] += 1

    def close(self, finish: bool = True) -> None:
        for handle in self.handles.values():
            handle.close()
        for split in SPLITS:
            part = self._part(split)
            if finish:
                self._finish(split, part)
            part.unlink(missing_ok=True)

    def _finish(self, split: str, part: Path) -> None:
        import os

        leaders = self.leaders[split]
        with open(part, encoding="utf-8", newline="\n") as src, open(split_file(self.directory, split), "w", encoding="utf-8", newline="\n") as out:
            for index in sorted(leaders):
                out.write(leaders[index] + "\n")
            for index, line in enumerate(src):
                if index not in leaders:
                    out.write(line)
            out.flush()
            os.fsync(out.fileno())


def dataset_card(stats: dict[str, Any]) -> str:
    """README.md for the dataset: loading it, sources with commits and licenses, counts, sections."""
    splits = stats["splits"]
    lines = ["---", card_metadata(stats).to_yaml(), "---", "", "# Rust doc-comment pairs", ""]
    lines += [
        "(doc comment, documented item) pairs mined from Rust repositories by `rustdoc-gen mine`, "
        "in trl's conversational prompt/completion shape (the prompt is the shared rustdoc-gen prompt "
        f"format, version {stats['prompt_format_version']}; the completion is the doc as rustdoc sees it).",
        "",
        "```python",
        "from datasets import load_dataset",
        'dataset = load_dataset("json", data_dir="THIS_DIRECTORY")',
        "```",
        "",
        "## Sources",
        "",
        "| repo | url | commit | license | files | kept |",
        "|---|---|---|---|---:|---:|",
    ]
    for repo in stats["repos"]:
        lines.append(
            f"| {repo['name']} | {repo['url']} | {repo['commit'] or '-'} | {repo['license'] or 'unknown'} | {repo['files']} | {repo['kept']} |"
        )
    lines += ["", "## Counts", "", "| split | records |", "|---|---:|"]
    lines += [f"| {split} | {splits.get(split, 0)} |" for split in SPLITS]
    test_repo = stats["options"].get("test_repo")
    held_out = (f"The test split is the whole repository `{test_repo}`, held out; the other repositories' files share "
                "train and validation. " if test_repo else "")
    lines += ["", f"{held_out}Splits are assigned by whole files, balanced by their record counts (files in a seeded hash "
              f"order of repo and path, seed {stats['options']['seed']}, cut at ratios {stats['options']['ratios']}), "
              "so no file's items appear in two splits. Exact and near "
              "duplicates (same doc and signature up to case, punctuation and spacing) are dropped across all splits. "
              "Records follow repo, path and line order, except that each split file starts with the first record "
              "that sets each optional field (`commit`, `license`, `visibility`, `container`, `attributes`, "
              "`module_path`, `sections`), so `datasets` infers every column's type from the first lines.", ""]
    lines += ["| kind | records |", "|---|---:|"]
    lines += [f"| {kind} | {n} |" for kind, n in stats["kinds"].items()]
    lines += ["", "## Dropped", "", "| reason | items |", "|---|---:|"]
    lines += [f"| {reason} | {n} |" for reason, n in stats["dropped"].items()]
    lines += ["", "## Sections", "", "Doc headings (`# Examples`, ...) outside code fences, by how many records have them.", "",
              "| section | records |", "|---|---:|"]
    lines += [f"| {section} | {n} |" for section, n in stats["sections"].items()]
    lines += ["", "## Fields", "",
              "`id`, `repo`, `repo_url`, `commit`, `license`, `path`, `start_line`/`end_line` (the item, 1-based, inclusive), "
              "`doc_start_line`/`doc_end_line`, `kind`, `name`, `signature`, `visibility`, `attributes`, `container`, "
              "`module_path`, `source` (capped at "
              f"{stats['options']['max_source_bytes']} bytes), `item_json`, `context_json`, `doc`, `doc_styles`, `sections`, "
              "`prompt`, `completion`, `prompt_format_version`.", ""]
    return "\n".join(lines)


HF_LICENSES = {
    "MIT": "mit", "Apache-2.0": "apache-2.0", "Unlicense": "unlicense", "BSD-2-Clause": "bsd-2-clause",
    "BSD-3-Clause": "bsd-3-clause", "MPL-2.0": "mpl-2.0", "ISC": "isc", "Zlib": "zlib", "CC0-1.0": "cc0-1.0",
    "BSL-1.0": "bsl-1.0", "LGPL-2.1": "lgpl-2.1", "LGPL-3.0": "lgpl-3.0", "GPL-2.0": "gpl-2.0", "GPL-3.0": "gpl-3.0",
    "AGPL-3.0": "agpl-3.0", "0BSD": "bsd", "WTFPL": "wtfpl",
}
"""SPDX ids seen in Cargo manifests -> the Hub's license ids; any other is `other`."""

SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"))


def hf_licenses(spdx_expressions: list[str | None]) -> list[str]:
    """The Hub's license ids for the repos' SPDX expressions (`MIT OR Apache-2.0`, `MIT/Apache-2.0`), each once."""
    found: set[str] = set()
    for expression in spdx_expressions:
        if not expression:
            continue
        for part in re.split(r"\s+(?:OR|AND|WITH)\s+|/|[()]", expression):
            spdx = part.strip().removesuffix("+").removesuffix("-only").removesuffix("-or-later")
            if spdx:
                found.add(HF_LICENSES.get(spdx, "other"))
    return sorted(found)


def size_category(records: int) -> str:
    return next((name for bound, name in SIZE_CATEGORIES if records < bound), "n>10M")


def card_metadata(stats: dict[str, Any]):
    """The card's front matter in the Hub's dataset card format (huggingface_hub's DatasetCardData)."""
    from huggingface_hub import DatasetCardData

    splits = stats["splits"]
    return DatasetCardData(
        license=hf_licenses([r["license"] for r in stats["repos"]]) or ["unknown"],
        language=["en"],
        task_categories=["text-generation"],
        size_categories=[size_category(sum(splits.values()))],
        tags=["rust", "rustdoc", "code", "documentation"],
        pretty_name="Rust doc-comment pairs",
        configs=[{"config_name": "default", "data_files": [
            {"split": split, "path": f"{split}.jsonl"} for split in SPLITS if splits.get(split)
        ]}],
    )
