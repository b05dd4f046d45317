"""`check` configured the way Rust projects configure lints: `#![allow/warn/deny/expect(...)]`
at crate and module level and `#[allow]` on items, `[lints]` in Cargo.toml (workspace
inheritance too), rustdoc-gen's own rules in `rustdoc-gen.toml` or
`[package.metadata.rustdoc-gen]`, and the command line's `--select` / `--ignore` on top.
Small crates written here, each for the case at hand; `check --fix` obeys the same rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from rustdoc_core.docs.lint import fix_source, lint_paths
from rustdoc_core.docs.rule_config import CommandLineRules, RuleConfigError
from rustdoc_core.rust.items import RustSource
from rustdoc_core.rust.lint_levels import (
    FileLintScopes,
    LintSetting,
    attribute_settings,
    cargo_lint_settings,
    level_of,
)

FALLIBLE = "/// Loads `x` from foo_bar.\npub fn load() -> Result<u32, String> {\n    Ok(1)\n}\n"
"""A pub fn that misses `# Errors` (clippy::missing_errors_doc) and has `foo_bar` outside backticks
(clippy::doc_markdown)."""


def crate(tmp_path: Path, lib: str, manifest: str = "", files: dict[str, str] | None = None, name: str = "demo") -> Path:
    root = tmp_path / name
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n{manifest}')
    (root / "src" / "lib.rs").write_text(lib)
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def found(root: Path, **kwargs) -> list[tuple[str, str, str]]:
    """(file, code, severity) of each finding of `check` on the crate."""
    report = lint_paths([root / "src"], **kwargs)
    return sorted((Path(f.path).name, f.code, f.severity) for f in report.findings)


# --- reading levels ---------------------------------------------------------------------


def test_lint_attributes_are_read_lint_by_lint_with_reasons_and_spaces_ignored():
    assert attribute_settings('#[allow(clippy::missing_errors_doc, clippy :: doc-markdown, reason = "a, b")]') == (
        LintSetting("allow", "clippy::missing_errors_doc"), LintSetting("allow", "clippy::doc_markdown"),
    )
    assert attribute_settings("#![deny(warnings)]") == (LintSetting("deny", "warnings"),)
    assert attribute_settings("#[cfg_attr(test, allow(clippy::doc_markdown))]") == ()  # depends on the build
    assert attribute_settings("#[inline]") == ()


def test_the_last_setting_wins_and_nothing_overrides_forbid():
    allow, warn = LintSetting("allow", "clippy::pedantic"), LintSetting("warn", "clippy::doc_markdown")
    names = ("clippy::doc_markdown", "clippy::pedantic")
    assert level_of((allow, warn), names) == "warn"
    assert level_of((warn, allow), names) == "allow"
    assert level_of((LintSetting("forbid", "clippy::doc_markdown"), allow), names) == "forbid"
    assert level_of((allow,), ("clippy::missing_safety_doc", "clippy::style")) is None


def test_cargo_lints_come_in_cargos_order_priority_first_and_inherit_from_the_workspace():
    package = {"lints": {"clippy": {"pedantic": {"level": "warn", "priority": -1}, "missing_errors_doc": "allow"}}}
    assert cargo_lint_settings(package) == (
        LintSetting("warn", "clippy::pedantic"), LintSetting("allow", "clippy::missing_errors_doc"),
    )
    inherits = {"lints": {"workspace": True}}
    workspace = {"workspace": {"lints": {"rust": {"missing_docs": "deny"}, "rustdoc": {"broken_intra_doc_links": "allow"}}}}
    assert set(cargo_lint_settings(inherits, workspace)) == {
        LintSetting("deny", "missing_docs"), LintSetting("allow", "rustdoc::broken_intra_doc_links"),
    }


def test_file_scopes_nest_inner_and_outer_attributes():
    source = RustSource(
        "#![allow(clippy::doc_markdown)]\n"
        "#[warn(clippy::doc_markdown)]\nmod a {\n    #![deny(clippy::missing_errors_doc)]\n    pub fn f() {}\n}\n"
        "pub fn g() {}\n"
    )
    scopes = FileLintScopes.of(source.tree.root_node)
    f, g = (i for i in source.items() if i.kind == "fn")
    assert scopes.at(f.start_byte) == (
        LintSetting("allow", "clippy::doc_markdown"), LintSetting("warn", "clippy::doc_markdown"),
        LintSetting("deny", "clippy::missing_errors_doc"),
    )
    assert scopes.at(g.start_byte) == (LintSetting("allow", "clippy::doc_markdown"),)


# --- levels in check ----------------------------------------------------------------------


def test_without_configuration_both_findings_are_warnings(tmp_path):
    root = crate(tmp_path, FALLIBLE)
    assert found(root) == [("lib.rs", "doc-markdown", "warning"), ("lib.rs", "missing-errors", "warning")]


def test_a_crate_level_allow_silences_its_lint_in_every_module(tmp_path):
    root = crate(tmp_path, "#![allow(clippy::missing_errors_doc)]\n//! Demo.\npub mod inner;\n" + FALLIBLE,
                 files={"src/inner.rs": FALLIBLE})
    assert found(root) == [("inner.rs", "doc-markdown", "warning"), ("lib.rs", "doc-markdown", "warning")]


def test_a_group_allow_covers_its_lints(tmp_path):
    root = crate(tmp_path, "#![allow(clippy::pedantic)]\n" + FALLIBLE)
    assert found(root) == []


def test_module_levels_come_from_its_mod_line_and_its_own_file(tmp_path):
    lib = "#[allow(clippy::doc_markdown)]\npub mod quiet;\npub mod own;\npub mod loud;\n"
    root = crate(tmp_path, lib, files={
        "src/quiet.rs": FALLIBLE,
        "src/own.rs": "#![allow(clippy::missing_errors_doc)]\n" + FALLIBLE,
        "src/loud.rs": FALLIBLE,
    })
    assert found(root) == [
        ("loud.rs", "doc-markdown", "warning"), ("loud.rs", "missing-errors", "warning"),
        ("own.rs", "doc-markdown", "warning"), ("quiet.rs", "missing-errors", "warning"),
    ]


def test_item_and_impl_levels_apply_to_their_members(tmp_path):
    lib = (
        "pub struct S;\n#[allow(clippy::missing_errors_doc)]\nimpl S {\n"
        "    /// Loads it.\n    pub fn a(&self) -> Result<(), ()> { Ok(()) }\n"
        "    /// Loads it.\n    #[warn(clippy::missing_errors_doc)]\n    pub fn b(&self) -> Result<(), ()> { Ok(()) }\n}\n"
        "/// Loads it.\n#[expect(clippy::missing_errors_doc)]\npub fn c() -> Result<(), ()> { Ok(()) }\n"
    )
    report = lint_paths([crate(tmp_path, lib) / "src"])
    assert [(f.item, f.code) for f in report.findings] == [("fn b", "missing-errors")]


def test_deny_makes_an_error_and_warn_a_warning(tmp_path):
    unsafe_fn = "/// Writes it.\npub unsafe fn write(p: *mut u8) { *p = 1 }\n"
    assert found(crate(tmp_path, "#![deny(clippy::doc_markdown)]\n" + FALLIBLE)) == [
        ("lib.rs", "doc-markdown", "error"), ("lib.rs", "missing-errors", "warning"),
    ]
    assert found(crate(tmp_path, unsafe_fn, name="b")) == [("lib.rs", "missing-safety", "error")]
    assert found(crate(tmp_path, "#![warn(clippy::missing_safety_doc)]\n" + unsafe_fn, name="c")) == [
        ("lib.rs", "missing-safety", "warning"),
    ]
    assert found(crate(tmp_path, "#![deny(warnings)]\n#![warn(clippy::missing_safety_doc)]\n" + unsafe_fn, name="d")) == [
        ("lib.rs", "missing-safety", "error"),
    ]


def test_cargo_lints_and_the_workspace_s_apply_and_code_attributes_override_them(tmp_path):
    manifest = '[lints.clippy]\npedantic = { level = "allow", priority = -1 }\nmissing_errors_doc = "warn"\n'
    assert found(crate(tmp_path, FALLIBLE, manifest)) == [("lib.rs", "missing-errors", "warning")]
    assert found(crate(tmp_path, "#![warn(clippy::doc_markdown)]\n" + FALLIBLE, manifest, name="b")) == [
        ("lib.rs", "doc-markdown", "warning"), ("lib.rs", "missing-errors", "warning"),
    ]
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "Cargo.toml").write_text('[workspace]\nmembers = ["member"]\n[workspace.lints.clippy]\nmissing_errors_doc = "allow"\n')
    member = crate(workspace, FALLIBLE, "[lints]\nworkspace = true\n", name="member")
    assert found(member) == [("lib.rs", "doc-markdown", "warning")]


def test_rustdoc_lints_cover_links(tmp_path):
    lib = "/// See [`Missing`].\npub fn f() {}\n"
    assert [c for _, c, _ in found(crate(tmp_path, lib))] == ["unresolved-link"]
    assert found(crate(tmp_path, "#![allow(rustdoc::broken_intra_doc_links)]\n" + lib, name="b")) == []


# --- rustdoc-gen's own rules --------------------------------------------------------------

SLOPPY = "/// loads it\npub fn load() -> u32 { 1 }\n"
"""A summary that is not a sentence: rustdoc-gen's style rule, off by default."""


