"""The mining run: find files, extract records in a process pool, drop duplicates,
stream the splits to a directory that appears atomically, with stats and a card."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from corpus_miner.dataset import CARD_FILE, DATASET_FORMAT, STATS_FILE, SplitWriter, dataset_card
from corpus_miner.extract import DROP_REASONS, SPLITS, TYPED_FIELDS, ExtractOptions, FileResult, FileTask, extract_file
from corpus_miner.sources import RepoSource
from corpus_miner.splits import balanced_splits
from corpus_miner.walk import RustFile, WalkOptions, rust_files
from rustdoc_console import UserError, table, task_progress
from rustdoc_core.atomic import atomic_path
from rustdoc_core.generation.prompt import PROMPT_FORMAT_VERSION

log = logging.getLogger(__name__)

POOL_MIN_FILES = 8
POOL_MIN_BYTES = 256 * 1024
"""Below this much input, worker start-up costs more than it saves: mine in-process."""


@dataclass(frozen=True)
class MineOptions:
    extract: ExtractOptions = ExtractOptions()
    walk: WalkOptions = WalkOptions()
    workers: int = 0  # 0: one per CPU
    test_repo: str | None = None  # this repo's files are the test split; the others share train and validation


@dataclass
class RepoStats:
    name: str
    url: str
    commit: str | None
    license: str | None
    files: int = 0  # files parsed
    bytes: int = 0
    files_skipped: Counter[str] = field(default_factory=Counter)
    files_with_errors: int = 0
    items: int = 0
    documented: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["files_skipped"] = dict(sorted(self.files_skipped.items()))
        data["dropped"] = {r: self.dropped[r] for r in DROP_REASONS if self.dropped[r]}
        return data


def plan(sources: Sequence[RepoSource], walk: WalkOptions) -> list[tuple[RepoSource, list[RustFile], Counter[str]]]:
    """Each repo (sorted by name) with its files to mine; a repo without Rust files is an error."""
    names = Counter(s.name for s in sources)
    clash = sorted(n for n, c in names.items() if c > 1)
    if clash:
        raise UserError(f"two inputs are both named {clash[0]!r}; mine them in separate runs or rename one")
    out = []
    for source in sorted(sources, key=lambda s: s.name):
        skipped: Counter[str] = Counter()
        files = rust_files(source.root, walk, skipped)
        if not files:
            extra = f" (skipped: {', '.join(f'{n} {r}' for r, n in sorted(skipped.items()))})" if skipped else ""
            raise UserError(f"no Rust files to mine in {source.url}{extra}")
        out.append((source, files, skipped))
    return out


def check_test_repo(sources: Sequence[RepoSource], test_repo: str | None) -> None:
    """`--test-repo` must name one of the mined repos, and not the only one."""
    if test_repo is None:
        return
    names = sorted(s.name for s in sources)
    if test_repo not in names:
        raise UserError(f"--test-repo {test_repo!r} is not a mined repository; the repositories are: {', '.join(names)}")
    if len(names) == 1:
        raise UserError(f"--test-repo {test_repo!r} is the only repository mined; add another to train and validate on")


def check_output(out: Path) -> None:
    """Fail before any work when the output cannot be written or would clobber a non-dataset."""
    if out.exists() and not out.is_dir():
        raise UserError(f"output {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / STATS_FILE).is_file():
        raise UserError(f"output {out} is a non-empty directory that is not a dataset; choose a new path")
    parent = out.absolute().parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UserError(f"cannot write the dataset to {out}: {probe} is not a directory")
    try:  # a real probe: permission bits do not tell for root, /proc or read-only mounts
        os.rmdir(tempfile.mkdtemp(prefix=".rustdoc-gen-probe.", dir=probe))
    except OSError as exc:
        raise UserError(f"cannot write the dataset to {out}: {exc.strerror or exc}") from None


def mine_dataset(sources: Sequence[RepoSource], out: Path, options: MineOptions = MineOptions()) -> dict[str, Any]:
    """Mine `sources` into the dataset directory `out` (replaced atomically); return its stats."""
    check_output(out)
    check_test_repo(sources, options.test_repo)
    planned = plan(sources, options.walk)
    workers = options.workers or os.cpu_count() or 1
    total_files = sum(len(files) for _, files, _ in planned)
    total_bytes = sum(f.size for _, files, _ in planned for f in files)
    pool = None
    if workers > 1 and total_files >= POOL_MIN_FILES and total_bytes >= POOL_MIN_BYTES:
        # Workers are forked (cheap; the pool starts before any progress-bar thread).
        # An executor, not multiprocessing.Pool: a dead worker raises instead of hanging.
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        pool = ProcessPoolExecutor(min(workers, total_files), mp_context=multiprocessing.get_context(method))
    try:
        try:
            with atomic_path(out) as tmp:
                tmp.mkdir()
                stats = _mine_into(tmp, planned, options, pool)
                _write_json(tmp / STATS_FILE, stats)
                _write_text(tmp / CARD_FILE, dataset_card(stats))
        except OSError as exc:
            raise UserError(f"cannot write the dataset to {out}: {exc.strerror or exc}") from None
    except BrokenProcessPool:
        raise UserError("a mining worker process died (out of memory?); retry with -j 1") from None
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return stats


def _mine_into(directory: Path, planned, options: MineOptions, pool) -> dict[str, Any]:
    # Splits are balanced by the records each file keeps, known only once every file
    # is mined: records are staged in one file first (memory stays flat), then dealt out.
    staged = directory / ".records.part"
    files: list[tuple[str, str]] = []
    kept: Counter[int] = Counter()
    kinds: Counter[str] = Counter()
    sections: Counter[str] = Counter()
    repo_stats: list[RepoStats] = []
    try:
        with open(staged, "w", encoding="utf-8", newline="\n") as stage:
            _extract_all(planned, options, pool, stage, files, kept, kinds, sections, repo_stats)
        splits = balanced_splits({files[i]: kept[i] for i in range(len(files))}, options.extract.ratios,
                                 options.extract.seed, options.test_repo)
        writer, split_counts = _deal(staged, directory, [splits[key] for key in files])
    finally:
        staged.unlink(missing_ok=True)
    _summary(repo_stats)
    for split, ratio in zip(SPLITS, options.extract.ratios):
        if split == "test" and options.test_repo:
            if not split_counts[split]:
                log.warning("the test split is empty: --test-repo %s kept no records", options.test_repo)
        elif not split_counts[split] and ratio > 0:
            log.warning("the %s split is empty: mine more files, or change --split", split)
    for split in SPLITS[1:]:
        for name in sorted(set(writer.missing[SPLITS[0]]) - writer.missing[split]):
            log.warning("field %r is set in %s but never in train: datasets.load_dataset('json', ...) will fail; "
                        "mine more files or change --seed", name, split)
    dropped: Counter[str] = Counter()
    for stats in repo_stats:
        dropped.update(stats.dropped)
    e = options.extract
    return {
        "format": DATASET_FORMAT,
        "prompt_format_version": PROMPT_FORMAT_VERSION,
        "options": {
            "seed": e.seed,
            "ratios": list(e.ratios),
            "min_doc_chars": e.min_doc_chars,
            "max_file_bytes": e.max_file_bytes,
            "max_source_bytes": e.max_source_bytes,
            "exclude_kinds": sorted(e.exclude_kinds),
            "include_examples": options.walk.include_examples,
            "test_repo": options.test_repo,
        },
        "records": sum(split_counts.values()),
        "splits": {split: split_counts[split] for split in SPLITS},
        "kinds": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        "sections": dict(sorted(sections.items(), key=lambda kv: (-kv[1], kv[0]))),
        "dropped": {r: dropped[r] for r in DROP_REASONS if dropped[r]},
        "repos": [s.to_dict() for s in repo_stats],
    }


def _extract_all(planned, options: MineOptions, pool, stage, files: list[tuple[str, str]], kept: Counter[int],
                 kinds: Counter[str], sections: Counter[str], repo_stats: list[RepoStats]) -> None:
    """Extract and deduplicate every file in order; stage each kept record as `FILE TYPED LINE`."""
    exact_seen: set[bytes] = set()
    near_seen: set[bytes] = set()
    for source, repo_files, skipped in planned:
        stats = RepoStats(source.name, source.url, source.commit, source.license, files_skipped=Counter(skipped))
        repo_stats.append(stats)
        tasks = [FileTask(source.name, source.url, source.commit, source.license, str(source.root), f.relpath, options.extract)
                 for f in repo_files]
        results = pool.map(extract_file, tasks, chunksize=2) if pool is not None else map(extract_file, tasks)
        with task_progress(source.name, len(tasks)) as advance:
            for result in results:
                _count(result, stats)
                index = len(files)
                files.append((source.name, result.relpath))
                for candidate in result.candidates:
                    if candidate.exact_key in exact_seen:
                        stats.dropped["duplicate-exact"] += 1
                        continue
                    if candidate.near_key in near_seen:
                        stats.dropped["duplicate-near"] += 1
                        continue
                    exact_seen.add(candidate.exact_key)
                    near_seen.add(candidate.near_key)
                    mask = sum(1 << i for i, name in enumerate(TYPED_FIELDS) if name in candidate.typed)
                    stage.write(f"{index} {mask} {candidate.line}\n")
                    stats.kept += 1
                    kept[index] += 1
                    kinds[candidate.kind] += 1
                    sections.update(set(candidate.sections))
                advance(1)


def _deal(staged: Path, directory: Path, split_of_file: list[str]) -> tuple[SplitWriter, Counter[str]]:
    """Write the staged records to their files' splits, in staged order."""
    writer = SplitWriter(directory)
    split_counts: Counter[str] = Counter()
    finished = False
    try:
        with open(staged, encoding="utf-8", newline="\n") as stage:
            for row in stage:
                index, mask, line = row.rstrip("\n").split(" ", 2)
                split = split_of_file[int(index)]
                bits = int(mask)
                writer.write(split, line, frozenset(name for i, name in enumerate(TYPED_FIELDS) if bits >> i & 1))
                split_counts[split] += 1
        finished = True
    finally:
        writer.close(finish=finished)
    return writer, split_counts


