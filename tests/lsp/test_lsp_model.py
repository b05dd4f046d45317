"""End to end with a real GGUF: the tiny Qwen2 model (built once by the test support)
served by the real `rustdoc-gen serve` through llama-cpp-python."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from lsp_server.code_actions import ITEM_KIND
from lsp_server.generation import NOT_LOADED_YET
from rustdoc_core.docs.text import render_doc_comment
from rustdoc_core.generation.decode import DecodeOptions
from rustdoc_core.generation.generators import LlamaGenerator
from rustdoc_core.generation.pipeline import DocRequest, document_item
from rustdoc_core.generation.prompt import prompt_context
from rustdoc_core.generation.template import template_doc
from rustdoc_core.rust.items import RustSource
from tests.support.lsp_client import apply_text_edits, edits_for, server_session

pytest.importorskip("llama_cpp")

URI = "file:///work/example/src/math.rs"
SOURCE = """\
pub mod math {
    /// Adds two numbers.
    pub fn add(a: i32, b: i32) -> i32 {
        a + b
    }

    pub fn checked_div(a: i32, b: i32) -> Option<i32> {
        if b == 0 { None } else { Some(a / b) }
    }
}
"""
DIV = (6, 12)  # cursor on `checked_div`
LONG = {"maxTokens": 3000, "contextSize": 4096}  # a random model rarely stops by itself: long enough to cancel


def _expected_with_model(gguf, max_tokens: int) -> tuple[str, str]:
    """What the server must write (the same generator, called directly, its doc inserted above
    the fn), and the model's answer before the guard."""
    source = RustSource(SOURCE)
    item = next(i for i in source.items() if i.name == "checked_div")
    generator = LlamaGenerator(gguf, options=DecodeOptions(max_tokens=max_tokens))
    try:
        doc = document_item(DocRequest(item, context=prompt_context(source, item)), generator)
    finally:
        generator.close()
    lines = SOURCE.split("\n")
    lines[item.doc_line : item.doc_line] = render_doc_comment(doc.text, item.indent).rstrip("\n").split("\n")
    return "\n".join(lines), doc.raw


def _reports(client) -> list[dict]:
    """The progress reports so far (begin and end left out)."""
    return [value for _, value in client.progress if isinstance(value, dict) and value.get("kind") == "report"]


def _answer_reported(client) -> bool:
    """Whether a report has shown words of an answer."""
    return any(not r["message"].endswith(": …") and ": " in r["message"] for r in _reports(client))


def _percentage(client) -> int:
    return max((r.get("percentage") or 0 for r in _reports(client)), default=0)


def _states_since_loading(client) -> list[str]:
    """The status states from the last "loading" on."""
    states = [s["state"] for s in client.statuses]
    return states[len(states) - 1 - states[::-1].index("loading") :] if "loading" in states else []


def _kinds(client) -> list[str]:
    return [value["kind"] if isinstance(value, dict) else value.kind for _, value in client.progress]


async def test_served_tiny_gguf_writes_the_doc_with_status_and_progress(tiny_gguf_path):
    expected, raw = _expected_with_model(tiny_gguf_path, 48)
    options = {"model": {"path": str(tiny_gguf_path), "maxTokens": 48}}
    _LOADED = {"state": "ready", "model": tiny_gguf_path.name, "message": None}
    async with server_session(initialization_options=options) as client:
        client.open(URI, SOURCE)
        # The model loads as the Rust file opens, before anything is asked of it.
        await client.wait_for(lambda: client.statuses[-1:] == [_LOADED], what="the model to load")
        assert any(s["state"] == "loading" and s["model"] == tiny_gguf_path.name for s in client.statuses)
        action = (await client.code_actions(URI, DIV, only=[ITEM_KIND]))[0]
        assert action.edit is None
        resolved = await client.code_action_resolve_async(action)
        assert apply_text_edits(SOURCE, edits_for(resolved.edit, URI)) == expected

        states = [s["state"] for s in client.statuses]
        assert "loading" not in states[states.index("generating") :] and states[-2:] == ["generating", "ready"]
        assert client.messages == []  # the model loaded: nothing to complain about

        token = client.created_tokens[0]
        kinds = _kinds(client)
        assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
        assert all(t == token for t, _ in client.progress)
        assert client.progress[0][1]["cancellable"] is True
        # The reports show the answer's first sentence as it forms: words of the answer, in order.
        words = " ".join(raw.split())
        shown = [r["message"].removeprefix("fn checked_div: ").removesuffix("…") for r in _reports(client)]
        assert any(shown) and all(words.startswith(text) for text in shown if text)

        # Again: the model stays loaded (no second "loading") and answers the same.
        resolved = await client.code_action_resolve_async(action)
        assert apply_text_edits(SOURCE, edits_for(resolved.edit, URI)) == expected
        states = [s["state"] for s in client.statuses]
        assert "loading" not in states[states.index("generating") :]

        # Two at once: the second waits its turn, both complete.
        both = await asyncio.gather(client.code_action_resolve_async(action), client.code_action_resolve_async(action))
        assert [apply_text_edits(SOURCE, edits_for(r.edit, URI)) for r in both] == [expected, expected]
        assert any("Waiting" in (value.get("message") or "") for _, value in client.progress if isinstance(value, dict))


