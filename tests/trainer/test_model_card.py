"""Model cards and dataset cards: what they hold comes from the files a real run,
a real mined dataset and a real `eval` report wrote, and their front matter is
what the Hub's metadata check accepts (as tests/support/fake_hub.py checks it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rustdoc_cli.cli import main as cli
from tests.support.fake_hub import card_metadata_errors
from trainer.model_card import (
    CARD_MARK,
    CardInputs,
    ModelCardError,
    check_card_inputs,
    eval_system,
    hub_model_id,
    model_card,
)

pytestmark = pytest.mark.slow


def _front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("\n---\n", 1)[0][4:])


@pytest.fixture(scope="module")
def mined(debian_crate, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("data") / "globset"
    result = CliRunner().invoke(cli, ["-q", "mine", str(debian_crate("globset")), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def run_dir(mined, tiny_model_dir, tmp_path_factory) -> Path:
    """A real two-step training run of the tiny Qwen2 model on globset's records."""
    run = tmp_path_factory.mktemp("runs") / "r1"
    out = subprocess.run(
        [sys.executable, "-m", "rustdoc_cli", "-q", "train", "--dataset", str(mined), "--output", str(run),
         "--base-model", str(tiny_model_dir), "--max-steps", "2", "--limit", "4", "--batch-size", "1",
         "--gradient-accumulation", "1", "--max-seq-len", "352", "--logging-steps", "1", "--eval-limit", "2"],
        capture_output=True, text=True, timeout=900, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def eval_report(mined, tiny_gguf_path, tmp_path_factory) -> Path:
    report = tmp_path_factory.mktemp("eval") / "report"
    result = CliRunner().invoke(cli, ["-q", "eval", "--dataset", str(mined), "--system", "template", "--system",
                                      f"model:{tiny_gguf_path}", "--limit", "2", "--max-tokens", "16", "-o", str(report)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return report


@pytest.fixture(scope="module")
def card(run_dir, eval_report, tiny_gguf_path) -> str:
    return model_card(CardInputs(gguf=tiny_gguf_path, quant="Q4_K_M", rendering="chat", adapter_only=False,
                                 run_dir=run_dir, base_model=None, eval_report=eval_report, repo_id="alice/rustdoc-tiny"))


def test_card_front_matter_is_what_the_hubs_metadata_check_accepts(card, eval_report, tiny_gguf_path):
    from huggingface_hub import ModelCard

    assert card_metadata_errors(card, "model") == []
    meta = _front_matter(card)
    assert (meta["pipeline_tag"], meta["library_name"], meta["license"]) == ("text-generation", "gguf", "unknown")
    assert "base_model" not in meta  # a local directory is no Hub id
    report = json.loads((eval_report / "report.json").read_text())
    figures = report["figures"]["overall"][f"model:{tiny_gguf_path.name}"]
    parsed = ModelCard(card).data.eval_results
    assert {r.metric_type: r.metric_value for r in parsed} == pytest.approx(
        {key: figures[key] for key in report["metrics"] if figures.get(key) is not None}, rel=1e-5)


def test_card_training_table_is_the_runs_config_and_results(card, run_dir):
    run = json.loads((run_dir / "run.json").read_text())
    training = card.split("## Training\n", 1)[1].split("\n## ", 1)[0]
    for key, value in run["config"].items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        expected = "–" if shown is None or shown == "" else str(shown)
        assert f"| `{key}` | {expected} |" in training, key
    assert f"| steps | {run['results']['steps']} |" in training
    assert f"| final loss | {run['results']['final_loss']:.4g} |" in training
    assert f"git commit: {run['git_commit']}" in training or run["git_commit"] is None


def test_card_provenance_lists_the_datasets_repos_with_commits_and_licenses(card, mined):
    stats = json.loads((mined / "stats.json").read_text())
    data = card.split("## Training data\n", 1)[1].split("\n## ", 1)[0]
    for repo in stats["repos"]:
        assert f"| {repo['name']} | {repo['url']} | {repo['commit'] or '–'} | {repo['license']} | {repo['kept']} |" in data
    assert f"train {stats['splits']['train']}" in data


def test_card_prompt_section_shows_the_format_version_and_rendering(card, run_dir):
    from rustdoc_core.generation.prompt import SYSTEM_PROMPT

    run = json.loads((run_dir / "run.json").read_text())
    prompt = card.split("## Prompt format\n", 1)[1].split("\n## ", 1)[0]
    assert f"prompt format v{run['prompt_format_version']}, rendering `chat`" in prompt
    assert SYSTEM_PROMPT in prompt and "Write the rustdoc comment for `fn read_config`." in prompt


def test_card_says_how_to_use_it_and_its_limits(card, tiny_gguf_path):
    usage = card.split("## How to use\n", 1)[1].split("\n## ", 1)[0]
    assert f"rustdoc-gen model pull -q alice/rustdoc-tiny {tiny_gguf_path.name}" in usage
    assert 'rustdoc-gen generate src/ --model "$MODEL"' in usage and f"llama-cli -m {tiny_gguf_path.name}" in usage
    assert "## Limitations" in card and "globset" in card.split("## Limitations", 1)[1]


def test_adapter_card_says_to_apply_it_on_its_base(run_dir, tmp_path):
    card = model_card(CardInputs(gguf=tmp_path / "lora.gguf", quant="Q4_K_M", rendering="plain", adapter_only=True,
                                 run_dir=run_dir, base_model=None))
    assert "a GGUF LoRA adapter for" in card and '--model BASE.gguf --adapter "$MODEL"' in card
    assert "--lora lora.gguf" in card and "rendering `plain`" in card
    assert card_metadata_errors(card, "model") == []


def test_an_eval_report_without_this_model_is_refused_by_name(tmp_path):
    report = {"systems": [{"name": "a", "spec": "model:a.gguf"}, {"name": "b", "spec": "model:b.gguf"}]}
    with pytest.raises(ModelCardError, match=r"no system for c\.gguf .*a \(model:a\.gguf\), b \(model:b\.gguf\)"):
        eval_system(report, tmp_path / "c.gguf")
    assert eval_system(report, tmp_path / "b.gguf") == "b"
    with pytest.raises(ModelCardError, match="no report.json"):
        check_card_inputs(tmp_path / "c.gguf", tmp_path)


def test_a_readme_we_did_not_write_is_never_overwritten(tmp_path):
    (tmp_path / "README.md").write_text("# My models\n")
    with pytest.raises(ModelCardError, match="is not a rustdoc-gen model card"):
        check_card_inputs(tmp_path / "m.gguf", None)
    (tmp_path / "README.md").write_text(f"---\n---\n{CARD_MARK}\n")
    check_card_inputs(tmp_path / "m.gguf", None)  # our own card: replaced by the next export


def test_base_model_is_named_by_hub_id_when_it_has_one(tmp_path):
    assert hub_model_id("Qwen/Qwen2.5-Coder-1.5B-Instruct") == "Qwen/Qwen2.5-Coder-1.5B-Instruct"
    snapshot = "/root/.cache/huggingface/hub/models--HuggingFaceTB--SmolLM2-135M-Instruct/snapshots/abc123"
    assert hub_model_id(snapshot) == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert hub_model_id(str(tmp_path)) is None and hub_model_id("SmolLM2-135M-Instruct.Q4_1.gguf") is None


def test_dataset_card_is_a_valid_hub_dataset_card(mined, tmp_path, debian_crate):
    from huggingface_hub import DatasetCard

    text = (mined / "README.md").read_text()
    assert card_metadata_errors(text, "dataset") == []
    meta = _front_matter(text)
    stats = json.loads((mined / "stats.json").read_text())
    assert stats["repos"][0]["license"] == "Unlicense OR MIT"
    assert meta["license"] == ["mit", "unlicense"]  # each license of the SPDX expression, as the Hub names it
    assert meta["task_categories"] == ["text-generation"]
    assert meta["size_categories"] == ["n<1K"] and sum(stats["splits"].values()) < 1000
    assert [c["split"] for c in meta["configs"][0]["data_files"]] == [s for s in ("train", "validation", "test") if stats["splits"][s]]
    assert DatasetCard(text).data.license == ["mit", "unlicense"]  # huggingface_hub reads it back
    again = CliRunner().invoke(cli, ["-q", "mine", str(debian_crate("globset")), "-o", str(tmp_path / "again")])
    assert again.exit_code == 0 and (tmp_path / "again" / "README.md").read_text() == text  # re-mining: the same card
