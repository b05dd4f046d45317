"""Preference pairs that label themselves: `rustdoc-gen prefs`.

For each training prompt the SFT model answers k times (sampled, seeded), through the
same generator, prompt format, decoding and output guard the editor gets. Each answer is
scored with what we trust: the output guard's findings on what the model wrote
(repetition, echoed code, ungrounded names, chat leftovers, wrong kind, ...), the doc
checker's findings, whether the guard had to throw the answer away for the template,
agreement with the human doc (chrF) and, with --crate-dir, whether its examples pass as
doctests. The best answer (or the human doc, with `--chosen human`) is chosen, the worst
rejected; prompts whose best and worst tie give no pair.

The SFT model is sampled through llama-cpp-python: on the CPU it answers several times
faster than transformers' generate on the same model, and it is the very runtime the
editor uses, so the answers scored are the answers users would get. A run trained from a
GGUF base is exported once as a GGUF LoRA adapter on that base (`export --adapter-only`,
seconds); any other run as a merged Q8_0 GGUF.

PREFS directory:

    train.jsonl     prompt / chosen / rejected (trl's conversational preference shape) + scores
    scores.jsonl    every scored answer of every prompt (the pairs' evidence)
    stats.json      counts, settings, the scoring weights
    README.md       dataset card: how the pairs were scored (`datasets.load_dataset(PREFS)` reads it)
    cache/          answers sampled so far (a re-run continues), the SFT export, doctest work
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rustdoc_console import Interrupted, UserError, task_progress
from rustdoc_core.docs.checker import SEVERITY
from rustdoc_core.generation.decode import DecodeOptions
from rustdoc_core.generation.guard import GUARD_SEVERITY
from rustdoc_core.generation.prompt import PROMPT_FORMAT_VERSION, build_messages, parse_completion
from trainer.evaluation.dataset import EvalExample
from trainer.run_dir import ADAPTER_CONFIG, RunDir, RunDirError

log = logging.getLogger(__name__)

PAIRS_FILE = "train.jsonl"
SCORES_FILE = "scores.jsonl"
STATS_FILE = "stats.json"
CARD_FILE = "README.md"
CACHE_DIR = "cache"
PREFS_FORMAT_VERSION = 1

SAMPLE_TEMPERATURE = 0.8
"""Sampling temperature when --temperature is not given: varied answers that still read like the model's."""
DEFAULT_SAMPLES = 4
CHOSEN_FROM = ("sample", "human")

WEIGHTS = {
    "guard_error": 20.0,
    "checker_error": 5.0,
    "warning": 2.0,
    "replaced": 30.0,
    "doctest_failed": 20.0,
}
"""What each fault costs an answer, in chrF points:
score = chrF - 20 x guard errors - 5 x checker errors - 2 x warnings - 30 if the guard replaced
the answer by the template - 20 x failed doctest blocks. Each finding code counts once per answer."""

SCORE_FORMULA = (
    "score = chrF(answer, human doc) - 20 x guard errors - 5 x checker errors - 2 x warnings "
    "- 30 if the output guard replaced the answer by the template - 20 x failed doctest blocks"
)


@dataclass(frozen=True)
class PrefsConfig:
    run: Path
    dataset: Path
    output: Path
    samples: int = DEFAULT_SAMPLES
    limit: int | None = None
    seed: int = 0
    options: DecodeOptions = field(default_factory=lambda: DecodeOptions(temperature=SAMPLE_TEMPERATURE))
    crate_dirs: dict[str, Path] = field(default_factory=dict)
    chosen: str = "sample"  # of CHOSEN_FROM
    model: str | None = None  # a generator spec to sample instead of the run's export


@dataclass(frozen=True)
class AnswerScore:
    """One answer's score and what it is made of."""

    score: float
    chrf: float
    guard_errors: tuple[str, ...]
    checker_errors: tuple[str, ...]
    warnings: tuple[str, ...]
    replaced: bool
    doctest: str  # "none" (no tested example or no --crate-dir), "passed", "failed N/M", "build-failed", ...
    doctest_failed: int = 0


# --- scoring -------------------------------------------------------------------------------


