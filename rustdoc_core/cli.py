"""The `rustdoc-gen` command line: one group, each part of the data flow
contributing its own commands (imported light; heavy libraries load inside the
command that needs them)."""

from __future__ import annotations

import click

from rustdoc_core import __version__
from rustdoc_core.console import configure


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Run `rustdoc-gen COMMAND --help` for a command's options and examples.",
)
@click.version_option(__version__, "-V", "--version", prog_name="rustdoc-gen")
@click.option("-q", "--quiet", is_flag=True, help="Only print warnings and errors; no progress bars.")
@click.option("-v", "--verbose", count=True, help="Print debug logs (twice: also from libraries).")
def main(verbose: int, quiet: bool) -> None:
    """Write rustdoc for Rust code with a local model, or with a deterministic template.

    \b
    Data flow:
      mine      Rust repos      -> dataset of (doc comment, item) pairs
      train     dataset         -> LoRA adapter (Qwen2.5-Coder)
      export    adapter         -> quantized GGUF model
      eval      dataset, models -> side-by-side report
      generate  Rust files      -> docs, as a diff or written in place
      serve     editor          <-> language server with "Generate rustdoc"
    """
    configure(verbose=verbose, quiet=quiet)


def _register() -> None:
    from corpus_miner.commands import mine, validate
    from lsp_server.commands import model, serve
    from rustdoc_core.commands import generate
    from trainer.commands import eval_command, export, train

    for command in (mine, validate, train, export, eval_command, generate, serve, model):
        main.add_command(command)


_register()
