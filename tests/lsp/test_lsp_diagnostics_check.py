"""The editor sees what `rustdoc-gen check` sees: the real server, driven by pygls's client,
on a copy of Debian's globset with the stale docs of tests/cli/test_check_cli.py planted.

Each finding `check` reports for the open file is a diagnostic at the same line and column
with the same severity; the certain ones carry an "Update rustdoc for `fn name`" quick fix,
and that fix (like the same action offered at the cursor) changes only the stale lines:
every other line of the file keeps its bytes."""

from __future__ import annotations

import difflib

from lsprotocol import types

from rustdoc_core.docs.lint import lint_paths
from tests.cli.test_check_cli import FIXABLE, plant
from tests.support.lsp_client import apply_text_edits, edits_for, server_session

ON = {"diagnostics": {"enable": True}}
SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning, "info": types.DiagnosticSeverity.Information}


def _changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """(lines removed, lines added) from `before` to `after`."""
    a, b = before.split("\n"), after.split("\n")
    removed, added = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        removed += a[i1:i2] if op in ("delete", "replace") else []
        added += b[j1:j2] if op in ("insert", "replace") else []
    return removed, added


async def _diagnostics(client, uri: str, text: str) -> list[types.Diagnostic]:
    client.open(uri, text)
    found = await client.wait_for(lambda: client.diagnostics.get(uri), timeout=60, what="diagnostics")
    return [d for d in found if d.code != "missing-doc"]


async def test_check_findings_are_diagnostics_at_their_word_with_update_quick_fixes(crate_copy):
    crate = crate_copy("globset")
    planted = plant(crate)
    path = crate / "src" / "glob.rs"
    text = path.read_text()
    expected = lint_paths([path]).findings
    assert {(f.item, f.code) for f in expected} >= {(item, code) for (_, item, code) in planted}
    uri = path.as_uri()
    async with server_session(initialization_options=ON) as client:
        found = await _diagnostics(client, uri, text)
        # The same findings, at the same places (globset's source is ASCII: columns are characters).
        assert sorted((d.range.start.line + 1, d.range.start.character + 1, d.code, d.severity) for d in found) == sorted(
            (f.line, f.column, f.code, SEVERITY[f.severity]) for f in expected
        )
        for (_, item, code), line in planted.items():
            assert any(d.code == code and d.range.start.line == line - 1 for d in found), (item, code)

        # The dead `# Arguments` entry: its quick fix drops that line and nothing else.
        dead = next(d for d in found if d.code == "unknown-param" and d.range.start.line == planted[("src/glob.rs", "fn case_insensitive", "unknown-param")] - 1)
        actions = await client.code_actions(uri, (dead.range.start.line, 0), diagnostics=[dead])
        fixes = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
        assert [a.title for a in fixes] == ["Update rustdoc for `fn case_insensitive`"]
        assert fixes[0].is_preferred
        after = apply_text_edits(text, edits_for(fixes[0].edit, uri))
        assert _changes(text, after) == (["    /// * `strict` - gone since 0.4."], [])

        # A finding no certain fix mends (the example that does not parse) offers regeneration instead.
        broken = next(d for d in found if d.code == "invalid-rust-fence")
        actions = await client.code_actions(uri, (broken.range.start.line, 0), diagnostics=[broken])
        assert [a.title for a in actions if a.kind == types.CodeActionKind.QuickFix] == ["Regenerate rustdoc for `fn regex`"]

        # Every fixable planted finding has its update quick fix.
        for d in found:
            if d.code in FIXABLE:
                assert d.data["mode"] == "update", d


async def test_update_rustdoc_at_the_cursor_rewrites_only_the_stale_lines(crate_copy):
    crate = crate_copy("globset")
    plant(crate)
    path = crate / "src" / "glob.rs"
    text = path.read_text()
    lines = text.split("\n")
    uri = path.as_uri()
    async with server_session() as client:  # no diagnostics needed: the action is offered at the cursor
        client.open(uri, text)

        async def update_at(head: str) -> tuple[list[str], list[str]]:
            line = lines.index(head)
            actions = await client.code_actions(uri, (line, lines[line].index("fn ")))
            titles = [a.title for a in actions]
            update = next(a for a in actions if a.title.startswith("Update rustdoc"))
            assert f"Regenerate rustdoc for `{update.title.split('`')[1]}`" in titles  # both are offered
            return _changes(text, apply_text_edits(text, edits_for(update.edit, uri)))

        # A fn that now returns `Result` under its old doc: `# Errors` added before the rest, every human line kept.
        removed, added = await update_at("    pub fn regex(&self) -> Result<&str, Error> {")
        assert removed == []
        assert added[:3] == ["    ///", "    /// # Errors", "    ///"] and all(a.startswith("    ///") for a in added)
        # A safe fn with a `# Safety` section: the section goes, the summary above stays.
        removed, added = await update_at("    pub fn literal_separator(&mut self, yes: bool) -> &mut GlobBuilder<'a> {")
        assert removed == ["    ///", "    /// # Safety", "    ///", "    /// Always safe to call."] and added == []
        # A doc that is not stale gets no update.
        line = lines.index("    pub fn is_match_candidate(&self, path: &Candidate<'_>) -> bool {")
        actions = await client.code_actions(uri, (line, 8))
        assert not [a for a in actions if a.title.startswith("Update rustdoc")]


async def test_the_editor_follows_the_crate_s_lint_levels(crate_copy):
    """A crate-level `#![allow(clippy::missing_errors_doc)]` silences that finding in the editor as in
    `check`, and the cursor's "Update rustdoc" then adds no `# Errors`; `#![allow(missing_docs)]`
    silences the missing-doc hints."""
    crate = crate_copy("globset")
    plant(crate)
    lib = crate / "src" / "lib.rs"
    lib.write_text(lib.read_text().replace("#![deny(missing_docs)]", "#![allow(missing_docs, clippy::missing_errors_doc)]", 1))
    path = crate / "src" / "glob.rs"
    text = path.read_text()
    lines = text.split("\n")
    uri = path.as_uri()
    expected = lint_paths([path]).findings
    assert "missing-errors" not in {f.code for f in expected}
    async with server_session(initialization_options=ON) as client:
        client.open(uri, text)
        found = await client.wait_for(lambda: client.diagnostics.get(uri), timeout=60, what="diagnostics")
        assert sorted((d.range.start.line + 1, d.code) for d in found) == sorted((f.line, f.code) for f in expected)
        line = lines.index("    pub fn regex(&self) -> Result<&str, Error> {")
        actions = await client.code_actions(uri, (line, lines[line].index("fn ")))
        assert not [a for a in actions if a.title.startswith("Update rustdoc")]  # nothing else is stale in its doc


async def test_a_four_slash_line_is_a_diagnostic_whose_quick_fix_makes_it_a_doc_line(tmp_path):
    path = tmp_path / "lib.rs"
    text = "//// Returns the total.\npub fn total() -> u32 {\n    1\n}\n"
    path.write_text(text)
    uri = path.as_uri()
    async with server_session(initialization_options=ON) as client:
        found = await _diagnostics(client, uri, text)
        four = next(d for d in found if d.code == "four-slashes")
        assert four.range.start.line == 0 and "`////`" in four.message
        actions = await client.code_actions(uri, (0, 0), diagnostics=[four])
        fix = next(a for a in actions if a.kind == types.CodeActionKind.QuickFix)
        assert fix.title == "Update rustdoc for `fn total`"
        assert apply_text_edits(text, edits_for(fix.edit, uri)) == "/// Returns the total.\npub fn total() -> u32 {\n    1\n}\n"
