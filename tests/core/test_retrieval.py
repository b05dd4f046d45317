"""Retrieval and prompt format v2: the index of documented items finds the neighbours that
teach (on Debian's clap), never the item itself and, in training, nothing from its own file;
it follows a file's new text; the examples section keeps its bound; a prompt without examples
is the v1 prompt word for word; `generate --rag` shows a real model the crate's docs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rustdoc_core.generation.pipeline import DocRequest, document_item
from rustdoc_core.generation.prompt import (
    EXAMPLES_HEADING,
    MAX_EXAMPLE_DOC_CHARS,
    MAX_EXAMPLES,
    MAX_EXAMPLES_CHARS,
    PromptContext,
    PromptExample,
    build_messages,
    clip_doc,
    examples_section,
    prompt_context,
)
from rustdoc_core.generation.retrieval import RetrievalIndex, item_key, name_words
from rustdoc_core.rust.items import RustItem, RustSource, parse_items

ARG = "src/builder/arg.rs"


@pytest.fixture(scope="module")
def clap(debian_crate) -> tuple[dict[str, RustSource], RetrievalIndex]:
    """Every file of clap 4.0.32 parsed, and the index of its documented items."""
    root = debian_crate("clap")
    sources = {str(p.relative_to(root)): RustSource(p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.rs"))}
    index = RetrievalIndex()
    for file, source in sources.items():
        index.add_source(file, source)
    return sources, index


def _method(source: RustSource, name: str, impl: str) -> RustItem:
    return next(i for i in source.items() if i.name == name and i.container is not None and i.container.header == impl)


def test_name_words_split_snake_and_camel_case():
    assert name_words("from_str_radix") == ["from", "str", "radix"]
    assert name_words("GlobSetBuilder") == ["glob", "set", "builder"]
    assert name_words("HTTPServer") == ["http", "server"]


def test_a_boolean_getters_neighbours_are_boolean_getters_of_other_types(clap):
    sources, index = clap
    item = _method(sources[ARG], "is_required_set", "impl Arg")
    found = index.neighbours(ARG, item, 3, training=True)
    assert [(n.file, n.signature) for n in found][:1] == [("src/builder/arg_group.rs", "pub fn is_required_set(&self) -> bool")]
    assert all(n.signature.startswith("pub fn is_") and n.signature.endswith(") -> bool") for n in found), found
    assert all(n.doc.startswith("Report") for n in found), [n.doc for n in found]


def test_a_constructors_first_neighbour_is_another_types_constructor(clap):
    sources, index = clap
    item = _method(sources[ARG], "new", "impl Arg")
    found = index.neighbours(ARG, item, 3, training=True)
    assert found[0].signature == "pub fn new(id: impl Into<Id>) -> Self"
    assert found[0].file == "src/builder/arg_group.rs"


def test_the_item_itself_is_never_its_own_neighbour(clap):
    sources, index = clap
    item = _method(sources[ARG], "get_help", "impl Arg")
    assert item.doc is not None
    found = index.neighbours(ARG, item, 5)
    assert item_key(ARG, item) not in {n.key for n in found}
    assert (ARG, item.signature) not in {(n.file, n.signature) for n in found}
    # It is in the index: asked about from another file, the same item comes first.
    elsewhere = index.neighbours("src/elsewhere.rs", item, 1)
    assert elsewhere[0].key == item_key(ARG, item)


def test_training_mode_leaves_out_the_items_own_file(clap):
    sources, index = clap
    item = _method(sources[ARG], "is_hide_set", "impl Arg")
    serving = index.neighbours(ARG, item, 3)
    training = index.neighbours(ARG, item, 3, training=True)
    assert any(n.file == ARG for n in serving), "Arg's own getters are its best neighbours when serving"
    assert len(training) == 3 and all(n.file != ARG for n in training)


def test_the_index_follows_a_files_new_text(debian_crate):
    path = debian_crate("globset") / "src" / "pathutil.rs"
    text = path.read_text(encoding="utf-8")
    index = RetrievalIndex()
    index.add_source("src/pathutil.rs", RustSource(text))
    before = len(index)
    query = next(i for i in RustSource(text).items() if i.name == "file_name")
    old_doc = query.doc.text.strip()
    assert old_doc in {n.doc for n in index.neighbours("src/other.rs", query, 1)}
    edited = text.replace(query.doc.fragments[0].text.split("\n")[0].lstrip("/ "), "Gives the last component of a path, edited.", 1)
    assert edited != text
    index.replace_file("src/pathutil.rs", RustSource(edited))
    docs = [n.doc for n in index.neighbours("src/other.rs", query, before)]
    assert len(index) == before
    assert any(d.startswith("Gives the last component of a path, edited.") for d in docs), docs
    assert old_doc not in docs
    index.remove_file("src/pathutil.rs")
    assert len(index) == 0


_SMALL = """use std::path::Path;

