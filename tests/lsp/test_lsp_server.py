"""End to end: pygls's LanguageClient against the real `rustdoc-gen serve` subprocess,
without a model (the template engine writes the docs)."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from lsp_server.code_actions import FILE_KIND, FILE_TITLE, GENERATE_AT_CURSOR, ITEM_KIND
from rustdoc_core.docs.text import render_doc_comment
from rustdoc_core.generation.template import template_doc
from rustdoc_core.rust.items import RustSource
from tests.support.lsp_client import apply_text_edits, client_capabilities, edits_for, server_session

URI = "file:///work/example/src/lib.rs"

# One small file for the common cases: a documented fn (regenerate), a method with a
# plain comment and attributes above it (insert between them), a struct and its field.
LIB = """\
use std::collections::HashMap;

/// Counts words.
///
/// Old doc to be replaced.
pub fn count_words(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word.to_string()).or_insert(0) += 1;
    }
    counts
}

impl Config {
    // A plain comment stays above the doc.
    #[inline]
    #[must_use = "the port is the point"]
    pub fn parse_port(text: &str) -> Result<u16, std::num::ParseIntError> {
        text.parse()
    }
}

pub struct Config {
    pub name: String,
}
"""


def _item(text: str, name: str):
    return next(i for i in RustSource(text).items() if i.name == name)


def _with_template_docs(text: str, names: list[str]) -> str:
    """`text` with the template's doc inserted above each named undocumented item (what the server must produce)."""
    lines = text.split("\n")
    for item in sorted((_item(text, n) for n in names), key=lambda i: -i.doc_line):
        rendered = render_doc_comment(template_doc(item), item.indent).rstrip("\n").split("\n")
        lines[item.doc_line : item.doc_line] = rendered
    return "\n".join(lines)


async def test_code_action_lists_instantly_and_resolve_inserts_doc_above_attributes():
    async with server_session() as client:
        client.open(URI, LIB)
        actions = await client.code_actions(URI, (17, 12))  # on `parse_port`
        item_actions = [a for a in actions if a.kind == ITEM_KIND]
        assert [a.title for a in item_actions] == ["Generate rustdoc for `fn parse_port`"]
        action = item_actions[0]
        assert action.edit is None  # listing never generates
        assert action.data["mode"] == "generate" and action.data["uri"] == URI and action.data["version"] == 1

        resolved = await client.code_action_resolve_async(action)
        new_text = apply_text_edits(LIB, edits_for(resolved.edit, URI))
        assert new_text == _with_template_docs(LIB, ["parse_port"])
        # Between the plain comment and the first attribute, indented like the method.
        lines = new_text.split("\n")
        assert lines[14] == "    // A plain comment stays above the doc."
        assert lines[15].startswith("    /// ")
        assert resolved.edit.document_changes[0].text_document.version == 1
        assert client.diagnostics == {}  # hints are off by default


async def test_regenerate_replaces_the_old_doc():
    async with server_session() as client:
        client.open(URI, LIB)
        actions = await client.code_actions(URI, (5, 10), only=[ITEM_KIND])
        assert [a.title for a in actions] == ["Regenerate rustdoc for `fn count_words`"]
        resolved = await client.code_action_resolve_async(actions[0])
        new_text = apply_text_edits(LIB, edits_for(resolved.edit, URI))
        doc = template_doc(_item(LIB, "count_words"))
        expected = LIB.replace("/// Counts words.\n///\n/// Old doc to be replaced.\n", render_doc_comment(doc))
        assert new_text == expected


async def test_source_action_documents_every_undocumented_item():
    async with server_session() as client:
        client.open(URI, LIB)
        actions = await client.code_actions(URI, (0, 0), only=["source"])
        assert [(a.title, a.kind) for a in actions] == [(FILE_TITLE, FILE_KIND)]
        resolved = await client.code_action_resolve_async(actions[0])
        new_text = apply_text_edits(LIB, edits_for(resolved.edit, URI))
        assert new_text == _with_template_docs(LIB, ["parse_port", "Config", "name"])

        # Once applied, everything is documented: no source action any more.
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=new_text)],
            )
        )
        assert await client.code_actions(URI, (0, 0), only=["source"]) == []


