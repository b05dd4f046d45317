"""`rustdoc-gen prefs`: preference pairs sampled from a real SFT run of SmolLM2-135M on
Debian's globset, scored by the guard, the checker and chrF; and the scoring itself on
real globset items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.real_models import cli
from trainer.evaluation.dataset import load_examples
from trainer.preferences import Answer, preference_pair, score_answer

pytestmark = pytest.mark.timeout(1800)  # the fine-tuned SmolLM2 fixture trains on first use

PREFS_FLAGS = ("--limit", "4", "--samples", "3", "--max-tokens", "48", "--seed", "0", "--threads", "2")


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def globset_item(globset_dataset):
    """A real documented globset fn with a long enough human doc to score against."""
    examples = load_examples(globset_dataset, "train")
    return next(e for e in examples if e.kind in ("fn", "method") and len(e.reference) > 80)


def test_answer_like_the_human_doc_scores_above_one_echoing_the_code(globset_item):
    human_like = score_answer(globset_item, globset_item.reference, replaced=False)
    echo = f"```rust\n{globset_item.item.signature} {{\n    todo!()\n}}\n```\n" * 2
    echoing = score_answer(globset_item, "Returns the value.\n\n" + echo, replaced=True)
    assert human_like.chrf == pytest.approx(100.0)
    assert echoing.replaced and echoing.guard_errors, echoing
    assert human_like.score > echoing.score


def test_tied_answers_give_no_pair(globset_item):
    same = score_answer(globset_item, "Returns the glob.", replaced=False)
    answers = [(Answer(0, 0, "Returns the glob.", "model", 4, 0.1), same), (Answer(1, 1, "Returns the glob.", "model", 4, 0.1), same)]
    assert preference_pair(globset_item, answers, "sample") is None


def test_prefs_on_a_real_sft_run_writes_ordered_pairs_and_resumes(smollm2_finetuned_run, globset_dataset, tmp_path):
    from datasets import load_dataset

    out = tmp_path / "prefs"
    cli("-q", "prefs", "--run", str(smollm2_finetuned_run), "--dataset", str(globset_dataset), "-o", str(out), *PREFS_FLAGS)

    scores = _lines(out / "scores.jsonl")
    assert len(scores) == 4 * 3
    # The card's configs point datasets at train.jsonl; a cache of our own: a reused tmp path must not hit an old one.
    pairs = load_dataset(str(out), split="train", cache_dir=str(tmp_path / "hf-cache"))
    assert set(("prompt", "chosen", "rejected")) <= set(pairs.column_names)
    assert len(pairs) >= 1, scores
    for pair in pairs:
        own = sorted(s["score"] for s in scores if s["id"] == pair["id"])
        assert pair["chosen_score"] == own[-1] > pair["rejected_score"] == own[0]
        assert pair["chosen"][0]["role"] == pair["rejected"][0]["role"] == "assistant"
        assert pair["chosen"][0]["content"] != pair["rejected"][0]["content"]
        assert pair["prompt"][-1]["role"] == "user"
    stats = json.loads((out / "stats.json").read_text())
    assert stats["pairs"] == len(pairs) and stats["pairs"] + stats["ties"] <= 4
    card = (out / "README.md").read_text()
    assert "score = chrF" in card and "guard errors" in card

    # A second run samples nothing new and writes the same pairs.
    cached = (out / "cache" / "samples.jsonl").read_text()
    before = (out / "train.jsonl").read_text()
    cli("-q", "prefs", "--run", str(smollm2_finetuned_run), "--dataset", str(globset_dataset), "-o", str(out), *PREFS_FLAGS)
    assert (out / "cache" / "samples.jsonl").read_text() == cached
    assert (out / "train.jsonl").read_text() == before


def test_prefs_refuses_greedy_sampling_in_one_line(smollm2_finetuned_run, globset_dataset, tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "rustdoc_cli", "prefs", "--run", str(smollm2_finetuned_run), "--dataset", str(globset_dataset),
         "-o", str(tmp_path / "p"), "--temperature", "0"], capture_output=True, text=True,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1].startswith("error: --temperature 0")
