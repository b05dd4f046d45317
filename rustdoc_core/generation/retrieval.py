"""Retrieval: a crate's documented items (and optionally a mined dataset's) as examples
for the prompt (prompt format v2, `PromptContext.examples`).

The index is SQLite FTS5 in memory (Python's own sqlite3), ranked by FTS5's BM25. Each
documented item is keyed on what predicts a good example: its kind, the words of its name
(snake_case and CamelCase split), the words of its signature, its container (impl self
type or trait) and its module path; its doc is indexed too, weighted low. A query is the
same keys of the item to document, and gives its k best documented neighbours, never the
item itself; in training mode also never one from the item's own file, so a model cannot
learn to copy a twin next door.

`generate --rag` builds one index per run, the server one per workspace (kept current on
save), `train --rag` and `eval` systems with `+rag` one from the dataset's records.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rustdoc_core.docs.text import normalize_doc, summary_range
from rustdoc_core.generation.prompt import MAX_EXAMPLES, PromptContext, PromptExample, build_messages
from rustdoc_core.rust.items import RustItem, RustSource

COLUMNS = ("kind", "name", "signature", "container", "module", "doc")
"""The indexed keys of an item, in the table's column order."""

COLUMN_WEIGHTS = (1.0, 6.0, 2.0, 3.0, 1.0, 0.5)
"""BM25 weight of a match in each of COLUMNS: the name says most about which docs read alike."""

QUERY_COLUMNS = {
    "name": "name signature doc",
    "signature": "signature name",
    "container": "container signature",
    "module": "module",
}
"""Which indexed columns each key of the query item is looked for in. The kind is not
among them: it is a filter (same kind first), since nearly every row shares it."""

MAX_QUERY_TERMS = 48
"""Words a query uses at most (long signatures): FTS5 ranks every matching row, fewer terms rank faster."""

RUST_WORDS = frozenset(
    "fn pub crate self Self mut ref impl where for dyn const static unsafe async extern let as in move "
    "struct enum trait type mod use super".split()
)
"""Keywords left out of signature words: nearly every signature has them (`-> Self` included:
the kind and the container say more)."""

_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def name_words(name: str) -> list[str]:
    """`from_str_radix` -> from, str, radix; `GlobSetBuilder` -> glob, set, builder; `HTTPServer` -> http, server."""
    return [w.lower() for part in name.split("_") for w in _CAMEL.findall(part)]


def code_words(text: str) -> list[str]:
    """The name words of every identifier in `text`, Rust keywords left out."""
    words: list[str] = []
    for ident in _IDENT.findall(text):
        if ident not in RUST_WORDS:
            words.extend(name_words(ident))
    return words


def item_key(file: str, item: RustItem) -> str:
    """An item's identity within an index: what "the item itself" means to a query. Lines are
    left out, so the identity holds while edits above the item move it."""
    container = item.containers[-1].header if item.containers else ""
    return "\0".join((file, item.kind, container, item.name))


def module_words(file: str, module_path: Iterable[str] = ()) -> list[str]:
    """Words of a file's module: its path below `src/` (`src/glob/mod.rs` -> glob) and inline `mod`s."""
    parts = [p for p in Path(file).with_suffix("").parts if p not in ("src", "lib", "main", "mod", "/")]
    return [w for part in (*parts[-3:], *module_path) for w in name_words(part)]


EXAMPLE_SUMMARY_CHARS = 200
"""What an example shows of its doc at most: clippy's summary length."""


