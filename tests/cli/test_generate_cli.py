"""`rustdoc-gen generate` as a user runs it: diff, --write, --check, --all, --overwrite, errors."""

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from rustdoc_cli.cli import main
from rustdoc_core.rust.doc_policy import needs_doc
from rustdoc_core.rust.items import RustSource
from tests.conftest import FIXTURES as FIXTURE_ROOT
from tests.conftest import REPO_ROOT

REPO = REPO_ROOT
SAMPLE = REPO / "examples" / "sample.rs"
FIXTURES = FIXTURE_ROOT / "crates"


def run(*args: str):
    return CliRunner().invoke(main, ["generate", *args], catch_exceptions=False)


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    path = tmp_path / "sample.rs"
    shutil.copyfile(SAMPLE, path)
    return path


def public_items_without_doc(text: str, include_private: bool = False) -> list[str]:
    return [i.label for i in RustSource(text).items() if needs_doc(i, include_private) and i.doc is None]


def test_default_prints_a_diff_that_git_applies_and_leaves_the_file_alone(sample_copy, monkeypatch):
    monkeypatch.chdir(sample_copy.parent)
    before = sample_copy.read_bytes()
    result = run("sample.rs")
    assert result.exit_code == 0, result.stderr
    assert sample_copy.read_bytes() == before
    diff = result.stdout
    assert diff.startswith("--- a/sample.rs\n+++ b/sample.rs\n")
    assert "+/// " in diff
    assert not [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    # The diff is the same edit --write makes.
    (sample_copy.parent / "docs.diff").write_text(diff)
    subprocess.run(["git", "apply", "docs.diff"], cwd=sample_copy.parent, check=True)
    applied = sample_copy.read_text()
    sample_copy.write_bytes(before)
    assert run("--write", "-q", str(sample_copy)).exit_code == 0
    assert sample_copy.read_text() == applied


def test_write_documents_every_pub_item_then_check_passes_and_a_rerun_changes_nothing(sample_copy):
    assert public_items_without_doc(sample_copy.read_text())
    checked = run("--check", str(sample_copy))
    assert checked.exit_code == 1
    assert f"{sample_copy}:5: const DEFAULT_CAPACITY has no doc" in checked.stdout
    assert "item(s) without a doc" in checked.stderr

    result = run("--write", str(sample_copy))
    assert result.exit_code == 0, result.stderr
    text = sample_copy.read_text()
    assert public_items_without_doc(text) == []
    assert "documented" in result.stderr  # the summary table
    # Private items and trait-impl members got nothing.
    fmt_item = next(i for i in RustSource(text).items() if i.name == "fmt")
    assert fmt_item.doc is None

    assert run("--check", str(sample_copy)).exit_code == 0
    again = run(str(sample_copy))
    assert again.exit_code == 0 and again.stdout == ""


def test_all_documents_private_items_too(tmp_path):
    path = tmp_path / "private.rs"
    path.write_text("fn helper(x: u8) -> u8 {\n    x + 1\n}\n\npub fn api() -> u8 {\n    helper(1)\n}\n")
    run("--write", "-q", str(path))
    assert public_items_without_doc(path.read_text(), include_private=True) == ["fn helper"]
    run("--write", "-q", "--all", str(path))
    assert public_items_without_doc(path.read_text(), include_private=True) == []


def test_existing_docs_are_kept_unless_overwrite(tmp_path):
    path = tmp_path / "documented.rs"
    path.write_text("/// My own words.\npub fn mine() {}\n\npub fn theirs() {}\n")
    run("--write", "-q", str(path))
    text = path.read_text()
    assert text.startswith("/// My own words.\npub fn mine() {}\n\n/// ")
    run("--write", "-q", "--overwrite", str(path))
    rewritten = path.read_text()
    assert "My own words" not in rewritten
    assert rewritten.count("pub fn mine() {}") == 1
    assert public_items_without_doc(rewritten) == []


def test_crlf_non_ascii_and_missing_final_newline_survive_write(tmp_path):
    crate = tmp_path / "crate"
    shutil.copytree(FIXTURES / "gruesse_text", crate)
    lib = crate / "src" / "lib.rs"
    module = crate / "src" / "zähler.rs"
    lib_before, module_before = lib.read_bytes(), module.read_bytes()
    assert run("--write", "-q", str(crate)).exit_code == 0
    lib_after, module_after = lib.read_bytes(), module.read_bytes()
    assert lib_after != lib_before and b"\n" not in lib_after.replace(b"\r\n", b"")
    assert not module_after.endswith(b"\n") and module_after.endswith(b"}")
    for before, after in ((lib_before, lib_after), (module_before, module_after)):
        kept = [line for line in after.split(b"\n") if not line.lstrip().startswith((b"///", b"//!"))]
        assert b"\n".join(kept) == before
    assert "Straße" in lib_after.decode() and "//!" in lib_after.decode()


def test_items_in_code_with_syntax_errors_are_skipped_and_the_rest_documented(tmp_path):
    path = tmp_path / "broken.rs"
    path.write_text("pub fn ok() {}\n\npub fn broken( {\n    let x = ;\n}\n\npub struct After;\n")
    result = run("--write", str(path))
    assert result.exit_code == 0
    assert "fn broken skipped" in result.stderr
    assert public_items_without_doc(path.read_text()) == []  # `broken` is not readable as an item


def test_a_byte_order_mark_stays_first_in_the_file(tmp_path):
    path = tmp_path / "bom.rs"
    path.write_bytes(b"\xef\xbb\xbfpub fn f() {}\n")
    assert run("--write", "-q", str(path)).exit_code == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf/// ") and data.count(b"\xef\xbb\xbf") == 1
    assert data.endswith(b"\npub fn f() {}\n")


def test_directories_skip_target_and_hidden_dirs_and_a_file_named_twice_is_done_once(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text("pub fn f() {}\n")
    for skipped in ("target/debug/build", ".git"):
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "gen.rs").write_text("pub fn g() {}\n")
    result = run(str(tmp_path), str(tmp_path / "src" / "lib.rs"))
    assert result.stdout.count("src/lib.rs") == 2  # the ---/+++ lines of one diff
    assert "gen.rs" not in result.stdout


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: [str(d / "nope.rs")], "no such file or directory"),
        (lambda d: [str(_touch(d / "notes.txt"))], "not a Rust file"),
        (lambda d: [str(_touch(d / "a.rs")), "--model", str(_touch(d / "m.gguf", b"not a model"))], "not a GGUF model file"),
        (lambda d: [str(_touch(d / "a.rs")), "--model", str(d / "missing.gguf")], "model file not found"),
        (lambda d: [str(_touch(d / "a.rs")), "--check", "--write"], "--check only reports"),
    ],
    ids=["missing-path", "not-rust", "corrupt-model", "missing-model", "check-with-write"],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path, make, message):
    result = run(*make(tmp_path))
    assert result.exit_code != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def _touch(path: Path, data: bytes = b"pub fn f() {}\n") -> Path:
    path.write_bytes(data)
    return path


