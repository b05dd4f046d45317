"""Every finding code rustdoc-gen reports, in one table: its severity, its help, whether
`check --fix` mends it for certain, and where it comes from (the clippy or rustdoc lint of
the same meaning, or `rustdoc-gen`'s own rule), and whether `check` and the editor report
it when nothing is configured.

The checker's findings (`checker.check_doc`), the source-level ones of `lint`, the output
guard's (`generation/guard.py`) and the editor's missing-doc hint all take their facts from
here. The section rules' entries are generated from `section_rules.SECTION_RULES`; any other
code is one line of `FINDINGS`. A code named after a lint (`source`) follows the crate's lint
levels, as clippy would (`rule_config`); rustdoc-gen's own rules follow its configuration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rustdoc_core.docs.section_rules import SECTION_RULES, SEVERITIES

TOOL = "rustdoc-gen"
"""The `source` of a rule that is rustdoc-gen's own, not a clippy or rustdoc lint."""

STAGES = ("check", "doctest", "guard", "editor")
"""Who reports a code: the doc checker (`check`), `check --doctests`, the output guard on a
model's answer, the editor alone (its missing-doc hint)."""

FIX_HELP = "`rustdoc-gen check --fix` does it"


@dataclass(frozen=True)
class FindingRule:
    """One finding code and everything known about it."""

    code: str
    severity: str  # of SEVERITIES: the default; a crate's `deny`/`warn` or its config can change it
    help: str  # what to do about it
    source: str = TOOL  # the clippy/rustdoc/rustc lint with the same meaning, or TOOL
    groups: tuple[str, ...] = ()  # lint groups whose level covers `source` (`clippy::pedantic`)
    fixable: bool = False  # `update_doc` (check --fix, generate --update, the editor) fixes it without a model
    fix_help: str = FIX_HELP
    default_on: bool = True  # reported by `check` and the editor without configuration
    stage: str = "check"

    @property
    def is_lint(self) -> bool:
        """Whether the code is a lint's (clippy, rustdoc, rustc): the crate's lint levels apply."""
        return self.source != TOOL

    @property
    def lint_names(self) -> tuple[str, ...]:
        """The lint and the groups an `allow(...)` / `[lints]` entry may name to set its level."""
        return (self.source, *self.groups) if self.is_lint else ()

    @property
    def full_help(self) -> str:
        """The help, and how `--fix` does it where it can."""
        return f"{self.help}; {self.fix_help}" if self.fixable else self.help


def _section_rules() -> Iterator[FindingRule]:
    """The entries of the required sections (`missing-errors`, `needless-safety`, ...)."""
    for rule in SECTION_RULES:
        yield FindingRule(
            rule.code, rule.severity, f"add a `# {rule.name}` section ({rule.why})",
            source=rule.clippy_lint, groups=rule.clippy_groups, fixable=True,
        )
        if rule.needless_code:
            yield FindingRule(
                rule.needless_code, rule.needless_severity, f"remove the `# {rule.name}` section ({rule.needless_why})",
                fixable=True,
            )


_PEDANTIC = ("clippy::pedantic",)
_STYLE = ("clippy::style", "clippy::all")
_SUSPICIOUS = ("clippy::suspicious", "clippy::all")
_NURSERY = ("clippy::nursery",)
_RUSTDOC = ("rustdoc::all",)


