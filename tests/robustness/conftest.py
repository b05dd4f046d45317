"""The property harness's settings: a CI profile of a few minutes and a long one, one seed for
the whole run, printed in the header so that any failure can be replayed.

    pytest tests/robustness                                        # CI: `robust-ci`, a random seed
    pytest tests/robustness --hypothesis-seed=1234                 # replay a run
    RUSTDOC_GEN_HYPOTHESIS_PROFILE=robust-long pytest tests/robustness   # the long run
"""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, settings

from tests.robustness import harness

_COMMON = dict(
    deadline=None,  # commands take what they take; a slow one is not a failure here
    database=None,  # no .hypothesis/ directory: the seed is the replay
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile("robust-ci", max_examples=60, **_COMMON)
settings.register_profile("robust-long", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("RUSTDOC_GEN_HYPOTHESIS_PROFILE", "robust-ci"))


def pytest_configure(config: pytest.Config) -> None:
    given = config.getoption("--hypothesis-seed", default=None) or os.environ.get("RUSTDOC_GEN_HYPOTHESIS_SEED")
    harness.SEED = int(given) if given is not None else random.SystemRandom().randrange(2**31)


def _seed_line() -> str:
    return f"robustness harness: seed {harness.SEED} (replay: --hypothesis-seed={harness.SEED}), profile {settings.get_current_profile_name()}"


def pytest_report_header(config: pytest.Config) -> str:
    return _seed_line()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    terminalreporter.write_line(_seed_line())
