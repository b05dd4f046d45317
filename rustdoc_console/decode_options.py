"""The decode options as click flags (`--max-tokens`, ...): the table is `rustdoc_core.generation.decode`'s."""

from __future__ import annotations

from typing import Any

from rustdoc_core.generation.decode import DECODE_FIELDS


def decode_click_options(func: Any = None, *, defaults: dict[str, Any] | None = None) -> Any:
    """Add one click option per decode field (`--max-tokens`, ...) to a command; each defaults to None
    ("not given"), so `DecodeOptions().with_values(**kwargs)` applies the table's default.

    `defaults` names a command's own defaults where they differ from the table's (shown in --help;
    the command applies them), as in `@decode_click_options(defaults={"temperature": 0.8})`."""
    import click

    if func is None:
        return lambda f: decode_click_options(f, defaults=defaults)
    for f in reversed(DECODE_FIELDS):
        kind = click.IntRange(int(f.minimum), int(f.maximum)) if f.kind is int else click.FloatRange(f.minimum, f.maximum)
        default = (defaults or {}).get(f.name, f.default)
        shown = "llama.cpp's choice" if default is None else default
        func = click.option(f.flag, f.name, type=kind, default=None, help=f"{f.help} [default: {shown}]")(func)
    return func
