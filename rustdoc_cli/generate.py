"""`rustdoc-gen generate`: document Rust files from the command line."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from rustdoc_console import Interrupted, UserError, table, task_progress, verbosity_options
from rustdoc_console.decode_options import decode_click_options

log = logging.getLogger(__name__)

EXAMPLES = """
\b
Examples:
  rustdoc-gen generate examples/sample.rs          # show the docs as a diff
  rustdoc-gen generate src/ --write                # document a crate in place
  rustdoc-gen generate . --check                   # CI: fail if a pub item lacks a doc
  rustdoc-gen generate src/lib.rs --all --write    # private items too
  rustdoc-gen generate src/ --model model.gguf     # docs from a local GGUF model
  rustdoc-gen generate src/ --model base.gguf --adapter adapter.gguf   # a LoRA adapter on its base
  rustdoc-gen generate src/ --model http://127.0.0.1:8000/v1 --jobs 4   # a model server, 4 items at once
  rustdoc-gen generate src/ --model model.gguf --rag   # the crate's own docs as examples in each prompt
  rustdoc-gen generate src/ --model model.gguf --examples-from data/   # ... and a mined dataset's too
  rustdoc-gen generate src/ --update --write       # also mend stale docs: sections, dead parameters
  rustdoc-gen generate src/ --model model.gguf --no-verify-examples   # examples unchecked (faster)
  rustdoc-gen generate src/ > docs.diff && git apply docs.diff
