"""Figures for a set of docs: agreement with the human doc (BLEU-4, chrF,
ROUGE-L from sacrebleu and rouge-score), the shared checker's and the output
guard's verdicts (before and after post-processing), example validity,
doctests, and cost."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from rustdoc_console import UserError
from rustdoc_core.generation.generators import GeneratedDoc
from rustdoc_core.generation.provenance import Provenance
from trainer.evaluation.dataset import EvalExample
from trainer.evaluation.doc_measures import DocMeasures
from trainer.evaluation.doctests import DoctestOutcome


@dataclass(frozen=True)
class ItemResult:
    example: EvalExample
    output: GeneratedDoc
    measures: DocMeasures
    doctest: DoctestOutcome | None  # None: the item's crate is not mapped with --crate-dir
    promoted: bool = False  # the output guard cut the summary and the answer's next sentence opens the doc


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    higher_is_better: bool | None  # None: informative, no best
    percent: bool = False  # a share in 0..1, shown as a percentage


TRUTH_FIGURES = (
    ("misshapen", "Misshapen summaries", False),
    ("contradicted", "Claims the signature contradicts", False),
    ("copied", "Copied from another item's doc", False),
    ("existence", "Named items that exist", True),
    ("needless_sections", "Docs with a needless section", False),
    ("malformed", "Malformed Markdown", False),
)
"""Whether the docs are true to their items, whatever their overlap with the human doc (chrF
rewarded docs copied from a neighbour): key, label, higher is better. `existence` is DocAgent's
truthfulness measure, names that exist over all names the docs present as code."""

METRICS = (
    Metric("bleu4", "BLEU-4", True),
    Metric("chrf", "chrF", True),
    Metric("rouge_l", "ROUGE-L", True),
    Metric("clean_share", "Docs with no findings", True, percent=True),
    Metric("findings_per_doc", "Findings per doc", False),
    Metric("required_sections", "Required sections present", True, percent=True),
    Metric("hallucinated_params", "Docs naming unknown params", False, percent=True),
    Metric("with_examples", "Docs with `# Examples` code", None, percent=True),
    Metric("examples_valid", "Examples blocks valid Rust", True, percent=True),
    Metric("doctests_pass", "Doctests passing", True, percent=True),
    Metric("tokens_per_doc", "Tokens generated per doc", None),
    *(
        Metric(f"{when}_{key}", f"{label}, {words}", False, percent=True)
        for key, label in (("repetition", "Docs repeating themselves"), ("echoed", "Docs echoing the item's code"),
                           ("ungrounded", "Docs naming what does not exist"))
        for when, words in (("raw", "as written"), ("final", "final"))
    ),
    Metric("length_ratio", "Length / human doc (median)", None),
    Metric("kept", "Answers kept as written", None, percent=True),
    Metric("repaired", "Answers repaired", None, percent=True),
    Metric("promoted", "Answers opened by their second sentence", None, percent=True),
    Metric("replaced", "Answers replaced by the template", None, percent=True),
    Metric("kept_or_repaired", "Answers kept or repaired", True, percent=True),
    *(Metric(key, label, better, percent=True) for key, label, better in TRUTH_FIGURES),
)
"""The quality figures: deterministic for deterministic systems (greedy, fixed seed).
`raw_*` measure the generator's answer before the output guard (what the model wrote),
`final_*` the doc after it (what the user gets)."""

GUARD_FIGURES = {"repetition": ("repetition",), "echoed": ("echoed-code",), "ungrounded": ("ungrounded-identifier",)}
"""Guard figure -> the output guard's finding codes it counts."""


VERDICTS = ("kept", "repaired", "replaced")
"""What the output guard did to an answer, as the report says it."""


def verdict(output: GeneratedDoc) -> str:
    """What the output guard did to an answer (one of VERDICTS), from where the doc came from: a
    template doc is the template system's own (kept) unless it replaced a different answer."""
    if output.origin == Provenance.TEMPLATE:
        return "kept" if output.raw == output.text else "replaced"
    return {Provenance.MODEL: "kept", Provenance.REPAIRED: "repaired", Provenance.HUMAN: "kept"}.get(output.origin, "replaced")

COST_METRICS = (
    Metric("seconds_per_doc", "Seconds per doc", False),
    Metric("tokens_per_second", "Tokens per second", True),
)
"""Measured time: varies from machine to machine and run to run."""


def _text_scorers():
    # rouge-score logs "Using default tokenizer." through absl at info level for every scorer.
    logging.getLogger("absl").setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        import sacrebleu
        from rouge_score import rouge_scorer
    except ImportError as exc:
        raise UserError(f"eval needs sacrebleu and rouge-score: pip install 'rustdoc-gen[eval]' ({exc.name} is missing)") from None
    return sacrebleu, rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)


