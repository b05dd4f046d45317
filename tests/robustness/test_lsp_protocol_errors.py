"""The language server answers every request, however it is malformed (issue 23, part 6).

pygls 2.1 alone leaves a request with invalid params unanswered (the client waits for
ever) and says nothing to a frame that is not JSON.
"""

from __future__ import annotations

from tests.robustness.lsp_wire import WireSession


def test_request_with_params_of_the_wrong_shape_gets_invalid_params_and_the_server_goes_on():
    with WireSession() as server:
        server.initialize()
        server.request(7, "textDocument/codeAction", {"textDocument": 3, "range": "everything"})
        answer = server.answer_to(7)
        assert answer["error"]["code"] == -32602
        # The server still works: a good request after it is answered.
        server.request(8, "textDocument/codeAction", {
            "textDocument": {"uri": "file:///x/src/lib.rs"},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": []},
        })
        assert "result" in server.answer_to(8)
        assert server.close() == 0


def test_frame_that_is_not_json_gets_a_parse_error_with_a_null_id():
    with WireSession() as server:
        server.initialize()
        server.send_body(b'{"jsonrpc": "2.0", "id": 3, "method": "shutdown"')  # cut short
        error = server.next_frame(lambda f: "error" in f, what="a parse error")
        assert error == {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse Error"}}
        server.send_body(b"\xff\xfe not utf-8")
        assert server.next_frame(lambda f: "error" in f)["error"]["code"] == -32700
        assert server.close() == 0


def test_json_that_is_not_a_json_rpc_message_gets_invalid_request():
    with WireSession() as server:
        server.initialize()
        for body in (b"[1, 2]", b"42", b"null", b'{"id": 5, "method": "shutdown"}'):
            server.send_body(body)
            error = server.next_frame(lambda f: "error" in f, what=f"an answer to {body!r}")
            assert error["error"]["code"] == -32600
        server.request(9, "shutdown", jsonrpc="1.0")  # the wrong version: pygls would drop it silently
        assert server.answer_to(9)["error"]["code"] == -32600
        assert server.close() == 0
