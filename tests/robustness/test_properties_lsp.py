"""Property harness over the language server (issue 23, part 2): requests with any params
(JSON of any shape, positions past the end or negative, unknown documents and commands),
malformed frames, documents of any text. Every request gets an answer, and the server
stays up: a good request after each one is answered too.

One server per test (a module fixture), driven over raw stdio frames."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.robustness.harness import seeded
from tests.robustness.inputs import rust_texts
from tests.robustness.lsp_wire import WireSession

URI = "file:///work/odd/src/lib.rs"
METHODS = [
    "textDocument/codeAction", "codeAction/resolve", "workspace/executeCommand", "textDocument/hover",
    "textDocument/completion", "workspace/symbol", "rustdocGen/unknown", "", "textDocument/didOpen",
]
COMMANDS = ["rustdocGen.generateAtCursor", "rustdocGen.generateFile", "rustdocGen.examplesAtCursor", "rm -rf /", ""]

any_text = st.text(st.characters(exclude_categories=()), max_size=30)  # lone surrogates too: JSON can carry "\ud800"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64) | st.floats(allow_nan=False) | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
numbers = st.one_of(st.integers(-5, 60), st.integers(-(2**40), 2**40), st.sampled_from([2**31 - 1, 2**31, 2**53]))
positions = st.fixed_dictionaries({"line": numbers, "character": numbers})
uris = st.sampled_from([URI, "file:///nowhere.rs", "untitled:Untitled-1", "not a uri", "file:///work/odd/src/%ZZ.rs", ""])


@st.composite
def near_right_params(draw, method: str):
    """Params of the right shape with wrong values: the cases a typed client can still send."""
    if method == "textDocument/codeAction":
        return {"textDocument": {"uri": draw(uris)}, "range": {"start": draw(positions), "end": draw(positions)},
                "context": {"diagnostics": [], "only": draw(st.sampled_from([None, ["source"], ["quickfix"], ["nonsense"], []]))}}
    if method == "codeAction/resolve":
        return {"title": draw(st.text(max_size=20)), "kind": "refactor.rewrite", "data": draw(json_values)}
    if method == "workspace/executeCommand":
        return {"command": draw(st.sampled_from(COMMANDS)), "arguments": draw(st.one_of(
            st.lists(json_values, max_size=3), st.tuples(uris, positions).map(list), st.tuples(uris).map(list)))}
    return draw(json_values)


@pytest.fixture(scope="module")
def server():
    with WireSession() as session:
        session.initialize()
        session.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": URI, "languageId": "rust", "version": 1, "text": "pub fn parse(x: &str) -> u8 { x.len() as u8 }\n"}}})
        yield session
        assert session.process.poll() is None, f"the server died; log:\n{session.log()[-3000:]}"


_ids = itertools.count(1)


def _still_up(server: WireSession) -> None:
    msg_id = f"alive-{next(_ids)}"
    server.request(msg_id, "workspace/executeCommand", {"command": "rustdocGen.examplesAtCursor", "arguments": [URI, {"line": 0, "character": 0}]})
    server.answer_to(msg_id, timeout=20)


@seeded
@given(method=st.sampled_from(METHODS), data=st.data(), shape=st.sampled_from(["json", "near_right", "missing"]))
def test_every_request_is_answered(server, method, data, shape):
    msg_id = next(_ids)
    if shape == "json":
        params = data.draw(json_values)
    elif shape == "near_right":
        params = data.draw(near_right_params(method))
    else:
        params = None
    server.request(msg_id, method, params)
    answer = server.answer_to(msg_id, timeout=20)
    assert ("result" in answer) != ("error" in answer), answer
    _still_up(server)


@seeded
@given(text=st.one_of(rust_texts(), rust_texts().map(lambda t: t + "\ud800 pub fn after() {}\n")), version=st.integers(-5, 2**31), place=positions, kind=st.sampled_from([None, ["source"], ["refactor"]]))
def test_any_document_gets_answers_at_any_position(server, text, version, place, kind):
    uri = "file:///work/odd/src/any.rs"
    server.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "rust", "version": version, "text": text}}})
    msg_id = next(_ids)
    server.request(msg_id, "textDocument/codeAction", {"textDocument": {"uri": uri}, "range": {"start": place, "end": place},
                                                       "context": {"diagnostics": [], "only": kind}})
    answer = server.answer_to(msg_id, timeout=30)
    for action in (answer.get("result") or [])[:2]:
        if isinstance(action, dict) and "data" in action and "edit" not in action:
            resolve_id = next(_ids)
            server.request(resolve_id, "codeAction/resolve", action)
            server.answer_to(resolve_id, timeout=30)
    # An edit anywhere, then the same request: the incremental path.
    server.send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": version + 1},
        "contentChanges": [{"range": {"start": place, "end": place}, "text": "\n/// x\n"}]}})
    again = next(_ids)
    server.request(again, "textDocument/codeAction", {"textDocument": {"uri": uri}, "range": {"start": place, "end": place},
                                                      "context": {"diagnostics": []}})
    server.answer_to(again, timeout=30)
    server.send({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}})


@seeded
@given(body=st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda m, p: json.dumps({"jsonrpc": "2.0", "method": m, "params": p}).encode(), st.sampled_from(METHODS + ["textDocument/didChange", "$/cancelRequest", "$/setTrace"]), json_values),
    st.sampled_from([b"[" * 100_000, b'{"jsonrpc": "2.0", "id": 1, "method": "x", "params": ' + b"[" * 50_000]),
))
def test_malformed_frames_and_notifications_leave_the_server_answering(server, body):
    server.send_body(body)
    _still_up(server)