def score_answer(example: EvalExample, raw: str, *, replaced: bool, names: Any = None, doctest: Any = None) -> AnswerScore:
    """Score what the model wrote (`raw`) for `example` by WEIGHTS (see SCORE_FORMULA)."""
    import sacrebleu

    from rustdoc_core.generation.grounding import context_code
    from trainer.evaluation.doc_measures import measure_doc

    doc = parse_completion(raw)
    measures = measure_doc(example.item, doc, raw=raw, names=names, context_code=context_code(example.context))
    codes = sorted(set(measures.finding_codes) | set(measures.raw_guard_codes))
    guard_errors = tuple(c for c in codes if GUARD_SEVERITY.get(c) == "error")
    checker_errors = tuple(c for c in codes if c not in GUARD_SEVERITY and SEVERITY.get(c) == "error")
    warnings = tuple(c for c in codes if c not in guard_errors and c not in checker_errors)
    chrf = sacrebleu.sentence_chrf(doc, [example.reference]).score if doc else 0.0
    failed, status = 0, "none"
    if doctest is not None and doctest.status == "ran":
        failed = doctest.blocks - doctest.passed
        status = "passed" if failed == 0 else f"failed {failed}/{doctest.blocks}"
    elif doctest is not None:
        status = doctest.status
    score = (
        chrf
        - WEIGHTS["guard_error"] * len(guard_errors)
        - WEIGHTS["checker_error"] * len(checker_errors)
        - WEIGHTS["warning"] * len(warnings)
        - WEIGHTS["replaced"] * replaced
        - WEIGHTS["doctest_failed"] * failed
    )
    return AnswerScore(round(score, 4), round(chrf, 4), guard_errors, checker_errors, warnings, replaced, status, failed)


@dataclass(frozen=True)
class Answer:
    """One sampled answer as the cache keeps it."""

    sample: int
    seed: int
    raw: str
    origin: str  # the generator's: "model" | "repaired" | "template" (replaced by the guard)
    tokens: int
    seconds: float


def preference_pair(example: EvalExample, answers: Sequence[tuple[Answer, AnswerScore]], chosen_from: str,
                    human: AnswerScore | None = None) -> dict[str, Any] | None:
    """The pair of one prompt: best (or the human doc) chosen, worst rejected; None on a tie."""
    if not answers:
        return None
    ranked = sorted(answers, key=lambda a: (-a[1].score, a[0].sample))
    worst_answer, worst = ranked[-1]
    if chosen_from == "human":
        assert human is not None
        chosen_text, chosen, chosen_label = example.reference, human, "human"
    else:
        best_answer, chosen = ranked[0]
        chosen_text, chosen_label = best_answer.raw.strip(), f"sample {best_answer.sample}"
    rejected_text = worst_answer.raw.strip()
    if chosen.score <= worst.score or chosen_text == rejected_text or not chosen_text:
        return None
    return {
        "prompt": build_messages(example.item.with_doc(None), example.context),
        "chosen": [{"role": "assistant", "content": chosen_text}],
        "rejected": [{"role": "assistant", "content": rejected_text}],
        "id": example.id,
        "repo": example.repo,
        "path": example.path,
        "kind": example.kind,
        "name": example.name,
        "chosen_from": chosen_label,
        "rejected_from": f"sample {worst_answer.sample}",
        "chosen_score": chosen.score,
        "rejected_score": worst.score,
        "margin": round(chosen.score - worst.score, 4),
    }


# --- the SFT model -------------------------------------------------------------------------


