"""What every property test of the harness shares: the run's seed (set by conftest) and the
decorator that applies it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hypothesis import seed, settings

F = TypeVar("F", bound=Callable[..., object])

SEED = 0
"""The run's seed: --hypothesis-seed, else RUSTDOC_GEN_HYPOTHESIS_SEED, else random (printed)."""


def seeded(test: F) -> F:
    """Run `test` from the run's seed, so the printed seed replays every property test."""
    return seed(SEED)(test)  # type: ignore[return-value]


def fewer(share: int) -> Callable[[F], F]:
    """1/`share` of the profile's inputs, for a property whose every input costs a process or
    a whole crate (at least 10)."""
    return settings(max_examples=max(10, settings.default.max_examples // share))  # type: ignore[return-value]
