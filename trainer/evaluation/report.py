"""The evaluation report: report.json (every figure), report.md (tables side
by side, best per row in bold, a few docs next to the human one) and PNG charts.
All written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rustdoc_core.atomic import atomic_path, write_text_atomic
from trainer.evaluation.metrics import COST_METRICS, GUARD_FIGURES, METRICS, TRUTH_FIGURES, Metric, best_systems

GUARD_ROWS = frozenset(
    [f"{when}_{key}" for key in GUARD_FIGURES for when in ("raw", "final")]
    + ["kept", "repaired", "promoted", "replaced", "kept_or_repaired"]
)
"""Figures shown in their own "before and after" table rather than in the overall one."""
TRUTH_ROWS = frozenset([key for key, _, _ in TRUTH_FIGURES] + ["length_ratio"])
"""Figures shown in the "true to the item" table."""

CHARTS = {"metrics": "metrics.png", "by_kind": "by_kind.png"}
BREAKDOWN_METRICS = ("chrf", "clean_share")
BREAKDOWN_TITLES = {"by_kind": "item kind", "by_section": "section of the human doc", "by_repo": "repository"}


def write_report(directory: Path, report: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    write_charts(directory, report)
    write_text_atomic(directory / "report.json", json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    write_text_atomic(directory / "report.md", render_markdown(report))


def format_value(value: Any, metric: Metric | None) -> str:
    if value is None:
        return "–"
    if metric is not None and metric.percent:
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _arrow(metric: Metric) -> str:
    return {True: " ↑", False: " ↓", None: ""}[metric.higher_is_better]


def _metric_table(first: str, names: list[str], rows: list[tuple[str, Metric, dict[str, Any]]]) -> list[str]:
    lines = [f"| {first} | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|" + "---:|" * len(names)]
    for title, metric, values in rows:
        best = best_systems({n: values.get(n) for n in names}, metric)
        cells = [format_value(values.get(n), metric) for n in names]
        cells = [f"**{c}**" if n in best else c for n, c in zip(names, cells)]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    names = [s["name"] for s in report["systems"]]
    figures = report["figures"]
    data = report["dataset"]
    sample = f" (a sample of its {data['split_items']}, seed {data['seed']})" if data["items"] < data["split_items"] else ""
    out = [
        "# rustdoc-gen evaluation",
        "",
        f"Dataset `{data['dir']}`, split `{data['split']}`: {data['items']} items{sample}. "
        f"Prompt format v{report['prompt_format_version']}; models decode greedily "
        f"(max {report['generation']['max_tokens']} tokens, seed {report['generation']['seed']}).",
        "",
        "Systems: " + ", ".join(f"`{s['name']}` (`{s['spec']}`)" for s in report["systems"]) + ".",
        "Best figure per row in **bold**; ↑ higher is better, ↓ lower is better. "
        "Agreement metrics compare with the human doc; the others come from the shared doc checker.",
        "",
        "## Overall",
        "",
    ]
    overall = figures["overall"]
    rows = [(f"{m.label}{_arrow(m)}", m, {n: overall[n].get(m.key) for n in names}) for m in METRICS if m.key not in GUARD_ROWS | TRUTH_ROWS]
    out += _metric_table("Metric", names, rows)
    out += ["", "## True to the item", "",
            "Overlap with the human doc rewards a doc copied from a neighbour; these do not. Misshapen: a summary of "
            "a function's shape (\"Returns ...\") on an item that is not one. Contradicted: a claim about the value "
            "that the signature contradicts (`true` without a `bool`, `Ok` without a `Result`, \"Returns\" of a fn "
            "that returns nothing). Copied: a run of 10 words shared with another item's doc in the dataset. Named "
            "items that exist: over all the names the docs put in backticks or links.", ""]
    truth = [m for m in METRICS if m.key in TRUTH_ROWS]
    out += _metric_table("Truth", names, [(f"{m.label}{_arrow(m)}", m, {n: overall[n].get(m.key) for n in names}) for m in truth])
    for name in names:
        not_run = figures["details"][name]["doctests"]["not_run"]
        if not_run:
            reasons = ", ".join(f"{reason}: {count}" for reason, count in not_run.items())
            out += ["", f"Doctests of `{name}` could not run for some docs ({reasons}); see the log."]
    out += ["", f"![Per-metric figures per system]({CHARTS['metrics']})", "", "## Cost", ""]
    cost_rows = [(f"{m.label}{_arrow(m)}", m, {n: report["cost"][n].get(m.key) for n in names}) for m in COST_METRICS]
    out += _metric_table("Measured", names, cost_rows)
    out += ["", "Times are measured on this machine and vary between runs; the other figures do not.", ""]

    out += ["## Findings per doc by checker code", ""]
    codes = sorted({c for n in names for c in figures["details"][n]["findings_per_doc_by_code"]})
    fewer = Metric("findings", "findings", False)
    out += _metric_table("Code ↓", names, [
        (f"`{code}`", fewer, {n: figures["details"][n]["findings_per_doc_by_code"].get(code, 0.0) for n in names})
        for code in codes
    ]) if codes else ["No findings for any system."]
    out += ["", "## Output guard: before and after", "",
            "What the model wrote (raw answer) against what the user gets (final doc), from the output guard's "
            "findings, and what the guard did to the answers.", ""]
    guard_rows = [m for m in METRICS if m.key in GUARD_ROWS]
    out += _metric_table("Output guard", names, [(f"{m.label}{_arrow(m)}", m, {n: overall[n].get(m.key) for n in names}) for m in guard_rows])
    out += ["", "## Origin of the final docs", "",
            "`model`: kept as generated; `repaired`: fixed by post-processing; `template`: model output rejected, template used.", ""]
    origins = sorted({o for n in names for o in figures["details"][n]["origins"]})
    neutral = Metric("origin", "origin", None)
    out += _metric_table("Origin", names, [
        (f"`{o}`", neutral, {n: figures["details"][n]["origins"].get(o, 0) for n in names}) for o in origins
    ])
    for grouping, title in BREAKDOWN_TITLES.items():
        out += ["", f"## By {title}"]
        for key in BREAKDOWN_METRICS:
            metric = next(m for m in METRICS if m.key == key)
            rows = [
                (f"{group} (n={next(iter(per_system.values()))['items']})", metric, {n: per_system[n].get(key) for n in names})
                for group, per_system in figures[grouping].items()
            ]
            out += ["", f"{metric.label}{_arrow(metric)}:", ""] + _metric_table(title.capitalize(), names, rows)
        if grouping == "by_kind":
            out += ["", f"![Per-kind breakdown]({CHARTS['by_kind']})"]
    if report["examples"]:
        out += ["", "## Examples", "", "A few items, each system's doc next to the human one; where the output guard "
                "changed an answer, the raw answer stands above the final doc, so what was cut shows.", ""]
    for shown in report["examples"]:
        out += [f"### `{shown['label']}` ({shown['repo']}: `{shown['path']}` line {shown['line']})", "",
                "```rust", shown["signature"], "```", "", "**Human**", "", _fenced(shown["human"]), ""]
        for name in names:
            doc = shown["docs"][name]
            if doc["origin"] == "human":
                continue  # the human doc, shown above
            notes = f"origin `{doc['origin']}`; " + (
                "findings: " + ", ".join(f"`{c}`" for c in doc["findings"]) if doc["findings"] else "no findings")
            raw = doc.get("raw")
            if raw is not None and raw != doc["text"]:
                guard = ", ".join(f"`{c}`" for c in doc.get("raw_guard", ())) or "none"
                out += [f"**`{name}`**, raw answer (guard findings: {guard})", "", _fenced(raw), ""]
                out += [f"**`{name}`**, final doc ({notes})", "", _fenced(doc["text"]), ""]
            else:
                out += [f"**`{name}`** ({notes})", "", _fenced(doc["text"]), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _fenced(text: str) -> str:
    ticks = "````"
    while ticks in text:
        ticks += "`"
    return f"{ticks}markdown\n{text or '(empty)'}\n{ticks}"


def write_charts(directory: Path, report: dict[str, Any]) -> None:
    import logging

    import matplotlib

    logging.getLogger("matplotlib").setLevel(max(logging.WARNING, logging.getLogger().level))
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [s["name"] for s in report["systems"]]
    colors = [plt.get_cmap("tab10")(i % 10) for i in range(len(names))]
    overall = report["figures"]["overall"]
    shown = [m for m in METRICS if any(overall[n].get(m.key) is not None for n in names)]
    columns = 4
    rows = (len(shown) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3 * rows), squeeze=False)
    for ax, metric in zip(axes.flat, shown):
        values = [overall[n].get(metric.key) for n in names]
        heights = [0 if v is None else (100 * v if metric.percent else v) for v in values]
        bars = ax.bar(range(len(names)), heights, color=colors)
        ax.bar_label(bars, labels=[format_value(v, metric) for v in values], fontsize=7)
        ax.set_ylim(0, 105 if metric.percent or metric.key in ("bleu4", "chrf", "rouge_l") else max([1.0, *heights]) * 1.15)
        ax.set_title(f"{metric.label}{_arrow(metric)}" + (" (%)" if metric.percent else ""), fontsize=9)
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    fig.tight_layout()
    _save(fig, directory / CHARTS["metrics"])

    by_kind = report["figures"]["by_kind"]
    kinds = list(by_kind)
    fig, axes = plt.subplots(1, len(BREAKDOWN_METRICS), figsize=(max(6, 1.2 * len(kinds) * len(BREAKDOWN_METRICS)), 3.5), squeeze=False)
    width = 0.8 / max(1, len(names))
    for ax, key in zip(axes.flat, BREAKDOWN_METRICS):
        metric = next(m for m in METRICS if m.key == key)
        for i, name in enumerate(names):
            values = [by_kind[k][name].get(key) for k in kinds]
            heights = [0 if v is None else (100 * v if metric.percent else v) for v in values]
            ax.bar([x + i * width for x in range(len(kinds))], heights, width, label=name, color=colors[i])
        ax.set_ylim(0, 105)
        ax.set_title(f"{metric.label} by kind" + (" (%)" if metric.percent else ""), fontsize=9)
        ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(kinds))], kinds, fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    _save(fig, directory / CHARTS["by_kind"])
    plt.close("all")


def _save(fig, target: Path) -> None:
    with atomic_path(target, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