def _count(result: FileResult, stats: RepoStats) -> None:
    if result.skipped:
        if result.error:
            log.warning("%s/%s: skipped, the item model failed on it: %s", stats.name, result.relpath, result.error)
        else:
            log.debug("%s/%s: skipped (%s)", stats.name, result.relpath, result.skipped)
        stats.files_skipped[result.skipped] += 1
        return
    stats.files += 1
    stats.bytes += result.bytes
    stats.files_with_errors += int(result.has_errors)
    stats.items += result.items
    stats.documented += result.documented
    stats.dropped.update(result.dropped)


def _summary(repo_stats: list[RepoStats]) -> None:
    rows = [[s.name, s.files, sum(s.files_skipped.values()), s.files_with_errors, s.items, s.documented, s.kept,
             sum(s.dropped.values())] for s in repo_stats]
    if len(rows) > 1:
        rows.append(["total", *(sum(row[i] for row in rows) for i in range(1, len(rows[0])))])
    table("Mined", ["repo", "files", "skipped files", "with errors", "items", "documented", "kept", "dropped"], rows)
    reasons = [r for r in DROP_REASONS if any(s.dropped[r] for s in repo_stats)]
    if reasons:
        columns = [s.name for s in repo_stats] + (["total"] if len(repo_stats) > 1 else [])
        table("Dropped, by reason", ["reason", *columns], [
            [r, *(s.dropped[r] for s in repo_stats), *([sum(s.dropped[r] for s in repo_stats)] if len(repo_stats) > 1 else [])]
            for r in reasons])
    skips = sorted({r for s in repo_stats for r in s.files_skipped})
    if skips:
        table("Files skipped, by reason", ["reason", *(s.name for s in repo_stats)],
              [[r, *(s.files_skipped[r] for s in repo_stats)] for r in skips])


def _write_json(path: Path, data: Any) -> None:
    _write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
