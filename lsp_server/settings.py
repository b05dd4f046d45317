"""Editor settings: one typed, fully defaulted object.

On the wire the settings are the `rustdocGen` section (camelCase), sent as
`initializationOptions` and answered to `workspace/configuration`:

    {"model": {"path": str|null, "maxTokens": 384, "temperature": 0.0, "threads": null, "contextSize": 4096},
     "diagnostics": {"enable": false}, "generate": {"includePrivate": false}}

A bad value falls back to its default and is reported by name, so the user can
be told which setting was ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SECTION = "rustdocGen"


@dataclass(frozen=True)
class ModelSettings:
    path: str | None = None
    max_tokens: int = 384
    temperature: float = 0.0
    threads: int | None = None
    context_size: int = 4096

    def llama_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `make_generator` / `LlamaGenerator`."""
        return {
            "n_ctx": self.context_size,
            "n_threads": self.threads,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }


@dataclass(frozen=True)
class DiagnosticsSettings:
    enable: bool = False


@dataclass(frozen=True)
class GenerateSettings:
    include_private: bool = False


@dataclass(frozen=True)
class Settings:
    model: ModelSettings = field(default_factory=ModelSettings)
    diagnostics: DiagnosticsSettings = field(default_factory=DiagnosticsSettings)
    generate: GenerateSettings = field(default_factory=GenerateSettings)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# (wire name, python name, check, coerce, what a good value is)
_MODEL_FIELDS = (
    ("path", "path", lambda v: v is None or isinstance(v, str), lambda v: (v.strip() or None) if isinstance(v, str) else None, "a file path or null"),
    ("maxTokens", "max_tokens", lambda v: _is_int(v) and 1 <= v <= 32768, int, "an integer from 1 to 32768"),
    ("temperature", "temperature", lambda v: _is_number(v) and 0 <= v <= 2, float, "a number from 0 to 2"),
    ("threads", "threads", lambda v: v is None or (_is_int(v) and 1 <= v <= 1024), lambda v: v, "a positive integer or null"),
    ("contextSize", "context_size", lambda v: _is_int(v) and 512 <= v <= 131072, int, "an integer from 512 to 131072"),
)


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
    for wire, py, check, coerce, expected in _MODEL_FIELDS:
        if wire not in model_raw:
            continue
        value = model_raw[wire]
        if check(value):
            model_values[py] = coerce(value)
        else:
            default = getattr(ModelSettings(), py)
            problems.append(f"`{SECTION}.model.{wire}` must be {expected}, got {value!r}; using {default!r}")

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
    settings = Settings(
        model=ModelSettings(**model_values),
        diagnostics=DiagnosticsSettings(enable=diagnostics.get("value", False)),
        generate=GenerateSettings(include_private=private.get("value", False)),
    )
    return settings, problems
