"""What every property test of the harness shares: the run's seed (set by conftest) and the
decorator that applies it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hypothesis import seed

F = TypeVar("F", bound=Callable[..., object])

SEED = 0
"""The run's seed: --hypothesis-seed, else RUSTDOC_GEN_HYPOTHESIS_SEED, else random (printed)."""


def seeded(test: F) -> F:
    """Run `test` from the run's seed, so the printed seed replays every property test."""
    return seed(SEED)(test)  # type: ignore[return-value]
