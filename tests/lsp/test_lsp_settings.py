"""Editor settings: the wire's camelCase object to one typed, fully defaulted object."""

from __future__ import annotations

import json

from lsp_server.settings import ModelSettings, Settings, merge, parse_settings
from rustdoc_core.generation.decode import DECODE_FIELDS, DecodeOptions
from tests.conftest import REPO_ROOT


def test_missing_settings_are_the_documented_defaults():
    for raw in (None, {}, [], {"rustdocGen": {}}):
        assert parse_settings(raw) == (Settings(), [])
    settings = Settings()
    assert (settings.model.path, settings.model.adapter, settings.model.decode) == (None, None, DecodeOptions())
    assert settings.diagnostics.enable is False and settings.generate.include_private is False


def test_camel_case_wire_names_map_to_fields_and_the_section_may_wrap_them():
    raw = {
        "model": {"path": " /m/q.gguf ", "adapter": "/m/a.gguf", "maxTokens": 128, "temperature": 0.5, "threads": 4, "contextSize": 8192},
        "diagnostics": {"enable": True},
        "generate": {"includePrivate": True},
        "server": {"path": "ignored: the extension's own key"},
    }
    for wrapped in (raw, {"rustdocGen": raw}):
        settings, problems = parse_settings(wrapped)
        assert problems == []
        assert settings.model == ModelSettings(
            "/m/q.gguf", "/m/a.gguf", DecodeOptions(max_tokens=128, temperature=0.5, threads=4, context_size=8192)
        )
        assert settings.diagnostics.enable and settings.generate.include_private
    assert parse_settings({"model": {"path": ""}})[0].model.path is None  # VS Code's empty string: no model


def test_bad_values_fall_back_one_by_one_and_are_named():
    settings, problems = parse_settings(
        {"model": {"maxTokens": 0, "temperature": "hot", "threads": 2, "contextSize": True}, "diagnostics": {"enable": 1}, "generate": 3}
    )
    assert settings.model == ModelSettings(decode=DecodeOptions(threads=2))
    assert settings.diagnostics.enable is False
    assert [p.split("`")[1] for p in problems] == [
        "rustdocGen.model.maxTokens",
        "rustdocGen.model.contextSize",
        "rustdocGen.model.temperature",
        "rustdocGen.diagnostics.enable",
        "rustdocGen.generate",
    ]
    assert parse_settings("nonsense")[1] == ["`rustdocGen` must be an object, got str; using the defaults"]


def test_configuration_overrides_initialization_options_key_by_key():
    init = {"model": {"path": "/a.gguf", "maxTokens": 100}, "diagnostics": {"enable": True}}
    assert merge(init, {"model": {"maxTokens": 50}}) == {"model": {"path": "/a.gguf", "maxTokens": 50}, "diagnostics": {"enable": True}}
    assert merge(init, None) == init


def test_vscode_contributes_exactly_the_decode_options_defaults_and_limits():
    manifest = json.loads((REPO_ROOT / "vscode-extension" / "package.json").read_text(encoding="utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]
    contributed = {key.removeprefix("rustdocGen.model."): value for key, value in properties.items() if key.startswith("rustdocGen.model.")}
    for f in DECODE_FIELDS:
        setting = contributed.get(f.wire)
        assert setting is not None, f"package.json lacks rustdocGen.model.{f.wire}"
        expected_type = "integer" if f.kind is int else "number"
        types = setting["type"] if isinstance(setting["type"], list) else [setting["type"]]
        assert expected_type in types, f.wire
        assert ("null" in types) == f.nullable, f.wire
        assert (setting.get("default"), setting.get("minimum"), setting.get("maximum")) == (f.default, f.minimum, f.maximum), f.wire
    assert set(contributed) == {f.wire for f in DECODE_FIELDS} | {"path", "adapter"}


def test_the_readme_lists_every_vscode_setting_with_its_default():
    import re

    manifest = json.loads((REPO_ROOT / "vscode-extension" / "package.json").read_text(encoding="utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]
    found = re.findall(r"^\| `(rustdocGen\.[\w.]+)` \| `([^`]*)` \|", (REPO_ROOT / "README.md").read_text(encoding="utf-8"), re.M)
    rows = dict(found)
    assert len(rows) == len(found), "a setting is listed twice"
    assert sorted(rows) == sorted(properties)
    for key, schema in properties.items():
        default = schema.get("default")
        accepted = {json.dumps(default), str(default)} | ({f"{default:g}"} if isinstance(default, float) else set())
        assert rows[key] in accepted, key
