"""Editor settings: one typed, fully defaulted object.

On the wire the settings are the `rustdocGen` section (camelCase), sent as
`initializationOptions` and answered to `workspace/configuration`:

    {"model": {"path": str|null, "adapter": str|null, <decode options>},
     "diagnostics": {"enable": false}, "generate": {"includePrivate": false, "verifyExamples": false}, "rag": {"enable": false}}

The decode options (`maxTokens`, `contextSize`, ...) and their defaults and bounds
are `rustdoc_core.generation.decode.DECODE_FIELDS`; the VS Code and Neovim settings follow
that table (tests check it).

`model.path` is a GGUF file or the URL of a model server with the OpenAI API
(`http://HOST:PORT/v1`, `#NAME` after it naming the served model; the API key from the
server's environment variable `RUSTDOC_GEN_API_KEY`); an adapter goes with a GGUF only.

A bad value falls back to its default and is reported by name, so the user can
be told which setting was ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rustdoc_core.generation.decode import DECODE_FIELDS, DecodeOptions
from rustdoc_core.generation.generators import GeneratorSpec
from rustdoc_core.generation.openai_backend import is_endpoint, parse_endpoint

SECTION = "rustdocGen"


@dataclass(frozen=True)
class ModelSettings:
    path: str | None = None
    """A GGUF model, or a model server's URL (`http://HOST:PORT/v1[#NAME]`); None: the template engine."""
    adapter: str | None = None
    """A GGUF LoRA adapter applied on top of `path` (the base it was trained on)."""
    decode: DecodeOptions = field(default_factory=DecodeOptions)

    @property
    def is_server(self) -> bool:
        """Whether `path` names a model server rather than a GGUF file."""
        return is_endpoint(self.path)

    def generator_spec(self) -> GeneratorSpec:
        return GeneratorSpec.of_model(self.path, self.adapter)


@dataclass(frozen=True)
class DiagnosticsSettings:
    enable: bool = False


@dataclass(frozen=True)
class GenerateSettings:
    include_private: bool = False
    verify_examples: bool = False
    """Run a generated doc's examples against the crate first; drop those that fail (`lsp_server.example_check`)."""


@dataclass(frozen=True)
class RagSettings:
    enable: bool = False
    """Retrieval: index the workspace's documented items and show a model the most similar as examples."""


@dataclass(frozen=True)
class Settings:
    model: ModelSettings = field(default_factory=ModelSettings)
    diagnostics: DiagnosticsSettings = field(default_factory=DiagnosticsSettings)
    generate: GenerateSettings = field(default_factory=GenerateSettings)
    rag: RagSettings = field(default_factory=RagSettings)


def _is_path(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _path(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def unwrap_section(raw: Any) -> Any:
    """Accept both the section object itself and `{"rustdocGen": {...}}`."""
    if isinstance(raw, dict) and isinstance(raw.get(SECTION), dict):
        return raw[SECTION]
    return raw


def merge(base: dict[str, Any], override: Any) -> dict[str, Any]:
    """Deep-merge `override` (a settings object from the client) over `base`; None keeps base."""
    if not isinstance(override, dict):
        return base
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_settings(raw: Any) -> tuple[Settings, list[str]]:
    """Settings from the client's object, and one message per value that was ignored."""
    problems: list[str] = []
    raw = unwrap_section(raw)
    if raw is None or raw == []:  # Lua clients encode an empty table as []
        return Settings(), problems
    if not isinstance(raw, dict):
        return Settings(), [f"`{SECTION}` must be an object, got {type(raw).__name__}; using the defaults"]

    def group(name: str) -> dict[str, Any]:
        value = raw.get(name)
        if value is None or value == []:
            return {}
        if not isinstance(value, dict):
            problems.append(f"`{SECTION}.{name}` must be an object; using its defaults")
            return {}
        return value

    model_raw = group("model")
    model_values: dict[str, Any] = {}
    for name in ("path", "adapter"):
        if name in model_raw:
            if _is_path(model_raw[name]):
                model_values[name] = _path(model_raw[name])
            else:
                problems.append(f"`{SECTION}.model.{name}` must be a file path or null, got {model_raw[name]!r}; using null")
    if is_endpoint(model_values.get("path")):
        try:
            parse_endpoint(model_values["path"])
        except ValueError as err:
            problems.append(f"`{SECTION}.model.path`: {err}; using null")
            model_values["path"] = None
        if model_values.get("adapter") and model_values.get("path"):
            problems.append(f"`{SECTION}.model.adapter` is for a GGUF file; a model server applies its own (name it with URL#NAME); using null")
            model_values["adapter"] = None
    decode: dict[str, Any] = {}
    for f in DECODE_FIELDS:
        if f.wire not in model_raw:
            continue
        value = model_raw[f.wire]
        if f.accepts(value):
            decode[f.name] = f.kind(value) if value is not None else None
        else:
            problems.append(f"`{SECTION}.model.{f.wire}` must be {f.describe()}, got {value!r}; using {f.default!r}")
    model_values["decode"] = DecodeOptions(**decode)

    def flag(group_name: str, wire: str) -> dict[str, bool]:
        values = group(group_name)
        if wire not in values:
            return {}
        value = values[wire]
        if isinstance(value, bool):
            return {"value": value}
        problems.append(f"`{SECTION}.{group_name}.{wire}` must be true or false, got {value!r}; using false")
        return {}

    diagnostics = flag("diagnostics", "enable")
    private = flag("generate", "includePrivate")
    verify = flag("generate", "verifyExamples")
    rag = flag("rag", "enable")
    settings = Settings(
        model=ModelSettings(**model_values),
        diagnostics=DiagnosticsSettings(enable=diagnostics.get("value", False)),
        generate=GenerateSettings(include_private=private.get("value", False), verify_examples=verify.get("value", False)),
        rag=RagSettings(enable=rag.get("value", False)),
    )
    return settings, list(dict.fromkeys(problems))  # a bad group is named once, not per flag in it