async def test_cancel_request_stops_generation_at_the_next_token(tiny_gguf_path):
    async with server_session(initialization_options={"model": {"path": str(tiny_gguf_path), **LONG}}) as client:
        client.open(URI, SOURCE)
        action = (await client.code_actions(URI, DIV, only=[ITEM_KIND]))[0]
        pending = client.protocol.send_request_async(types.CODE_ACTION_RESOLVE, action, msg_id="resolve-1")
        await client.wait_for(lambda: _answer_reported(client), 30, "words to be reported")
        client.cancel_request(types.CancelParams(id="resolve-1"))
        with pytest.raises(JsonRpcException):
            await asyncio.wait_for(pending, 10)
        await client.wait_for(lambda: _kinds(client)[-1:] == ["end"], 10, "the progress to end")
        assert _percentage(client) < 99
        assert client.progress[-1][1]["message"] == "Cancelled"

        # The worker is free again: a shorter generation goes through.
        seen = len(client.statuses)
        client.configuration = {"model": {"path": str(tiny_gguf_path), "maxTokens": 16}}
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.wait_for(
            lambda: any(s["message"] == NOT_LOADED_YET for s in client.statuses[seen:]), what="reconfiguration"
        )
        resolved = await asyncio.wait_for(client.code_action_resolve_async(action), 30)
        assert resolved.edit is not None


async def test_cancelling_the_progress_stops_generation(tiny_gguf_path):
    async with server_session(initialization_options={"model": {"path": str(tiny_gguf_path), **LONG}}) as client:
        client.open(URI, SOURCE)
        action = (await client.code_actions(URI, DIV, only=[ITEM_KIND]))[0]
        pending = asyncio.ensure_future(client.code_action_resolve_async(action))
        await client.wait_for(lambda: _answer_reported(client), 30, "words to be reported")
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=client.created_tokens[0]))
        resolved = await asyncio.wait_for(pending, 10)
        assert resolved.edit is None  # cancelled: nothing to apply
        assert client.progress[-1][1] == {"kind": "end", "message": "Cancelled"}
        assert _percentage(client) < 99
        assert client.statuses[-1]["state"] == "ready"


async def test_unusable_models_fall_back_to_the_template_and_a_new_path_takes_effect(tiny_gguf_path, tmp_path):
    expected_template = SOURCE.replace(
        "    pub fn checked_div",
        render_doc_comment(template_doc(next(i for i in RustSource(SOURCE).items() if i.name == "checked_div")), "    ")
        + "    pub fn checked_div",
    )
    missing = tmp_path / "missing.gguf"
    async with server_session(initialization_options={"model": {"path": str(missing)}}) as client:
        client.open(URI, SOURCE)
        message = await client.wait_for(lambda: client.messages, what="the fallback message")
        assert len(message) == 1 and "model file not found" in message[0].message and str(missing) in message[0].message
        assert "rustdocGen.model.path" in message[0].message
        assert client.statuses[-1]["state"] == "error"
        action = (await client.code_actions(URI, DIV, only=[ITEM_KIND]))[0]
        resolved = await client.code_action_resolve_async(action)
        assert apply_text_edits(SOURCE, edits_for(resolved.edit, URI)) == expected_template
        assert len(client.messages) == 1  # said once

        corrupt = tmp_path / "corrupt.gguf"
        corrupt.write_bytes(b"GGUF" + bytes(range(256)) * 64)
        client.configuration = {"model": {"path": str(corrupt)}}
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.wait_for(lambda: client.statuses[-1]["model"] == "corrupt.gguf", what="the new model setting")
        resolved = await client.code_action_resolve_async(action)
        assert apply_text_edits(SOURCE, edits_for(resolved.edit, URI)) == expected_template
        assert len(client.messages) == 2 and str(corrupt) in client.messages[1].message
        assert client.statuses[-1]["state"] == "error"

        client.configuration = {"model": {"path": str(tiny_gguf_path), "maxTokens": 16}}
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.wait_for(lambda: client.statuses[-1]["model"] == tiny_gguf_path.name, what="the tiny model setting")
        resolved = await client.code_action_resolve_async(action)
        assert resolved.edit is not None
        assert _states_since_loading(client) == ["loading", "ready", "generating", "ready"]  # loaded as set
        assert client.process.returncode is None