def _file_identity(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def run_info(run: RunDir) -> dict[str, Any]:
    """The SFT run's run.json; one line when it is not a finished run."""
    try:
        return run.require_finished("--run", "train it first")
    except RunDirError as error:
        raise UserError(str(error)) from None


def sampling_spec(run_dir: Path, work: Path) -> str:
    """The generator spec of the run's SFT model, exported once into `work` (keyed on the adapter's file)."""
    from trainer.export import ExportError, export_model

    run = RunDir(run_dir)
    info = run_info(run)
    weights = next((p for p in run.adapter.glob("adapter_model.*")), None)
    digest = hashlib.sha256(_file_identity(weights or run.adapter / ADAPTER_CONFIG).encode()).hexdigest()[:12]
    gguf = (info.get("base") or {}).get("gguf")
    adapter_only = bool(gguf) and Path(gguf).is_file()
    target = work / (f"sft-adapter-{digest}.gguf" if adapter_only else f"sft-{digest}.Q8_0.gguf")
    if not target.is_file():
        log.info("Exporting %s for sampling: %s", run_dir, target.name)
        try:
            if adapter_only:
                export_model(run_dir, target, adapter_only=True, base_gguf=gguf)
            else:
                export_model(run_dir, target, quant="Q8_0")
        except ExportError as error:
            raise UserError(f"cannot export {run_dir} to sample it: {error}") from None
    return f"model:{gguf}@{target}" if adapter_only else f"model:{target}"


# --- the command ---------------------------------------------------------------------------


@dataclass
class PrefsSummary:
    prompts: int
    answers: int
    sampled_now: int
    pairs: int
    ties: int
    output: Path
    seconds_sampling: float
    mean_margin: float | None
    chosen_mean: float | None
    rejected_mean: float | None
    guard_errors_chosen: int = 0
    guard_errors_rejected: int = 0
    fallbacks_chosen: int = 0
    fallbacks_rejected: int = 0


def build_preferences(config: PrefsConfig) -> PrefsSummary:
    """Sample, score and pair; write the PREFS directory (atomically); resumable through its cache."""
    from trainer.evaluation.dataset import load_examples, select_examples
    from trainer.evaluation.runner import repo_names

    check_prefs_config(config)
    work = config.output / CACHE_DIR
    work.mkdir(parents=True, exist_ok=True)
    spec = config.model or sampling_spec(config.run, work)
    examples = select_examples(load_examples(config.dataset, "train"), config.limit, config.seed)
    names = repo_names(examples)
    cache = AnswerCache(config, spec, work)
    sampled, seconds = sample_answers(config, spec, examples, names, cache)
    answers = {e.id: cache.answers(e) for e in examples}
    doctests = run_doctests(config, examples, answers, work)
    pairs, rows, ties = pair_answers(config, examples, answers, doctests, names)
    summary = PrefsSummary(
        prompts=len(examples), answers=len(rows), sampled_now=sampled, pairs=len(pairs), ties=ties, output=config.output,
        seconds_sampling=round(seconds, 2),
        mean_margin=_mean([p["margin"] for p in pairs]),
        chosen_mean=_mean([p["chosen_score"] for p in pairs]),
        rejected_mean=_mean([p["rejected_score"] for p in pairs]),
        guard_errors_chosen=sum(len(p["chosen_faults"]["guard_errors"]) for p in pairs),
        guard_errors_rejected=sum(len(p["rejected_faults"]["guard_errors"]) for p in pairs),
        fallbacks_chosen=sum(p["chosen_faults"]["replaced"] for p in pairs),
        fallbacks_rejected=sum(p["rejected_faults"]["replaced"] for p in pairs),
    )
    write_preferences(config, spec, pairs, rows, summary)
    return summary


def check_prefs_config(config: PrefsConfig) -> None:
    """One line for settings that cannot give pairs, before any model loads."""
    if config.samples < 2:
        raise UserError(f"--samples must be 2 or more to compare answers, got {config.samples}")
    if config.chosen not in CHOSEN_FROM:
        raise UserError(f"--chosen must be one of {', '.join(CHOSEN_FROM)}, not {config.chosen!r}")
    if config.options.greedy:
        raise UserError("--temperature 0 gives the same answer every time; sample with a temperature above 0")
    for repo, directory in config.crate_dirs.items():
        if not (Path(directory) / "Cargo.toml").is_file():
            raise UserError(f"--crate-dir {repo}={directory}: no Cargo.toml there")


class AnswerCache:
    """The answers sampled so far (PREFS/cache/samples.jsonl), keyed on the model's files, the item, the
    prompt format and the decoding options with the answer's seed: a re-run samples only what is missing."""

    def __init__(self, config: PrefsConfig, spec: str, work: Path) -> None:
        from trainer.evaluation.cache import JsonlCache

        self.config = config
        files = [p for p in spec.partition(":")[2].split("@") if p]
        # A model server (`openai:URL#MODEL`) is known by its spec; a GGUF by its files.
        self.model_identity = spec if spec.startswith("openai:") else "@".join(_file_identity(Path(p)) for p in files)
        self.samples = JsonlCache(work / "samples.jsonl")
        self.seeds = [config.seed + j for j in range(config.samples)]

    def key(self, example: EvalExample, sample: int) -> str:
        text = "\0".join((self.model_identity, example.id, example.content_hash, str(PROMPT_FORMAT_VERSION),
                          self.config.options.with_values(seed=self.seeds[sample]).fingerprint()))
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def missing(self, examples: Sequence[EvalExample]) -> list[tuple[EvalExample, int]]:
        return [(e, j) for e in examples for j in range(self.config.samples) if self.key(e, j) not in self.samples]

    def put(self, example: EvalExample, answer: Answer) -> None:
        self.samples.put(self.key(example, answer.sample), {"item": example.id, **asdict(answer)})

    def answers(self, example: EvalExample) -> list[Answer]:
        found = [self.samples.get(self.key(example, j)) for j in range(self.config.samples)]
        return [Answer(**{k: e[k] for k in Answer.__dataclass_fields__}) for e in found if e is not None]


def sample_answers(config: PrefsConfig, spec: str, examples: Sequence[EvalExample], names: dict[str, Any],
                   cache: AnswerCache) -> tuple[int, float]:
    """Sample every answer the cache lacks through the one documenting pipeline (as the editor gets them);
    returns (answers sampled now, model seconds). Ctrl-C keeps what was sampled."""
    from rustdoc_core.generation.crate_context import CrateContext
    from rustdoc_core.generation.generators import GenerationError, ModelLoadError, make_generator
    from rustdoc_core.generation.grounding import NameIndex
    from rustdoc_core.generation.pipeline import DocRequest, document_item

    todo = cache.missing(examples)
    generator = make_generator(spec, config.options)
    sampled, seconds = 0, 0.0
    try:
        with task_progress("Sampling answers", len(todo)) as advance:
            for example, j in todo:
                # One model, one answer per seed: the generator reads its options at each call.
                generator.options = config.options.with_values(seed=cache.seeds[j])
                try:
                    crate = CrateContext(extra_names=names.get(example.repo) or NameIndex())
                    doc = document_item(DocRequest(example.item, f"{example.repo}/{example.path}", context=example.context), generator, crate)
                except ModelLoadError as error:
                    raise UserError(f"cannot load {spec}: {error}") from None
                except GenerationError as error:
                    log.warning("%s: %s", example.label, error)
                    continue
                cache.put(example, Answer(j, cache.seeds[j], doc.raw, doc.origin.value, doc.tokens, round(doc.seconds, 4)))
                sampled += 1
                seconds += doc.seconds
                advance(1)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted; {len(cache.samples)} answers are kept in {cache.samples.path.parent}: "
                        "run the same command to continue") from None
    finally:
        generator.close()
    return sampled, seconds


