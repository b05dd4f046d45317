"""`check --doctests` says why cargo failed (issue 23, part 5: the message was cut down to
"`--doc`", the last line of newer cargo's `error: 1 target failed:` summary)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.robustness.cli_runs import assert_one_error_line, run_process

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")


def _crate(root: Path, lib: str, readme: str | None = None) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "adds"\nversion = "0.1.0"\nedition = "2021"\n')
    (root / "src" / "lib.rs").write_text(lib)
    if readme is not None:
        (root / "README.md").write_text(readme)
    return root


def test_a_crate_that_does_not_build_names_rustcs_error_brackets_and_all(tmp_path):
    crate = _crate(tmp_path / "adds", "/// Adds.\n///\n/// ```\n/// assert_eq!(adds::add(1, 2), 3);\n/// ```\npub fn add(a: u8, b: u8) -> u8 { a + c }\n")
    run = run_process("check", "--doctests", crate, timeout=600, env={**os.environ, "CARGO_TARGET_DIR": str(tmp_path / "target")})
    assert run.exit_code == 1, run.why()
    assert_one_error_line(run)
    assert run.stderr_lines[-1] == "error: cargo test --doc failed before running the examples: error[E0425]: cannot find value `c` in this scope"


def test_a_failing_example_of_the_crate_doc_is_a_finding_not_a_cargo_failure(tmp_path):
    crate = _crate(tmp_path / "adds", '#![doc = include_str!("../README.md")]\n/// Adds.\npub fn add(a: u8, b: u8) -> u8 { a + b }\n',
                   readme="# Adds\n\n```\nassert_eq!(adds::add(1, 2), 4);\n```\n")
    run = run_process("check", "--doctests", crate, timeout=600, env={**os.environ, "CARGO_TARGET_DIR": str(tmp_path / "target")})
    assert run.exit_code == 1, run.why()
    assert "`--doc`" not in run.stderr
    assert "error[failing-doctest]: the example of `the crate doc` fails `cargo test --doc`: panicked" in run.stdout, run.why()