mod glob {
    pub struct Glob { re: String }

    impl Glob {
        pub fn regex(&self) -> &str {
            &self.re
        }

        pub fn is_empty(&self) -> bool {
            self.re.is_empty()
        }
    }
}
"""

USER_PROMPT = (
    "Module: `glob`\n\nImports:\nuse std::path::Path;\n\n"
    "Inside: `impl Glob`\n\nNearby items:\n- `pub fn regex(&self) -> &str`\n- `pub fn is_empty(&self) -> bool`\n\n"
    "Write the rustdoc comment for `fn regex`. Its summary says what it does, in the third person: \"Returns ...\".\n\n"
    "Item:\n```rust\npub fn regex(&self) -> &str {\n    &self.re\n}\n```"
)
"""What prompt format v5 asks for `Glob::regex` of _SMALL, without examples: what the file's
items share first (v1 and v2 asked for the item first; v5 lists the impl's members whole, the
item among them), the summary's shape for a fn last."""


def _regex_item() -> tuple[RustItem, PromptContext]:
    source = RustSource(_SMALL)
    item = next(i for i in source.items() if i.name == "regex")
    return item, prompt_context(source, item)


def test_a_prompt_without_examples_puts_what_the_files_items_share_first():
    item, context = _regex_item()
    assert build_messages(item, context)[1]["content"] == USER_PROMPT


def test_examples_go_before_the_item_as_docs_above_signatures():
    item, context = _regex_item()
    examples = (PromptExample("pub fn pattern(&self) -> &str", "Returns the original glob pattern.\n\nSee [`Glob::new`]."),)
    user = build_messages(item, context.with_examples(examples))[1]["content"]
    section = f"{EXAMPLES_HEADING}\n```rust\n/// Returns the original glob pattern.\n///\n/// See [`Glob::new`].\npub fn pattern(&self) -> &str\n```"
    assert user == USER_PROMPT.replace("\n\nWrite the rustdoc comment", f"\n\n{section}\n\nWrite the rustdoc comment")


def test_context_with_examples_survives_json():
    item, context = _regex_item()
    context = context.with_examples([PromptExample("pub fn a()", "Does a.")])
    assert PromptContext.from_dict(json.loads(json.dumps(context.to_dict()))) == context


def _long_doc(n: int) -> str:
    code = "```\nlet glob = Glob::new(\"*.rs\")?;\nassert!(glob.is_match(\"a.rs\"));\n```"
    return f"Summary {n} " + "word " * 40 + "\n\n" + code + "\n\n" + "More prose. " * 60 + "\n\n# Errors\n\nFails."


def test_the_examples_section_stays_within_its_bound():
    examples = tuple(PromptExample(f"pub fn f{n}(&self, x: usize) -> Result<Vec<u8>, Error>", _long_doc(n)) for n in range(10))
    section = examples_section(examples)
    assert len(section) <= MAX_EXAMPLES_CHARS
    assert 1 <= section.count("\npub fn f") <= MAX_EXAMPLES
    assert section.count("```") % 2 == 0 and section.count("/// ```") % 2 == 0  # no code block cut in half
    item, context = _regex_item()
    user = build_messages(item, context.with_examples(examples))[1]["content"]
    assert len(user) <= len(USER_PROMPT) + len("\n\n") + MAX_EXAMPLES_CHARS


def test_a_long_doc_keeps_its_first_paragraphs_whole():
    doc = _long_doc(1)
    clipped = clip_doc(doc, MAX_EXAMPLE_DOC_CHARS)
    assert len(clipped) <= MAX_EXAMPLE_DOC_CHARS
    assert clipped.startswith("Summary 1 word") and clipped.count("```") == 2
    assert clip_doc("word " * 400, 100).endswith("…") and len(clip_doc("word " * 400, 100)) <= 100


def test_the_examples_bound_in_tokens_of_a_real_tokenizer(smollm2_gguf):
    """MAX_EXAMPLES_CHARS is the bound; in SmolLM2's tokens a full section of Rust and prose is at most half of it."""
    import llama_cpp

    vocab = llama_cpp.Llama(str(smollm2_gguf), vocab_only=True, verbose=False)
    examples = tuple(PromptExample(f"pub fn matches_{n}(&self, path: &Path) -> bool", _long_doc(n)) for n in range(5))
    section = examples_section(examples)
    tokens = len(vocab.tokenize(section.encode("utf-8"), add_bos=False))
    assert len(section) > MAX_EXAMPLES_CHARS * 0.8
    assert tokens <= MAX_EXAMPLES_CHARS // 2, tokens


