"""Checking a mined dataset before anyone trains or evaluates on it: schema,
non-empty fields, records that restore to items, splits disjoint by file, and
counts that match stats.json. Every problem names its file and line."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus_miner.dataset import CARD_FILE, STATS_FILE, load_records, split_file
from corpus_miner.extract import SPLITS, TYPED_FIELDS, record_id
from rustdoc_core.docs.text import normalize_doc
from rustdoc_core.generation.prompt import PromptContext
from rustdoc_core.rust.items import ITEM_KINDS, RustItem

RECORD_KINDS = (*ITEM_KINDS, "module_doc")

_STR, _INT, _LIST, _OPT_STR = (str,), (int,), (list,), (str, type(None))
FIELDS: dict[str, tuple[type, ...]] = {
    "id": _STR, "repo": _STR, "repo_url": _STR, "commit": _OPT_STR, "license": _OPT_STR, "path": _STR,
    "start_line": _INT, "end_line": _INT, "doc_start_line": _INT, "doc_end_line": _INT,
    "kind": _STR, "name": _STR, "signature": _STR, "visibility": _OPT_STR, "attributes": _LIST,
    "container": _OPT_STR, "module_path": _LIST, "source": _STR, "item_json": _STR, "context_json": _STR,
    "doc": _STR, "doc_styles": _LIST, "sections": _LIST, "prompt": _LIST, "completion": _LIST,
    "prompt_format_version": _INT,
}
"""Every record field and the JSON types it may hold."""

NON_EMPTY = ("id", "repo", "repo_url", "path", "kind", "name", "signature", "source", "item_json", "context_json", "doc")
MAX_PROBLEMS_PER_FILE = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset, at a file (relative to the dataset) and line."""

    path: str
    line: int | None
    message: str
    severity: str = "error"  # "error": the dataset is unusable as is; "warning": it loads, with a caveat

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.severity}: {self.message}"