def run_doctests(config: PrefsConfig, examples: Sequence[EvalExample], answers: dict[str, list[Answer]],
                 work: Path) -> dict[tuple[str, int], Any]:
    """With --crate-dir: each answer's examples run as doctests, by (item, sample); cached in PREFS/cache."""
    if not config.crate_dirs:
        return {}
    from trainer.evaluation.cache import JsonlCache
    from trainer.evaluation.doctests import DoctestRunner

    doctests: dict[tuple[str, int], Any] = {}
    runner = DoctestRunner(config.crate_dirs, work / "doctest-work", JsonlCache(work / "doctests.jsonl"))
    for j in range(config.samples):
        batch = [(e, parse_completion(a.raw)) for e in examples for a in answers[e.id] if a.sample == j]
        for example_id, outcome in runner.outcomes(batch, f"sample {j}").items():
            doctests[(example_id, j)] = outcome
    return doctests


def pair_answers(config: PrefsConfig, examples: Sequence[EvalExample], answers: dict[str, list[Answer]],
                 doctests: dict[tuple[str, int], Any], names: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Score every answer; pair each prompt's best (or the human doc) with its worst. Returns (pairs, score rows, ties)."""
    pairs, rows = [], []
    ties = 0
    for example in examples:
        scored = [
            (a, score_answer(example, a.raw, replaced=a.origin == "template", names=names.get(example.repo),
                             doctest=doctests.get((example.id, a.sample))))
            for a in answers[example.id]
        ]
        rows += [{"id": example.id, "sample": a.sample, "seed": a.seed, "origin": a.origin, "tokens": a.tokens,
                  "answer": a.raw, **asdict(score)} for a, score in scored]
        human = score_answer(example, example.reference, replaced=False, names=names.get(example.repo)) if config.chosen == "human" else None
        pair = preference_pair(example, scored, config.chosen, human)
        if pair is None:
            ties += len(scored) >= 2
            continue
        chosen_score = human if human is not None else next(s for a, s in scored if f"sample {a.sample}" == pair["chosen_from"])
        rejected_score = next(s for a, s in scored if f"sample {a.sample}" == pair["rejected_from"])
        pairs.append({**pair, "chosen_faults": _faults(chosen_score), "rejected_faults": _faults(rejected_score)})
    return pairs, rows, ties


def _faults(score: AnswerScore) -> dict[str, Any]:
    return {"guard_errors": list(score.guard_errors), "checker_errors": list(score.checker_errors),
            "warnings": list(score.warnings), "replaced": score.replaced, "doctest": score.doctest, "chrf": score.chrf}


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def write_preferences(config: PrefsConfig, spec: str, pairs: list[dict[str, Any]], rows: list[dict[str, Any]],
                      summary: PrefsSummary) -> None:
    from rustdoc_core.atomic import write_text_atomic

    out = config.output
    stats = {
        "format_version": PREFS_FORMAT_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run": str(config.run.resolve()),
        "dataset": str(config.dataset.resolve()),
        "split": "train",
        "model": spec,
        "samples_per_prompt": config.samples,
        "limit": config.limit,
        "seed": config.seed,
        "decode": asdict(config.options),
        "chosen_from": config.chosen,
        "crate_dirs": {repo: str(d) for repo, d in sorted(config.crate_dirs.items())},
        "prompt_format_version": PROMPT_FORMAT_VERSION,
        "weights": WEIGHTS,
        "score_formula": SCORE_FORMULA,
        "prompts": summary.prompts,
        "answers": summary.answers,
        "pairs": summary.pairs,
        "ties": summary.ties,
        "mean_margin": summary.mean_margin,
        "chosen_mean_score": summary.chosen_mean,
        "rejected_mean_score": summary.rejected_mean,
        "guard_errors": {"chosen": summary.guard_errors_chosen, "rejected": summary.guard_errors_rejected},
        "fallbacks": {"chosen": summary.fallbacks_chosen, "rejected": summary.fallbacks_rejected},
    }
    lines = lambda records: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)  # noqa: E731
    write_text_atomic(out / PAIRS_FILE, lines(pairs))
    write_text_atomic(out / SCORES_FILE, lines(rows))
    write_text_atomic(out / STATS_FILE, json.dumps(stats, indent=2) + "\n")
    write_text_atomic(out / CARD_FILE, preferences_card(config, stats))


