"""The server under weight: a 50k-line real file, and a start-up free of the heavy stacks."""

from __future__ import annotations

import json
import subprocess
import sys

from lsprotocol import types

from lsp_server.code_actions import FILE_KIND, ITEM_KIND
from rustdoc_core.rust.items import RustSource
from tests.support.lsp_client import apply_text_edits, edits_for, server_session

HEAVY = ("torch", "transformers", "trl", "peft", "datasets", "accelerate", "llama_cpp", "huggingface_hub")


def test_server_start_up_imports_no_training_stack_and_no_llama():
    # What `rustdoc-gen serve` imports before a model is used: the CLI, the server
    # with every feature wired, and the template engine and checker it serves with.
    script = f"""
import json, sys
import rustdoc_cli.cli
from lsp_server.wiring import create_server
create_server()
from rustdoc_core.generation.generators import TemplateGenerator
from rustdoc_core.generation.prompt import prompt_context
from rustdoc_core.rust.items import RustSource
from lsp_server.diagnostics import document_diagnostics
from rustdoc_core.generation.pipeline import DocRequest, document_item
source = RustSource("pub fn parse(text: &str) -> Result<u8, String> {{ text.parse().map_err(|_| String::new()) }}")
item = source.items()[0]
document_item(DocRequest(item, context=prompt_context(source, item)), TemplateGenerator())
document_diagnostics(source.items(), source.lines, "file:///x.rs", 1, "utf-16", text=source.text)
print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


async def test_fifty_thousand_line_file_is_served(debian_crate):
    real = (debian_crate("clap") / "src" / "builder" / "command.rs").read_text(encoding="utf-8")
    copies = 50_000 // real.count("\n") + 1
    text = "".join(f"mod copy{i} {{\n{real}\n}}\n" for i in range(copies))
    assert text.count("\n") >= 50_000
    uri = "file:///work/big/src/lib.rs"
    source = RustSource(text)
    target = next(i for i in source.items() if i.doc is None and i.is_fn and i.start_line > 25_000 and i.is_public)
    line_text = text.split("\n")[target.start_line]
    column = line_text.index(f"fn {target.name}") + 3

    # clap documents its whole public API; private items leave the source action work to do.
    async with server_session(initialization_options={"generate": {"includePrivate": True}}) as client:
        client.open(uri, text)
        actions = await client.code_actions(uri, (target.start_line, column))
        assert f"Generate rustdoc for `{target.label}`" in [a.title for a in actions]
        assert FILE_KIND in [a.kind for a in actions]

        # An incremental edit at the top shifts everything by one line.
        start = types.Position(line=0, character=0)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=start, end=start), text="// top\n")],
            )
        )
        text = "// top\n" + text
        actions = await client.code_actions(uri, (target.start_line + 1, column), only=[ITEM_KIND])
        assert [a.title for a in actions] == [f"Generate rustdoc for `{target.label}`"]
        resolved = await client.code_action_resolve_async(actions[0])
        edits = edits_for(resolved.edit, uri)
        assert len(edits) == 1 and edits[0].range.start.line == target.doc_line + 1
        new_text = apply_text_edits(text, edits)
        assert new_text.replace(edits[0].new_text, "", 1) == text
        assert client.process.returncode is None
