"""Whether generated examples compile and pass, run by the same code that checks them
before `generate --verify-examples` inserts them (`rustdoc_core.docs.example_verify`): the
crate, copied once per (system, crate) batch, is built offline with cargo, and each
example under `# Examples` is compiled as written with `rustdoc --test` against that
build (no repairs: the column measures what passes as it stands). Only for crates the
user maps to a local directory (`--crate-dir REPO=DIR`); results are cached by (item,
doc text), so a resumed eval runs nothing twice.

Like `--verify-examples`, an example reaches the crate itself, not its (dev-)dependencies.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rustdoc_core.docs.example_verify import BuildFailed, ExampleVerifier
from rustdoc_core.docs.text import code_blocks
from trainer.evaluation.cache import JsonlCache
from trainer.evaluation.dataset import EvalExample

log = logging.getLogger(__name__)

RUNNER_VERSION = "example_verify-1"
"""In the cache key: outcomes of an earlier way of running the examples are not reused."""

OFFLINE_CONFIG = "[net]\noffline = true\n"
"""Cargo config written into the crate copy where it has none: the eval never reaches the network."""


@dataclass(frozen=True)
class DoctestOutcome:
    """Doctests of one doc in its crate."""

    status: str  # "ran" | "none" (no tested blocks) | "unmatched" (no library crate holds the item) | "build-failed"
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
        text = "\0".join((crate, example.id, example.content_hash, doc, RUNNER_VERSION))
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
        config = copy / ".cargo" / "config.toml"
        if not config.exists() and not (copy / ".cargo" / "config").exists():
            config.parent.mkdir(parents=True, exist_ok=True)
            config.write_text(OFFLINE_CONFIG, encoding="utf-8")
        verifiers: dict[Path, ExampleVerifier | None] = {}
        failed: dict[Path, str] = {}  # crate directory -> why its build failed
        results: dict[str, DoctestOutcome] = {}
        for example, doc in batch:
            path = copy / example.path
            verifier = ExampleVerifier.for_path(path, target_dir=self.work_dir / slug / "target") if path.is_file() else None
            if verifier is None:
                results[example.id] = DoctestOutcome("unmatched", 0, 0, f"no library crate holds {example.path}")
                continue
            directory = verifier.manifest.directory
            verifier = verifiers.setdefault(directory, verifier)  # one build per crate
            if directory in failed:
                results[example.id] = DoctestOutcome("build-failed", 0, 0, failed[directory])
                continue
            try:
                verified = verifier.verify(example.item, doc, repair=False)
            except BuildFailed as err:
                failed[directory] = str(err)
                log.warning("doctests in %s: %s", directory, err)
                results[example.id] = DoctestOutcome("build-failed", 0, 0, str(err))
                continue
            ran = verified.examples
            passed = sum(1 for r in ran if r.status == "passed")
            results[example.id] = DoctestOutcome("ran", len(ran), passed) if ran else DoctestOutcome("none", 0, 0)
        return results