def test_style_rules_are_off_until_selected(tmp_path):
    root = crate(tmp_path, SLOPPY)
    assert found(root) == []
    assert {c for _, c, _ in found(root, command_line=CommandLineRules(extend_select=("summary-not-sentence",)))} == {
        "summary-not-sentence"
    }


def test_rustdoc_gen_toml_and_package_metadata_configure_own_rules(tmp_path):
    root = crate(tmp_path, SLOPPY + FALLIBLE)
    (root / "rustdoc-gen.toml").write_text('extend-select = ["summary-not-sentence"]\nignore = ["doc-markdown"]\n'
                                           '[rules]\nmissing-errors = "error"\n')
    assert {(c, s) for _, c, s in found(root)} == {("summary-not-sentence", "warning"), ("missing-errors", "error")}
    meta = crate(tmp_path, SLOPPY, '[package.metadata.rustdoc-gen]\nrules = { summary-not-sentence = "info" }\n', name="b")
    assert {(c, s) for _, c, s in found(meta)} == {("summary-not-sentence", "info")}


def test_the_command_line_goes_on_top_as_in_ruff(tmp_path):
    root = crate(tmp_path, FALLIBLE)
    (root / "rustdoc-gen.toml").write_text('ignore = ["doc-markdown"]\n')
    assert [c for _, c, _ in found(root)] == ["missing-errors"]
    assert [c for _, c, _ in found(root, command_line=CommandLineRules(select=("clippy",)))] == ["doc-markdown", "missing-errors"]
    assert [c for _, c, _ in found(root, command_line=CommandLineRules(select=("ALL",), ignore=("missing-",)))] == ["doc-markdown"]
    assert found(root, command_line=CommandLineRules(ignore=("clippy::missing_errors_doc",))) == []


