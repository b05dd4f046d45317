"""`generate` verifies examples by default (`--no-verify-examples` opts out): a generated doc's
examples are run against the user's crate (the fixture crate `checked_math`, built by the real
cargo) before the doc goes in. A model-shaped answer with one example that compiles and one that
does not goes through the real output guard, then the verification `document_file` runs: the doc
inserted keeps the good example and never the failing one, and the user is told once. Where the
crate does not build (or there is no Cargo.toml), the run goes on: one line says so, and code
blocks that do not parse as Rust are dropped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rustdoc_core.docs.edits import apply_edits, doc_edits_for
from rustdoc_core.docs.example_verify import ExampleVerifier
from rustdoc_core.generation.crate_context import CrateContext
from rustdoc_core.generation.document import plan_file
from rustdoc_core.generation.generators import GeneratedDoc
from rustdoc_core.generation.guard import guard_answer
from rustdoc_core.generation.pipeline import verify_doc
from rustdoc_core.generation.provenance import Provenance
from tests.conftest import FIXTURES, REPO_ROOT

CRATE = FIXTURES / "crates" / "checked_math"
needs_cargo = pytest.mark.skipif(
    shutil.which("cargo") is None and not (Path.home() / ".cargo" / "bin" / "cargo").is_file(),
    reason="cargo is not installed; examples are verified by the real compiler",
)

GOOD = "let sum = checked_math::checked_add(1, 2)?;\nassert_eq!(sum, 3);"
BAD = 'let sum = checked_math::checked_add(1, "2");'
ANSWER = (
    "Adds two numbers, reporting overflow.\n\n# Errors\n\nReturns `MathError::Overflow` when the sum does not fit.\n\n"
    f"# Examples\n\n```\n{GOOD}\n```\n\nAdding a string:\n\n```\n{BAD}\n```"
)
"""What a model might answer: prose, a needed section, one example that compiles after the
mechanical `main` wrapper, one that never compiles."""


def run_generate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-m", "rustdoc_cli", "generate", *args], capture_output=True, text=True, timeout=600, cwd=cwd, env=env
    )


@pytest.fixture
def crate(tmp_path):
    root = tmp_path / "checked_math"
    shutil.copytree(CRATE, root)
    return root


@needs_cargo
def test_a_failing_example_is_never_inserted_and_the_user_is_told_once(crate, tmp_path):
    lib = crate / "src" / "lib.rs"
    job = plan_file(lib)
    item = next(i for i in job.items if i.name == "checked_add")
    names = CrateContext.of_files([(job.path, job.source)]).names
    for example in (GOOD, BAD):  # the guard alone lets either through (a fn's budget: one example)
        answer = ANSWER.split("# Examples")[0] + f"# Examples\n\n```\n{example}\n```"
        assert example in guard_answer(item, answer, names=names).text
    doc = GeneratedDoc(ANSWER, ANSWER, Provenance.MODEL, 40, 0.1)
    verifier = ExampleVerifier.for_path(lib, target_dir=tmp_path / "target")
    assert verifier is not None

    kept, note = verify_doc(item, doc, verifier)
    assert BAD not in kept.text
    assert "checked_math::checked_add(1, 2)?" in kept.text and "# fn main() -> Result<" in kept.text
    assert kept.text.startswith("Adds two numbers, reporting overflow.\n\n# Errors\n\n")
    assert note is not None and note.startswith("fn checked_add: dropped 1 example(s) that do not compile: error")

    edits, refused = doc_edits_for(job.source, [(item, kept.text)])
    assert not refused
    written = apply_edits(job.text, edits)
    assert "checked_add(1, \"2\")" not in written and "/// let sum = checked_math::checked_add(1, 2)?;" in written


@needs_cargo
def test_verifying_by_default_documents_a_crate_as_without(crate):
    out = run_generate("src/lib.rs", "--write", cwd=crate)
    assert out.returncode == 0, out.stderr
    assert "/// # Errors" in (crate / "src" / "lib.rs").read_text()  # the template's docs went in
    assert "not compiled for" not in out.stderr


def test_without_a_cargo_toml_the_default_run_documents_and_says_nothing_of_examples_it_has_none_of(tmp_path):
    for name in ("a.rs", "b.rs"):
        (tmp_path / name).write_text("pub fn one() -> u8 {\n    1\n}\n")
    out = run_generate(".", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "examples are not compiled" not in out.stderr  # the template writes none: nothing to build
    assert "+/// " in out.stdout


def test_no_verify_examples_is_the_opt_out():
    out = subprocess.run([sys.executable, "-m", "rustdoc_cli", "generate", "--help"], capture_output=True, text=True, timeout=60)
    assert "--verify-examples / --no-verify-examples" in out.stdout and "default: verify-examples" in out.stdout.replace("\n", " ")


BROKEN_ANSWER = (
    "Adds two numbers, reporting overflow.\n\n# Errors\n\nReturns `MathError::Overflow` when the sum does not fit.\n\n"
    "# Examples\n\n```\nlet sum = checked_math::checked_add(1, 2);\n```\n\n```\nlet total = checked_add(1, ;\n```"
)
"""A model-shaped answer with one example that parses and one that does not."""


@needs_cargo
@pytest.mark.parametrize("why", ["does not build", "no Cargo.toml"])
def test_where_examples_cannot_compile_the_run_goes_on_dropping_what_does_not_parse(crate, why, caplog):
    from rustdoc_core.generation.pipeline import DocRequest, ItemDoc, _verified

    lib = crate / "src" / "lib.rs"
    if why == "does not build":
        lib.write_text(lib.read_text() + "\nfn broken() -> u32 { \"not a number\" }\n")
    else:
        (crate / "Cargo.toml").unlink()
    job = plan_file(lib)
    item = next(i for i in job.items if i.name == "checked_add")
    context = CrateContext.of_files([(job.path, job.source)], verify_examples=True)
    doc = GeneratedDoc(BROKEN_ANSWER, BROKEN_ANSWER, Provenance.MODEL, 40, 0.1)
    results = [_verified(ItemDoc(DocRequest(item, job.path, job.source), doc), context) for _ in range(2)]
    for result in results:
        assert "checked_math::checked_add(1, 2);" in result.doc.text and "checked_add(1, ;" not in result.doc.text
        assert result.note == "fn checked_add: dropped 1 code block(s) that do not parse as Rust"
    said = [r.getMessage() for r in caplog.records if "examples are not compiled" in r.getMessage()]
    assert len(said) == 1, said  # once per crate, in one line
    assert ("does not build" in said[0]) == (why == "does not build")


def test_the_editor_setting_is_parsed_and_a_bad_value_is_named():
    from lsp_server.settings import parse_settings

    settings, problems = parse_settings({"generate": {"verifyExamples": True}})
    assert settings.generate.verify_examples and not problems
    settings, problems = parse_settings({"generate": {"verifyExamples": "yes", "includePrivate": 1}})
    assert not settings.generate.verify_examples
    assert any("`rustdocGen.generate.verifyExamples`" in p for p in problems)
    settings, problems = parse_settings({"generate": 3})
    assert problems == ["`rustdocGen.generate` must be an object; using its defaults"]  # named once


@needs_cargo
async def test_with_the_setting_on_the_server_still_documents_the_crate(crate):
    from tests.support.lsp_client import apply_text_edits, edits_for, server_session

    lib = crate / "src" / "lib.rs"
    text = lib.read_text()
    uri = lib.as_uri()
    line = text.split("\n").index("pub fn checked_add(a: u32, b: u32) -> Result<u32, MathError> {")
    async with server_session(initialization_options={"generate": {"verifyExamples": True}}) as client:
        client.open(uri, text)
        actions = await client.code_actions(uri, (line, 8))
        action = next(a for a in actions if a.title == "Generate rustdoc for `fn checked_add`")
        resolved = await client.code_action_resolve_async(action)
        after = apply_text_edits(text, edits_for(resolved.edit, uri))
        assert "/// # Errors" in after
        assert not [m for m in client.messages if "example" in m.message]
