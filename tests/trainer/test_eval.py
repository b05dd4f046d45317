"""`rustdoc-gen eval` end to end: a dataset mined from a real crate (Debian's
globset), the template engine, a tiny GGUF and the human docs, compared side by
side; figures reproducible; an interrupted evaluation resuming from its cache;
generated examples parsed and run as doctests in a copy of a small crate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rustdoc_cli.cli import main
from rustdoc_console import Interrupted
from trainer.evaluation.cache import JsonlCache
from trainer.evaluation.dataset import load_examples
from trainer.evaluation.doc_measures import examples_blocks, is_valid_rust_example
from trainer.evaluation.doctests import DoctestRunner
from trainer.evaluation.metrics import METRICS

LIMIT = 6
MAX_TOKENS = 16
PARTIAL = 3


def mine(crate_dir: Path, out: Path, *, all_in_test: bool = False) -> Path:
    """A dataset mined from `crate_dir` by `rustdoc-gen mine` (all items in the test split if asked)."""
    split = ["--split", "0,0,1"] if all_in_test else []
    result = CliRunner().invoke(main, ["mine", "-q", str(crate_dir), "-o", str(out), "-j", "1", *split])
    assert result.exit_code == 0, result.output
    return out


def run_eval(*args: str) -> dict:
    result = CliRunner().invoke(main, ["eval", "-q", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = Path(args[args.index("-o") + 1])
    return json.loads((out / "report.json").read_text())


@pytest.fixture(scope="module")
def globset_dataset(debian_crate, tmp_path_factory) -> Path:
    return mine(debian_crate("globset"), tmp_path_factory.mktemp("globset") / "dataset")


def _systems(gguf: Path) -> list[str]:
    return ["--system", "template", "--system", f"model:{gguf}", "--system", "human"]


def test_eval_compares_template_model_and_human_on_every_metric_reproducibly(globset_dataset, tiny_gguf_path, tmp_path):
    args = ["--dataset", str(globset_dataset), *_systems(tiny_gguf_path), "--limit", str(LIMIT),
            "--max-tokens", str(MAX_TOKENS)]
    first = run_eval(*args, "-o", str(tmp_path / "a"))
    names = ["template", f"model:{tiny_gguf_path.name}", "human"]
    assert [s["name"] for s in first["systems"]] == names
    assert first["dataset"]["items"] == LIMIT

    overall = first["figures"]["overall"]
    text_and_checker = ("bleu4", "chrf", "rouge_l", "clean_share", "findings_per_doc", "hallucinated_params",
                        "with_examples", "tokens_per_doc")
    for name in names:
        assert set(overall[name]) == {"items", *(m.key for m in METRICS)}
        for key in text_and_checker:
            assert isinstance(overall[name][key], (int, float)), (name, key)
    # The human doc agrees with itself; the generators do not.
    assert overall["human"]["bleu4"] == overall["human"]["chrf"] == overall["human"]["rouge_l"] == 100.0
    assert overall["template"]["chrf"] < 100.0
    # The template engine writes checker-clean docs; the model spends tokens, the template none.
    assert overall["template"]["clean_share"] == 1.0
    assert overall["template"]["tokens_per_doc"] == 0
    model = f"model:{tiny_gguf_path.name}"
    assert 0 < overall[model]["tokens_per_doc"] <= MAX_TOKENS
    assert first["cost"][model]["tokens_per_second"] > 0
    details = first["figures"]["details"]
    assert sum(details[model]["origins"].values()) == LIMIT
    assert details["human"]["origins"] == {"human": LIMIT}
    # Findings by code are per-doc rates that add up to the findings per doc.
    for name in names:
        assert sum(details[name]["findings_per_doc_by_code"].values()) == pytest.approx(overall[name]["findings_per_doc"], abs=1e-5)
    # Breakdowns cover every item once per kind and repo.
    for grouping in ("by_kind", "by_repo"):
        assert sum(g["human"]["items"] for g in first["figures"][grouping].values()) == LIMIT
    assert first["figures"]["by_repo"].keys() == {"globset-0.4.9"}

    report_md = (tmp_path / "a" / "report.md").read_text()
    for name in names:
        assert f"| `{name}` " in report_md or f"`{name}` |" in report_md
    assert "**100.00**" in report_md  # the best BLEU-4 of the row is marked
    assert "## Examples" in report_md and first["examples"][0]["human"] in report_md
    for chart in ("metrics.png", "by_kind.png"):
        assert (tmp_path / "a" / chart).read_bytes().startswith(b"\x89PNG")

    # Same inputs, fresh report dir (nothing cached): the same figures and charts.
    second = run_eval(*args, "-o", str(tmp_path / "b"))
    assert second["run"][model] == {"generated": LIMIT, "cached": 0}
    assert second["figures"] == first["figures"]
    assert second["examples"] == first["examples"]
    for chart in ("metrics.png", "by_kind.png"):
        assert (tmp_path / "b" / chart).read_bytes() == (tmp_path / "a" / chart).read_bytes()


def test_interrupted_eval_resumes_from_its_cache_and_recomputes_nothing(globset_dataset, tiny_gguf_path, tmp_path):
    out = tmp_path / "report"
    common = ["--dataset", str(globset_dataset), "--system", "template", "--system", f"model:{tiny_gguf_path}",
              "--max-tokens", str(MAX_TOKENS), "-o", str(out)]
    model = f"model:{tiny_gguf_path.name}"
    # A run stopped after 3 items (a smaller --limit) leaves those 3 in the cache...
    partial = run_eval(*common, "--limit", str(PARTIAL))
    assert partial["run"][model] == {"generated": PARTIAL, "cached": 0}
    cache_file = out / "cache" / "generations.jsonl"
    before = cache_file.read_text().splitlines()
    assert len(before) == 2 * PARTIAL
    # ... and a kill during a write leaves at most one torn line, which is ignored.
    with open(cache_file, "a") as handle:
        handle.write('{"key": "torn')

    resumed = run_eval(*common, "--limit", str(LIMIT))
    assert resumed["run"][model] == {"generated": LIMIT - PARTIAL, "cached": PARTIAL}
    assert resumed["run"]["template"] == {"generated": LIMIT - PARTIAL, "cached": PARTIAL}
    lines = cache_file.read_text().splitlines()
    assert lines[: 2 * PARTIAL] == before  # cached results are never rewritten
    assert len(JsonlCache(cache_file)) == 2 * LIMIT

    again = run_eval(*common, "--limit", str(LIMIT))
    assert again["run"][model] == {"generated": 0, "cached": LIMIT}
    assert again["figures"] == resumed["figures"]
    assert again["cost"] == resumed["cost"]  # even timings come from the cache


CALC_CARGO_TOML = '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n'
CALC_LIB_RS = '''\
//! Small arithmetic helpers: a crate written for the eval's doctest test.

/// Adds two numbers; its example passes.
///
/// # Examples
///
/// ```
/// assert_eq!(calc::add(2, 2), 4);
/// ```
pub fn add(a: u32, b: u32) -> u32 {
    a + b
}

/// Subtracts `b` from `a`; its example compiles but fails.
///
/// # Examples
///
/// ```
/// assert_eq!(calc::sub(3, 1), 1);
/// ```
pub fn sub(a: u32, b: u32) -> u32 {
    a - b
}

/// Multiplies two numbers; its example is not even Rust.
///
/// # Examples
///
/// ```
/// let x = calc::mul(2, 3) +;
/// ```
pub fn mul(a: u32, b: u32) -> u32 {
    a * b
}

/// Parses a decimal number.
///
/// # Errors
///
/// Returns an error when `s` is not a decimal number.
pub fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
    s.parse()
}

/// Returns the larger of two numbers, without an example.
pub fn max(a: u32, b: u32) -> u32 {
    if a > b { a } else { b }
}
'''


@pytest.fixture
def calc_crate(tmp_path) -> Path:
    """A dependency-free crate whose documented examples pass, fail, and do not parse, and a fn needing `# Errors`."""
    crate = tmp_path / "calc"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text(CALC_CARGO_TOML)
    (crate / "src" / "lib.rs").write_text(CALC_LIB_RS)
    return crate


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")
def test_examples_are_checked_as_rust_and_run_as_doctests_in_a_copy_of_the_crate(calc_crate, tmp_path):
    dataset = mine(calc_crate, tmp_path / "dataset", all_in_test=True)
    report = run_eval("--dataset", str(dataset), "--system", "human", "--system", "template",
                      "--crate-dir", f"calc={calc_crate}", "-o", str(tmp_path / "report"))
    human = report["figures"]["overall"]["human"]
    assert report["dataset"]["items"] == 5
    assert human["with_examples"] == 0.6
    assert human["required_sections"] == 1.0  # parse's `# Errors`
    assert report["figures"]["overall"]["template"]["required_sections"] == 1.0
    assert human["examples_valid"] == pytest.approx(2 / 3)  # mul's example does not parse
    assert human["doctests_pass"] == pytest.approx(1 / 3)  # add passes; sub fails; mul does not compile
    assert report["figures"]["details"]["human"]["doctests"]["blocks_run"] == 3
    assert (calc_crate / "src" / "lib.rs").read_text() == CALC_LIB_RS  # the crate itself is untouched


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")
def test_doctests_run_the_inserted_doc_not_the_one_in_the_crate(calc_crate, tmp_path):
    dataset = mine(calc_crate, tmp_path / "dataset", all_in_test=True)
    examples = {e.name: e for e in load_examples(dataset, "test")}
    runner = DoctestRunner({"calc": calc_crate}, tmp_path / "work", JsonlCache(tmp_path / "doctests.jsonl"))
    fixed_sub = "Subtracts `b` from `a`.\n\n# Examples\n\n```\nassert_eq!(calc::sub(3, 1), 2);\n```"
    broken_add = "Adds two numbers.\n\n# Examples\n\n```\nassert_eq!(calc::add(2, 2), 5);\n```\n\n```\nlet _ = calc::add(1, 1);\n```"
    outcomes = runner.outcomes([(examples["sub"], fixed_sub), (examples["add"], broken_add), (examples["max"], "Returns the larger.")], "test")
    assert (outcomes[examples["sub"].id].blocks, outcomes[examples["sub"].id].passed) == (1, 1)
    assert (outcomes[examples["add"].id].blocks, outcomes[examples["add"].id].passed) == (2, 1)
    assert outcomes[examples["max"].id].status == "none"
    # Cached by (item, doc): asking again runs no cargo, even with the crate gone.
    shutil.rmtree(tmp_path / "work")
    shutil.move(calc_crate, tmp_path / "moved")
    again = DoctestRunner({"calc": calc_crate}, tmp_path / "work", JsonlCache(tmp_path / "doctests.jsonl"))
    assert again.outcomes([(examples["sub"], fixed_sub)], "test")[examples["sub"].id].passed == 1
    assert not (tmp_path / "work").exists()


def test_examples_blocks_are_those_under_the_examples_heading_and_parse_as_doctests():
    doc = (
        "Parses a glob.\n\n```\nnot counted: no heading above\n```\n\n# Examples\n\n"
        "```\nlet g = globset::Glob::new(\"*.rs\")?;\n# Ok::<(), globset::Error>(())\n```\n\n"
        "```text\noutput, not Rust\n```\n\n```rust\nfn main() { let x = ; }\n```\n\n# Errors\n\n```\nnot an example\n```"
    )
    blocks = examples_blocks(doc)
    assert [b.info for b in blocks] == ["", "rust"]
    assert [is_valid_rust_example(b) for b in blocks] == [True, False]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--system", "gpt"], "unknown system 'gpt'"),
        (["--system", "model:missing.gguf"], "not found"),
        (["--system", "template", "--system", "template"], "given twice"),
        (["--system", "template", "--crate-dir", "globset"], "REPO=DIR"),
        (["--system", "template", "--split", "dev"], "split"),
    ],
)
def test_bad_input_fails_with_one_line_and_non_zero_exit(globset_dataset, tmp_path, args, message):
    result = CliRunner().invoke(main, ["eval", "--dataset", str(globset_dataset), "-o", str(tmp_path / "r"), *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r" / "report.json").exists()


def test_a_file_that_is_not_a_gguf_fails_with_one_line(globset_dataset, tmp_path):
    bogus = tmp_path / "model.gguf"
    bogus.write_text("not a model")
    result = CliRunner().invoke(main, ["eval", "--dataset", str(globset_dataset), "--system", f"model:{bogus}",
                                       "--limit", "2", "-o", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "not a GGUF" in result.output and "Traceback" not in result.output


def test_a_bad_record_in_the_split_fails_fast_with_its_place(globset_dataset, tmp_path):
    dataset = tmp_path / "dataset"
    shutil.copytree(globset_dataset, dataset)
    lines = (dataset / "test.jsonl").read_text().splitlines()
    record = json.loads(lines[1])
    del record["item_json"]
    lines[1] = json.dumps(record)
    (dataset / "test.jsonl").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["eval", "--dataset", str(dataset), "--system", "template", "-o", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "record 2: missing field 'item_json'" in result.output


def test_ctrl_c_stops_an_eval_that_then_resumes_where_it_stopped(globset_dataset, tiny_gguf_path, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "report"
    args = [sys.executable, "-m", "rustdoc_cli", "eval", "-q", "--dataset", str(globset_dataset),
            "--system", f"model:{tiny_gguf_path}", "--limit", "2", "--max-tokens", "32", "-o", str(out)]
    cache_file = out / "cache" / "generations.jsonl"
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (cache_file.exists() and cache_file.read_text().count("\n") >= 1) and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)  # Ctrl+C after the first doc, while the second is generated
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == Interrupted.exit_code, stderr  # 130, as a shell's Ctrl-C
    assert "interrupted" in stderr and "resume" in stderr and "Traceback" not in stderr
    assert not (out / "report.json").exists()
    assert len(JsonlCache(cache_file)) == 1

    resumed = run_eval("--dataset", str(globset_dataset), "--system", f"model:{tiny_gguf_path}",
                       "--limit", "2", "--max-tokens", "32", "-o", str(out))
    assert resumed["run"][f"model:{tiny_gguf_path.name}"] == {"generated": 1, "cached": 1}


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")
def test_a_crate_that_does_not_build_offline_is_reported_and_retried_next_run(calc_crate, tmp_path):
    dataset = mine(calc_crate, tmp_path / "dataset", all_in_test=True)
    (calc_crate / "Cargo.toml").write_text(CALC_CARGO_TOML + 'no-such-crate-anywhere = "1"\n')
    examples = {e.name: e for e in load_examples(dataset, "test")}
    cache = JsonlCache(tmp_path / "doctests.jsonl")
    outcomes = DoctestRunner({"calc": calc_crate}, tmp_path / "work", cache).outcomes([(examples["add"], examples["add"].reference)], "test")
    assert outcomes[examples["add"].id].status == "build-failed"
    assert "no-such-crate-anywhere" in outcomes[examples["add"].id].detail
    assert len(cache) == 0