def test_a_crate_allow_wins_over_select(tmp_path):
    root = crate(tmp_path, "#![allow(clippy::missing_errors_doc)]\n" + FALLIBLE)
    assert [c for _, c, _ in found(root, command_line=CommandLineRules(select=("missing-errors",)))] == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('select = ["no-such-rule"]\n', "unknown rule 'no-such-rule'"),
        ('[rules]\ndoc-markdown = "loud"\n', "use \"off\" or one of error, warning, info"),
        ("selekt = []\n", "unknown key 'selekt'"),
        ("select = [\n", "rustdoc-gen.toml"),
    ],
)
def test_a_bad_setting_is_an_error_that_names_its_file(tmp_path, config, message):
    root = crate(tmp_path, FALLIBLE)
    (root / "rustdoc-gen.toml").write_text(config)
    with pytest.raises(RuleConfigError, match="rustdoc-gen.toml") as err:
        lint_paths([root / "src"])
    assert message in str(err.value)


def test_an_unknown_command_line_code_is_an_error():
    with pytest.raises(RuleConfigError, match="--select: unknown rule 'nope'"):
        CommandLineRules(select=("nope",))


# --- fixes obey the same rules ------------------------------------------------------------


def test_fix_never_adds_a_section_whose_lint_the_crate_allows(tmp_path):
    root = crate(tmp_path, FALLIBLE)
    fixed, count = fix_source(root / "src" / "lib.rs", FALLIBLE)
    assert count == 1 and "/// # Errors" in fixed
    allowed = crate(tmp_path, FALLIBLE, '[lints.clippy]\nmissing_errors_doc = "allow"\n', name="b")
    assert fix_source(allowed / "src" / "lib.rs", FALLIBLE) == (FALLIBLE, 0)
    text = "#![allow(clippy::missing_errors_doc)]\n" + FALLIBLE
    assert fix_source(crate(tmp_path, text, name="c") / "src" / "lib.rs", text) == (text, 0)


def test_a_workspace_s_rustdoc_gen_toml_applies_to_its_members_unless_they_have_their_own(tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "Cargo.toml").write_text('[workspace]\nmembers = ["a", "b"]\n')
    (workspace / "rustdoc-gen.toml").write_text('extend-select = ["summary-not-sentence"]\n')
    a = crate(workspace, SLOPPY, name="a")
    b = crate(workspace, SLOPPY, '[package.metadata.rustdoc-gen]\nignore = ["summary-not-sentence"]\n', name="b")
    assert {c for _, c, _ in found(a)} == {"summary-not-sentence"}
    assert found(b) == []
