"""`rustdoc-gen generate`: document Rust files from the command line."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from rustdoc_core.console import UserError, table, task_progress, verbosity_options

log = logging.getLogger(__name__)

EXAMPLES = """
\b
Examples:
  rustdoc-gen generate examples/sample.rs          # show the docs as a diff
  rustdoc-gen generate src/ --write                # document a crate in place
  rustdoc-gen generate . --check                   # CI: fail if a pub item lacks a doc
  rustdoc-gen generate src/lib.rs --all --write    # private items too
  rustdoc-gen generate src/ --model model.gguf     # docs from a local GGUF model
  rustdoc-gen generate src/ > docs.diff && git apply docs.diff
"""


@click.command(
    "generate",
    short_help="Document undocumented items in Rust files (template or model).",
    epilog=EXAMPLES,
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--write", "-w", is_flag=True, help="Edit the files in place (atomically) instead of printing a diff.")
@click.option("--check", is_flag=True, help="Generate nothing; list undocumented items and exit 1 if there are any.")
@click.option("--all", "include_private", is_flag=True, help="Document private items too (default: pub items only).")
@click.option("--overwrite", is_flag=True, help="Replace existing item docs too (default: never touch them; `//!` crate docs always stay).")
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="GGUF model to write the docs (llama-cpp-python); default: the template engine.",
)
@click.option("--max-tokens", type=click.IntRange(min=16), default=384, show_default=True, help="Most tokens per doc (model only).")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="CPU threads for the model (default: llama.cpp's choice).")
@click.option("--context-size", type=click.IntRange(min=512), default=4096, show_default=True, help="Model context in tokens.")
@verbosity_options
def generate(
    paths: tuple[Path, ...],
    write: bool,
    check: bool,
    include_private: bool,
    overwrite: bool,
    model_path: Path | None,
    max_tokens: int,
    threads: int | None,
    context_size: int,
) -> None:
    """Write rustdoc for the undocumented items of Rust files or crate directories.

    PATHS are `.rs` files or directories (searched for `*.rs`, skipping `target/`).
    By default only `pub` items get docs (members of trait impls, tests and
    `#[doc(hidden)]` items never do), a crate root gets a `//!` crate doc, and the
    result is printed as a unified diff; existing docs and all code stay as they
    are. Without `--model` the docs come from the deterministic template engine,
    which needs no model and writes `# Errors`, `# Panics` and `# Safety` sections
    where clippy asks for them.

    With `--write` each file is replaced as soon as its docs are done, so an
    interrupted run loses nothing: run it again and it goes on with the items
    still undocumented.
    """
    from rustdoc_core.atomic import write_text_atomic
    from rustdoc_core.generate import (
        FileJob,
        InputError,
        ItemOutcome,
        collect_result_aliases,
        document_file,
        plan_file,
        rust_files,
        summarize,
        unified_diff,
    )
    from rustdoc_core.generators import GenerationCancelled, LlamaGenerator, ModelLoadError, make_generator

    if check and (write or overwrite):
        raise UserError("--check only reports; it cannot be combined with --write or --overwrite")
    try:
        files = rust_files(paths)
    except InputError as err:
        raise UserError(str(err)) from err
    if not files:
        raise UserError(f"no .rs files under {', '.join(str(p) for p in paths)}")

    jobs: list[FileJob] = []
    for path in files:
        try:
            jobs.append(plan_file(path, include_private=include_private, overwrite=overwrite))
        except InputError as err:
            log.warning("skipping %s", err)
        except OSError as err:
            log.warning("skipping %s: %s", path, err.strerror or err)

    if check:
        missing = [
            (job.path, item.start_line, item.label)
            for job in jobs
            for item in job.items
        ] + [(job.path, 0, "crate doc (//!)") for job in jobs if job.needs_crate_doc]
        for path, line, label in sorted(missing):
            click.echo(f"{path}:{line + 1}: {label} has no doc")
        documented = sum(job.already_documented for job in jobs)
        if missing:
            raise UserError(f"{len(missing)} item(s) without a doc ({documented} documented) in {len(files)} file(s)")
        log.info("all %d item(s) documented in %d file(s)", documented, len(files))
        return

    generator = make_generator(model_path, n_ctx=context_size, n_threads=threads, max_tokens=max_tokens) if model_path else make_generator(None)
    if isinstance(generator, LlamaGenerator):
        try:
            generator.load()
        except ModelLoadError as err:
            raise UserError(str(err)) from err

    aliases = collect_result_aliases(job.source for job in jobs)
    outcomes: list[ItemOutcome] = []
    diffs: list[str] = []
    changed = 0
    total = sum(job.work for job in jobs)

    def report(outcome: ItemOutcome) -> None:
        outcomes.append(outcome)
        if outcome.status != "documented":
            log.warning("%s: %s %s: %s", outcome.where(), outcome.label, outcome.status, outcome.message)

    try:
        with task_progress(f"Documenting with {generator.name}", total) as advance:

            for job in jobs:
                if not job.work:
                    continue
                result = document_file(job, generator, on_item=report, on_progress=advance, result_aliases=aliases)
                if not result.changed:
                    continue
                changed += 1
                if write:
                    write_text_atomic(job.path, result.new_text)
                else:
                    diffs.append(unified_diff(job.path, result.old_text, result.new_text))
    except (KeyboardInterrupt, GenerationCancelled):
        raise UserError(
            f"interrupted after {len(outcomes)} of {total} item(s)"
            + ("; files finished so far are written, run again to continue" if write else "")
        ) from None

    for diff in diffs:
        click.echo(diff, nl=False)

    counts = summarize(outcomes)
    rows = [
        ("documented", counts["documented"]),
        ("already documented", sum(job.already_documented for job in jobs)),
        ("skipped", counts["skipped"]),
        ("failed", counts["failed"]),
        ("files changed" if write else "files with a diff", changed),
    ]
    if model_path:
        rows[1:1] = [
            ("  as generated", counts["origin:model"]),
            ("  repaired", counts["origin:repaired"]),
            ("  template fallback", counts["origin:template"]),
        ]
    rows.insert(0, ("generator", generator.name))
    table("Summary", ("items", "count"), rows)
    if counts["failed"]:
        raise UserError(f"{counts['failed']} item(s) failed; see the warnings above")