def test_help_teaches_with_examples():
    result = CliRunner().invoke(main, ["generate", "--help"])
    assert result.exit_code == 0
    for text in ("--write", "--check", "--model", "Examples:", "rustdoc-gen generate examples/sample.rs"):
        assert text in result.stdout


def test_model_writes_docs_for_every_pub_item_with_the_tiny_gguf(tmp_path, tiny_gguf_path):
    path = tmp_path / "small.rs"
    path.write_text(
        "pub struct Meters(pub f64);\n\n"
        "pub fn parse(text: &str) -> Result<Meters, std::num::ParseFloatError> {\n    text.parse().map(Meters)\n}\n\n"
        "pub unsafe fn first(values: &[u8]) -> u8 {\n    *values.get_unchecked(0)\n}\n"
    )
    result = run("--write", "--model", str(tiny_gguf_path), "--max-tokens", "16", "--threads", "2", str(path))
    assert result.exit_code == 0, result.stderr
    text = path.read_text()
    assert public_items_without_doc(text) == []
    # Whatever the random model said, the required sections are there (repaired or template).
    assert "# Errors" in text and "# Safety" in text
    assert "model:" in result.stderr
    assert "template fallback" in result.stderr


def test_result_aliases_are_expanded_so_errors_sections_are_written(tmp_path):
    from rustdoc_core.rust.result_aliases import collect_result_aliases, resolve_result_alias

    source = RustSource(
        "pub type MathResult<T> = Result<T, MathError>;\n"
        "pub type Pair<'a, T> = std::result::Result<(&'a T, T), std::io::Error>;\n"
        "pub struct SearchResult;\n"
        "pub fn div() -> MathResult<Vec<(u8, u16)>> { todo!() }\n"
        "pub fn two<'a>() -> Pair<'a, String> { todo!() }\n"
        "pub fn find() -> SearchResult { SearchResult }\n"
    )
    aliases = collect_result_aliases([source])
    assert sorted(aliases) == ["MathResult", "Pair"]
    returns = {i.name: resolve_result_alias(i, aliases).return_type for i in source.items() if i.is_fn}
    assert returns == {
        "div": "Result<Vec<(u8, u16)>, MathError>",
        "two": "std::result::Result<(&'a String, String), std::io::Error>",
        "find": "SearchResult",
    }
    path = tmp_path / "math.rs"
    path.write_text("pub type MathResult<T> = Result<T, String>;\n\npub fn div(a: u8, b: u8) -> MathResult<u8> {\n    a.checked_div(b).ok_or_else(|| \"zero\".to_string())\n}\n")
    run("--write", "-q", str(path))
    assert "/// # Errors" in path.read_text()


def test_a_mod_declaration_whose_file_has_an_inner_doc_counts_as_documented(tmp_path):
    src = tmp_path / "src"
    (src / "net").mkdir(parents=True)
    (src / "lib.rs").write_text("//! The crate.\n\npub mod net;\npub mod io;\n")
    (src / "net" / "mod.rs").write_text("//! Networking.\n")
    (src / "io.rs").write_text("pub fn read() {}\n")
    result = run("--check", str(src))
    assert result.exit_code == 1
    assert "mod io has no doc" in result.stdout
    assert "mod net" not in result.stdout
    assert "fn read has no doc" in result.stdout
