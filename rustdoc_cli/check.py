"""`rustdoc-gen check`: lint the docs a crate already has, for people and for CI."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from rustdoc_console import UserError, verbosity_options

log = logging.getLogger(__name__)

EXAMPLES = """
\b
Examples:
  rustdoc-gen check src/                           # findings as path:line:col lines
  rustdoc-gen check . --fail-on warning            # CI: exit 1 on any warning too
  rustdoc-gen check src/ --format sarif -o docs.sarif   # for GitHub code scanning
  rustdoc-gen check src/lib.rs --format json       # machine-readable findings
  rustdoc-gen check src/ --fix                     # add missing sections, drop needless ones
  rustdoc-gen check . --doctests                   # also run the examples (cargo test --doc)
  rustdoc-gen check . --select clippy              # only the findings named after clippy lints
  rustdoc-gen check . --extend-select summary-not-sentence --ignore doc-markdown

\b
Rules follow the crate's own configuration: `#![allow(clippy::missing_errors_doc)]` and the
like in the code, `[lints.clippy]` / `[lints.rustdoc]` in Cargo.toml (or the workspace's), and
rustdoc-gen's own rules in `rustdoc-gen.toml` or `[package.metadata.rustdoc-gen]`:

\b
  [package.metadata.rustdoc-gen]
  extend-select = ["summary-not-sentence"]   # rustdoc-gen's style rules are off by default
  ignore = ["unknown-param"]
  rules = { invalid-rust-fence = "warning" } # a code -> "off" | "info" | "warning" | "error"
"""


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """`--select a,b --select c` -> (a, b, c)."""
    return tuple(code.strip() for value in values for code in value.split(",") if code.strip())


@click.command(
    "check",
    short_help="Lint existing docs (clippy-shaped, JSON, SARIF); --fix.",
    epilog=EXAMPLES,
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["human", "json", "sarif"]),
    default="human",
    show_default=True,
    help="`human`: clippy-shaped lines with a help line each; `json`; `sarif`: SARIF 2.1.0.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding of this severity or worse remains (`never`: always exit 0).",
)
@click.option(
    "--fix",
    is_flag=True,
    help="First apply the fixes that are certain (no model): add missing `# Errors`/`# Panics`/`# Safety` "
    "from the template, remove needless sections, drop `# Arguments` entries of parameters that do not exist. "
    "Whole `///` lines only; the other lines of a doc keep their bytes. Files are replaced atomically.",
)
@click.option(
    "--doctests",
    is_flag=True,
    help="Also run `cargo test --doc` (once per crate) and report each failing example at its code fence.",
)
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Report only these rules (comma-separated; repeatable), replacing the crate's selection: codes "
    "(`doc-markdown`), lints (`clippy::doc_markdown`), tools (`clippy`, `rustdoc`, `rustdoc-gen`), "
    "prefixes (`missing-`) or `ALL`. A crate's `#[allow]` still silences a lint's finding.",
)
@click.option("--extend-select", multiple=True, metavar="CODES", help="Also report these rules (e.g. `summary-not-sentence`).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Do not report these rules.")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the report to this file (atomically) instead of standard output.",
)
@verbosity_options
def check(
    paths: tuple[Path, ...],
    fmt: str,
    fail_on: str,
    fix: bool,
    doctests: bool,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    output: Path | None,
) -> None:
    """Lint the existing docs of Rust files or crate directories with the shared checker.

    PATHS are `.rs` files or directories (searched for `*.rs`, skipping `target/`). Every
    documented item is checked the way clippy's doc lints see it (missing_errors_doc,
    missing_panics_doc, missing_safety_doc, doc_markdown, empty_docs, too_long_first_doc_paragraph,
    needless_doctest_main, four_forward_slashes: each fires where clippy's would with the lint
    on; only items the crate exports need sections, found from its `mod` tree and `pub use`s),
    plus sections the code no longer needs, parameters named that do not exist, and code blocks
    that are not Rust.

    Severities: `error` (a doc that misleads or breaks rustdoc), `warning`, `info`; a crate's
    `deny` makes a lint's finding an error, `warn` a warning.
    """
    from rustdoc_core import __version__
    from rustdoc_core.atomic import write_text_atomic
    from rustdoc_core.docs.lint import DoctestRunFailed, lint_paths, render
    from rustdoc_core.docs.rule_config import CommandLineRules, RuleConfigError
    from rustdoc_core.rust.files import InputError, rust_files

    try:
        if not rust_files(paths):
            raise UserError(f"no .rs files under {', '.join(str(p) for p in paths)}")
        command_line = CommandLineRules(_codes(select), _codes(extend_select), _codes(ignore))
        report = lint_paths(paths, fix=fix, doctests=doctests, command_line=command_line)
    except (InputError, RuleConfigError) as err:
        raise UserError(str(err)) from err
    except DoctestRunFailed as err:
        raise UserError(f"cargo test --doc failed before running the examples: {err}") from err
    for reason in report.skipped:
        log.warning("skipped %s", reason)
    text = render(report, fmt, __version__, base=Path.cwd())
    if output is not None:
        write_text_atomic(output, text)
    else:
        click.echo(text, nl=False)
    if fail_on != "never" and report.at_or_above(fail_on):
        raise SystemExit(1)