"""


@click.command(
    "generate",
    short_help="Document undocumented items in Rust files (template or model).",
    epilog=EXAMPLES,
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--write", "-w", is_flag=True, help="Edit the files in place (atomically) instead of printing a diff.")
@click.option(
    "--force",
    is_flag=True,
    help="With --write, write read-only files too (default: leave them, name them, exit 1). A symlink is always written through to its target.",
)
@click.option("--check", is_flag=True, help="Generate nothing; list undocumented items and exit 1 if there are any.")
@click.option("--all", "include_private", is_flag=True, help="Document private items too (default: pub items only).")
@click.option("--overwrite", is_flag=True, help="Replace existing item docs too (default: never touch them; `//!` crate docs always stay).")
@click.option(
    "--model",
    "model_path",
    metavar="GGUF|URL",
    default=None,
    help="GGUF model to write the docs (llama-cpp-python), or the URL of a model server with the OpenAI API "
    "(http://HOST:PORT/v1: vLLM, llama-server, llama-cpp-python, Ollama; its API key from $RUSTDOC_GEN_API_KEY); "
    "default: the template engine.",
)
@click.option(
    "--model-name",
    "served_model",
    metavar="NAME",
    default=None,
    help="With a server URL: the model to ask for (a vLLM LoRA module, an Ollama model); default: the one it serves.",
)
@click.option(
    "--jobs",
    "-j",
    "asked_at_once",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="With a server URL: items asked for at once (the server answers them side by side where it can); "
    "each file's docs still go in in order.",
)
@click.option(
    "--adapter",
    "adapter_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="GGUF LoRA adapter (from `rustdoc-gen export --adapter-only`) applied on top of --model, the base it was trained on.",
)
@click.option(
    "--rag",
    is_flag=True,
    help="Retrieval: show the model the documented items of these files most like each item (its signature and doc) as examples.",
)
@click.option(
    "--examples-from",
    "examples_from",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="With retrieval (implies --rag): draw examples from this mined dataset's train split as well (`rustdoc-gen mine`).",
)
@click.option(
    "--update",
    is_flag=True,
    help="Also mend the stale parts of existing `///` docs, as `check --fix` does: add a required `# Errors`/`# Panics`/`# Safety` "
    "(with --model, the model's text where its doc for the item has that section; else the template's), remove a needless one, drop or rename a dead `# Arguments` entry. The other lines keep their bytes; "
    "the prose `--overwrite` would replace is never touched.",
)
@click.option(
    "--verify-examples/--no-verify-examples",
    "verify_examples",
    default=True,
    show_default=True,
    help="Run each generated `# Examples` block as a doctest against the crate (one cargo build, then rustdoc per example) "
    "before inserting it; a missing `use` or `main` wrapper is added, an example that still fails is dropped and named in "
    "the log. Where the crate does not build (or has no Cargo.toml with a library) one line says so, and only code "
    "blocks that parse as Rust are kept. `--no-verify-examples` inserts examples unchecked.",
)
@decode_click_options
@verbosity_options
def generate(
    paths: tuple[Path, ...],
    write: bool,
    force: bool,
    check: bool,
    include_private: bool,
    overwrite: bool,
    model_path: str | None,
    served_model: str | None,
    asked_at_once: int,
    adapter_path: Path | None,
    rag: bool,
    examples_from: Path | None,
    update: bool,
    verify_examples: bool,
    **decode: object,
) -> None:
    """Write rustdoc for the undocumented items of Rust files or crate directories.

    PATHS are `.rs` files or directories (searched for `*.rs`, skipping `target/`).
    By default only `pub` items get docs (members of trait impls, tests and
    `#[doc(hidden)]` items never do), a crate root gets a `//!` crate doc, and the
    result is printed as a unified diff; existing docs and all code stay as they
    are. Without `--model` the docs come from the deterministic template engine,
    which needs no model and writes `# Errors`, `# Panics` and `# Safety` sections
    where clippy asks for them. A model's answers pass through the same output
    guard as in the editor: what cannot be repaired falls back to the template.

    With `--write` each file is replaced as soon as its docs are done, so an
    interrupted run loses nothing: run it again and it goes on with the items
    still undocumented.

    With `--rag` each model prompt also shows up to three documented items of
    the same files that are most like the item (by kind, name, signature,
    container and module), so the model can follow the crate's own wording;
    the template engine takes only their opening verb for getters, constructors
    and predicates.

    With `--update`, documented items whose docs have gone stale after the code changed
    are mended too (the same certain fixes as `rustdoc-gen check --fix`).

    Examples are compiled before they go in: no example that fails to compile is
    inserted (`--no-verify-examples` skips this). Where the crate does not build,
    the run goes on, says so once, and keeps only code blocks that parse as Rust.
    """
    from rustdoc_core.generation.crate_context import CrateContext
    from rustdoc_core.generation.decode import options_from_kwargs

    if check and (write or overwrite or update):
        raise UserError("--check only reports; it cannot be combined with --write, --overwrite or --update")
    if update and overwrite:
        raise UserError("--update mends stale docs and keeps the rest; --overwrite replaces whole docs: choose one")
    if adapter_path is not None and model_path is None:
        raise UserError("--adapter needs --model: the base GGUF the adapter was trained on")
    files = _rust_files(paths)
    retrieval = _examples_index(examples_from) if rag or examples_from is not None else None
    crate = CrateContext.of_files(retrieval=retrieval, verify_examples=verify_examples)
    jobs, unreadable = _plan(files, crate, include_private=include_private, overwrite=overwrite, update=update)
    if check:
        _report_missing(jobs, len(files), unreadable)
        return
    generator = _load_generator(model_path, adapter_path, options_from_kwargs(decode), served_model=served_model, jobs=asked_at_once)
    try:
        outcomes, changed, unwritten = _document(jobs, generator, crate, write=write, force=force)
    finally:
        generator.close()
    _print_summary(jobs, outcomes, changed, generator, write=write, retrieval=retrieval)
    if unwritten:
        read_only = any(reason == "read-only" for _, reason in unwritten)
        raise UserError(
            f"{len(unwritten)} file(s) not written: " + ", ".join(f"{path} ({reason})" for path, reason in unwritten)
            + ("; --force writes read-only files" if read_only else "")
        )


def _rust_files(paths: tuple[Path, ...]) -> list[Path]:
    from rustdoc_core.rust.files import InputError, rust_files

    try:
        files = rust_files(paths)
    except InputError as err:
        raise UserError(str(err)) from err
    if not files:
        raise UserError(f"no .rs files under {', '.join(str(p) for p in paths)}")
    return files


def _plan(files: list[Path], crate, *, include_private: bool, overwrite: bool, update: bool = False):
    """Each readable file's job, and the files that could not be read; every parsed file joins
    the crate context (names, aliases, examples)."""
    from rustdoc_core.errors import os_error_text
    from rustdoc_core.generation.document import plan_file
    from rustdoc_core.rust.files import InputError

    jobs, unreadable = [], []
    for path in files:
        try:
            job = plan_file(path, include_private=include_private, overwrite=overwrite, update=update, crate=crate)
        except InputError as err:
            log.warning("skipping %s", err)
            unreadable.append(path)
            continue
        except OSError as err:
            log.warning("skipping %s", os_error_text(err) if err.filename else f"{path}: {os_error_text(err)}")
            unreadable.append(path)
            continue
        jobs.append(job)
        crate.add(path, job.source)
    return jobs, unreadable


def _report_missing(jobs, file_count: int, unreadable: list[Path]) -> None:
    missing = [(job.path, item.start_line, item.label) for job in jobs for item in job.items]
    missing += [(job.path, 0, "crate doc (//!)") for job in jobs if job.needs_crate_doc]
    for path, line, label in sorted(missing):
        click.echo(f"{path}:{line + 1}: {label} has no doc")
    documented = sum(job.already_documented for job in jobs)
    if missing:
        raise UserError(
            f"{len(missing)} item(s) without a doc ({documented} documented) in {file_count} file(s)"
            + (f"; {len(unreadable)} file(s) could not be read" if unreadable else "")
        )
    if unreadable:  # what could not be read cannot be said to be documented
        raise UserError(f"{len(unreadable)} of {file_count} file(s) could not be read (see the warnings above); {documented} item(s) documented in the rest")
    log.info("all %d item(s) documented in %d file(s)", documented, file_count)


def _examples_index(examples_from: Path | None):
    """The run's retrieval index: a dataset's train split, if given; the files' own documented
    items join it as they are planned."""
    from rustdoc_core.generation.retrieval import RetrievalIndex

    index = RetrievalIndex()
    if examples_from is not None:
        from corpus_miner.validate import checked_records

        try:
            index.add_records(checked_records(examples_from, "train"))
        except (OSError, ValueError, KeyError) as err:
            raise UserError(f"--examples-from {examples_from}: {str(err).splitlines()[0]}") from None
    return index


def _load_generator(model_path: str | None, adapter_path: Path | None, options, *, served_model: str | None = None, jobs: int = 1):
    from rustdoc_core.generation.generators import GeneratorSpec, ModelLoadError, make_generator

    try:
        spec = GeneratorSpec.of_model(model_path, adapter_path, served_model)
    except ValueError as err:
        raise UserError(f"--model {model_path}: {err}") from None
    if jobs > 1 and spec.kind != "openai":
        raise UserError("--jobs asks a model server (--model http://HOST:PORT/v1) for several items at once; a GGUF or the template answers one at a time")
    generator = make_generator(spec, options, jobs=jobs)
    try:
        generator.load()
    except ModelLoadError as err:
        raise UserError(str(err)) from err
    return generator


def _document(jobs, generator, crate, *, write: bool, force: bool = False):
    """Document every job; write each file as soon as it is done (or print diffs at the end).

    A file that cannot be written (read-only without `force`, immutable, on a full disk) is
    named in a warning and left as it was; the others are still written. Returns the outcomes,
    how many files changed, and the (path, reason) of each file not written."""
    from rustdoc_cli.diffs import unified_diff
    from rustdoc_core.atomic import ReadOnlyFileError, write_text_atomic
    from rustdoc_core.docs.example_verify import BuildFailed
    from rustdoc_core.errors import os_error_text
    from rustdoc_core.generation.document import document_file
    from rustdoc_core.generation.generators import GenerationCancelled, ModelLoadError

    outcomes = []
    diffs: list[str] = []
    changed = 0
    unwritten: list[tuple[Path, str]] = []
    total = sum(job.outcomes_due for job in jobs)

    def report(outcome) -> None:
        outcomes.append(outcome)
        if outcome.status == "updated":
            log.info("%s: %s updated: %s", outcome.where(), outcome.label, outcome.message)
        elif outcome.status != "documented" or outcome.message:
            log.warning("%s: %s %s: %s", outcome.where(), outcome.label, outcome.status, outcome.message)

    try:
        with task_progress(f"Documenting with {generator.name}", total) as advance:
            for job in (job for job in jobs if job.outcomes_due):
                result = document_file(job, generator, crate, on_item=report, on_progress=advance)
                if not result.changed:
                    continue
                changed += 1
                if write:
                    try:
                        write_text_atomic(job.path, result.new_text, force=force)
                    except ReadOnlyFileError:
                        log.warning("not written: %s is read-only (--force writes it)", job.path)
                        unwritten.append((job.path, "read-only"))
                        changed -= 1
                    except OSError as err:
                        log.warning("not written: %s", os_error_text(err))
                        unwritten.append((job.path, err.strerror or "cannot write"))
                        changed -= 1
                else:
                    diffs.append(unified_diff(job.path, result.old_text, result.new_text, result.edits))
    except BuildFailed as err:
        raise UserError(f"--verify-examples: the crate does not build, so its examples cannot be checked: {err}") from None
    except ModelLoadError as err:  # the model server went away (BackendUnavailable): no later item can be answered
        raise UserError(
            f"{err}; stopped after {len(outcomes)} of {total} item(s)"
            + ("; files finished so far are written, run again to continue" if write else "")
        ) from None
    except (KeyboardInterrupt, GenerationCancelled):
        raise Interrupted(
            f"interrupted after {len(outcomes)} of {total} item(s)"
            + ("; files finished so far are written, run again to continue" if write else "")
        ) from None
    for diff in diffs:
        click.echo(diff, nl=False)
    return outcomes, changed, unwritten


def _print_summary(jobs, outcomes, changed: int, generator, *, write: bool, retrieval=None) -> None:
    from rustdoc_core.generation.document import summarize

    counts = summarize(outcomes)
    rows = [
        ("generator", generator.name),
        ("documented", counts["documented"]),
        ("updated (stale docs mended)", counts["updated"]),
        ("already documented", sum(job.already_documented for job in jobs)),
        ("skipped", counts["skipped"]),
        ("failed", counts["failed"]),
        ("files changed" if write else "files with a diff", changed),
    ]
    if retrieval is not None:
        rows.append(("examples indexed (--rag)", len(retrieval)))
    if generator.is_model:
        rows[2:2] = [
            ("  as generated", counts["origin:model"]),
            ("  repaired", counts["origin:repaired"]),
            ("  template fallback", counts["origin:template"]),
        ]
    table("Summary", ("items", "count"), rows)
    if counts["failed"]:
        raise UserError(f"{counts['failed']} item(s) failed; see the warnings above")
