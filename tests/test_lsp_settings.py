"""Editor settings: the wire's camelCase object to one typed, fully defaulted object."""

from __future__ import annotations

from lsp_server.settings import ModelSettings, Settings, merge, parse_settings


def test_missing_settings_are_the_documented_defaults():
    for raw in (None, {}, [], {"rustdocGen": {}}):
        assert parse_settings(raw) == (Settings(), [])
    settings = Settings()
    assert (settings.model.path, settings.model.max_tokens, settings.model.temperature) == (None, 384, 0.0)
    assert (settings.model.threads, settings.model.context_size) == (None, 4096)
    assert settings.diagnostics.enable is False and settings.generate.include_private is False


def test_camel_case_wire_names_map_to_fields_and_the_section_may_wrap_them():
    raw = {
        "model": {"path": " /m/q.gguf ", "maxTokens": 128, "temperature": 0.5, "threads": 4, "contextSize": 8192},
        "diagnostics": {"enable": True},
        "generate": {"includePrivate": True},
        "server": {"path": "ignored: the extension's own key"},
    }
    for wrapped in (raw, {"rustdocGen": raw}):
        settings, problems = parse_settings(wrapped)
        assert problems == []
        assert settings.model == ModelSettings("/m/q.gguf", 128, 0.5, 4, 8192)
        assert settings.diagnostics.enable and settings.generate.include_private
    assert parse_settings({"model": {"path": ""}})[0].model.path is None  # VS Code's empty string: no model


def test_bad_values_fall_back_one_by_one_and_are_named():
    settings, problems = parse_settings(
        {"model": {"maxTokens": 0, "temperature": "hot", "threads": 2, "contextSize": True}, "diagnostics": {"enable": 1}, "generate": 3}
    )
    assert settings.model == ModelSettings(threads=2)
    assert settings.diagnostics.enable is False
    assert [p.split("`")[1] for p in problems] == [
        "rustdocGen.model.maxTokens",
        "rustdocGen.model.temperature",
        "rustdocGen.model.contextSize",
        "rustdocGen.diagnostics.enable",
        "rustdocGen.generate",
    ]
    assert parse_settings("nonsense")[1] == ["`rustdocGen` must be an object, got str; using the defaults"]


def test_configuration_overrides_initialization_options_key_by_key():
    init = {"model": {"path": "/a.gguf", "maxTokens": 100}, "diagnostics": {"enable": True}}
    assert merge(init, {"model": {"maxTokens": 50}}) == {"model": {"path": "/a.gguf", "maxTokens": 50}, "diagnostics": {"enable": True}}
    assert merge(init, None) == init