def preferences_card(config: PrefsConfig, stats: dict[str, Any]) -> str:
    """The dataset card: front matter the Hub and `datasets` read, and how the pairs were scored."""
    from huggingface_hub import DatasetCardData

    from corpus_miner.dataset import hf_licenses, load_stats, size_category

    try:
        licenses = hf_licenses([r.get("license") for r in load_stats(config.dataset).get("repos", [])])
    except (OSError, ValueError):
        licenses = []
    metadata = DatasetCardData(
        license=licenses or ["unknown"],
        language=["en"],
        task_categories=["text-generation"],
        size_categories=[size_category(stats["pairs"])],
        tags=["rust", "rustdoc", "dpo", "preference"],
        pretty_name="Rust doc-comment preference pairs",
        configs=[{"config_name": "default", "data_files": [{"split": "train", "path": PAIRS_FILE}]}],
    )
    penalties = "\n".join(f"| {name.replace('_', ' ')} | -{weight:g} |" for name, weight in WEIGHTS.items())
    return f"""---
{metadata.to_yaml()}
---

# Rust doc-comment preference pairs

{stats['pairs']} prompt / chosen / rejected pairs from {stats['prompts']} training prompts of `{stats['dataset']}`,
in trl's conversational preference shape (`DPOTrainer` reads it as is). Written by `rustdoc-gen prefs`
on {stats['created']}.

## How the pairs were made

- The SFT model (`{stats['model']}`, run `{stats['run']}`) answered each prompt {stats['samples_per_prompt']} times,
  sampled at temperature {config.options.temperature:g} with seeds {config.seed}..{config.seed + config.samples - 1},
  at most {config.options.max_tokens} tokens, through the same prompt format (v{stats['prompt_format_version']}),
  decoding and output guard as the editor.
- Each answer, as the model wrote it, was scored:

  `{SCORE_FORMULA}`

  | fault | points |
  |---|---:|
{penalties}

  Guard errors are the output guard's error codes on the answer ({', '.join(c for c, s in GUARD_SEVERITY.items() if s == 'error')});
  checker errors the doc checker's; warnings both's warnings. Each code counts once per answer.
  Doctests ran {'in ' + ', '.join(stats['crate_dirs']) if stats['crate_dirs'] else 'nowhere (no --crate-dir given)'}.
- Chosen: {'the human doc' if config.chosen == 'human' else 'the best-scored answer'}; rejected: the worst-scored answer.
  Prompts whose best and worst scored the same ({stats['ties']}) gave no pair.

## Figures

| | chosen | rejected |
|---|---:|---:|
| mean score | {_fmt(stats['chosen_mean_score'])} | {_fmt(stats['rejected_mean_score'])} |
| guard errors | {stats['guard_errors']['chosen']} | {stats['guard_errors']['rejected']} |
| replaced by the template | {stats['fallbacks']['chosen']} | {stats['fallbacks']['rejected']} |

Every scored answer, with its parts, is in `{SCORES_FILE}`; the settings in `{STATS_FILE}`.

```python
from datasets import load_dataset
pairs = load_dataset("{config.output}", split="train")
```
"""


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
