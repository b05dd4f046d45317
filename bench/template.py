"""`python -m bench template`: the template engine's own fault count (rustdoc_core/generation/
template/faults.py) on the pinned corpus and on the held-out crates, per fault code, with how
many docs there are and how many summaries say less ("The `f` function.") because the name does
not read as English; and the doc checker's findings on the same docs. The goal for every fault
and finding is 0.

    python -m bench template
"""

from __future__ import annotations

from collections import Counter

from bench.harness import Report
from rustdoc_core.docs.checker import check_doc
from rustdoc_core.docs.section_text import error_type_meanings
from rustdoc_core.generation.template import template_doc
from rustdoc_core.generation.template.faults import FAULT_CODES, template_faults
from tests.core.template_corpus import HELD_OUT_CRATES, corpus_sources, crate_dir, crate_items, debian_registry


def run(args: list[str]) -> Report:
    registry = debian_registry()
    groups = {
        "corpus": corpus_sources(registry),
        "held-out": {c: list(crate_items(crate_dir(registry, c))) for c in HELD_OUT_CRATES},
    }
    report = Report("Template faults (goal 0 each)")
    for label, parts in groups.items():
        faults: Counter[str] = Counter()
        docs = says_less = findings = 0
        for part, items in parts.items():
            meanings = error_type_meanings([item for _, item in items])
            for _, item in items:
                doc = template_doc(item, error_meanings=meanings)
                docs += 1
                says_less += doc.startswith("The `")
                faults.update(f.code for f in template_faults(item, doc))
                findings += len(check_doc(item, doc))
        report.add(f"{label}: docs ({', '.join(parts)})", docs, "docs")
        for code in FAULT_CODES:
            report.add(f"{label}: {code}", faults[code], "faults", target="0")
        report.add(f"{label}: doc checker findings", findings, "findings", target="0")
        report.add(f"{label}: summaries that say less", says_less, "docs")
    return report
