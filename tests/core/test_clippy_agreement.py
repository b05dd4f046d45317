"""The checker agrees with the real clippy: on the fixture crate tests/fixtures/clippy/doc_lints
(one item per rule, named after what clippy does with it), every `rustdoc-gen check` finding
named after a clippy lint lands on the same items, lines and columns as clippy 0.1.95's lint
with all of them on (missing_errors_doc, missing_panics_doc, missing_safety_doc, doc_markdown,
empty_docs, too_long_first_doc_paragraph, needless_doctest_main, four_forward_slashes), with
the lint levels the crate sets in its code (crate, module file, `mod` line, impl, item).
`python -m bench clippy` measures the same on real crates.

The truth comes from running `cargo clippy` offline on a copy of the crate; without
cargo-clippy the tests skip and say so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from rustdoc_core.docs.findings import FINDINGS
from rustdoc_core.docs.four_slashes import four_slash_rows
from rustdoc_core.docs.lint import lint_paths
from rustdoc_core.rust.items import RustSource
from rustdoc_core.rust.macros import macro_items
from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "clippy" / "doc_lints"
LINTS = {code: rule.source for code, rule in FINDINGS.items() if rule.source.startswith("clippy::") and rule.stage == "check"}
"""Our finding code -> the clippy lint with the same meaning (from the findings table)."""

Place = tuple[str, int, int, str]  # file (relative to the crate), line, column, clippy lint


def _item_spans() -> dict[str, list[tuple[str, int, int]]]:
    """Item name -> (file, first line, last line) of its doc and code, 1-based, macro-defined fns too."""
    spans: dict[str, list[tuple[str, int, int]]] = {}
    for path in sorted((FIXTURE / "src").rglob("*.rs")):
        source = RustSource(path.read_bytes())
        lines = source.text.split("\n")
        for item in source.items() + macro_items(source):
            if (item.doc is None and item.kind != "mod") or (item.kind == "mod" and item.body is None):
                continue  # an inline module's span holds its inner doc's findings
            doc_start = item.doc.start_line if item.doc is not None else item.start_line
            first = min(doc_start, item.start_line, *four_slash_rows(lines, item.start_line)) + 1
            # A trait's span stops at its head, so its members' findings are theirs, not its.
            last = item.start_line + 1 if item.kind == "trait" else item.end_line + 1
            spans.setdefault(item.name, []).append((path.name, first, last))
    return spans


SPANS = _item_spans()


def _owner(file: str, line: int) -> str | None:
    """The innermost item whose doc or code holds the line."""
    best = None
    for name, spans in SPANS.items():
        for f, first, last in spans:
            if f == file and first <= line <= last and (best is None or last - first < best[1]):
                best = (name, last - first)
    return best[0] if best else None


@pytest.fixture(scope="module")
def clippy_places(tmp_path_factory) -> dict[str, set[Place]]:
    cargo = shutil.which("cargo")
    if cargo is None or subprocess.run([cargo, "clippy", "--version"], capture_output=True).returncode != 0:
        pytest.skip("cargo-clippy is not installed; these tests take their truth from running it")
    work = tmp_path_factory.mktemp("clippy")
    crate = work / "doc_lints"
    shutil.copytree(FIXTURE, crate)
    (crate / ".cargo").mkdir()
    (crate / ".cargo" / "config.toml").write_text("[net]\noffline = true\n")
    flags = [arg for lint in LINTS.values() for arg in ("-W", lint)]
    run = subprocess.run(
        [cargo, "clippy", "--quiet", "--message-format=json", "--", *flags],
        cwd=crate,
        env={**os.environ, "CARGO_TARGET_DIR": str(work / "target")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    places: dict[str, set[Place]] = {}
    for line in run.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") != "compiler-message":
            continue
        diagnostic = message["message"]
        lint = (diagnostic.get("code") or {}).get("code")
        if lint not in LINTS.values():
            continue
        span = next(s for s in diagnostic["spans"] if s["is_primary"])
        file = Path(span["file_name"]).name
        owner = _owner(file, span["line_start"])
        places.setdefault(owner or "?", set()).add((file, span["line_start"], span["column_start"], lint))
    return places


@pytest.fixture(scope="module")
def our_places() -> dict[str, set[Place]]:
    places: dict[str, set[Place]] = {}
    for f in lint_paths([FIXTURE / "src"]).findings:
        if f.code in LINTS:
            file = Path(f.path).name
            places.setdefault(_owner(file, f.line) or "?", set()).add((file, f.line, f.column, LINTS[f.code]))
    return places


def test_clippy_run_covers_every_lint_and_many_items(clippy_places):
    found = set().union(*clippy_places.values())
    assert {lint for *_, lint in found} == set(LINTS.values())
    assert len(clippy_places) >= 30
    assert "?" not in clippy_places  # every clippy finding belongs to a fixture item


@pytest.mark.parametrize("name", sorted(SPANS))
def test_checker_reports_what_clippy_reports(name, clippy_places, our_places):
    assert our_places.get(name, set()) == clippy_places.get(name, set())
