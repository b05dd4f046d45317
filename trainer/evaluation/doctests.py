"""Whether generated examples compile and pass: each doc is inserted over the
item's doc in a copy of its crate, and `cargo test --doc` runs once per
(system, crate) batch, offline. Only for crates the user maps to a local
directory (`--crate-dir REPO=DIR`); results are cached by (item, doc text)."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rustdoc_core.cargo_manifest import nearest_manifest
from rustdoc_core.doc_edits import DocEditError, apply_edits, doc_edit
from rustdoc_core.doc_text import code_blocks
from rustdoc_core.rust_items import RustItem, RustSource

from trainer.evaluation.cache import JsonlCache
from trainer.evaluation.dataset import EvalExample

log = logging.getLogger(__name__)

CARGO_TIMEOUT_S = 1800
_TEST_LINE = re.compile(r"^test (?P<path>\S+) - .*?\(line (?P<line>\d+)\)(?: - [\w ]+)? \.\.\. (?P<result>ok|FAILED|ignored)\b")


@dataclass(frozen=True)
class DoctestOutcome:
    """Doctests of one doc in its crate."""

    status: str  # "ran" | "none" (no tested blocks) | "unmatched" (item not found in the crate) | "build-failed"
    blocks: int  # tested blocks that ran
    passed: int
    detail: str = ""


def tested_block_lines(doc: str) -> list[int]:
    return [b.start_line for b in code_blocks(doc) if b.is_tested]


class DoctestRunner:
    def __init__(self, crate_dirs: dict[str, Path], work_dir: Path, cache: JsonlCache) -> None:
        self.crate_dirs = {repo: Path(d) for repo, d in crate_dirs.items()}
        self.work_dir = Path(work_dir)
        self.cache = cache

    def covers(self, repo: str) -> bool:
        return repo in self.crate_dirs

    def key(self, example: EvalExample, doc: str) -> str:
        crate = str(self.crate_dirs[example.repo].resolve())
        text = "\0".join((crate, example.id, example.content_hash, doc))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]

    def outcomes(self, docs: Sequence[tuple[EvalExample, str]], label: str) -> dict[str, DoctestOutcome]:
        """Outcome per example id for docs of covered crates; runs cargo only for uncached ones."""
        out: dict[str, DoctestOutcome] = {}
        todo: dict[str, list[tuple[EvalExample, str]]] = defaultdict(list)
        for example, doc in docs:
            if not self.covers(example.repo):
                continue
            cached = self.cache.get(self.key(example, doc))
            if cached is not None:
                out[example.id] = DoctestOutcome(cached["status"], cached["blocks"], cached["passed"], cached.get("detail", ""))
            elif not tested_block_lines(doc):
                out[example.id] = self._store(example, doc, DoctestOutcome("none", 0, 0))
            else:
                todo[example.repo].append((example, doc))
        for repo, batch in sorted(todo.items()):
            log.info("doctests: %s on %s (%d docs with examples)", label, repo, len(batch))
            outcomes = self._run_batch(repo, batch)
            for example, doc in batch:
                outcome = outcomes[example.id]
                # A failed build says more about the machine than the doc: try again next run.
                out[example.id] = outcome if outcome.status == "build-failed" else self._store(example, doc, outcome)
        return out

    def _store(self, example: EvalExample, doc: str, outcome: DoctestOutcome) -> DoctestOutcome:
        self.cache.put(self.key(example, doc), {
            "item": example.id, "status": outcome.status, "blocks": outcome.blocks,
            "passed": outcome.passed, "detail": outcome.detail,
        })
        return outcome

    def _run_batch(self, repo: str, batch: list[tuple[EvalExample, str]]) -> dict[str, DoctestOutcome]:
        slug = re.sub(r"[^\w.-]+", "_", repo)
        copy = self.work_dir / slug / "crate"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(self.crate_dirs[repo], copy, symlinks=True, ignore=shutil.ignore_patterns("target", ".git"))
        results: dict[str, DoctestOutcome] = {}
        by_file: dict[str, list[tuple[EvalExample, str]]] = defaultdict(list)
        for example, doc in batch:
            by_file[example.path].append((example, doc))
        # manifest -> example id -> (file, 1-based line of each tested fence)
        expected: dict[Path, dict[str, list[tuple[str, int]]]] = defaultdict(dict)
        for rel_path, entries in sorted(by_file.items()):
            path = copy / rel_path
            placed = _insert_docs(path, entries) if path.is_file() else {}
            for example, _ in entries:
                if example.id in placed:
                    expected[_manifest_of(path, copy)][example.id] = [(rel_path, line) for line in placed[example.id]]
                else:
                    results[example.id] = DoctestOutcome("unmatched", 0, 0, f"{example.name} not found in {rel_path}")
        env = {**os.environ, "CARGO_TARGET_DIR": str(self.work_dir / slug / "target"),
               "CARGO_TERM_COLOR": "never", "CARGO_NET_OFFLINE": "true"}
        for manifest, blocks_by_item in sorted(expected.items()):
            ran, error = _cargo_test_doc(manifest, env)
            for example_id, blocks in blocks_by_item.items():
                if error:
                    results[example_id] = DoctestOutcome("build-failed", 0, 0, error)
                    continue
                found = [_lookup(ran, file, line) for file, line in blocks]
                count = sum(1 for r in found if r in ("ok", "FAILED"))
                results[example_id] = DoctestOutcome("ran", count, sum(1 for r in found if r == "ok"))
        return results


def _cargo_test_doc(manifest: Path, env: dict[str, str]) -> tuple[dict[tuple[str, int], str], str]:
    """(file, fence line) -> "ok" | "FAILED" | "ignored", and an error line when nothing ran."""
    try:
        proc = subprocess.run(
            ["cargo", "test", "--doc", "--offline", "--manifest-path", str(manifest)],
            capture_output=True, text=True, env=env, timeout=CARGO_TIMEOUT_S,
        )
    except FileNotFoundError:
        return {}, "cargo not found"
    except subprocess.TimeoutExpired:
        return {}, f"cargo test --doc ran past {CARGO_TIMEOUT_S} s"
    ran: dict[tuple[str, int], str] = {}
    for line in proc.stdout.splitlines():
        match = _TEST_LINE.match(line.strip())
        if match:
            ran[(match.group("path"), int(match.group("line")))] = match.group("result")
    if proc.returncode != 0 and not ran:
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error")]
        error = errors[0] if errors else f"cargo test --doc failed (exit {proc.returncode})"
        log.warning("doctests in %s: %s", manifest.parent, error)
        return {}, error
    return ran, ""


def _lookup(ran: dict[tuple[str, int], str], file: str, line: int) -> str | None:
    for (path, test_line), result in ran.items():
        if test_line == line and (path == file or file.endswith("/" + path) or path.endswith("/" + file)):
            return result
    return None


def _manifest_of(path: Path, root: Path) -> Path:
    manifest = nearest_manifest(path.parent, stop=root)
    return manifest.path if manifest is not None else root / "Cargo.toml"


def _same_item(a: RustItem, b: RustItem) -> bool:
    return a.kind == b.kind and a.name == b.name and a.start_line == b.start_line


def _insert_docs(path: Path, entries: list[tuple[EvalExample, str]]) -> dict[str, list[int]]:
    """Put each doc over its item's doc in `path`; example id -> 1-based lines of its tested fences."""
    text = path.read_text(encoding="utf-8")
    source = RustSource(text)
    items = source.items()
    wanted: dict[int, tuple[EvalExample, str]] = {}
    edits = []
    for example, doc in entries:
        index = next((i for i, it in enumerate(items) if _same_item(it, example.item)), None)
        if index is None:
            continue
        try:
            edits.append(doc_edit(source, items[index], doc))
        except DocEditError as exc:
            log.info("doctests: %s", exc)
            continue
        wanted[index] = (example, doc)
    if not wanted:
        return {}
    new_text = apply_edits(text, edits)
    path.write_text(new_text, encoding="utf-8")
    new_items = RustSource(new_text).items()
    if len(new_items) != len(items):
        log.warning("%s: inserting docs changed the items it holds; its doctests are skipped", path)
        return {}
    placed: dict[str, list[int]] = {}
    for index, (example, _) in wanted.items():
        item = new_items[index]
        if item.doc is None:
            continue
        fragments = item.doc.fragments
        lines = []
        for block_line in tested_block_lines(item.doc.text):
            if all(f.style == "line" for f in fragments) and block_line < len(fragments):
                lines.append(fragments[block_line].start_line + 1)
        placed[example.id] = lines
    return placed