def _generate(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "400"}  # log lines unwrapped
    return subprocess.run([sys.executable, "-m", "rustdoc_cli", "generate", *args], capture_output=True, text=True, timeout=600, env=env)


def test_generate_rag_asks_the_model_with_the_crates_docs_as_examples(tmp_path: Path, debian_crate, smollm2_gguf):
    """globset's pathutil.rs with one doc taken away: the real model is asked for it with the
    file's other documented items as examples (the two cfg twins of `normalize_path` share one
    doc, shown once)."""
    text = (debian_crate("globset") / "src" / "pathutil.rs").read_text(encoding="utf-8")
    item = next(i for i in RustSource(text).items() if i.name == "file_name")
    target = tmp_path / "pathutil.rs"
    target.write_text(text[: item.doc.fragments[0].start_byte] + text[item.doc.fragments[-1].end_byte :], encoding="utf-8")
    done = _generate(str(target), "--rag", "-v", "--model", str(smollm2_gguf), "--max-tokens", "16", "--threads", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"examples indexed \(--rag\)\D+(\d+)", done.stderr).group(1) == "3"
    examples = re.search(r"fn file_name: examples (.*)", done.stderr).group(1)
    assert examples.startswith("`pub fn file_name_ext<'a>") and examples.count("`pub fn normalize_path(") == 1, examples
    assert done.stdout.startswith("---") and "+/// " in done.stdout


def test_generate_examples_from_a_missing_dataset_is_one_line(tmp_path: Path, debian_crate):
    target = str(debian_crate("globset") / "src" / "pathutil.rs")
    done = _generate(target, "--examples-from", str(tmp_path))
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0 and "--examples-from" in done.stderr, done.stderr


# --- train --rag and eval +rag on a mined dataset -----------------------------------------


