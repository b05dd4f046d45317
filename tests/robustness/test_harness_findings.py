"""What the property harness found, each pinned as an example (the harness may not draw it again)."""

from __future__ import annotations

import os

from tests.robustness.cli_runs import assert_well_behaved, invoke, run_process


def _generate_twice(path, *flags):
    first = invoke("generate", "--write", "-q", *flags, path)
    assert_well_behaved(first)
    once = path.read_bytes()
    second = invoke("generate", "--write", "-q", *flags, path)
    assert_well_behaved(second)
    return once, path.read_bytes()


def test_a_fifo_named_as_a_rust_file_is_one_line_not_a_hang(tmp_path):
    fifo = tmp_path / "lib.rs"
    os.mkfifo(fifo)
    run = run_process("generate", fifo, timeout=30)
    assert run.exit_code == 1 and run.stderr_lines == [f"error: not a regular file: {fifo}"]


def test_a_symlink_to_dev_zero_is_one_line_not_a_read_without_end(tmp_path):
    link = tmp_path / "zero.rs"
    link.symlink_to("/dev/zero")
    run = run_process("check", link, timeout=30)
    assert run.exit_code == 1 and run.stderr_lines == [f"error: not a regular file: {link}"]


def test_a_report_to_dev_null_is_written_not_renamed_over(tmp_path):
    source = tmp_path / "lib.rs"
    source.write_text("/// Parses.\npub fn parse() {}\n")
    run = invoke("check", "-o", "/dev/null", source)
    assert_well_behaved(run)
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


def test_a_crate_root_that_is_one_shebang_line_gets_no_crate_doc_after_its_end(tmp_path):
    # Lone CRs: to Rust and to us the whole file is the shebang line; a `//!` appended
    # after it came again on every run.
    (tmp_path / "src").mkdir()
    lib = tmp_path / "src" / "lib.rs"
    lib.write_bytes(b"#!/usr/bin/env rust-script\rpub struct Parse;\rpub fn parse() {}\r")
    once, twice = _generate_twice(lib, "--update")
    assert once == twice
    assert b"//!" not in once


def test_an_item_on_the_line_of_a_syntax_error_is_skipped_not_documented_on_every_run(tmp_path):
    # A byte-order mark in the middle of a file is a syntax error before `fn`: a doc put on its
    # line was swallowed by the error, so every run added one more.
    (tmp_path / "src").mkdir()
    lib = tmp_path / "src" / "lib.rs"
    lib.write_text("//! Crate.\npub mod m1;\n\ufefffn parse() {}\n")
    (tmp_path / "src" / "m1.rs").write_text("//! Module.\n")
    once, twice = _generate_twice(lib, "--all")
    assert once == twice
    assert "fn parse" in once.decode() and "The `parse` function" not in once.decode()


def test_a_needless_section_written_twice_is_removed_whole_in_one_fix(tmp_path):
    path = tmp_path / "lib.rs"
    path.write_text("/// Parses.\n///\n/// # Errors\n/// # Errors\nfn parse() {}\n")
    fixed = invoke("check", "--fix", "-q", path)
    assert_well_behaved(fixed)
    assert path.read_text() == "/// Parses.\nfn parse() {}\n"


def test_a_doc_that_is_nothing_but_a_needless_section_is_kept(tmp_path):
    # Removing it took the human's sentence with it and left the item undocumented, so the
    # next `generate --update` wrote a new doc: a second run changed the file.
    path = tmp_path / "lib.rs"
    original = "/// # Errors\n/// Parses the value.\nfn parse() {}\n"
    path.write_text(original)
    for args in (["generate", "--write", "--all", "--update", "-q"], ["check", "--fix", "-q", "--fail-on", "never"]):
        for _ in range(2):
            assert_well_behaved(invoke(*args, path))
    assert path.read_text() == original


def test_eval_on_a_dataset_with_a_bad_record_in_another_split_is_one_line(tmp_path):
    import json

    from tests.robustness.test_properties_datasets import mined_records

    records = mined_records()
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    for split in ("train", "test"):
        (dataset / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records[split]))
    (dataset / "validation.jsonl").write_text("{\n")
    run = invoke("eval", "-q", "--dataset", dataset, "--split", "test", "--system", "template", "-o", tmp_path / "eval")
    assert_well_behaved(run)
    assert run.exit_code == 1 and "validation.jsonl" in run.stderr_lines[-1], run.why()


def test_a_file_named_with_glob_characters_is_written(tmp_path):
    path = tmp_path / "**[a].rs"  # the stale-temporary sweep globbed with the name: ValueError on `**`
    path.write_text("pub fn parse() {}\n")
    run = invoke("generate", "--write", "-q", path)
    assert_well_behaved(run)
    assert run.exit_code == 0 and "/// " in path.read_text()


def test_a_file_with_a_name_near_name_max_is_written(tmp_path):
    path = tmp_path / ("a" * 245 + ".rs")  # its temporary's name (`.NAME.PID.XXXX.tmp`) was past 255 bytes
    path.write_text("pub fn parse() {}\n")
    run = invoke("generate", "--write", "-q", path)
    assert_well_behaved(run)
    assert run.exit_code == 0 and "/// " in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_warning_naming_a_file_with_line_breaks_is_one_line_under_q(tmp_path):
    path = tmp_path / "a\nb.rs"
    path.write_text("pub fn parse() {}\n")
    path.chmod(0o444)
    run = invoke("generate", "--write", "-q", path)
    assert_well_behaved(run)  # -q: nothing but warnings before the error, each on one line
    assert run.exit_code == 1 and len(run.stderr_lines) == 2


