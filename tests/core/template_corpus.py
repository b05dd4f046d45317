"""The template's pinned corpus: every item of Debian's globset, grep-* (matcher, regex, searcher,
cli), ignore, clap, bat and clap_lex, and of the template fixtures, with the doc the template
writes for it, in tests/fixtures/core/template_corpus/CRATE.json. test_template_corpus.py holds
the template to these docs and their fault count to 0.

After a deliberate change to the template, read the diff of the docs and write them anew:

    python -m tests.core.template_corpus
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from rustdoc_core.generation.template import template_doc
from rustdoc_core.rust.items import RustItem, RustSource

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "core"
PINS = FIXTURES / "template_corpus"

CORPUS_CRATES = ("globset", "grep-matcher", "grep-regex", "grep-searcher", "grep-cli", "ignore", "clap", "bat", "clap_lex")
"""Crates whose items the template was developed on, and whose docs are pinned."""
HELD_OUT_CRATES = ("same-file", "bstr", "textwrap", "walkdir", "termcolor", "grep-printer", "clap_complete")
"""Crates whose docs are not pinned: only the fault counts are held (see test_template_corpus.py)."""
FIXTURE_FILES = ("naming.rs", "sections.rs", "wording.rs", "issue_22.rs")

DEBIAN_PACKAGES = tuple(
    f"librust-{name.replace('_', '-')}-dev" for name in (*CORPUS_CRATES, *HELD_OUT_CRATES)
)


def debian_registry() -> Path:
    """Debian's unpacked crate sources, with every corpus and held-out crate fetched."""
    out = subprocess.run(
        [str(REPO / "scripts" / "fetch-debian-crates"), *DEBIAN_PACKAGES], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def crate_dir(registry: Path, name: str) -> Path:
    return max(p for p in registry.iterdir() if p.name.rsplit("-", 1)[0] == name)


def item_key(path: str, item: RustItem) -> str:
    """`src/glob.rs:814 method is_match`: where the item is and what it is."""
    return f"{path}:{item.start_line + 1} {item.kind} {item.name}"


def crate_items(root: Path) -> Iterator[tuple[str, RustItem]]:
    for path in sorted((root / "src").rglob("*.rs")):
        for item in RustSource(path.read_bytes()).items():
            yield item_key(path.relative_to(root).as_posix(), item), item


def fixture_items() -> Iterator[tuple[str, RustItem]]:
    for name in FIXTURE_FILES:
        for item in RustSource((FIXTURES / name).read_bytes()).items():
            yield item_key(name, item), item


def corpus_sources(registry: Path) -> dict[str, list[tuple[str, RustItem]]]:
    """Each pinned part of the corpus (a crate, or `fixtures`) and its items."""
    parts = {name: list(crate_items(crate_dir(registry, name))) for name in CORPUS_CRATES}
    parts["fixtures"] = list(fixture_items())
    return parts


def pinned(part: str) -> dict[str, str]:
    return json.loads((PINS / f"{part}.json").read_text(encoding="utf-8"))


def write_pins(registry: Path) -> None:
    PINS.mkdir(parents=True, exist_ok=True)
    for part, items in corpus_sources(registry).items():
        docs = {key: template_doc(item) for key, item in items}
        (PINS / f"{part}.json").write_text(json.dumps(docs, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{part}: {len(docs)} docs")


if __name__ == "__main__":
    write_pins(debian_registry())
    sys.exit(0)