def text_metric_signatures() -> dict[str, str]:
    sacrebleu, _ = _text_scorers()
    signatures = {}
    for key, metric in (("bleu4", sacrebleu.metrics.BLEU(max_ngram_order=4)), ("chrf", sacrebleu.metrics.CHRF())):
        metric.corpus_score(["a doc"], [["a doc"]])  # sacrebleu signs a metric once it has scored
        signatures[key] = str(metric.get_signature())
    return {
        **signatures,
        "rouge_l": "rouge-score rougeL F-measure x100, no stemming, mean over docs",
    }


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def figures(results: Sequence[ItemResult]) -> dict[str, float | int | None]:
    """Every quality figure for one system on one group of items."""
    if not results:
        return {"items": 0}
    sacrebleu, rouge = _text_scorers()
    hyps = [r.output.text for r in results]
    refs = [r.example.reference for r in results]
    required = sum(len(r.measures.required) for r in results)
    present = sum(len(r.measures.required_present) for r in results)
    blocks = sum(r.measures.example_blocks for r in results)
    valid = sum(r.measures.example_blocks_valid for r in results)
    ran = [r.doctest for r in results if r.doctest is not None and r.doctest.status == "ran"]
    return {
        "items": len(results),
        "bleu4": round(sacrebleu.corpus_bleu(hyps, [refs]).score, 4),
        "chrf": round(sacrebleu.corpus_chrf(hyps, [refs]).score, 4),
        "rouge_l": round(100 * sum(rouge.score(ref, hyp)["rougeL"].fmeasure for hyp, ref in zip(hyps, refs)) / len(results), 4),
        "clean_share": round(sum(r.measures.clean for r in results) / len(results), 6),
        "findings_per_doc": round(sum(len(r.measures.finding_codes) for r in results) / len(results), 6),
        "required_sections": _round(_share(present, required)),
        "hallucinated_params": round(sum(r.measures.unknown_params > 0 for r in results) / len(results), 6),
        "with_examples": round(sum(r.measures.example_blocks > 0 for r in results) / len(results), 6),
        "examples_valid": _round(_share(valid, blocks)),
        "doctests_pass": _round(_share(sum(d.passed for d in ran), sum(d.blocks for d in ran))),
        "tokens_per_doc": round(sum(r.output.tokens for r in results) / len(results), 4),
        **guard_figures(results),
    }


def guard_figures(results: Sequence[ItemResult]) -> dict[str, float | None]:
    """Shares of docs with each guard finding before and after post-processing, length against the
    human doc, what the guard did (kept / repaired / promoted summary / replaced), and the truth
    figures (`truth_figures`)."""
    n = len(results)
    out: dict[str, float | None] = {}
    for key, codes in GUARD_FIGURES.items():
        out[f"raw_{key}"] = round(sum(any(c in codes for c in r.measures.raw_guard_codes) for r in results) / n, 6)
        out[f"final_{key}"] = round(sum(any(c in codes for c in r.measures.guard_codes) for r in results) / n, 6)
    ratios = sorted(len(r.output.text) / len(r.example.reference) for r in results if r.example.reference)
    out["length_ratio"] = round(median(ratios), 4) if ratios else None
    verdicts = Counter(verdict(r.output) for r in results)
    for name in ("kept", "repaired", "replaced"):
        out[name] = round(verdicts[name] / n, 6)
    out["kept_or_repaired"] = round((verdicts["kept"] + verdicts["repaired"]) / n, 6)
    out["promoted"] = round(sum(r.promoted for r in results) / n, 6)
    return {**out, **truth_figures(results)}


def truth_figures(results: Sequence[ItemResult]) -> dict[str, float | None]:
    """Shares of docs misshapen, contradicted, copied, with a needless section or malformed, and
    the share of named items that exist (over every name of every doc)."""
    n = len(results)
    named = sum(r.measures.named for r in results)
    out: dict[str, float | None] = {
        key: round(sum(bool(getattr(r.measures, attr)) for r in results) / n, 6)
        for key, attr in (("misshapen", "misshapen"), ("contradicted", "contradicted"), ("copied", "copied"),
                          ("needless_sections", "needless_section"), ("malformed", "malformed"))
    }
    out["existence"] = _round(_share(sum(r.measures.named_real for r in results), named))
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def details(results: Sequence[ItemResult]) -> dict[str, object]:
    """Counts behind the shares: findings per doc by code, origins, example and doctest counts."""
    codes = Counter(code for r in results for code in r.measures.finding_codes)
    n = len(results) or 1
    ran = [r.doctest for r in results if r.doctest is not None and r.doctest.status == "ran"]
    return {
        "findings_per_doc_by_code": {code: round(count / n, 6) for code, count in sorted(codes.items())},
        "origins": dict(sorted(Counter(r.output.origin for r in results).items())),
        "verdicts": dict(sorted(Counter(verdict(r.output) for r in results).items())),
        "raw_guard_findings_per_doc_by_code": {
            code: round(count / n, 6) for code, count in sorted(Counter(c for r in results for c in r.measures.raw_guard_codes).items())
        },
        "required_sections": {
            "required": sum(len(r.measures.required) for r in results),
            "present": sum(len(r.measures.required_present) for r in results),
        },
        "unknown_params": sum(r.measures.unknown_params for r in results),
        "example_blocks": {
            "total": sum(r.measures.example_blocks for r in results),
            "valid_rust": sum(r.measures.example_blocks_valid for r in results),
        },
        "doctests": {
            "docs_checked": sum(1 for r in results if r.doctest is not None),
            "blocks_run": sum(d.blocks for d in ran),
            "blocks_passed": sum(d.passed for d in ran),
            "not_run": dict(sorted(Counter(r.doctest.status for r in results if r.doctest is not None and r.doctest.status not in ("ran", "none")).items())),
        },
        "tokens_total": sum(r.output.tokens for r in results),
    }


def cost(results: Sequence[ItemResult]) -> dict[str, float | None]:
    seconds = sum(r.output.seconds for r in results)
    tokens = sum(r.output.tokens for r in results)
    return {
        "seconds_per_doc": round(seconds / len(results), 6) if results else None,
        "tokens_per_second": round(tokens / seconds, 3) if tokens and seconds > 0 else None,
        "seconds_total": round(seconds, 3),
    }


def best_systems(values: dict[str, float | None], metric: Metric) -> set[str]:
    """The systems holding the best figure of a row (ties share it); none for informative rows."""
    present = {name: v for name, v in values.items() if v is not None}
    if metric.higher_is_better is None or len(present) < 2:
        return set()
    best = max(present.values()) if metric.higher_is_better else min(present.values())
    if all(v == best for v in present.values()):
        return set()
    return {name for name, v in present.items() if v == best}
