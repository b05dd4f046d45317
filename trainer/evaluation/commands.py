"""`rustdoc-gen eval`: doc generators side by side on held-out code."""

from __future__ import annotations

from pathlib import Path

import click

from rustdoc_console import Interrupted, UserError, stdout, table, verbosity_options
from rustdoc_console.decode_options import decode_click_options
from trainer.evaluation.systems import SYSTEM_HELP

_SYSTEM_HELP = "; ".join(f"{name}: {help}" for name, help in SYSTEM_HELP.items())


def _crate_dirs(values: tuple[str, ...]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for value in values:
        repo, sep, directory = value.partition("=")
        if not sep or not repo or not directory:
            raise UserError(f"--crate-dir {value!r}: write it as REPO=DIR (the dataset's repo name, a local crate)")
        out[repo] = Path(directory).expanduser()
    return out


@click.command(
    name="eval",
    short_help="Compare doc generators side by side on held-out code.",
    epilog="""\b
Examples:
  rustdoc-gen eval --dataset data/ --system template \\
      --system model:base.Q4_K_M.gguf --system model:tuned.Q4_K_M.gguf -o eval/
  rustdoc-gen eval --dataset data/ --system template --system human --limit 50 -o quick/
  rustdoc-gen eval --dataset data/ --system model:base.gguf \\
      --system model:base.gguf@adapter.gguf -o eval/      # a LoRA adapter on its base
  rustdoc-gen eval --dataset data/ --system model:tuned.gguf \\
      --crate-dir globset=/usr/share/cargo/registry/globset-0.4.9 -o eval/

\b
Writes REPORT_DIR/report.md, report.json, metrics.png and by_kind.png.
Results are cached in REPORT_DIR/cache: run the same command again to resume
an interrupted evaluation, or with more --system/--limit to extend one.""",
)
@click.option("--dataset", "dataset", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Dataset directory written by `rustdoc-gen mine`.")
@click.option("--split", default="test", show_default=True, help="Split to evaluate on (the one training never saw).")
@click.option("--system", "systems", multiple=True, required=True, metavar="SPEC",
              help=f"A system to evaluate; repeat for several. {_SYSTEM_HELP}.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Report directory (created; its cache makes re-runs resume).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Evaluate a sample of N items (seeded by --seed).")
@click.option("--crate-dir", "crate_dirs", multiple=True, metavar="REPO=DIR",
              help="Local, offline-buildable crate of a dataset repo: its generated examples run as doctests "
                   "(`cargo test --doc` on a copy). Repeatable.")
@click.option("--examples", "shown_examples", type=click.IntRange(min=0), default=3, show_default=True,
              help="Items shown in report.md with each system's doc next to the human one.")
@decode_click_options
@verbosity_options
def eval_command(dataset: Path, split: str, systems: tuple[str, ...], output: Path, limit: int | None,
                 crate_dirs: tuple[str, ...], shown_examples: int, **decode: object) -> None:
    """Compare doc generators side by side on a dataset's held-out split.

    Every system documents the same items with the prompt format and
    post-processing the language server uses; each doc is scored against the
    human one (BLEU-4, chrF, ROUGE-L), by the shared doc checker (findings,
    required sections, unknown parameter names), on its examples (valid Rust;
    passing doctests with --crate-dir) and on cost (tokens, seconds). The output
    guard's findings are counted twice, on the raw answer (what the model wrote)
    and on the final doc (what the user gets): docs repeating themselves, echoing
    the item's code, naming what does not exist; with each system's share of
    answers kept, repaired, opened by their second sentence, or replaced by the
    template. Overlap rewards a doc copied from a neighbour, so every report
    also says whether the docs are true to their items: the share of misshapen
    summaries ("Returns ..." on a struct), of claims the signature contradicts
    (`true` without a `bool`), of docs sharing a run of 10 words with another
    item's doc in the dataset, of docs with a needless section or malformed
    Markdown, the share of named items that exist, and the median length
    against the human doc.
    """
    from rustdoc_core.generation.decode import options_from_kwargs
    from trainer.evaluation.metrics import METRICS
    from trainer.evaluation.report import format_value
    from trainer.evaluation.runner import EvalConfig, run_eval

    options = options_from_kwargs(decode)
    config = EvalConfig(
        dataset=dataset,
        output=output,
        systems=systems,
        split=split,
        limit=limit,
        seed=options.seed,  # of the --limit sample, and of decoding
        options=options,
        crate_dirs=_crate_dirs(crate_dirs),
        shown_examples=shown_examples,
    )
    try:
        report = run_eval(config)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted; finished docs are cached in {output / 'cache'}: run the same command to resume") from None
    names = [s["name"] for s in report["systems"]]
    overall = report["figures"]["overall"]
    table(
        f"{report['dataset']['items']} items of {split}",
        ["Metric", *names],
        [[m.label, *(format_value(overall[n].get(m.key), m) for n in names)] for m in METRICS],
    )
    stdout.print(f"report: {output / 'report.md'}")
