"""How a model decodes a doc: one definition of every option's default and limits.

The `generate` and `eval` flags, the language server's settings (and so the VS Code
and Neovim settings, checked by tests against this table) and the generators all
read `DECODE_FIELDS` and `DecodeOptions`; nothing else spells a default or a bound.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class DecodeField:
    """One option: its names, default, bounds and what it means."""

    name: str  # the Python attribute and the CLI flag (`max_tokens` -> `--max-tokens`)
    wire: str  # the editor setting under `rustdocGen.model` (camelCase)
    kind: type  # int or float
    default: Any
    minimum: float
    maximum: float
    nullable: bool  # None means "the library's own choice"
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def accepts(self, value: Any) -> bool:
        """Whether `value` (as it came from JSON or a flag) is a good value."""
        if value is None:
            return self.nullable
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.kind is int and isinstance(value, float) and not value.is_integer():
            return False
        return self.minimum <= value <= self.maximum

    def describe(self) -> str:
        """What a good value is, for the message that says a setting was ignored."""
        what = "an integer" if self.kind is int else "a number"
        bounds = f"{what} from {_fmt(self.minimum)} to {_fmt(self.maximum)}"
        return f"{bounds} or null" if self.nullable else bounds


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


DECODE_FIELDS: tuple[DecodeField, ...] = (
    DecodeField("max_tokens", "maxTokens", int, 384, 16, 4096, False, "Most tokens generated per doc."),
    DecodeField("context_size", "contextSize", int, 4096, 512, 131072, False, "Model context in tokens (prompt + doc)."),
    DecodeField("temperature", "temperature", float, 0.0, 0.0, 2.0, False, "Sampling temperature; 0 is greedy and repeatable."),
    DecodeField("threads", "threads", int, None, 1, 1024, True, "CPU threads for the model (default: llama.cpp's choice)."),
    DecodeField(
        "repeat_penalty",
        "repeatPenalty",
        float,
        1.1,
        1.0,
        2.0,
        False,
        "Penalty on tokens seen in the last 64 (llama.cpp's repeat penalty; 1 turns it off): small models loop without it.",
    ),
    DecodeField(
        "frequency_penalty",
        "frequencyPenalty",
        float,
        0.0,
        0.0,
        2.0,
        False,
        "Penalty growing with how often a token already occurs in the answer (llama.cpp's frequency penalty; 0 turns it off).",
    ),
    DecodeField(
        "presence_penalty",
        "presencePenalty",
        float,
        0.0,
        0.0,
        2.0,
        False,
        "Penalty on any token already in the answer (llama.cpp's presence penalty; 0 turns it off).",
    ),
    DecodeField("seed", "seed", int, 0, 0, 2**31 - 1, False, "Seed for sampling: the same seed gives the same docs."),
)
"""Every decode option, in the order the flags and settings list them."""

FIELDS_BY_NAME = {f.name: f for f in DECODE_FIELDS}


@dataclass(frozen=True)
class DecodeOptions:
    """The decode options of one generator (defaults from `DECODE_FIELDS`)."""

    max_tokens: int = FIELDS_BY_NAME["max_tokens"].default
    context_size: int = FIELDS_BY_NAME["context_size"].default
    temperature: float = FIELDS_BY_NAME["temperature"].default
    threads: int | None = FIELDS_BY_NAME["threads"].default
    repeat_penalty: float = FIELDS_BY_NAME["repeat_penalty"].default
    frequency_penalty: float = FIELDS_BY_NAME["frequency_penalty"].default
    presence_penalty: float = FIELDS_BY_NAME["presence_penalty"].default
    seed: int = FIELDS_BY_NAME["seed"].default

    def __post_init__(self) -> None:
        for f in DECODE_FIELDS:
            value = getattr(self, f.name)
            if not f.accepts(value):
                raise ValueError(f"{f.name}: expected {f.describe()}, got {value!r}")

    def with_values(self, **values: Any) -> "DecodeOptions":
        """A copy with the given (not None, unless the field is nullable and named) values."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def fingerprint(self) -> str:
        """The options that shape an answer, for caches keyed on what produced a doc (threads do not)."""
        return ":".join(f"{f.name}={getattr(self, f.name)}" for f in DECODE_FIELDS if f.name != "threads")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


def options_from_kwargs(kwargs: dict[str, Any]) -> DecodeOptions:
    """The DecodeOptions a command's decode flags give (pops them from `kwargs`)."""
    return DecodeOptions().with_values(**{f.name: kwargs.pop(f.name, None) for f in DECODE_FIELDS})
