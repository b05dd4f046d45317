"""`rustdoc-gen mine` and `rustdoc-gen validate`."""

from __future__ import annotations

from pathlib import Path

import click

from corpus_miner.extract import ExtractOptions
from corpus_miner.presets import load_presets, preset
from corpus_miner.sources import RepoSource, default_cache_dir, git_source, is_git_url, local_source, split_rev
from corpus_miner.walk import WalkOptions
from rustdoc_console import UserError, stdout, verbosity_options
from rustdoc_core.rust.items import ITEM_KINDS


def _ratios(ctx: click.Context, param: click.Parameter, value: str) -> tuple[float, float, float]:
    try:
        parts = tuple(float(p) for p in value.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3 or any(p < 0 for p in parts) or sum(parts) <= 0:
        raise click.BadParameter("give three non-negative numbers TRAIN,VALIDATION,TEST, e.g. 0.8,0.1,0.1")
    total = sum(parts)
    return tuple(round(p / total, 6) for p in parts)  # type: ignore[return-value]


@click.command(
    "mine",
    short_help="Mine (doc comment, item) pairs from Rust repos into a dataset.",
    epilog="""\b
Examples:
  rustdoc-gen mine ~/src/ripgrep -o data/rg
  rustdoc-gen mine https://github.com/sharkdp/bat --rev v0.24.0 ~/src/mycrate -o data/mix
  rustdoc-gen mine --preset cli -o data/cli
  rustdoc-gen mine ~/src/ripgrep ~/src/bat --test-repo bat -o data/held-out
  rustdoc-gen validate data/cli
""",
)
@click.argument("inputs", nargs=-1, metavar="PATH_OR_GIT_URL...")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Dataset directory to write (replaced atomically).")
@click.option("--preset", "preset_name", type=click.Choice(sorted(load_presets())), help="Mine a pinned reference corpus (cli: ripgrep, clap, bat, eza).")
@click.option("--rev", help="Branch, tag or commit for the git URLs (or per URL: URL#REV). Default: the default branch.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Where git URLs are cloned.  [default: $XDG_CACHE_HOME/rustdoc-gen/repos]")
@click.option("-j", "--workers", type=click.IntRange(min=0), default=0, show_default=True, help="Worker processes; 0 = one per CPU.")
@click.option("--split", "ratios", default="0.8,0.1,0.1", show_default=True, callback=_ratios,
              help="TRAIN,VALIDATION,TEST shares of the records, dealt out by whole files.")
@click.option("--test-repo", metavar="NAME", help="Hold this repository out whole as the test split (the others share train "
              "and validation by --split): the honest test of a doc model, crates it never saw. NAME as in the output's table.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the file-to-split hash.")
@click.option("--min-doc-chars", type=click.IntRange(min=0), default=ExtractOptions.min_doc_chars, show_default=True, help="Drop docs shorter than this (whitespace squashed).")
@click.option("--max-file-size", type=click.IntRange(min=1), default=ExtractOptions.max_file_bytes, show_default=True, help="Skip .rs files larger than this many bytes.")
@click.option("--max-source-bytes", type=click.IntRange(min=256), default=ExtractOptions.max_source_bytes, show_default=True, help="Cap on an item's stored source.")
@click.option("--include-examples", is_flag=True, help="Also mine examples/ directories (tests and benches are always skipped).")
@click.option("--exclude-kind", "exclude_kinds", multiple=True, type=click.Choice(ITEM_KINDS), help="Leave out items of this kind (repeatable), e.g. field.")
@click.option("--push-to-hub", metavar="OWNER/NAME", help="Upload the dataset (splits, stats.json, its README.md card) to this "
              "Hugging Face dataset repo in one commit (token from HF_TOKEN or `hf auth login`).")
@click.option("--private", is_flag=True, help="Create the --push-to-hub repo private (an existing repo keeps its visibility).")
@click.option("--revision", metavar="BRANCH", help="Push to this branch, created from main if missing.  [default: main]")
@verbosity_options
def mine(inputs: tuple[str, ...], output: Path, preset_name: str | None, rev: str | None, cache_dir: Path | None,
         workers: int, ratios: tuple[float, float, float], test_repo: str | None, seed: int, min_doc_chars: int, max_file_size: int,
         max_source_bytes: int, include_examples: bool, exclude_kinds: tuple[str, ...], push_to_hub: str | None,
         private: bool, revision: str | None) -> None:
    """Mine (doc comment, documented item) pairs from Rust repositories into a dataset.

    Each PATH_OR_GIT_URL is a local checkout or a git URL (cloned shallow into a
    cache). Items in tests, benches, vendored and generated code and
    #[doc(hidden)] items are skipped; docs that teach nothing and duplicates
    are dropped (counted by reason). Items go to train/validation/test by
    whole files, balanced so each split gets close to its share of records;
    no file straddles splits. The output directory loads with
    `datasets.load_dataset("json", data_dir=DIR)`; re-running gives
    byte-identical files.
    """
    from corpus_miner.mine import MineOptions, check_output, check_test_repo, mine_dataset
    from rustdoc_core.hub import HubPushError, check_push, push_dataset

    if not inputs and not preset_name:
        raise UserError("give at least one PATH_OR_GIT_URL, or --preset NAME")
    check_output(output)
    if push_to_hub:
        try:  # before the long work: a missing token or network fails now
            check_push(push_to_hub)
        except HubPushError as error:
            raise UserError(str(error)) from None
    cache = cache_dir or default_cache_dir()
    sources: list[RepoSource] = []
    for text in inputs:
        if is_git_url(text):
            url, own_rev = split_rev(text)
            sources.append(git_source(url, own_rev or rev, cache))
        else:
            if rev:
                raise UserError(f"--rev applies to git URLs; {text} is a local path (check out the revision there)")
            sources.append(local_source(Path(text)))
    if preset_name:
        for repo in preset(preset_name):
            sources.append(git_source(repo.url, repo.commit, cache, name=repo.name))
    check_test_repo(sources, test_repo)
    options = MineOptions(
        extract=ExtractOptions(min_doc_chars=min_doc_chars, max_file_bytes=max_file_size, max_source_bytes=max_source_bytes,
                               exclude_kinds=frozenset(exclude_kinds), seed=seed, ratios=ratios),
        walk=WalkOptions(include_examples=include_examples),
        workers=workers,
        test_repo=test_repo,
    )
    stats = mine_dataset(sources, output, options)
    splits = stats["splits"]
    stdout.print(f"wrote {stats['records']:,} records to {output} "
                 f"(train {splits['train']:,}, validation {splits['validation']:,}, test {splits['test']:,})")
    if push_to_hub:
        try:
            pushed = push_dataset(output, push_to_hub, private=private, revision=revision)
        except HubPushError as error:
            raise UserError(f"{error}; nothing was committed to {push_to_hub} (the dataset is in {output})") from None
        stdout.print(pushed.commit_url)


@click.command(
    "validate",
    short_help="Check a mined dataset: schema, splits, counts.",
    epilog="\b\nExample:\n  rustdoc-gen validate data/cli",
)
@click.argument("dataset", type=click.Path(path_type=Path))
@verbosity_options
def validate(dataset: Path) -> None:
    """Check a dataset made by `rustdoc-gen mine`: every record's schema and
    non-empty fields, records that restore to items, ids unique, splits
    disjoint by file, counts matching stats.json. Prints each problem as
    FILE:LINE: message and exits non-zero if there is any.
    """
    from corpus_miner.validate import validate_dataset

    if not dataset.exists():
        raise UserError(f"no such dataset directory: {dataset}")
    problems = validate_dataset(dataset, include_warnings=True)
    for problem in problems:
        where = f"{dataset / problem.path}" + (f":{problem.line}" if problem.line is not None else "")
        stdout.print(f"{where}: {problem.severity}: {problem.message}", markup=False)
    errors = sum(p.severity == "error" for p in problems)
    if errors:
        raise UserError(f"{errors} error{'s' if errors != 1 else ''} in {dataset}")
    warnings = len(problems) - errors
    stdout.print(f"{dataset}: ok" + (f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""))