def validate_dataset(directory: str | Path, *, include_warnings: bool = False) -> list[Problem]:
    """The errors found in the dataset at `directory` (and warnings if asked); empty when it is sound.

    Warnings are what a small corpus cannot avoid and `datasets.load_dataset("json", ...)`
    trips over: an empty split, or a nullable field set only outside train.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return [Problem(str(directory), None, "not a directory")]
    problems: list[Problem] = []
    stats = _read_stats(directory, problems)
    if not (directory / CARD_FILE).is_file():
        problems.append(Problem(CARD_FILE, None, "missing dataset card"))
    ids: dict[str, str] = {}
    file_split: dict[tuple[str, str], str] = {}
    overlaps: set[tuple[str, str, str]] = set()
    counts: Counter[str] = Counter()
    typed: dict[str, set[str]] = {split: set() for split in SPLITS}
    version = stats.get("prompt_format_version") if stats else None
    for split in SPLITS:
        path = split_file(directory, split)
        name = path.name
        if not path.is_file():
            problems.append(Problem(name, None, "missing split file"))
            continue
        found: list[Problem] = []
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    found.append(Problem(name, number, "not UTF-8"))
                    continue
                if not line.strip():
                    found.append(Problem(name, number, "blank line"))
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    found.append(Problem(name, number, f"not JSON: {exc.msg}"))
                    continue
                counts[split] += 1
                if isinstance(record, dict):
                    typed[split].update(f for f in TYPED_FIELDS if record.get(f))
                for message in check_record(record, version):
                    found.append(Problem(name, number, message))
                if not isinstance(record, dict):
                    continue
                rid, repo, rpath = record.get("id"), record.get("repo"), record.get("path")
                if isinstance(rid, str):
                    if rid in ids:
                        found.append(Problem(name, number, f"duplicate id {rid} (also in {ids[rid]})"))
                    else:
                        ids[rid] = f"{name}:{number}"
                if isinstance(repo, str) and isinstance(rpath, str):
                    other = file_split.setdefault((repo, rpath), split)
                    if other != split and (repo, rpath, split) not in overlaps:
                        overlaps.add((repo, rpath, split))  # reported once per file, not per record
                        found.append(Problem(name, number, f"file {repo}/{rpath} is in both {other} and {split}: splits must be disjoint by file"))
        if len(found) > MAX_PROBLEMS_PER_FILE:
            extra = len(found) - MAX_PROBLEMS_PER_FILE
            found = found[:MAX_PROBLEMS_PER_FILE] + [Problem(name, None, f"... and {extra} more problems")]
        problems.extend(found)
    if stats:
        problems.extend(_check_counts(stats, counts))
    for split in SPLITS[1:]:
        for name in sorted(typed[split] - typed[SPLITS[0]]):
            problems.append(Problem(f"{split}.jsonl", None, f"field {name!r} is set here but null or empty in every train record: "
                                    "datasets.load_dataset('json', ...) takes its type from train and fails", "warning"))
    if not include_warnings:
        problems = [p for p in problems if p.severity == "error"]
    return problems


def check_record(record: Any, prompt_format_version: int | None = None) -> list[str]:
    """What is wrong with one record (messages without the location)."""
    if not isinstance(record, dict):
        return ["not a JSON object"]
    out: list[str] = []
    for name, types in FIELDS.items():
        if name not in record:
            out.append(f"missing field {name!r}")
        elif not isinstance(record[name], types) or isinstance(record[name], bool):
            out.append(f"field {name!r} has type {type(record[name]).__name__}")
    if out:
        return out
    for name in NON_EMPTY:
        if not record[name].strip():
            out.append(f"field {name!r} is empty")
    if record["kind"] not in RECORD_KINDS:
        out.append(f"unknown kind {record['kind']!r}")
    path = record["path"]
    if path.startswith("/") or "\\" in path or ".." in path.split("/"):
        out.append(f"path {path!r} is not relative and '/'-separated")
    s, e, ds, de = record["start_line"], record["end_line"], record["doc_start_line"], record["doc_end_line"]
    if not 1 <= ds <= de <= s <= e:
        out.append(f"line numbers out of order: doc {ds}-{de}, item {s}-{e}")
    if record["id"] != record_id(record["repo"], path, s, record["kind"], record["name"]):
        out.append("id does not match repo, path, start_line, kind and name")
    for name in ("attributes", "module_path", "doc_styles", "sections"):
        if not all(isinstance(v, str) for v in record[name]):
            out.append(f"field {name!r} holds non-strings")
    out.extend(_check_pair(record))
    if record["kind"] != "module_doc":
        try:
            item = RustItem.from_dict(json.loads(record["item_json"]))
        except (ValueError, TypeError, KeyError) as exc:
            out.append(f"item_json does not restore a RustItem: {exc}")
        else:
            if (item.kind, item.name) != (record["kind"], record["name"]):
                out.append(f"item_json is {item.kind} {item.name}, the record says {record['kind']} {record['name']}")
            if item.doc is None or item.doc.text != record["doc"]:
                out.append("item_json's doc differs from the record's doc")
    try:
        PromptContext.from_dict(json.loads(record["context_json"]))
    except (ValueError, TypeError, AttributeError) as exc:
        out.append(f"context_json does not restore a PromptContext: {exc}")
    if prompt_format_version is not None and record["prompt_format_version"] != prompt_format_version:
        out.append(f"prompt_format_version {record['prompt_format_version']} differs from stats.json's {prompt_format_version}")
    return out


def _check_pair(record: dict[str, Any]) -> list[str]:
    out = []
    prompt, completion = record["prompt"], record["completion"]
    roles = [m.get("role") if isinstance(m, dict) else None for m in prompt]
    if roles != ["system", "user"]:
        out.append(f"prompt roles are {roles}, expected ['system', 'user']")
    elif not all(isinstance(m.get("content"), str) and m["content"].strip() for m in prompt):
        out.append("prompt has an empty message")
    if len(completion) != 1 or not isinstance(completion[0], dict) or completion[0].get("role") != "assistant":
        out.append("completion must be one assistant message")
    elif completion[0].get("content") != normalize_doc(record["doc"]):
        out.append("completion differs from the doc")
    return out


def _read_stats(directory: Path, problems: list[Problem]) -> dict[str, Any] | None:
    path = directory / STATS_FILE
    if not path.is_file():
        problems.append(Problem(STATS_FILE, None, "missing"))
        return None
    try:
        stats = json.loads(path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(Problem(STATS_FILE, None, f"not JSON: {exc}"))
        return None
    if not isinstance(stats, dict) or not isinstance(stats.get("splits"), dict):
        problems.append(Problem(STATS_FILE, None, "has no 'splits' counts"))
        return None
    return stats


def _check_counts(stats: dict[str, Any], counts: Counter[str]) -> list[Problem]:
    out = []
    ratios = dict(zip(SPLITS, stats.get("options", {}).get("ratios", [1, 1, 1])))
    for split in SPLITS:
        expected = stats["splits"].get(split)
        if expected != counts[split]:
            out.append(Problem(STATS_FILE, None, f"says {split} has {expected} records; {split}.jsonl has {counts[split]}"))
        if counts[split] == 0 and ratios.get(split, 0) > 0:
            out.append(Problem(f"{split}.jsonl", None, "empty split (datasets.load_dataset cannot load an empty split)", "warning"))
    total = sum(counts.values())
    if stats.get("records") != total:
        out.append(Problem(STATS_FILE, None, f"says {stats.get('records')} records in all; the splits hold {total}"))
    repos = stats.get("repos")
    if isinstance(repos, list) and sum(r.get("kept", 0) for r in repos if isinstance(r, dict)) != total:
        out.append(Problem(STATS_FILE, None, "per-repo kept counts do not add up to the records"))
    return out


def checked_records(directory: str | Path, split: str) -> Iterator[dict[str, Any]]:
    """The records of one split, each checked as `validate` checks it; raises ValueError naming
    the file, line and first problem of a bad record (a missing field, a wrong type), so a
    reader fails in one line instead of deep inside, on whatever the record broke."""
    path = split_file(Path(directory), split)
    for number, record in enumerate(load_records(directory, split), 1):
        problems = check_record(record)
        if problems:
            raise ValueError(f"{path}: record {number}: {problems[0]}")
        yield record
