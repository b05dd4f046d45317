"""`generate --update` on a real crate: a copy of Debian's globset with the stale docs of
tests/cli/test_check_cli.py planted. The stale parts `update_doc` fixes for certain are mended
(a needless `# Errors` or `# Safety` removed, a missing `# Errors` added, a dead `# Arguments`
entry dropped); what no certain fix mends stays for `check` to report; every line of the
docs that were there, which `--overwrite` would replace, keeps its bytes."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.cli.test_check_cli import FIXABLE, PLANTS, json_findings, keyed, plant
from tests.conftest import REPO_ROOT


def run_generate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-m", "rustdoc_cli", "generate", *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=env
    )


def test_update_mends_each_stale_doc_and_keeps_every_human_line(crate_copy):
    crate = crate_copy("globset")
    _, baseline = json_findings(crate)
    lines = plant(crate)
    glob = crate / "src" / "glob.rs"
    before = glob.read_text().split("\n")

    out = run_generate("src/glob.rs", "--update", "--write", cwd=crate)
    assert out.returncode == 0, out.stderr
    after = glob.read_text().split("\n")

    removed, added = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        removed += before[i1:i2] if op in ("delete", "replace") else []
        added += after[j1:j2] if op in ("insert", "replace") else []
    planted_lines = {line for _, _, new, *_ in PLANTS for line in new.split("\n")}
    # Only planted stale lines went (and the blank `///` before a removed section); all else came as doc lines.
    assert removed and set(removed) <= planted_lines | {"    ///"}
    assert "    /// * `strict` - gone since 0.4." in removed and "    /// Never fails." in removed
    assert "    /// Always safe to call." in removed
    assert "    /// * `yes` - whether to ignore case." in after
    assert all(line.lstrip().startswith("///") for line in added)
    assert "    /// # Errors" in added  # regex now returns `Result`

    # The planted findings no certain fix mends are still there; the fixable ones are gone.
    _, found = json_findings(crate)
    planted_left = Counter(k for k in keyed(found, crate) if k in lines)
    assert planted_left == Counter(k for k in lines if k[2] not in FIXABLE)

    again = run_generate("src/glob.rs", "--update", "--write", cwd=crate)
    assert again.returncode == 0, again.stderr
    assert glob.read_text().split("\n") == after  # nothing stale is left to mend


def test_update_shows_a_diff_without_write_and_refuses_overwrite(crate_copy):
    crate = crate_copy("globset")
    plant(crate)
    glob = crate / "src" / "glob.rs"
    text = glob.read_text()
    diff = run_generate("src/glob.rs", "--update", cwd=crate)
    assert diff.returncode == 0, diff.stderr
    assert "-    /// * `strict` - gone since 0.4." in diff.stdout.split("\n")
    assert glob.read_text() == text  # a diff, not an edit
    refused = run_generate("src/glob.rs", "--update", "--overwrite", cwd=crate)
    assert refused.returncode != 0
    assert len(refused.stderr.strip().splitlines()) == 1 and "--overwrite" in refused.stderr


def test_a_missing_section_takes_the_text_given_for_it_else_the_templates():
    # What `generate --update --model` hands over: the section bodies of the model's own doc
    # for the item (after the output guard), by name.
    from rustdoc_core.docs.lint import update_edit
    from rustdoc_core.docs.section_text import section_text
    from rustdoc_core.rust.items import RustSource

    text = (
        "/// Opens the file.\n"
        "///\n"
        "/// Keeps it open.\n"
        "pub unsafe fn open(path: &str) -> Result<u8, String> {\n"
        "    Err(path.to_string())\n"
        "}\n"
    )
    item = RustSource(text).items()[0]
    lines = text.split("\n")
    edit, update = update_edit(item, lines, "\n", True, {"Errors": "Fails when `path` names no file."})
    assert set(update.codes) == {"missing-errors", "missing-safety"}
    new = edit.new_text.split("\n")
    assert new[:3] == lines[:3]  # the human's lines, byte for byte
    assert "/// Fails when `path` names no file." in new
    safety = section_text(item, "Safety").split("\n")[0]
    assert f"/// {safety}" in new  # no text given for `# Safety`: the template's


def test_update_never_adds_a_section_whose_lint_the_crate_allows(crate_copy, tmp_path):
    """A crate that allows clippy::missing_errors_doc (in its code, or in Cargo's `[lints]`) gets
    no `# Errors` from `--update`; the other stale docs are still mended."""
    for how in ("code", "cargo"):
        crate = crate_copy("globset")
        crate = crate.rename(tmp_path / f"globset-{how}")
        plant(crate)
        if how == "code":
            lib = crate / "src" / "lib.rs"
            lib.write_text(lib.read_text().replace("#![deny(missing_docs)]", "#![deny(missing_docs)]\n#![allow(clippy::missing_errors_doc)]", 1))
        else:
            manifest = crate / "Cargo.toml"
            manifest.write_text(manifest.read_text() + '\n[lints.clippy]\nmissing_errors_doc = "allow"\n')
        glob = crate / "src" / "glob.rs"
        out = run_generate("src/glob.rs", "--update", "--write", cwd=crate)
        assert out.returncode == 0, out.stderr
        after = glob.read_text()
        assert "    /// # Errors" not in after.split("\n")  # the planted needless one is gone, and none is added
        assert "    /// * `strict` - gone since 0.4." not in after  # the dead entry is still dropped