FINDINGS: dict[str, FindingRule] = {rule.code: rule for rule in (
    *_section_rules(),
    # the checker's, on a doc's text
    FindingRule("empty-doc", "error", "write a summary sentence, or remove the empty doc comment", "clippy::empty_docs", _SUSPICIOUS),
    FindingRule("unbalanced-fence", "error", "close the code block with a matching fence"),
    FindingRule("invalid-rust-fence", "error", "fix the example, or mark a non-Rust block with its language (```text)"),
    FindingRule("unknown-param", "error", "rename the mention to a real parameter or remove it", fixable=True,
                fix_help="`rustdoc-gen check --fix` renames or drops `# Arguments` entries"),
    FindingRule("doc-markdown", "warning", "put code in backticks, URLs in `<...>`", "clippy::doc_markdown", _PEDANTIC),
    FindingRule("invalid-html-tag", "warning", "put generic types in backticks: rustdoc reads `<T>` as an HTML tag",
                "rustdoc::invalid_html_tags", _RUSTDOC),
    FindingRule("unresolved-link", "warning", "link to an item that exists (renamed or removed?), or drop the brackets",
                "rustdoc::broken_intra_doc_links", _RUSTDOC),
    FindingRule("long-first-paragraph", "warning", "keep the first paragraph a short summary; move details to a second paragraph",
                "clippy::too_long_first_doc_paragraph", _NURSERY),
    FindingRule("summary-not-sentence", "warning", "start with a capital letter, use the third person, end with a period "
                "(rustdoc-gen's style, not a clippy lint)", default_on=False),
    FindingRule("fn-main-in-doctest", "warning", "drop the `fn main() { ... }` wrapper: rustdoc adds one",
                "clippy::needless_doctest_main", _STYLE),
    # rustdoc-gen's style for the docs it writes (repair mends them); off in `check` unless selected
    FindingRule("long-summary", "warning", "keep the summary under 201 characters (rustdoc-gen's style where "
                "clippy's too_long_first_doc_paragraph does not look: members, private items, one-line docs)", default_on=False),
    FindingRule("doctest-declares-main", "warning", "let rustdoc wrap the example in `fn main` (rustdoc-gen's style; "
                "clippy's needless_doctest_main only flags an example that is nothing but `fn main`)", default_on=False),
    # the source's, around a doc
    FindingRule("four-slashes", "warning", "write `///`: a `////` line is a plain comment, left out of the doc",
                "clippy::four_forward_slashes", _SUSPICIOUS, fixable=True),
    FindingRule("failing-doctest", "error", "fix the example, or mark it `no_run`/`ignore` with a reason", stage="doctest"),
    # the editor's hint on an item without a doc
    FindingRule("missing-doc", "info", "write a doc, or let rustdoc-gen draft one (code action)", "missing_docs", stage="editor"),
    # the output guard's, on a model's answer (generation/guard.py)
    FindingRule("repetition", "error", "say each thing once", stage="guard"),
    FindingRule("echoed-code", "error", "use the item in the example; do not restate its code", stage="guard"),
    FindingRule("ungrounded-identifier", "error", "name only what the item, the crate, std or a dependency defines", stage="guard"),
    FindingRule("chat-leftover", "error", "remove chat-template text", stage="guard"),
    FindingRule("wrong-kind", "error", "call the item by its own kind", stage="guard"),
    FindingRule("meta-talk", "error", "document the item, not the code or the answer", stage="guard"),
    FindingRule("misshapen-summary", "error", "open with what the item is (a type, field, variant, constant) or does (a fn); "
                "\"Returns ...\" is for functions", stage="guard"),
    FindingRule("contradicted-claim", "error", "claim only what the signature allows: `true`/`false` of a `bool`, `Ok`/`Err` of "
                "a `Result`, `Some`/`None` of an `Option`, nothing returned by a fn that returns nothing", stage="guard"),
    FindingRule("copied-doc", "error", "say what this item does in its own words, not another item's doc", stage="guard"),
    FindingRule("malformed-markdown", "error", "close every code span and code fence", stage="guard"),
    FindingRule("needless-section", "warning", "say parameters and the return value in prose; drop sections with nothing "
                "to say (`# Arguments`, `# Returns`, \"This function does not panic.\")", stage="guard"),
    FindingRule("unfinished-sentence", "warning", "finish or drop the last sentence", stage="guard"),
    FindingRule("over-length", "warning", "keep the doc to its kind's budget", stage="guard"),
)}
"""Every finding code by name, in the order they are listed to users."""

assert all(rule.severity in SEVERITIES and rule.stage in STAGES for rule in FINDINGS.values())


def finding_rule(code: str) -> FindingRule:
    return FINDINGS[code]


def codes(*stages: str) -> tuple[str, ...]:
    """The codes reported at these stages, in table order."""
    return tuple(code for code, rule in FINDINGS.items() if rule.stage in stages)


CHECK_CODES = codes("check", "doctest")
"""What `rustdoc-gen check` can report (`--doctests` included)."""

GUARD_SEVERITY = {code: FINDINGS[code].severity for code in codes("guard")}
"""The output guard's codes and their severities."""

CERTAIN_FIXES = frozenset(code for code, rule in FINDINGS.items() if rule.fixable)
"""Codes `check --fix` (and `generate --update`, the editor's "Update rustdoc") fix without a model."""


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a doc: its code (a key of `FINDINGS`), what is wrong, how bad it is,
    and where in the doc text it is."""

    code: str
    message: str
    severity: str
    line: int | None = None  # line of the doc text (0-based); None: the item as a whole
    col: int | None = None  # column in that line (0-based), where the finding knows it


def finding(code: str, message: str, line: int | None = None, col: int | None = None) -> Finding:
    """A finding with its code's default severity."""
    return Finding(code, message, FINDINGS[code].severity, line, col)
