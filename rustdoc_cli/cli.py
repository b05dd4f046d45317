"""The `rustdoc-gen` command line: one group, each part of the data flow
contributing its own commands. A command's module is imported only when that
command runs (or when `--help` lists them all), so `rustdoc-gen serve` starts
without loading the miner or the trainer; heavy libraries load inside the
command that needs them."""

from __future__ import annotations

import errno
import importlib
import sys
import traceback

import click

from rustdoc_console import Interrupted, UserError, configure, verbosity
from rustdoc_core import __version__
from rustdoc_core.errors import one_line, os_error_text

COMMANDS = {
    "mine": ("corpus_miner.commands", "mine"),
    "validate": ("corpus_miner.commands", "validate"),
    "train": ("trainer.commands", "train"),
    "export": ("trainer.commands", "export"),
    "eval": ("trainer.commands", "eval_command"),
    "prefs": ("trainer.commands", "prefs"),
    "runs": ("trainer.runs", "runs"),
    "generate": ("rustdoc_cli.generate", "generate"),
    "check": ("rustdoc_cli.check", "check"),
    "serve": ("lsp_server.commands", "serve"),
    "model": ("lsp_server.commands", "model"),
    "demo": ("demo_page.commands", "demo"),
}
"""Command name -> (module, attribute): the one place commands are wired in."""


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module), attribute)

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; whatever escapes it still ends in one line and a known exit status.

        Ctrl-C exits 130; an error from the system (a file that cannot be written, a full
        disk) is one line naming the file, exit 1; anything else is a bug in rustdoc-gen:
        one line saying so (the traceback with `-v`), exit 1. Commands word their own
        errors as `UserError`s; this is the net under them, the one place that holds it."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            raise Interrupted("interrupted") from None
        except OSError as err:
            if err.errno == errno.EPIPE:
                raise  # stdout closed (`| head`): click exits quietly
            raise UserError(os_error_text(err)) from None
        except MemoryError:
            raise UserError("out of memory") from None
        except Exception as err:  # noqa: BLE001 - the net: a bug in our own code
            raise internal_error(err) from None


def internal_error(err: BaseException) -> UserError:
    """The one line a bug in rustdoc-gen prints; with `-v` its traceback comes first."""
    if verbosity():
        traceback.print_exception(err, file=sys.stderr)
        hint = "please report it with the traceback above"
    else:
        hint = "run again with -v for the traceback, and please report it"
    return UserError(f"internal error ({type(err).__name__}: {one_line(err)}): a bug in rustdoc-gen; {hint}")


@click.group(
    cls=LazyGroup,
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
      check     Rust docs       -> findings (clippy-shaped, JSON, SARIF), certain fixes
      serve     editor          <-> language server with "Generate rustdoc"
    """
    configure(verbose=verbose, quiet=quiet)