async def test_an_item_too_long_for_the_context_gets_the_template_doc_and_a_message(tiny_gguf_path):
    body = "".join(f"    let value_{i} = input.len() * {i} + {i};\n" for i in range(60))
    text = f"pub fn long_computation(input: &str) -> usize {{\n{body}    0\n}}\n"
    item = RustSource(text).items()[0]
    options = {"model": {"path": str(tiny_gguf_path), "contextSize": 512, "maxTokens": 16}}
    async with server_session(initialization_options=options) as client:
        client.open(URI, text)
        action = (await client.code_actions(URI, (0, 8), only=[ITEM_KIND]))[0]
        resolved = await client.code_action_resolve_async(action)
        assert apply_text_edits(text, edits_for(resolved.edit, URI)) == render_doc_comment(template_doc(item)) + text
        message = await client.wait_for(lambda: client.messages, what="a message")
        assert "the model failed on fn long_computation" in message[0].message and "does not fit" in message[0].message


async def test_server_exits_when_the_client_vanishes_mid_generation(tiny_gguf_path):
    async with server_session(initialization_options={"model": {"path": str(tiny_gguf_path), **LONG}}) as client:
        client.open(URI, SOURCE)
        action = (await client.code_actions(URI, DIV, only=[ITEM_KIND]))[0]
        client.protocol.send_request_async(types.CODE_ACTION_RESOLVE, action)
        await client.wait_for(lambda: _answer_reported(client), 30, "words to be reported")
        client.process.stdin.close()
        assert await asyncio.wait_for(client.process.wait(), 15) == 0


async def test_shutdown_mid_generation_stops_it_and_the_server_exits_cleanly(tiny_gguf_path):
    async with server_session(initialization_options={"model": {"path": str(tiny_gguf_path), **LONG}}) as client:
        client.open(URI, SOURCE)
        action = (await client.code_actions(URI, DIV, only=[ITEM_KIND]))[0]
        client.protocol.send_request_async(types.CODE_ACTION_RESOLVE, action)
        await client.wait_for(lambda: _answer_reported(client), 30, "words to be reported")
        await asyncio.wait_for(client.shutdown_async(None), 10)  # answered while the model was busy
        await client.wait_for(lambda: _kinds(client)[-1:] == ["end"], 10, "the progress to end")
        assert client.progress[-1][1]["message"] == "Cancelled"
        assert _percentage(client) < 99
        client.exit(None)
        assert await asyncio.wait_for(client.process.wait(), 15) == 0


async def test_a_model_adapter_set_live_takes_effect_and_a_missing_one_falls_back(tiny_gguf_path, tmp_path):
    expected_template = SOURCE.replace(
        "    pub fn checked_div",
        render_doc_comment(template_doc(next(i for i in RustSource(SOURCE).items() if i.name == "checked_div")), "    ")
        + "    pub fn checked_div",
    )
    base = {"path": str(tiny_gguf_path), "maxTokens": 16}

    async def configure(model: dict, status_model: str) -> None:
        client.configuration = {"model": model}
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.wait_for(lambda: client.statuses and client.statuses[-1]["model"] == status_model, what=status_model)

    async with server_session(initialization_options={"model": base}) as client:
        client.open(URI, SOURCE)
        action = (await client.code_actions(URI, DIV, only=[ITEM_KIND]))[0]

        missing = tmp_path / "missing-lora.gguf"
        await configure({**base, "adapter": str(missing)}, f"{tiny_gguf_path.name}@{missing.name}")
        message = await client.wait_for(lambda: client.messages, what="the missing adapter")
        assert "adapter file not found" in message[0].message and str(missing) in message[0].message
        assert client.statuses[-1]["state"] == "error"
        resolved = await client.code_action_resolve_async(action)
        assert apply_text_edits(SOURCE, edits_for(resolved.edit, URI)) == expected_template

        # The adapter taken away: the base alone serves again.
        await configure(base, tiny_gguf_path.name)
        resolved = await client.code_action_resolve_async(action)
        assert resolved.edit is not None
        assert _states_since_loading(client) == ["loading", "ready", "generating", "ready"]
        assert len(client.messages) == 1