def test_an_item_after_a_stray_brace_is_skipped_not_given_a_new_section_on_every_run(tmp_path):
    # The ERROR of `}}` swallows the doc lines written after it; the item kept asking for them.
    path = tmp_path / "lib.rs"
    path.write_text("pub mod m {\n}}\npub fn parse() { x.unwrap() }\n")
    once, twice = _generate_twice(path, "--update")
    assert once == twice
    assert "# Panics" not in once.decode()


def test_an_item_after_code_tree_sitter_recovered_into_an_expression_is_skipped(tmp_path):
    # `=` at the top of a file makes tree-sitter read the lines after it as one broken
    # expression, which swallowed the doc written above the next fn: a new doc every run.
    (tmp_path / "src").mkdir()
    lib = tmp_path / "src" / "lib.rs"
    lib.write_text('=/// Parses.\nmod tests {\nfn parse() {}\n}}\n#[doc = "Attr doc."]\nfn parse() {}\nfn parse() {}\n')
    once, twice = _generate_twice(lib, "--all")
    assert once == twice


def _adapter(path, tensors, *, typed=True):
    import gguf
    import numpy as np

    writer = gguf.GGUFWriter(str(path), "llama")
    if typed:
        writer.add_type("adapter")
        writer.add_string("adapter.type", "lora")
    for name, shape in tensors:
        writer.add_tensor(name, np.zeros(shape, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_an_adapter_that_does_not_fit_its_base_is_one_line_not_a_segfault(smollm2_gguf, tmp_path):
    # llama.cpp ended the process (SIGSEGV) on each of these; SmolLM2's attn_q is 576 x 576.
    source = tmp_path / "lib.rs"
    source.write_text("pub fn parse() {}\n")
    cases = {
        "untyped": ([("blk.0.attn_q.weight.lora_a", (8, 576)), ("blk.0.attn_q.weight.lora_b", (576, 8))], False, "is not a LoRA adapter GGUF"),
        "half": ([("blk.0.attn_q.weight.lora_a", (8, 576))], True, "blk.0.attn_q.weight has no lora_b"),
        "elsewhere": ([("blk.99.attn_q.weight.lora_a", (8, 576)), ("blk.99.attn_q.weight.lora_b", (576, 8))], True, "the base has no tensor blk.99.attn_q.weight"),
        "misshapen": ([("blk.0.attn_q.weight.lora_a", (8, 576)), ("blk.0.attn_q.weight.lora_b", (576, 4))], True, "do not fit the base's [576, 576]"),
    }
    for name, (tensors, typed, says) in cases.items():
        adapter = _adapter(tmp_path / f"{name}.gguf", tensors, typed=typed)
        run = run_process("generate", "--write", source, "--model", smollm2_gguf, "--adapter", adapter)
        assert run.exit_code == 1, run.why()
        assert says in run.stderr_lines[-1], run.why()
    assert source.read_text() == "pub fn parse() {}\n"


def test_a_doc_with_an_open_code_fence_gets_no_section_that_would_fall_into_it(tmp_path):
    # The `# Safety` heading went in below the unclosed fence, inside the code block, so the
    # section stayed missing and every --fix (and generate --update) added another.
    path = tmp_path / "lib.rs"
    original = "/// ```\n/// let x = 1;\npub unsafe fn parse() {}\n"
    path.write_text(original)
    for args in (["check", "--fix", "-q", "--fail-on", "never"], ["generate", "--write", "--update", "-q"]):
        for _ in range(2):
            assert_well_behaved(invoke(*args, path))
    assert path.read_text() == original


def test_a_crate_root_with_a_syntax_error_in_its_header_gets_no_crate_doc_on_every_run(tmp_path):
    # A NUL byte ends tree-sitter's `//` comment; the rest of the line is an error that swallows
    # the `//!` lines written below it, so each run added the crate doc again.
    (tmp_path / "src").mkdir()
    lib = tmp_path / "src" / "lib.rs"
    lib.write_bytes(b"//\x00! Crate doc.\n\npub fn parse() {}\n")
    once, twice = _generate_twice(lib)
    assert once == twice
    assert b"//! " not in once


def test_docs_a_syntax_error_would_swallow_are_found_before_they_are_written():
    # The net under the reader's own rules: after a stray brace the doc written above the next
    # item folds into the error, so reading the new text again finds the item still undocumented.
    from pathlib import Path

    from rustdoc_core.generation.document import FileJob, _docs_lost
    from rustdoc_core.rust.items import RustSource

    for text, swallowed in (("pub mod m {\n}}\npub fn parse() {}\n", True), ("pub mod m {\n}\npub fn parse() {}\n", False)):
        source = RustSource(text)
        parse = next(i for i in source.items() if i.name == "parse")
        job = FileJob(Path("lib.rs"), text, source, [parse], False)
        assert _docs_lost(job, text.replace("pub fn parse", "/// Parses.\npub fn parse"), [parse]) is swallowed
