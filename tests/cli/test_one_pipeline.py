"""One documenting pipeline: `generate`, `check`, the editor and the demo see the same crate
(its names, its `Result` aliases, which items want a doc) and write the same docs.

Each bug the four copies of the path used to cause has its test here: a `Result` alias known
to `generate` only (so `check` called the `# Errors` that `generate` wrote needless, and
`--update` removed it), docs made by `include_str!` counted as missing, a `mod x;` never
hinted in the editor, names of the crate's other files cut from the editor's docs. Then the
same items through `generate --write` and through the editor's code action, with the real
Qwen2.5-Coder-0.5B, greedy: the same file comes out.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lsp_server.code_actions import FILE_KIND
from lsp_server.diagnostics import MISSING_DOC, document_diagnostics
from lsp_server.workspace_crate import WorkspaceCrate
from rustdoc_cli.cli import main
from rustdoc_core.generation.crate_context import CrateContext
from rustdoc_core.generation.guard import guard_answer
from rustdoc_core.rust.items import RustSource
from rustdoc_core.rust.positions import UTF16
from tests.support.crates import write_crate
from tests.support.lsp_client import apply_text_edits, edits_for, server_session


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def crate(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_crate(tmp_path / "loader", "loader", files)


ALIASED = {
    "src/lib.rs": """\
        //! Loading counts.

        mod error;

        pub use error::{Fallible, LoadError};

        pub fn load_count(text: &str) -> Fallible<u32> {
            text.trim().parse().map_err(|_| LoadError)
        }
    """,
    "src/error.rs": """\
        //! Errors.

        /// What went wrong.
        #[derive(Debug)]
        pub struct LoadError;

        /// A result whose error is a [`LoadError`].
        pub type Fallible<T> = Result<T, LoadError>;
    """,
}


def test_a_result_alias_is_a_result_to_generate_check_and_update_alike(tmp_path, monkeypatch):
    """`fn load_count() -> Fallible<u32>` with the alias in another file: `generate` writes
    `# Errors`, `check` finds nothing needless about it, `--update` leaves it."""
    root = crate(tmp_path, ALIASED)
    lib = root / "src" / "lib.rs"
    monkeypatch.chdir(root)
    assert run("generate", "src/lib.rs", "--write").exit_code == 0
    written = lib.read_text(encoding="utf-8")
    assert "/// # Errors" in written

    checked = run("check", "src/lib.rs", "--format", "json", "--fail-on", "never")
    codes = {f["code"] for f in json.loads(checked.stdout)["findings"]}
    assert not codes & {"needless-errors", "missing-errors"}, codes

    assert run("generate", "src/lib.rs", "--update", "--write").exit_code == 0
    assert lib.read_text(encoding="utf-8") == written


MEANT = {
    "src/lib.rs": """\
        //! Loading counts.

        mod error;

        pub use error::LoadError;

        pub fn load_count(text: &str) -> Result<u32, LoadError> {
            let n = text.trim().parse().map_err(|_| LoadError)?;
            Ok(n)
        }
    """,
    "src/error.rs": """\
        //! Errors.

        /// An error that can occur when loading a count.
        #[derive(Debug)]
        pub struct LoadError;
    """,
}


def test_the_template_says_what_the_crates_error_type_is(tmp_path, monkeypatch):
    """The error type's doc in another file says what it is: the template's `# Errors` says it too,
    in `generate` and in the guard's sections (a model answer without `# Errors`)."""
    root = crate(tmp_path, MEANT)
    lib = root / "src" / "lib.rs"
    monkeypatch.chdir(root)
    assert run("generate", "src/lib.rs", "--write").exit_code == 0
    assert "/// Returns an error that can occur when loading a count, if" in lib.read_text(encoding="utf-8")

    context = CrateContext.of_files((p, RustSource(p.read_text(encoding="utf-8"))) for p in sorted(root.glob("src/*.rs")))
    item = next(i for i in RustSource(MEANT["src/lib.rs"].replace("        ", "")).items() if i.name == "load_count")
    done = guard_answer(item, "Loads a count from `text`.", names=context.names, error_meanings=context.error_meanings())
    assert "# Errors\n\nReturns an error that can occur when loading a count, if" in done.text, done.text


INCLUDED = {
    "README.md": "A crate whose docs live in its README.\n",
    "src/lib.rs": """\
        #![doc = include_str!("../README.md")]

        #[doc = include_str!("../README.md")]
        #[cfg(doctest)]
        pub struct ReadmeDoctests;

        #[doc = concat!("Counts ", "things.")]
        pub fn count() -> u32 {
            1
        }
    """,
}