def example_doc(doc: str) -> str:
    """What the prompt shows of a neighbour's doc: its summary paragraph, its first sentence
    where that paragraph is long. Examples teach the crate's voice, not the facts: a doc shown
    whole is a ready answer for a sibling, and small models copy it word for word."""
    doc = normalize_doc(doc)
    start, end = summary_range(doc)
    summary = " ".join(line.strip() for line in doc.split("\n")[start:end])
    if len(summary) <= EXAMPLE_SUMMARY_CHARS:
        return summary
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z`\[])", summary, maxsplit=1)[0]
    return first if len(first) <= EXAMPLE_SUMMARY_CHARS else first[: EXAMPLE_SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class Neighbour:
    """A documented item a query found, with its BM25 score (lower is better, as FTS5 gives it)."""

    key: str
    file: str
    signature: str
    doc: str
    score: float

    def example(self) -> PromptExample:
        return PromptExample(self.signature, example_doc(self.doc))


@dataclass(frozen=True)
class IndexedItem:
    """What the index holds of one documented item."""

    key: str
    file: str
    kind: str
    name: str
    signature: str
    container: str  # the impl's self type and trait, or the trait's name: its words
    module: tuple[str, ...]
    doc: str

    @classmethod
    def of(cls, file: str, item: RustItem, doc: str | None = None, module_path: Iterable[str] | None = None) -> "IndexedItem":
        """`item` of `file`, with its own doc (or `doc`), its module from the file path (or `module_path`)."""
        text = doc if doc is not None else (item.doc.text if item.doc is not None else "")
        module = tuple(module_path) if module_path is not None else tuple(module_words(file, item.module_path))
        return cls(item_key(file, item), file, item.kind, item.name, item.signature, _container_text(item), module, normalize_doc(text))

    def columns(self) -> tuple[str, ...]:
        """The indexed text of each of COLUMNS."""
        return (
            self.kind,
            " ".join(name_words(self.name)),
            " ".join(code_words(self.signature)),
            " ".join(code_words(self.container)),
            " ".join(w for part in self.module for w in name_words(part)),
            " ".join(code_words(self.doc)),
        )


def _container_text(item: RustItem) -> str:
    container = item.container
    if container is None:
        return ""
    return " ".join(x for x in (container.self_type, container.trait, container.name) if x)


def indexable(item: RustItem) -> bool:
    """Whether a parsed item's doc may serve as an example: a real doc, not a test's or a hidden item's."""
    return item.doc is not None and bool(item.doc.text.strip()) and not (item.in_test or item.doc_hidden or item.in_error)


class RetrievalIndex:
    """Documented items in an in-memory SQLite FTS5 table. Safe to share between threads:
    every statement runs under one lock (the server adds on save while a code action queries)."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        # FTS5 ranks; what a hit shows and what excludes it live in a plain table by rowid,
        # so ranking never reads a row's stored text (that doubled the query time on clap).
        self._db.execute(f"CREATE VIRTUAL TABLE items USING fts5({', '.join(COLUMNS)}, tokenize = 'porter unicode61')")
        self._db.execute("CREATE TABLE shown (row INTEGER PRIMARY KEY, key TEXT, file TEXT, signature TEXT, doc TEXT)")
        self._db.execute("CREATE INDEX shown_by_file ON shown (file)")
        self._db.execute("CREATE INDEX shown_by_key ON shown (key)")
        self._weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM items").fetchone()[0]

    # --- building ---------------------------------------------------------------------

    def add(self, entries: Iterable[IndexedItem]) -> int:
        """Add documented items; returns how many went in (an empty doc is left out)."""
        rows = [e for e in entries if e.doc.strip()]
        with self._lock, self._db:
            for entry in rows:
                cursor = self._db.execute("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)", entry.columns())
                self._db.execute(
                    "INSERT INTO shown VALUES (?, ?, ?, ?, ?)", (cursor.lastrowid, entry.key, entry.file, entry.signature, entry.doc)
                )
        return len(rows)

    def add_source(self, file: str, source: RustSource) -> int:
        """Add the documented items of one parsed file."""
        return self.add(IndexedItem.of(file, item) for item in source.items() if indexable(item))

    def remove_file(self, file: str) -> None:
        """Forget every item of `file` (before adding its new version)."""
        with self._lock, self._db:
            rows = [(r,) for (r,) in self._db.execute("SELECT row FROM shown WHERE file = ?", (file,))]
            self._db.executemany("DELETE FROM items WHERE rowid = ?", rows)
            self._db.execute("DELETE FROM shown WHERE file = ?", (file,))

    def replace_file(self, file: str, source: RustSource) -> int:
        """The file's items as they are now: what the server does on save."""
        self.remove_file(file)
        return self.add_source(file, source)

    def add_records(self, records: Iterable[dict[str, Any]]) -> int:
        """Add a mined dataset's records (`rustdoc-gen mine`: `item_json`, `doc`, `repo`, `path`,
        `module_path`), as `corpus_miner.dataset.load_records` streams them."""
        return self.add(entry_of_record(record) for record in records)

    # --- querying ---------------------------------------------------------------------

    def neighbours(self, file: str, item: RustItem, k: int = MAX_EXAMPLES, *, training: bool = False,
                   module_path: Iterable[str] | None = None) -> list[Neighbour]:
        """The `k` best documented neighbours of `item` of `file`, best first: never the item
        itself, and with `training` never one from `file`."""
        entry = IndexedItem.of(file, item, doc="", module_path=module_path)
        words = _match_query(entry)
        if not words or k <= 0:
            return []
        found: list[Neighbour] = []
        seen: set[str] = set()
        # Items of the same kind first (a method's doc for a method), then any kind to fill k.
        for query in (f'({words}) AND {{kind}} : "{entry.kind}"', words):
            for neighbour in self._search(query, item_key(file, item), file if training else None, k * 3):
                if neighbour.key in seen or neighbour.doc in seen:
                    continue  # the same doc twice (cfg twins, copied impls) shows the model nothing new
                seen.update((neighbour.key, neighbour.doc))
                found.append(neighbour)
                if len(found) == k:
                    return found
        return found

    def _search(self, query: str, exclude_key: str, exclude_file: str | None, limit: int) -> list[Neighbour]:
        excluded = "SELECT row FROM shown WHERE key = ?" + (" OR file = ?" if exclude_file is not None else "")
        params: list[Any] = [query, exclude_key] + ([exclude_file] if exclude_file is not None else [])
        sql = (
            f"SELECT key, file, signature, doc, score FROM (SELECT rowid, bm25(items, {self._weights}) AS score "
            f"FROM items WHERE items MATCH ? AND rowid NOT IN ({excluded}) ORDER BY score LIMIT ?) "
            "JOIN shown ON shown.row = rowid ORDER BY score"
        )
        with self._lock:
            rows = self._db.execute(sql, [*params, limit]).fetchall()
        return [Neighbour(*row) for row in rows]

    def context_for(self, file: str, item: RustItem, context: PromptContext, k: int = MAX_EXAMPLES, *,
                    training: bool = False, module_path: Iterable[str] | None = None) -> PromptContext:
        """`context` with `item`'s neighbours as its examples."""
        found = self.neighbours(file, item, k, training=training, module_path=module_path)
        return context.with_examples([n.example() for n in found])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _match_query(entry: IndexedItem) -> str:
    """An FTS5 query: any of the item's words, each looked for in the columns its key predicts
    (a name word that is in the signature too counts twice: the name matters most)."""
    keys = dict(zip(COLUMNS, entry.columns()))
    terms = dict.fromkeys(
        f'{{{columns}}} : "{word}"' for key, columns in QUERY_COLUMNS.items() for word in keys[key].split()
    )
    return " OR ".join(list(terms)[:MAX_QUERY_TERMS])


# --- mined datasets ------------------------------------------------------------------------


def record_file(record: dict[str, Any]) -> str:
    """A record's file, as the index names it: repository and path."""
    return f"{record['repo']}/{record['path']}"


def record_item(record: dict[str, Any]) -> RustItem:
    return RustItem.from_dict(json.loads(record["item_json"]))


def entry_of_record(record: dict[str, Any]) -> IndexedItem:
    return IndexedItem.of(record_file(record), record_item(record), record["doc"], record.get("module_path") or ())


def record_prompt(record: dict[str, Any], index: RetrievalIndex | None = None, k: int = MAX_EXAMPLES) -> list[dict[str, str]]:
    """A record's prompt as this version of the format renders it, from the record's item and
    context (so a dataset mined with an older format trains on what is asked today); with
    `index`, with its neighbours as examples, in training mode (none from its own file): what
    `train --rag` trains on."""
    item = record_item(record)
    context = PromptContext.from_dict(json.loads(record["context_json"]))
    if index is not None:
        context = index.context_for(record_file(record), item, context, k, training=True, module_path=record.get("module_path") or ())
    return build_messages(item, context)
