"""Retrieval in the editor, end to end: the real `rustdoc-gen serve` with `rag.enable` indexes
the workspace (a copy of Debian's globset) off the event loop, shows the documented neighbours
of the item at the cursor, and its index follows a file that is edited and saved."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types

from lsp_server.examples import EXAMPLES_AT_CURSOR
from rustdoc_core.rust.items import RustSource
from tests.support.lsp_client import server_session

NEW_SUMMARY = "Gives the extension of a file name, edited and saved."


def _position(text: str, name: str) -> dict[str, int]:
    item = next(i for i in RustSource(text).items() if i.name == name)
    return {"line": item.start_line, "character": len(item.indent) + 4}


async def _examples(client, uri: str, place: dict[str, int]) -> list[dict[str, str]]:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=EXAMPLES_AT_CURSOR, arguments=[uri, place]))


async def test_the_servers_index_follows_a_saved_edit(crate_copy):
    crate = crate_copy("globset")
    path = crate / "src" / "pathutil.rs"
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8")
    async with server_session(initialization_options={"rag": {"enable": True}}, root_uri=crate.as_uri()) as client:
        assert client.initialize_result.capabilities.text_document_sync.save, "the server asks for didSave"
        client.open(uri, text)
        place = _position(text, "file_name")
        examples: list = []
        for _ in range(120):  # the index is built on a thread; the server answers meanwhile
            examples = await _examples(client, uri, place)
            if examples:
                break
            await asyncio.sleep(0.25)
        assert examples, "the workspace index never became ready"
        by_signature = {e["signature"]: e for e in examples}
        ext = next(s for s in by_signature if s.startswith("pub fn file_name_ext"))
        assert Path(by_signature[ext]["file"]) == path.resolve()
        old_doc = by_signature[ext]["doc"]
        assert not old_doc.startswith(NEW_SUMMARY)

        # The user rewrites file_name_ext's summary, saves: the index has the new doc, not the old.
        first_line = old_doc.split("\n")[0]
        edited = text.replace(f"/// {first_line}", f"/// {NEW_SUMMARY}", 1)
        assert edited != text
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
        ))
        path.write_text(edited, encoding="utf-8")
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        after = await _examples(client, uri, place)
        docs = [e["doc"] for e in after if e["signature"].startswith("pub fn file_name_ext")]
        assert docs and docs[0].startswith(NEW_SUMMARY), after
        assert old_doc not in [e["doc"] for e in after]


async def test_without_rag_enable_no_examples_are_shown(crate_copy):
    crate = crate_copy("globset")
    path = crate / "src" / "pathutil.rs"
    text = path.read_text(encoding="utf-8")
    async with server_session(root_uri=crate.as_uri()) as client:
        client.open(path.as_uri(), text)
        assert await _examples(client, path.as_uri(), _position(text, "file_name")) == []


def test_rag_enable_is_a_boolean_setting_and_a_bad_value_is_named():
    from lsp_server.settings import parse_settings

    assert parse_settings({"rag": {"enable": True}})[0].rag.enable is True
    assert parse_settings({})[0].rag.enable is False
    settings, problems = parse_settings({"rag": {"enable": "yes"}})
    assert settings.rag.enable is False and problems == ["`rustdocGen.rag.enable` must be true or false, got 'yes'; using false"]