def test_docs_made_by_include_str_and_concat_are_docs(tmp_path, monkeypatch):
    root = crate(tmp_path, INCLUDED)
    monkeypatch.chdir(root)
    before = (root / "src" / "lib.rs").read_text(encoding="utf-8")
    assert run("generate", "src/lib.rs", "--check").exit_code == 0
    assert run("generate", "src/lib.rs", "--all", "--write").exit_code == 0
    assert (root / "src" / "lib.rs").read_text(encoding="utf-8") == before


def test_the_editor_hints_a_mod_whose_file_has_no_doc_and_not_one_whose_file_has(tmp_path):
    root = crate(tmp_path, {
        "src/lib.rs": "//! Crate.\n\npub mod documented;\npub mod bare;\n",
        "src/documented.rs": "//! Documented in its own file.\n",
        "src/bare.rs": "pub fn f() {}\n",
    })
    path = root / "src" / "lib.rs"
    source = RustSource(path.read_text(encoding="utf-8"))
    found = document_diagnostics(source.items(), source.lines, path.as_uri(), 1, UTF16, text=source.text)
    assert [d.message for d in found if d.code == MISSING_DOC] == ["mod bare has no rustdoc"]


REGISTRY = {
    "src/lib.rs": "//! Counters.\n\npub mod registry;\n\npub fn count(name: &str) -> u32 {\n    name.len() as u32\n}\n",
    "src/registry.rs": "//! Where counts go.\n\n/// Counts by name.\npub struct Registry;\n\nimpl Registry {\n"
                       "    /// Records a count.\n    pub fn record(&self) {}\n}\n",
}
ANSWER = "Counts the characters of `name`, as [`Registry::record`] stores them."


def test_names_of_the_crates_other_files_ground_a_doc_in_generate_and_in_the_editor(tmp_path):
    root = crate(tmp_path, REGISTRY)
    lib = root / "src" / "lib.rs"
    item = next(i for i in RustSource(lib.read_text()).items() if i.name == "count")
    alone = CrateContext.of_files([(lib, RustSource(lib.read_text()))])
    assert "Registry::record" not in guard_answer(item, ANSWER, names=alone.names).text  # the other file unseen: cut

    sources = [(p, RustSource(p.read_text())) for p in sorted((root / "src").glob("*.rs"))]
    assert guard_answer(item, ANSWER, names=CrateContext.of_files(sources).names).text == ANSWER  # `generate` sees the crate

    workspace = WorkspaceCrate()
    workspace.start([root], rag=False)  # the editor reads its workspace the same way
    assert workspace.ready.wait(30)
    assert guard_answer(item, ANSWER, names=workspace.crate.names).text == ANSWER


# --- the same docs through `generate --write` and the editor's code action ---------------


DECODE = {"maxTokens": 48, "contextSize": 2048, "threads": 2}


@pytest.mark.slow
@pytest.mark.timeout(1200)
async def test_generate_and_the_editor_write_the_same_docs_with_the_real_qwen_0_5b(tmp_path, debian_crate, qwen05_gguf):
    """globset's pathutil.rs stripped of its docs, in a workspace of its own: `generate --write`
    and the editor's "document this file" action, both greedy on Qwen2.5-Coder-0.5B, give the
    same file, byte for byte."""
    text = (debian_crate("globset") / "src" / "pathutil.rs").read_text(encoding="utf-8")
    stripped_text = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("///"))
    by_cli = tmp_path / "cli"
    by_editor = tmp_path / "editor"
    for where in (by_cli, by_editor):
        where.mkdir()
        (where / "pathutil.rs").write_text(stripped_text, encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-m", "rustdoc_cli", "generate", str(by_cli), "--write", "--model", str(qwen05_gguf),
         "--max-tokens", str(DECODE["maxTokens"]), "--context-size", str(DECODE["contextSize"]), "--threads", "2"],
        capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    written = (by_cli / "pathutil.rs").read_text(encoding="utf-8")
    assert written != stripped_text

    uri = (by_editor / "pathutil.rs").as_uri()
    async with server_session(initialization_options={"model": {"path": str(qwen05_gguf), **DECODE}},
                              root_uri=by_editor.as_uri()) as client:
        client.open(uri, stripped_text)
        action = (await client.code_actions(uri, (0, 0), only=[FILE_KIND]))[0]
        resolved = await client.code_action_resolve_async(action)
        assert apply_text_edits(stripped_text, edits_for(resolved.edit, uri)) == written