# A documented fn with a non-doc attribute between its doc lines: regenerating keeps
# that line as the server holds it, so the server's copy of the line shows in the edit.
CRAB = """\
/// Old summary.
#[doc(alias = "🦀🦀")]
/// More old doc.
pub fn crab() -> usize {
    2
}
"""


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
async def test_incremental_changes_use_the_negotiated_position_encoding(encoding):
    caps = client_capabilities(encodings=[encoding])
    async with server_session(capabilities=caps) as client:
        assert client.initialize_result.capabilities.position_encoding == encoding
        client.open(URI, CRAB)
        line = CRAB.split("\n")[1]
        after_crabs = line.index('")')  # code points
        character = len(line[:after_crabs].encode("utf-16-le")) // 2 if encoding == "utf-16" else len(line[:after_crabs].encode())
        at = types.Position(line=1, character=character)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text="x"),
                    # A second change in the same notification, on the new text.
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=types.Position(line=3, character=7), end=types.Position(line=3, character=11)),
                        text="crabs",
                    ),
                ],
            )
        )
        edited = CRAB.replace('🦀🦀")', '🦀🦀x")').replace("fn crab(", "fn crabs(")
        actions = await client.code_actions(URI, (3, 8), only=[ITEM_KIND])
        assert [a.title for a in actions] == ["Regenerate rustdoc for `fn crabs`"]
        resolved = await client.code_action_resolve_async(actions[0])
        new_text = apply_text_edits(edited, edits_for(resolved.edit, URI), encoding)
        doc = render_doc_comment(template_doc(_item(edited, "crabs")))
        assert new_text == doc + '#[doc(alias = "🦀🦀x")]\npub fn crabs() -> usize {\n    2\n}\n'


async def test_unknown_documents_positions_past_the_end_and_garbage_get_no_crash():
    async with server_session() as client:
        assert await client.code_actions("file:///not/open.rs", (0, 0)) == []
        client.text_document_did_change(  # a change to a document never opened: logged, ignored
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri="file:///not/open.rs", version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text="fn x() {}")],
            )
        )
        client.open(URI, LIB)
        assert await client.code_actions(URI, (10_000, 500)) is not None  # clamped, answered
        stale = types.CodeAction(title="?", data={"uri": URI, "mode": "generate", "position": {"line": 9999, "character": 0}, "item": "fn gone"})
        assert (await client.code_action_resolve_async(stale)).edit is None
        assert (await client.code_action_resolve_async(types.CodeAction(title="?", data=[1, 2]))).edit is None

        garbage_uri = "file:///work/example/src/garbage.rs"
        garbage = bytes(range(256)).decode("latin-1") * 40 + "\x00\ud800 pub fn after_garbage() {}\n"
        client.open(garbage_uri, garbage)
        for line in (0, 3, 10**6):
            await client.code_actions(garbage_uri, (line, 7))
        actions = await client.code_actions(garbage_uri, (0, 0), only=["source"])
        for action in actions:
            await client.code_action_resolve_async(action)

        # Still serving, and no error was pushed at the user.
        assert [a.title for a in await client.code_actions(URI, (17, 12), only=[ITEM_KIND])] == [
            "Generate rustdoc for `fn parse_port`"
        ]
        assert not [m for m in client.messages if m.type == types.MessageType.Error]
        assert client.process.returncode is None


async def test_without_a_model_the_template_serves_and_the_user_is_told_once():
    async with server_session() as client:
        status = await client.wait_for(lambda: client.statuses, what="a status notification")
        assert status[0]["state"] == "template" and status[0]["model"] is None
        client.open(URI, LIB)
        for _ in range(2):
            action = (await client.code_actions(URI, (17, 12), only=[ITEM_KIND]))[0]
            resolved = await client.code_action_resolve_async(action)
            assert apply_text_edits(LIB, edits_for(resolved.edit, URI)) == _with_template_docs(LIB, ["parse_port"])
        assert len(client.messages) == 1
        message = client.messages[0]
        assert message.type == types.MessageType.Warning
        assert "no model configured" in message.message and "rustdocGen.model.path" in message.message
        assert "rustdoc-gen model pull" in message.message
        assert client.progress == []  # the template is instant: no progress


