"""Placeholder for a command whose issue has not landed yet."""

import click

from rustdoc_core.console import UserError


def not_built(name: str, summary: str) -> click.Command:
    @click.command(name=name, help=f"{summary}\n\nNot built yet: this command exits with an error.", short_help=summary)
    def command() -> None:
        raise UserError(f"`rustdoc-gen {name}` is not built yet")

    return command
