"""A model that will not load says why in one line, and `-v` shows llama.cpp's own log
(issue 23, part 5: llama-cpp-python with verbose=False dropped it)."""

from __future__ import annotations

from tests.robustness.cli_runs import assert_one_error_line, run_process

UNDOCUMENTED = "pub fn parse(text: &str) -> Option<u8> {\n    text.parse().ok()\n}\n"


def test_a_truncated_gguf_names_llama_cpps_reason_and_v_shows_its_log(smollm2_gguf, tmp_path):
    truncated = tmp_path / "cut.gguf"
    with open(smollm2_gguf, "rb") as whole:
        truncated.write_bytes(whole.read(3_000_000))  # the header and a few tensors: the rest is missing
    source = tmp_path / "lib.rs"
    source.write_text(UNDOCUMENTED)

    run = run_process("generate", source, "--model", truncated)
    assert run.exit_code == 1, run.why()
    assert_one_error_line(run)
    assert run.stderr_lines[-1].startswith(f"error: cannot load model {truncated}: corrupt, truncated")
    assert "(llama.cpp: llama_model_load: error loading model: tensor 'token_embd.weight' data is not within the file bounds" in run.stderr_lines[-1]
    assert "llama.cpp:" not in "\n".join(run.stderr_lines[:-1])  # the log itself only when asked

    verbose = run_process("generate", "-v", source, "--model", truncated)
    log = "\n".join(verbose.stderr_lines[:-1])
    assert "llama.cpp: llama_model_load_from_file_impl: failed to load model" in log
    assert source.read_text() == UNDOCUMENTED
