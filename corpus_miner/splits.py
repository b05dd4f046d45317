"""Which split each file's records go to: whole files, balanced by record counts.

The smaller splits are filled first: files are walked in a seeded hash order
and each is taken while the split stays within its share of the records (a
file may overshoot by at most half its size); the largest split keeps the
rest. So each split gets close to its share of records (not of files), no
file straddles splits, the same inputs always give the same splits, and
adding a file moves only a few files near where a split filled up.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping

from corpus_miner.extract import SPLITS

FileKey = tuple[str, str]
"""(repo name, path inside the repo)."""


def hash_order(seed: int, key: FileKey) -> bytes:
    repo, relpath = key
    return hashlib.sha256(f"{seed}\0{repo}\0{relpath}".encode()).digest()


def balanced_splits(counts: Mapping[FileKey, int], ratios: tuple[float, float, float], seed: int = 0,
                    test_repo: str | None = None) -> dict[FileKey, str]:
    """The split of every file in `counts` (file -> records it holds).

    With `test_repo`, that repository's files are the test split and the others
    share train and validation by their ratios.  A split with a share is never
    left empty while another split has two or more files with records to give.
    """
    splits: dict[FileKey, str] = {}
    rest = dict(counts)
    if test_repo is not None:
        for key in [k for k in rest if k[0] == test_repo]:
            splits[key] = "test"
            del rest[key]
        ratios = (ratios[0], ratios[1], 0.0)
        if ratios[0] + ratios[1] <= 0:
            ratios = (1.0, 0.0, 0.0)
    splits.update(_cut(rest, ratios, seed))
    _fill_empty(splits, rest, ratios, seed)
    return splits


def _cut(counts: Mapping[FileKey, int], ratios: tuple[float, float, float], seed: int) -> dict[FileKey, str]:
    total = sum(counts.values())
    scale = sum(ratios)
    rest = max(SPLITS, key=lambda s: (ratios[SPLITS.index(s)], -SPLITS.index(s)))
    order = sorted(counts, key=lambda k: hash_order(seed, k))
    out = {key: rest for key in order}
    for split, ratio in zip(SPLITS, ratios):
        if split == rest or ratio <= 0:
            continue
        share = total * ratio / scale
        filled = 0
        for key in order:
            weight = counts[key]
            if out[key] == rest and weight and filled + weight / 2 <= share:
                out[key] = split
                filled += weight
    return out


def _fill_empty(splits: dict[FileKey, str], counts: Mapping[FileKey, int], ratios: tuple[float, float, float], seed: int) -> None:
    """Give each empty split that has a share the donated file nearest to its share in size."""
    total = sum(counts.values())
    for split, ratio in zip(SPLITS, ratios):
        held = Counter(splits[k] for k in counts if counts[k] > 0)
        if ratio <= 0 or held[split]:
            continue
        donors = {s for s, n in held.items() if n > 1}
        offered = [k for k in counts if counts[k] > 0 and splits[k] in donors]
        if not offered:
            continue
        share = total * ratio / sum(ratios)
        moved = min(offered, key=lambda k: (abs(counts[k] - share), hash_order(seed, k)))
        splits[moved] = split
