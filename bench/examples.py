"""What verifying a generated example costs: `example_verify` (one `rustdoc --test` per
example against a cargo build reused across items) against `cargo test --doc` run by hand
on the same examples written into the crate, both with the crate already built.

    python -m bench examples [--rounds 3]

Input: a copy of tests/fixtures/crates/checked_math with one example per pub fn, each the
kind a model writes: ones that pass, ones missing a `use`, ones using `?` without a main.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.harness import Report
from rustdoc_core.docs.example_verify import ExampleVerifier, _tool
from rustdoc_core.rust.items import RustSource

ROOT = Path(__file__).resolve().parent.parent
CRATE = ROOT / "tests" / "fixtures" / "crates" / "checked_math"

EXAMPLES = {
    "checked_add": "let x = checked_math::checked_add(1, 2).unwrap();\nassert_eq!(x, 3);",
    "checked_div": "assert_eq!(checked_div(6, 3), Ok(2));",
    "parse_number": 'let n = checked_math::parse_number(" 42 ")?;\nassert_eq!(n, 42);',
    "read_number": 'let n = read_number(&b"7"[..])?;\nassert_eq!(n, 7);',
}


def _docs() -> dict[str, str]:
    return {name: f"Example for `{name}`.\n\n# Examples\n\n```\n{code}\n```" for name, code in EXAMPLES.items()}


def run(args: list[str]) -> Report:
    parser = argparse.ArgumentParser(prog="python -m bench examples")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args(args)
    report = Report("Examples verified by the compiler: cost per example")
    with tempfile.TemporaryDirectory(prefix="bench-examples-") as tmp:
        work = Path(tmp)
        crate = work / "checked_math"
        shutil.copytree(CRATE, crate)
        items = {i.name: i for i in RustSource((crate / "src" / "lib.rs").read_bytes()).items()}
        verifier = ExampleVerifier.for_path(crate, target_dir=work / "target")
        assert verifier is not None
        start = time.perf_counter()
        verifier.build()
        build_s = time.perf_counter() - start
        verified_docs: dict[str, str] = {}
        per_example = []
        for _ in range(options.rounds):
            start = time.perf_counter()
            for name, doc in _docs().items():
                verified_docs[name] = verifier.verify(items[name], doc).text
            per_example.append((time.perf_counter() - start) / len(EXAMPLES))
        # The same (verified) examples written into the crate, then `cargo test --doc` by hand.
        lib = crate / "src" / "lib.rs"
        text = lib.read_text()
        for name, doc in verified_docs.items():
            head = next(line for line in text.split("\n") if line.startswith((f"pub fn {name}(", f"pub fn {name}<")))
            comment = "".join(f"/// {line}".rstrip() + "\n" for line in doc.split("\n"))
            text = text.replace(head, comment + head, 1)
        lib.write_text(text)
        env = {**os.environ, "CARGO_TARGET_DIR": str(work / "target")}
        cargo = _tool("cargo")
        subprocess.run([cargo, "test", "--doc", "--no-run"], cwd=crate, env=env, capture_output=True, check=False)
        by_hand = []
        for _ in range(options.rounds):
            start = time.perf_counter()
            done = subprocess.run([cargo, "test", "--doc"], cwd=crate, env=env, capture_output=True, text=True)
            by_hand.append((time.perf_counter() - start) / len(EXAMPLES))
            if done.returncode != 0:
                report.notes.append("cargo test --doc failed on the verified examples: " + done.stdout[-300:])
        report.add(
            "verify one example (warm build)", min(per_example), "s",
            baseline=min(by_hand), baseline_name="cargo test --doc, per example", target="<= 2.0x",
        )
        report.add("first cargo build of the crate (once per session)", build_s, "s")
        report.notes.append(
            f"{len(EXAMPLES)} examples, {options.rounds} rounds, best round; repairs needed: "
            + ", ".join(name for name, doc in verified_docs.items() if doc != _docs()[name])
        )
    return report