async def test_bad_settings_fall_back_to_defaults_and_name_the_setting():
    options = {"model": {"maxTokens": "lots", "temperature": 0.2}, "diagnostics": {"enable": "yes"}}
    async with server_session(initialization_options=options) as client:
        message = await client.wait_for(lambda: client.messages, what="a showMessage")
        text = message[0].message
        assert "`rustdocGen.model.maxTokens`" in text and "384" in text
        assert "`rustdocGen.diagnostics.enable`" in text
        assert "temperature" not in text


async def test_commands_generate_and_apply_the_edit():
    async with server_session() as client:
        client.open(URI, LIB)
        applied = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=GENERATE_AT_CURSOR, arguments=[URI, {"line": 17, "character": 12}])
        )
        assert applied is True
        assert len(client.applied) == 1
        assert apply_text_edits(LIB, edits_for(client.applied[0].edit, URI)) == _with_template_docs(LIB, ["parse_port"])

        assert await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="rustdocGen.generateFile", arguments=[URI])
        )
        assert apply_text_edits(LIB, edits_for(client.applied[1].edit, URI)) == _with_template_docs(
            LIB, ["parse_port", "Config", "name"]
        )
        # Bad arguments: a message, no edit, no crash.
        assert not await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=GENERATE_AT_CURSOR, arguments=[URI])
        )
        assert len(client.applied) == 2


async def test_client_without_resolve_support_gets_commands_instead():
    caps = client_capabilities(resolve=False)
    async with server_session(capabilities=caps) as client:
        client.open(URI, LIB)
        actions = await client.code_actions(URI, (17, 12))
        by_kind = {a.kind: a for a in actions}
        item = by_kind[ITEM_KIND]
        assert item.command.command == GENERATE_AT_CURSOR
        assert list(item.command.arguments) == [URI, {"line": 17, "character": 4}]
        assert by_kind[FILE_KIND].command.command == "rustdocGen.generateFile"


async def test_diagnostics_hint_undocumented_items_with_quick_fixes():
    async with server_session(initialization_options={"diagnostics": {"enable": True}}) as client:
        client.open(URI, LIB)
        found = await client.wait_for(lambda: client.diagnostics.get(URI), what="diagnostics")
        missing = {d.message for d in found if d.code == "missing-doc"}
        assert missing == {"fn parse_port has no rustdoc", "struct Config has no rustdoc", "field name has no rustdoc"}
        assert all(d.severity == types.DiagnosticSeverity.Hint and d.source == "rustdoc-gen" for d in found)
        hint = next(d for d in found if "parse_port" in d.message)
        assert hint.range.start.line == 17

        actions = await client.code_actions(URI, (17, 0), diagnostics=[hint])
        fixes = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
        assert [a.title for a in fixes] == ["Generate rustdoc for `fn parse_port`"]
        assert not [a for a in actions if a.kind == ITEM_KIND]  # no duplicate of the fix
        resolved = await client.code_action_resolve_async(fixes[0])
        assert apply_text_edits(LIB, edits_for(resolved.edit, URI)) == _with_template_docs(LIB, ["parse_port"])

        # Turned off by a configuration change: the hints are withdrawn.
        client.configuration = {"diagnostics": {"enable": False}}
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.wait_for(lambda: client.diagnostics.get(URI) == [], what="diagnostics cleared")


async def test_server_exits_cleanly_when_stdin_closes():
    async with server_session() as client:
        client.open(URI, LIB)
        await client.code_actions(URI, (17, 12))
        client.process.stdin.close()
        assert await asyncio.wait_for(client.process.wait(), 15) == 0
