"""Done-when checks of issue 3 on crates nobody here wrote (Debian's globset) and on
the fixture crates: after `rustdoc-gen generate --write` on a crate stripped of its
docs, every pub item has a doc, clippy's doc lints and `missing_docs` are silent,
`cargo doc` with `-D warnings` and `cargo test --doc` pass, and the code is
unchanged byte for byte apart from the inserted doc lines.

Cargo runs offline against Debian's registry (`scripts/install-system-deps`
installs the crates); a shared target dir under `.cache/` keeps reruns warm.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from rustdoc_cli.cli import main
from rustdoc_core.rust.items import RustSource
from tests.conftest import FIXTURES as FIXTURE_ROOT
from tests.conftest import REPO_ROOT

REPO = REPO_ROOT
FIXTURES = FIXTURE_ROOT / "crates"
DEBIAN_REGISTRY = Path("/usr/share/cargo/registry")
TARGET_DIR = REPO / ".cache" / "cargo-target"

DOC_LINTS = (
    "missing_docs",
    "clippy::missing_errors_doc",
    "clippy::missing_panics_doc",
    "clippy::missing_safety_doc",
    "clippy::doc_markdown",
    "clippy::empty_docs",
    "clippy::too_long_first_doc_paragraph",
)

CARGO_CONFIG = f"""[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "{DEBIAN_REGISTRY}"

[net]
offline = true
"""

INLINE_DOC = re.compile(r'/\*\* (?:[^*]|\*(?!/))* \*/ |#\[doc = "(?:[^"\\\\]|\\\\.)*"\] ')

CARGO = shutil.which("cargo") or next((str(p) for p in [Path.home() / ".cargo" / "bin" / "cargo"] if p.is_file()), None)
needs_cargo = pytest.mark.skipif(CARGO is None, reason="cargo is not installed (scripts/install-system-deps installs it)")


# --- stripping docs -------------------------------------------------------------------------------


def _is_doc_node(node) -> bool:
    if node.type in ("line_comment", "block_comment"):
        return node.child_by_field_name("outer") is not None or node.child_by_field_name("inner") is not None
    if node.type in ("attribute_item", "inner_attribute_item"):
        text = node.text.decode("utf-8")
        return bool(re.match(r"#!?\[\s*(doc\s*=|cfg_attr\s*\(.*,\s*doc\s*=)", text, re.S))
    return False


def strip_docs(text: str) -> str:
    """`text` without its doc comments and doc attributes (`///`, `//!`, `/** */`, `/*! */`, `#[doc = ..]`).

    Docs inside macro bodies are kept: they document what the macro expands to,
    which no tool outside the compiler can see.
    """
    source = RustSource(text)
    data = source.data
    spans: list[tuple[int, int]] = []
    stack = [source.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in ("token_tree", "macro_rule"):
            continue
        if _is_doc_node(node):
            start, end = node.start_byte, node.end_byte
            line_start = data.rfind(b"\n", 0, start) + 1
            line_end = data.find(b"\n", end - 1 if data[end - 1 : end] == b"\n" else end)
            line_end = len(data) if line_end == -1 else line_end + 1
            rest = data[end:line_end]
            if not data[line_start:start].strip() and not rest.strip():
                start, end = line_start, line_end  # the whole line(s)
            spans.append((start, end))
            continue
        stack.extend(node.children)
    out = bytearray(data)
    for start, end in sorted(spans, reverse=True):
        del out[start:end]
    return out.decode("utf-8")


def strip_crate(root: Path) -> dict[Path, str]:
    """Strip the docs of every `.rs` file under `root/src` in place; return the stripped texts."""
    stripped = {}
    for path in sorted((root / "src").rglob("*.rs")):
        text = strip_docs(path.read_bytes().decode("utf-8"))
        path.write_bytes(text.encode("utf-8"))
        stripped[path] = text
    return stripped


def test_strip_docs_removes_every_doc_form_but_not_code_or_macro_bodies():
    text = (
        "//! Crate.\n#![doc(html_root_url = \"x\")]\n/// Outer.\n/** Block */\n#[doc = \"attr\"]\n#[inline]\n"
        "pub fn f() {} // trailing\nmacro_rules! m { () => { /// Kept.\n pub struct K; } }\n"
    )
    assert strip_docs(text) == (
        "#![doc(html_root_url = \"x\")]\n#[inline]\npub fn f() {} // trailing\n"
        "macro_rules! m { () => { /// Kept.\n pub struct K; } }\n"
    )


# --- checks -------------------------------------------------------------------------------------------


def assert_only_doc_lines_inserted(stripped: dict[Path, str]) -> None:
    for path, before in stripped.items():
        after = path.read_bytes().decode("utf-8")
        old = before.split("\n")
        # Items sharing a line with code get inline docs (`/** .. */ `, `#[doc = ".."] `): take them out
        # of the lines that are not in the original; what is left must be the original plus `///` lines.
        known = set(old)
        new = [line if line in known else INLINE_DOC.sub("", line) for line in after.split("\n")]
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            assert tag == "insert", f"{path}: code changed at line {i1 + 1}: {old[i1:i2]!r} -> {new[j1:j2]!r}"
            added = new[j1:j2]
            assert all(re.match(r"\s*(///|//!)", line) for line in added), f"{path}: non-doc lines inserted: {added!r}"


def cargo(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "CARGO_TARGET_DIR": str(TARGET_DIR), "CARGO_TERM_COLOR": "never", **(env or {})}
    full_env["PATH"] = os.pathsep.join([str(Path(CARGO).parent), full_env.get("PATH", "")])  # rustc, clippy-driver beside it
    full_env.pop("RUSTFLAGS", None)
    return subprocess.run([CARGO, *args], cwd=root, env=full_env, capture_output=True, text=True, timeout=600)


# Lints newer than Debian bookworm's clippy 0.1.63, which refuses unknown lints on its command line.
LINT_SINCE = {"clippy::empty_docs": 78, "clippy::too_long_first_doc_paragraph": 82}


def clippy_minor(root: Path) -> int:
    out = cargo(root, "clippy", "--version").stdout  # "clippy 0.1.95 (...)"
    match = re.search(r"clippy 0\.1\.(\d+)", out)
    return int(match.group(1)) if match else 10**6


def doc_warnings(root: Path, must_build: bool = True) -> list[str]:
    """clippy's doc lints and `missing_docs` on the crate(s) at `root`, as rendered messages."""
    minor = clippy_minor(root)
    lint_args = [arg for lint in DOC_LINTS if LINT_SINCE.get(lint, 0) <= minor for arg in ("-W", lint)]
    # `--cap-lints warn`: a crate's own `deny` lints (older clippys deny some style lints) must not
    # stop the build before every doc warning is out; the doc lints are picked out by code below.
    result = cargo(root, "clippy", "--offline", "--workspace", "--message-format=json", "--", "--cap-lints", "warn", *lint_args)
    if must_build:
        assert result.returncode == 0, result.stderr[-4000:]
    found = []
    for line in result.stdout.splitlines():
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        if message.get("reason") != "compiler-message":
            continue
        code = ((message["message"].get("code") or {}).get("code")) or ""
        if code in DOC_LINTS or "doc" in code:
            found.append(message["message"]["rendered"])
    return found


def assert_crate_documented_and_clean(root: Path, stripped: dict[Path, str]) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["generate", "--write", str(root / "src")] if (root / "src").is_dir() else ["generate", "--write", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert_only_doc_lines_inserted(stripped)
    check = runner.invoke(main, ["generate", "--check", str(root)], catch_exceptions=False)
    assert check.exit_code == 0, check.stdout + check.stderr

    warnings = doc_warnings(root)
    assert warnings == [], "\n".join(warnings)
    # `unexpected_cfgs` is no doc warning: Debian's globset manifest drops the `serde1`
    # feature its code still tests for, and today's rustc warns about that (older ones
    # do not know the lint: `unknown_lints`).
    docs = cargo(root, "doc", "--offline", "--no-deps", "--workspace", env={"RUSTDOCFLAGS": "-D warnings -A unknown_lints -A unexpected_cfgs"})
    assert docs.returncode == 0, docs.stderr[-4000:]
    doctests = cargo(root, "test", "--offline", "--doc", "--workspace")
    assert doctests.returncode == 0, (doctests.stdout + doctests.stderr)[-4000:]


# --- the crates -----------------------------------------------------------------------------------------


@needs_cargo
def test_fixture_crates_documented_by_generate_pass_clippy_rustdoc_and_doctests(tmp_path):
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, root)
    members = sorted(p.name for p in root.iterdir() if (p / "Cargo.toml").is_file())
    assert len(members) >= 3
    (root / "Cargo.toml").write_text("[workspace]\nmembers = [" + ", ".join(f'"{m}"' for m in members) + ']\nresolver = "2"\n')
    (root / ".cargo").mkdir()
    (root / ".cargo" / "config.toml").write_text(CARGO_CONFIG)
    stripped = {}
    for member in members:
        stripped.update(strip_crate(root / member))
    assert_crate_documented_and_clean(root, stripped)


@needs_cargo
@pytest.mark.skipif(not (DEBIAN_REGISTRY / "globset-0.4.9").is_dir(), reason="run scripts/install-system-deps (librust-globset-dev)")
def test_debian_globset_stripped_of_docs_and_regenerated_passes_clippy_rustdoc_and_doctests(tmp_path):
    root = tmp_path / "globset"
    shutil.copytree(DEBIAN_REGISTRY / "globset-0.4.9", root)
    (root / ".cargo-checksum.json").unlink(missing_ok=True)
    (root / ".cargo").mkdir()
    (root / ".cargo" / "config.toml").write_text(CARGO_CONFIG)
    original_doc_lines = sum(p.read_text().count("///") for p in (root / "src").rglob("*.rs"))
    stripped = strip_crate(root)
    assert original_doc_lines > 200 and not any("///" in text for text in stripped.values())
    # The check bites: stripped, the crate fails `missing_docs` (its own `#![deny(missing_docs)]`).
    assert any("missing documentation" in w for w in doc_warnings(root, must_build=False))
    assert_crate_documented_and_clean(root, stripped)


@pytest.mark.skipif(not (DEBIAN_REGISTRY / "globset-0.4.9").is_dir(), reason="run scripts/install-system-deps (librust-globset-dev)")
def test_overwrite_on_documented_globset_replaces_every_item_doc_and_only_docs(tmp_path):
    from rustdoc_core.docs.section_text import error_type_meanings
    from rustdoc_core.generation.template import template_doc
    from rustdoc_core.rust.doc_policy import needs_doc

    root = tmp_path / "globset"
    shutil.copytree(DEBIAN_REGISTRY / "globset-0.4.9" / "src", root)
    before = {p: p.read_text() for p in root.rglob("*.rs")}
    # `# Errors` says what the crate's docs (as they were) say its error type is.
    meanings = error_type_meanings(item for text in before.values() for item in RustSource(text).items())
    assert meanings == {"Error": "an error that can occur when parsing a glob pattern"}
    result = CliRunner().invoke(main, ["generate", "--write", "--overwrite", "-q", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    replaced = 0
    for path, old in before.items():
        new = path.read_text()
        assert strip_docs(new) == strip_docs(old), f"{path}: code changed"
        for item in RustSource(new).items():
            if needs_doc(item):
                assert item.doc is not None, item.label
                assert item.doc.text == template_doc(item.with_doc(None), error_meanings=meanings), item.label
                replaced += 1
    assert replaced > 50
    assert (root / "lib.rs").read_text().startswith("/*!\nThe globset crate provides")  # the crate doc stays


@needs_cargo
def test_docs_from_the_tiny_gguf_after_repair_keep_a_crate_clippy_and_rustdoc_clean(tmp_path, tiny_gguf_path):
    """The model path: whatever a (random) model writes, post-processing and the checker's
    repair leave docs that clippy's doc lints, `missing_docs` and rustdoc accept."""
    # A few items, one of each kind of section, keep the (CPU) model run short.
    root = tmp_path / "model_docs"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "model_docs"\nversion = "0.1.0"\nedition = "2021"\n')
    (root / "src" / "lib.rs").write_text(
        "pub struct Meters {\n    pub value: f64,\n}\n\n"
        "pub fn parse(text: &str) -> Result<Meters, std::num::ParseFloatError> {\n"
        "    text.trim().parse().map(|value| Meters { value })\n}\n\n"
        "pub fn first(values: &[f64]) -> f64 {\n    values[0]\n}\n\n"
        "pub unsafe fn first_unchecked(values: &[f64]) -> f64 {\n    *values.get_unchecked(0)\n}\n"
    )
    (root / ".cargo").mkdir()
    (root / ".cargo" / "config.toml").write_text(CARGO_CONFIG)
    stripped = strip_crate(root)
    args = ["generate", "--write", "--model", str(tiny_gguf_path), "--max-tokens", "16", "--threads", "2", str(root)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert_only_doc_lines_inserted(stripped)
    assert CliRunner().invoke(main, ["generate", "--check", str(root)]).exit_code == 0
    warnings = doc_warnings(root)
    assert warnings == [], "\n".join(warnings)
    docs = cargo(root, "doc", "--offline", "--no-deps", env={"RUSTDOCFLAGS": "-D warnings -A unknown_lints"})
    assert docs.returncode == 0, docs.stderr[-4000:]