@pytest.fixture(scope="module")
def held_out_dataset(debian_crate, tmp_path_factory) -> Path:
    """`rustdoc-gen mine` of Debian's grep-matcher, grep-cli and ignore, with globset held out as the test split."""
    from click.testing import CliRunner

    from rustdoc_cli.cli import main as cli

    out = tmp_path_factory.mktemp("data") / "held-out"
    crates = [str(debian_crate(name)) for name in ("globset", "grep-matcher", "grep-cli", "ignore")]
    result = CliRunner().invoke(cli, ["-q", "mine", *crates, "--test-repo", debian_crate("globset").name, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _records(dataset: Path, split: str) -> list[dict]:
    from corpus_miner.dataset import load_records

    return list(load_records(dataset, split))


def test_train_rag_prompts_show_neighbours_from_other_files_only(held_out_dataset):
    from rustdoc_core.generation.retrieval import record_file, record_item
    from trainer.train import load_split, rag_examples

    index = rag_examples(held_out_dataset)
    records = _records(held_out_dataset, "train")
    assert len(index) == len(records)
    for record in records[:60]:
        found = index.neighbours(record_file(record), record_item(record), training=True)
        assert found and all(n.file != record_file(record) for n in found)
    plain = load_split(held_out_dataset, "train", limit=40, seed=0)
    rag = load_split(held_out_dataset, "train", limit=40, seed=0, examples=index)
    assert [r["completion"] for r in rag] == [r["completion"] for r in plain]
    with_examples = [r for r in rag if EXAMPLES_HEADING in r["prompt"][1]["content"]]
    assert len(with_examples) >= 36
    # The mined prompt is the rebuilt one less its examples: mined and retrieved prompts agree.
    for mined, rebuilt in zip(plain, rag):
        without = rebuilt["prompt"][1]["content"].split(f"\n\n{EXAMPLES_HEADING}\n")[0]
        assert mined["prompt"][1]["content"].startswith(without)


def test_train_reads_v1_records_and_refuses_unknown_versions(held_out_dataset, tmp_path):
    from rustdoc_console import UserError
    from trainer.train import load_split

    for version, readable in ((1, True), (6, False)):
        copy = tmp_path / f"v{version}"
        copy.mkdir()
        lines = [json.dumps({**r, "prompt_format_version": version}) for r in _records(held_out_dataset, "validation")]
        (copy / "validation.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        if readable:
            assert len(load_split(copy, "validation", limit=None, seed=0)) == len(lines)
        else:
            with pytest.raises(UserError, match="prompt format v6"):
                load_split(copy, "validation", limit=None, seed=0)


def test_eval_rag_examples_come_from_train_and_the_held_out_crates_other_items(held_out_dataset):
    from rustdoc_core.generation.crate_context import CrateContext
    from rustdoc_core.generation.decode import DecodeOptions
    from rustdoc_core.generation.pipeline import DocRequest, request_context
    from rustdoc_core.generation.retrieval import item_key
    from trainer.evaluation.dataset import load_examples
    from trainer.evaluation.systems import make_system

    plain = make_system("template", DecodeOptions())
    system = make_system("template+rag", DecodeOptions(), (held_out_dataset, "test"))
    assert system.name == "template+rag" and system.fingerprint != plain.fingerprint
    examples = load_examples(held_out_dataset, "test")
    origins = set()
    for example in examples:
        file = f"{example.repo}/{example.path}"
        found = system.retrieval.neighbours(file, example.item)
        assert item_key(file, example.item) not in {n.key for n in found}
        origins.update(n.file.split("/")[0] for n in found)
        assert request_context(DocRequest(example.item, file, context=example.context), CrateContext(retrieval=system.retrieval)).examples == tuple(
            n.example() for n in found
        )
    held_out = examples[0].repo
    assert held_out in origins and origins - {held_out}, origins  # the crate's own docs and the train split's


def test_rag_needs_a_generator_system():
    from rustdoc_console import UserError
    from rustdoc_core.generation.decode import DecodeOptions
    from trainer.evaluation.systems import make_system

    with pytest.raises(UserError, match="retrieval is for generator systems"):
        make_system("human+rag", DecodeOptions(), (Path("data"), "test"))


def test_template_with_examples_opens_as_the_crates_own_docs_do(clap):
    """clap writes "Get(s) the ..." for getters where the template writes "Returns the ...": with
    the getter's neighbours as examples the template's opening verb follows the crate."""
    from rustdoc_core.generation.generators import TemplateGenerator

    sources, index = clap
    item = _method(sources[ARG], "get_help", "impl Arg").with_doc(None)
    context = prompt_context(sources[ARG], item)
    plain = document_item(DocRequest(item, context=context), TemplateGenerator()).text
    followed = document_item(DocRequest(item, context=index.context_for(ARG, item, context, training=True)), TemplateGenerator()).text
    assert plain.startswith("Returns the help")
    assert followed.split(" ", 1)[0] in ("Get", "Gets") and followed.split(" ", 1)[1] == plain.split(" ", 1)[1]


def test_template_keeps_its_opening_when_the_examples_do_not_agree():
    from rustdoc_core.generation.crate_phrasing import follow_crate_phrasing

    doc = "Returns `true` if `hide` is set."
    agreeing = [PromptExample("pub fn is_a_set(&self) -> bool", "Reports whether a is set"),
                PromptExample("pub fn is_b_set(&self) -> bool", "Reports whether b is set")]
    assert follow_crate_phrasing(doc, "pub fn is_hide_set(&self) -> bool", agreeing) == "Reports whether `hide` is set."
    assert follow_crate_phrasing(doc, "pub fn is_hide_set(&self) -> bool", agreeing[:1]) == doc
    other_shape = [PromptExample("pub fn a(&self) -> usize", "Reports whether a is set")] * 2
    assert follow_crate_phrasing(doc, "pub fn is_hide_set(&self) -> bool", other_shape) == doc


def test_examples_show_the_neighbours_summary_not_their_whole_doc():
    # Examples teach the crate's voice; a whole doc is a ready answer a small model copies.
    from rustdoc_core.generation.retrieval import EXAMPLE_SUMMARY_CHARS, example_doc

    doc = "Returns the glob's regex.\n\nThe regex is built once, when the glob is compiled.\n\n# Examples\n\n```\nlet r = g.regex();\n```"
    assert example_doc(doc) == "Returns the glob's regex."
    long = "Returns the regex. " + "It is long. " * 40
    assert example_doc(long) == "Returns the regex."
    assert len(example_doc("word " * 100)) <= EXAMPLE_SUMMARY_CHARS
    index = RetrievalIndex()
    index.add_source("src/glob.rs", RustSource("/// " + doc.replace("\n", "\n/// ") + "\npub fn regex(&self) -> &str { &self.re }\n"))
    item = parse_items("pub fn pattern(&self) -> &str { &self.p }")[0]
    assert [e.doc for e in index.context_for("src/other.rs", item, PromptContext()).examples] == ["Returns the glob's regex."]
