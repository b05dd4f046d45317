"""The items an evaluation runs on: dataset records restored to Rust items,
their prompt context and the human doc they are measured against."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rustdoc_console import UserError
from rustdoc_core.docs.text import normalize_doc
from rustdoc_core.generation.prompt import PromptContext
from rustdoc_core.rust.items import RustItem

UNDOCUMENTABLE_KINDS = ("module_doc",)
"""Record kinds no generator answers for (a module's `//!` doc is not an item's doc)."""


@dataclass(frozen=True)
class EvalExample:
    """One held-out item: what the systems are asked about and the human answer."""

    id: str
    repo: str
    path: str
    start_line: int  # 1-based, as in the record
    kind: str
    name: str
    sections: tuple[str, ...]  # headings of the human doc
    reference: str  # the human doc, normalized as in training completions
    item: RustItem
    context: PromptContext
    content_hash: str  # changes when the item, its context or its doc changes

    @property
    def label(self) -> str:
        return f"{self.repo}:{self.path}:{self.start_line} {self.item.label}"


def example_from_record(record: dict[str, Any]) -> EvalExample:
    """The example of a record the miner's `check_record` accepts."""
    item = RustItem.from_dict(json.loads(record["item_json"]))
    context = PromptContext.from_dict(json.loads(record["context_json"]))
    digest = hashlib.sha256(
        "\0".join((record["item_json"], record["context_json"], record["doc"])).encode("utf-8")
    ).hexdigest()[:16]
    return EvalExample(
        id=str(record["id"]),
        repo=str(record["repo"]),
        path=str(record["path"]),
        start_line=int(record["start_line"]),
        kind=str(record["kind"]),
        name=str(record["name"]),
        sections=tuple(record.get("sections") or ()),
        reference=normalize_doc(record["doc"]),
        item=item,
        context=context,
        content_hash=digest,
    )


def load_examples(dataset_dir: Path, split: str) -> list[EvalExample]:
    """The split's items, in a stable order; fails fast, in one line, on a bad record.

    Only the split being read is checked (with the miner's record checker): the
    eval does not need the training split to be loadable.
    """
    from corpus_miner.dataset import load_records
    from corpus_miner.validate import check_record

    examples: list[EvalExample] = []
    seen: set[str] = set()
    try:
        for number, record in enumerate(load_records(dataset_dir, split), 1):
            problems = check_record(record)
            if problems:
                raise UserError(f"{dataset_dir / (split + '.jsonl')}: record {number}: {problems[0]}")
            if record["kind"] not in UNDOCUMENTABLE_KINDS:
                example = example_from_record(record)
                if example.id not in seen:
                    seen.add(example.id)
                    examples.append(example)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    except (ValueError, KeyError, TypeError) as exc:  # JSONDecodeError is a ValueError
        raise UserError(f"{dataset_dir / (split + '.jsonl')}: {exc}") from None
    if not examples:
        raise UserError(f"split {split!r} of {dataset_dir} is empty")
    return sorted(examples, key=_reading_order)


def select_examples(examples: list[EvalExample], limit: int | None, seed: int) -> list[EvalExample]:
    """All examples, or a seeded sample of `limit` that grows as a prefix
    (the items of `--limit 10` are among those of `--limit 20`)."""
    if limit is None or limit >= len(examples):
        return list(examples)
    shuffled = sorted(examples, key=lambda e: e.id)
    random.Random(seed).shuffle(shuffled)
    return sorted(shuffled[:limit], key=_reading_order)


def _reading_order(example: EvalExample) -> tuple:
    return (example.repo, example.path, example.start_line, example.id)
